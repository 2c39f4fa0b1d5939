"""``vmctl controller``: the local control plane — in the foreground, or as a background process per state
folder (``start``, ``status``, ``stop``)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import AllowHooks

if TYPE_CHECKING:
    from vmctl.backends.base import LocalHost

NamespaceOpt = Annotated[
    str | None, typer.Option("--namespace", "-n", help="Only this namespace (default: all namespaces).")
]
Once = Annotated[bool, typer.Option("--once", help="Do a single reconcile pass and exit.")]
Interval = Annotated[float, typer.Option("--interval", help="Seconds between periodic passes (events wake it sooner).")]
class StatusFormat(StrEnum):
    json = "json"


StatusOutput = Annotated[StatusFormat | None, typer.Option("--output", "-o", help="json: print the status as JSON.")]

HELP = """Run the local control plane: on libvirt lifecycle events and every --interval seconds, converge every
VM to its runStrategy (Always and RerunOnFailure VMs are restarted), update VMI phases, finish stops and remove
orphan domains.

vmctl controller runs it in the foreground (Ctrl+C exits 0); vmctl controller start runs it in the background,
one process per state folder, with its output in <state-dir>/controller.log; status and stop manage it.

Example: vmctl controller

Example: vmctl controller --once

Example: vmctl controller start && vmctl controller status
"""


def _local(flags: BackendFlags, allow_hooks: bool = False) -> LocalHost:
    from vmctl.backends.base import require_local
    from vmctl.cli.backend_flags import open_backend
    from vmctl.cli.backend_flags import program as _program

    return require_local(open_backend(flags, allow_hooks=allow_hooks or None), f"{_program()} controller")


def _interval(value: float) -> float:
    from vmctl.errors import UsageError

    if not value > 0:
        raise UsageError(f"--interval {value:g}: must be more than 0 seconds")
    return value


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=HELP, invoke_without_command=True)
    app.add_typer(sub, name="controller")

    @sub.callback()
    @backend_command
    def controller(
        ctx: typer.Context,
        once: Once = False,
        namespace: NamespaceOpt = None,
        interval: Interval = 5.0,
        allow_hooks: AllowHooks = False,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        if ctx.invoked_subcommand is not None:
            return
        import signal
        import sys
        import threading

        be = _local(flags, allow_hooks)
        if once:
            be.reconcile(namespace, start=True)
            return
        _interval(interval)
        running = be.controller_status()
        if running is not None:
            from vmctl.errors import VmctlError

            raise VmctlError(f"a controller is already running for the state folder {be.state_dir} "
                             f"(pid {running['pid']})", hint="vmctl controller status; vmctl controller stop")
        stop = threading.Event()

        def on_signal(*_: object) -> None:
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        sys.stderr.write(f"vmctl controller: watching {be.uri} (state {be.state_dir}); Ctrl+C to stop\n")
        sys.stderr.flush()
        be.watch(stop, interval=interval, namespace=namespace)

    @sub.command("start", help="Run the controller in the background for this state folder (nothing to do when "
                 "one runs already).\n\nExample: vmctl controller start --state-dir ./state")
    @backend_command
    def start(
        interval: Interval = 5.0,
        allow_hooks: AllowHooks = False,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        be = _local(flags, allow_hooks)
        info, started = be.start_controller(interval=_interval(interval))
        what = "started" if started else "already running"
        typer.echo(f"controller {what} (pid {info['pid']}, log {info['log']})")

    @sub.command("status", help="Say whether the controller runs for this state folder (exit 0 when it does, "
                 "1 when it does not).\n\nExample: vmctl controller status -o json")
    @backend_command
    def status(output: StatusOutput = None, flags: BackendFlags = NO_FLAGS) -> None:
        import json

        be = _local(flags)
        info = be.controller_status()
        if output is StatusFormat.json:
            typer.echo(json.dumps(info or {"running": False}, indent=2, sort_keys=True))
        elif info is None:
            typer.echo(f"controller: not running (state {be.state_dir})")
        else:
            typer.echo(f"controller: running (pid {info['pid']}, since {info['started']}, {info['libvirtUri']}, "
                       f"log {info['log']})")
        if info is None:
            raise typer.Exit(1)

    @sub.command("stop", help="Stop the background controller of this state folder.\n\n"
                 "Example: vmctl controller stop")
    @backend_command
    def stop(flags: BackendFlags = NO_FLAGS) -> None:
        info = _local(flags).stop_controller()
        typer.echo("controller: not running" if info is None else f"controller stopped (pid {info['pid']})")
