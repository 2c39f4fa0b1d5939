"""``vmctl delete TYPE NAME``: delete an object (a VM stops its VMI first; owned objects go with it)."""

from __future__ import annotations

from typing import Annotated

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Namespace, Wait

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
    @backend_command
    def delete(
        args: Annotated[list[str], typer.Argument(help="TYPE NAME or TYPE/NAME", metavar="TYPE NAME")],
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: DeleteTimeout = 300,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        from vmctl.backends.base import Ref
        from vmctl.cli.backend_flags import open_backend
        from vmctl.cli.resources import split_type_name

        kind, name = split_type_name(args)
        be = open_backend(flags)
        ns = namespace or be.default_namespace
        be.delete(Ref(kind.kind, name, ns), wait=wait, timeout=timeout)
        typer.echo(f'{kind.singular}.{kind.group} "{name}" deleted' if kind.group else f'{kind.singular} "{name}" deleted')
