"""``vmctl delete TYPE NAME``: delete an object (a VM stops its VMI first; owned objects go with it)."""

from __future__ import annotations

from typing import Annotated

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Namespace, Wait

DeleteTimeout = Annotated[int, typer.Option("--timeout", help="Seconds to wait with --wait.")]
Cascade = Annotated[
    str,
    typer.Option(
        "--cascade",
        help="What happens to the objects this one owns (a VM's VMI, a pool's VMs): background (deleted after "
        "it), foreground (deleted before it; on a cluster the object stays until they are gone) or orphan (left "
        "without their owner; locally only for pools, replica sets and other owners, not VMs or VMIs).",
        metavar="background|foreground|orphan",
    ),
]
#: kubectl's deprecated boolean spellings.
_LEGACY_CASCADE = {"true": "background", "false": "orphan"}


def register(app: typer.Typer) -> None:
    @app.command(
        "delete",
        help=(
            "Delete objects: TYPE NAME... or TYPE/NAME... (as kubectl). Deleting a VM stops its VMI (gracefully, "
            "within its terminationGracePeriodSeconds) and removes it. A missing object is an error, after the "
            "others were deleted.\n\n"
            "Example: vmctl delete vm web1 web2 --wait\n\nExample: vmctl delete configmap/app-config\n\n"
            "Example: vmctl delete pool web --cascade=orphan"
        ),
    )
    @backend_command
    def delete(
        args: Annotated[list[str], typer.Argument(help="TYPE NAME... or TYPE/NAME...", metavar="TYPE NAME...")],
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: DeleteTimeout = 300,
        cascade: Cascade = "background",
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        import sys

        from vmctl.backends.base import CASCADE_POLICIES, Ref
        from vmctl.cli.backend_flags import open_backend
        from vmctl.cli.output import warn
        from vmctl.cli.resources import split_type_names
        from vmctl.errors import NotFoundError, UsageError

        policy = cascade.lower()
        if policy in _LEGACY_CASCADE:
            policy = _LEGACY_CASCADE[policy]
            warn(f"--cascade={cascade} is deprecated (boolean value) and can be replaced with --cascade={policy}.")
        if policy not in CASCADE_POLICIES:
            raise UsageError(f'invalid cascade value ({cascade}). Must be "background", "foreground", or "orphan".')
        targets = split_type_names(args)
        be = open_backend(flags)
        ns = namespace or be.default_namespace
        missing: list[NotFoundError] = []
        for kind, name in targets:  # as kubectl: a missing object does not stop the others
            try:
                be.delete(Ref(kind.kind, name, ns), wait=wait, timeout=timeout, cascade=policy)
            except NotFoundError as exc:
                missing.append(exc)
                continue
            what = f"{kind.singular}.{kind.group}" if kind.group else kind.singular
            typer.echo(f'{what} "{name}" deleted')
        for exc in missing[:-1]:
            sys.stderr.write(f"error: {exc.message}\n")
        if missing:
            raise missing[-1]
