"""``vmctl controller``: the local reconcile loop in the foreground (restarts VMs per runStrategy)."""

from __future__ import annotations

from typing import Annotated

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import AllowHooks

NamespaceOpt = Annotated[
    str | None, typer.Option("--namespace", "-n", help="Only this namespace (default: all namespaces).")
]

Once = Annotated[bool, typer.Option("--once", help="Do a single reconcile pass and exit.")]
Interval = Annotated[float, typer.Option("--interval", help="Seconds between periodic passes (events wake it sooner).")]


def register(app: typer.Typer) -> None:
    @app.command(
        "controller",
        help=(
            "Run the local control plane in the foreground: on libvirt lifecycle events and every --interval "
            "seconds, converge every VM to its runStrategy (Always and RerunOnFailure VMs are restarted), update "
            "VMI phases, finish stops and remove orphan domains. Ctrl+C exits 0.\n\n"
            "Example: vmctl controller\n\nExample: vmctl controller --once"
        ),
    )
    @backend_command
    def controller(
        once: Once = False,
        namespace: NamespaceOpt = None,
        interval: Interval = 5.0,
        allow_hooks: AllowHooks = False,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        import signal
        import sys
        import threading

        from vmctl.backends.base import require_local
        from vmctl.cli.backend_flags import open_backend

        be = require_local(open_backend(flags, allow_hooks=allow_hooks or None), "vmctl controller")
        if once:
            be.reconcile(namespace, start=True)
            return
        stop = threading.Event()

        def on_signal(*_: object) -> None:
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        sys.stderr.write(f"vmctl controller: watching {be.uri} (state {be.state_dir}); Ctrl+C to stop\n")
        be.watch(stop, interval=interval, namespace=namespace)
