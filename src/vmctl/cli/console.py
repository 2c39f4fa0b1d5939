"""``vmctl console``: attach to the serial console of a VMI (waits for it to run, like ``virtctl console``)."""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Namespace

HELP = """Connect to the serial console of a virtual machine instance.

Waits up to --timeout minutes for the VMI to be running, then attaches stdin/stdout to its first serial port.
Press Ctrl+] (or the --escape key) to leave. With stdin not a terminal (a pipe), input is passed through as
is and the session ends when the input ends, after the guest's output has settled; this makes
`echo 'uname -a' | vmctl console vm1` print the answer. Exit code 1 when the guest goes away.

Example: vmctl console vm1

Example: vmctl console vm1 --timeout 1 --force --escape '^A'
"""

TIMEOUT_MESSAGE = "Timeout trying to connect to the virtual machine instance"


def find_vmi(backend: Any, name: str, namespace: str) -> dict[str, Any] | None:
    """The VMI, or None while only a VM of that name exists (it may be starting); not found when neither does."""
    from vmctl.backends.base import Ref
    from vmctl.errors import NotFoundError

    try:
        return backend.get(Ref("VirtualMachineInstance", name, namespace))
    except NotFoundError:
        try:
            backend.get(Ref("VirtualMachine", name, namespace))
        except NotFoundError:
            raise NotFoundError(f'virtualmachineinstances.kubevirt.io "{name}" not found') from None
        return None


def wait_running(backend: Any, name: str, namespace: str, timeout_s: float, *, poll: float = 1.0) -> dict[str, Any]:
    """Wait for the VMI to be Running (as virtctl retries while the API says "not running").

    A missing VMI is waited for only while a VM of that name exists (it may be starting); a VMI in a final
    phase fails at once.
    """
    from vmctl.errors import VmctlError

    deadline = time.monotonic() + timeout_s
    while True:
        vmi = find_vmi(backend, name, namespace)
        phase = ((vmi or {}).get("status") or {}).get("phase")
        if phase == "Running":
            return vmi or {}
        if phase in ("Succeeded", "Failed"):
            raise VmctlError("VMI is not running", hint=f"start it with: vmctl start {name}")
        if time.monotonic() >= deadline:
            raise VmctlError(TIMEOUT_MESSAGE)
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))


def register(app: typer.Typer) -> None:
    @app.command("console", help=HELP)
    @backend_command
    def console(
        name: Annotated[str, typer.Argument(help="Name of the VMI (or of its VM).", show_default=False)],
        timeout: Annotated[int, typer.Option("--timeout", help="Minutes to wait for the VMI to be running.")] = 5,
        force: Annotated[bool, typer.Option("--force", help="Take over a console someone else is attached to.")] = False,
        escape: Annotated[str, typer.Option("--escape", help="Key that ends the session: ^] (default), ^A, 0x1d, ...")] = "^]",
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        from vmctl.backends.base import Ref
        from vmctl.cli.backend_flags import open_backend
        from vmctl.errors import UsageError
        from vmctl.streams.escape import parse_escape

        if timeout < 0:
            raise UsageError("--timeout: must be zero or more minutes")
        key = parse_escape(escape)
        be = open_backend(flags)
        ns = namespace or be.default_namespace
        try:
            # the backend waits (up to the timeout) for the VMI: the local one starts a VM that is due to run
            # paused and resumes it once attached, so no boot output is lost
            code = be.console(Ref("VirtualMachineInstance", name, ns), timeout=timeout * 60, force=force, escape=key)
        except KeyboardInterrupt:
            sys.stdout.write("\n")  # virtctl: an interrupt while waiting ends quietly
            code = 0
        raise typer.Exit(int(code or 0))
