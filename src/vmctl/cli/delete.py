"""``vmctl delete TYPE NAME``: delete an object (a VM stops its VMI first; owned objects go with it)."""

from __future__ import annotations

from typing import Annotated

import typer

from vmctl.cli.options import Backend, LibvirtUri, Namespace, StateDir, Wait

DeleteTimeout = Annotated[int, typer.Option("--timeout", help="Seconds to wait with --wait.")]


def register(app: typer.Typer) -> None:
    @app.command(
        "delete",
        help=(
            "Delete an object: TYPE NAME or TYPE/NAME. Deleting a VM stops its VMI (gracefully, within its "
            "terminationGracePeriodSeconds) and removes it.\n\n"
            "Example: vmctl delete vm web1 --wait\n\nExample: vmctl delete configmap/app-config"
        ),
    )
    def delete(
        args: Annotated[list[str], typer.Argument(help="TYPE NAME or TYPE/NAME", metavar="TYPE NAME")],
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: DeleteTimeout = 300,
        backend: Backend = None,
        state_dir: StateDir = None,
        libvirt_uri: LibvirtUri = None,
    ) -> None:
        from vmctl.backends.base import Ref
        from vmctl.cli.resources import open_backend, split_type_name

        kind, name = split_type_name(args)
        ns = namespace or "default"
        be = open_backend(backend, state_dir, libvirt_uri)
        be.delete(Ref(kind.kind, name, ns), wait=wait, timeout=timeout)
        typer.echo(f'{kind.singular}.{kind.group} "{name}" deleted' if kind.group else f'{kind.singular} "{name}" deleted')
