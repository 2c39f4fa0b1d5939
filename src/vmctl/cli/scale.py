"""``vmctl scale``: set the replicas of a VirtualMachinePool or VirtualMachineInstanceReplicaSet (as
``kubectl scale`` does through the scale subresource)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Namespace, Wait
from vmctl.cli.output import Format

if TYPE_CHECKING:
    from vmctl.backends.base import Backend, Ref
    from vmctl.core.kinds import Kind

HELP = """Set the number of replicas of a VirtualMachinePool or VirtualMachineInstanceReplicaSet.

TYPE NAME or TYPE/NAME, where TYPE is pool (vmpool, virtualmachinepool) or vmirs
(virtualmachineinstancereplicaset). With --current-replicas the change is made only when the replicas are
that number now (exit 1 otherwise). With --wait, wait until that many replicas are ready.

Example: vmctl scale pool web --replicas 5

Example: vmctl scale pool/web --replicas 3 --current-replicas 5 --wait --timeout 10m
"""

Replicas = Annotated[int, typer.Option("--replicas", help="The new number of replicas (0 or more).", show_default=False)]
CurrentReplicas = Annotated[
    int | None, typer.Option("--current-replicas", help="Precondition: the replicas now; the scale fails otherwise.")
]
DurationTimeout = Annotated[
    str, typer.Option("--timeout", help="How long --wait waits: seconds or a duration (90s, 5m, 1h).")
]
ScaleOutput = Annotated[
    Format | None, typer.Option("--output", "-o", help="Print the scaled object: yaml, json or name.")
]


def register(app: typer.Typer) -> None:
    @app.command("scale", help=HELP)
    @backend_command
    def scale(
        args: Annotated[list[str], typer.Argument(help="TYPE NAME or TYPE/NAME", metavar="TYPE NAME")],
        replicas: Replicas,
        current_replicas: CurrentReplicas = None,
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: DurationTimeout = "300s",
        output: ScaleOutput = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        from vmctl.backends.base import Ref
        from vmctl.cli.backend_flags import open_backend
        from vmctl.cli.replicated import parse_duration, qualified_name, replicated_target
        from vmctl.errors import UsageError

        kind, ref = replicated_target(args, namespace, what="scale")
        if replicas < 0:
            raise UsageError(f"--replicas {replicas}: must be 0 or more")
        if current_replicas is not None and current_replicas < 0:
            raise UsageError(f"--current-replicas {current_replicas}: must be 0 or more")
        seconds = parse_duration(timeout)
        be = open_backend(flags)
        ref = Ref(ref.kind, ref.name, namespace or be.default_namespace)
        scaled = be.scale(ref, replicas, current_replicas=current_replicas)
        if output is None:
            typer.echo(f"{qualified_name(kind, ref.name)} scaled")
        else:
            from vmctl.cli.output import emit

            emit(scaled, output)
        if wait:
            _wait_ready(be, kind, ref, replicas, seconds)


def _wait_ready(be: Backend, kind: Kind, ref: Ref, replicas: int, seconds: float) -> None:
    """Poll until ``status.replicas`` and ``status.readyReplicas`` are both ``replicas``."""
    import time

    from vmctl.errors import VmctlError

    deadline = time.monotonic() + seconds
    while True:
        obj = be.get(ref)
        status = obj.get("status") or {}
        have, ready = int(status.get("replicas") or 0), int(status.get("readyReplicas") or 0)
        if have == replicas and ready == replicas:
            return
        if time.monotonic() >= deadline:
            raise VmctlError(f"timed out after {seconds:g}s waiting for {kind.singular}/{ref.name} to have "
                             f"{replicas} ready replicas (it has {ready} ready of {have})")
        time.sleep(0.5)
