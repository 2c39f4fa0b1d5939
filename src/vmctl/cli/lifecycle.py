"""``vmctl start|stop|restart|pause|unpause|soft-reboot|reset``: virtctl's lifecycle verbs, messages and errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import AllowHooks, Namespace, Wait

if TYPE_CHECKING:
    from vmctl.backends.base import Backend

Name = Annotated[str, typer.Argument(help="Name of the VM", metavar="NAME")]
Timeout = Annotated[int, typer.Option("--timeout", help="Seconds to wait with --wait.")]
Force = Annotated[bool, typer.Option("--force", help="With --grace-period: stop (or restart) without waiting.")]
GracePeriod = Annotated[
    int | None,
    typer.Option("--grace-period", help="Seconds the guest gets to shut down (with --force; restart takes only 0)."),
]
VMI_TYPES = ("vm", "virtualmachine", "vmi", "virtualmachineinstance")

#: virtctl's error texts, exactly (pkg/virtctl/vm/{start,stop,restart}.go, pkg/virtctl/{pause,unpause,softreboot,
#: reset}). Their case and punctuation differ from verb to verb, and "reseting" is virtctl's spelling: they are
#: kept as they are so that scripts written against virtctl's messages work with vmctl too.
ERRORS = {
    "start": "Error starting VirtualMachine {error}",
    "stop": "error stopping VirtualMachine {error}",
    "force-stop": "error force stopping VirtualMachine: {error}",
    "restart": "error restarting VirtualMachine: {error}",
    "force-restart": "error force restarting VirtualMachine: {error}",
    "get-vm": "Error getting VirtualMachine {name}: {error}",
    "pause": "Error pausing VirtualMachineInstance {name}: {error}",
    "pause-not-set-to-run": "Error pausing VirtualMachineInstance {name}. VirtualMachine {name} is not set to run",
    "pause-not-found": "Error pausing VirtualMachineInstance {name}, it was not found",
    "unpause": "Error unpausing VirtualMachineInstance {name}: {error}",
    "soft-reboot": "Error soft rebooting VirtualMachineInstance {name}: {error}",
    "reset": "Error reseting VirtualMachineInstance {name}: {error}",
}


def _reword(exc: Any, key: str, name: str) -> Any:
    """The backend error ``exc`` with virtctl's text for ``key`` (same class, so the same exit code)."""
    exc.message = ERRORS[key].format(name=name, error=exc.message)
    exc.args = (exc.message,)
    return exc


@contextmanager
def _virtctl_error(key: str, name: str) -> Iterator[None]:
    """Re-raise a backend error in virtctl's words (``ERRORS[key]``)."""
    from vmctl.errors import VmctlError

    try:
        yield
    except VmctlError as exc:
        raise _reword(exc, key, name) from None


def _backend(flags: BackendFlags, allow_hooks: bool = False) -> Backend:
    from vmctl.cli.backend_flags import open_backend

    return open_backend(flags, allow_hooks=allow_hooks or None)


def _force_pair(force: bool, grace: int | None) -> None:
    from vmctl.errors import UsageError

    if force != (grace is not None):
        raise UsageError("Must both use --force=true and set --grace-period.")


def _schedule(be: Any, name: str, namespace: str | None, verb: str, error_key: str,
              act: Callable[[Any, Any], None], wait_for: str | None, timeout: int) -> None:
    """A VM verb as virtctl runs it: ``act(backend, ref)`` (errors in virtctl's words), the 'scheduled' line,
    then, with ``--wait``, wait for the ``wait_for`` condition."""
    from vmctl.backends.base import Ref

    ref = Ref("VirtualMachine", name, namespace or be.default_namespace)
    with _virtctl_error(error_key, name):
        act(be, ref)
    typer.echo(f"VM {name} was scheduled to {verb}")
    if wait_for:
        be.wait(ref, wait_for, timeout)


def _vm_or_vmi(kind_text: str) -> str:
    from vmctl.errors import UsageError

    kind = kind_text.lower()
    if kind not in VMI_TYPES:
        raise UsageError(f"TYPE {kind_text!r}: expected vm, virtualmachine, vmi or virtualmachineinstance")
    return "VirtualMachine" if kind in ("vm", "virtualmachine") else "VirtualMachineInstance"


def register(app: typer.Typer) -> None:
    @app.command("start", help="Start a virtual machine (runStrategy Halted, Manual or RerunOnFailure).\n\n"
                 "Example: vmctl start web1\n\nExample: vmctl start web1 --paused --wait")
    @backend_command
    def start(
        name: Name,
        paused: Annotated[bool, typer.Option("--paused", help="Start the virtual machine paused.")] = False,
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: Timeout = 300,
        allow_hooks: AllowHooks = False,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        _schedule(
            _backend(flags, allow_hooks), name, namespace, "start",
            "start", lambda be, ref: be.start(ref, paused=paused),
            ("Paused" if paused else "Ready") if wait else None, timeout,
        )

    @app.command("stop", help="Stop a virtual machine: ACPI power-off, then forced off after the grace period.\n\n"
                 "Example: vmctl stop web1 --wait\n\nExample: vmctl stop web1 --force --grace-period 0")
    @backend_command
    def stop(
        name: Name,
        force: Force = False,
        grace_period: GracePeriod = None,
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: Timeout = 300,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        _force_pair(force, grace_period)
        _schedule(
            _backend(flags), name, namespace, "stop",
            "force-stop" if force else "stop",
            lambda be, ref: be.stop(ref, grace_period=grace_period, force=force), "Stopped" if wait else None, timeout,
        )

    @app.command("restart", help="Restart a virtual machine (stop its VMI, start a new one).\n\n"
                 "Example: vmctl restart web1 --wait\n\nExample: vmctl restart web1 --force --grace-period 0")
    @backend_command
    def restart(
        name: Name,
        force: Force = False,
        grace_period: GracePeriod = None,
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: Timeout = 300,
        allow_hooks: AllowHooks = False,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        _force_pair(force, grace_period)
        _schedule(
            _backend(flags, allow_hooks), name, namespace, "restart",
            "force-restart" if force else "restart",
            lambda be, ref: be.restart(ref, grace_period=grace_period, force=force), "Ready" if wait else None, timeout,
        )

    def _vmi_verb(verb: str, text: str, example: str, condition: str | None,
                  act: Callable[[Any, Any], None]) -> None:
        @app.command(verb, help=f"{text}\n\nExample: {example}")
        @backend_command
        def command(
            kind: Annotated[str, typer.Argument(help="vm or vmi", metavar="TYPE")],
            name: Annotated[str, typer.Argument(help="Name of the VM or VMI", metavar="NAME")],
            namespace: Namespace = None,
            wait: Wait = False,
            timeout: Timeout = 300,
            flags: BackendFlags = NO_FLAGS,
        ) -> None:
            from vmctl.backends.base import Ref
            from vmctl.errors import NotFoundError, VmctlError

            which = _vm_or_vmi(kind)
            be = _backend(flags)
            ns = namespace or be.default_namespace
            if which == "VirtualMachine":
                with _virtctl_error("get-vm", name):
                    vm = be.get(Ref("VirtualMachine", name, ns))
                try:
                    act(be, Ref("VirtualMachineInstance", name, ns))
                except NotFoundError as exc:
                    if verb == "pause":
                        from vmctl.core.runstrategy import run_strategy

                        key = "pause-not-set-to-run" if run_strategy(vm) == "Halted" else "pause-not-found"
                        raise VmctlError(ERRORS[key].format(name=name)) from None
                    raise _reword(exc, verb, name) from None
                except VmctlError as exc:
                    raise _reword(exc, verb, name) from None
            else:
                with _virtctl_error(verb, name):
                    act(be, Ref("VirtualMachineInstance", name, ns))
            typer.echo(f"VMI {name} was scheduled to {verb}")
            if wait and condition:
                be.wait(Ref("VirtualMachineInstance", name, ns), condition, timeout)

    _vmi_verb("pause", "Pause a virtual machine (TYPE is vm or vmi): its vCPUs are frozen.", "vmctl pause vm web1",
              "Paused", lambda be, ref: be.pause(ref))
    _vmi_verb("unpause", "Unpause a virtual machine (TYPE is vm or vmi).", "vmctl unpause vmi web1",
              "Running", lambda be, ref: be.unpause(ref))

    def _vmi_only_verb(verb: str, text: str, act: Callable[[Backend, Any], None]) -> None:
        @app.command(verb, help=f"{text}\n\nExample: vmctl {verb} web1")
        @backend_command
        def command(
            name: Annotated[str, typer.Argument(help="Name of the VMI", metavar="NAME")],
            namespace: Namespace = None,
            wait: Wait = False,
            timeout: Timeout = 300,
            flags: BackendFlags = NO_FLAGS,
        ) -> None:
            from vmctl.backends.base import Ref

            be = _backend(flags)
            ref = Ref("VirtualMachineInstance", name, namespace or be.default_namespace)
            with _virtctl_error(verb, name):
                act(be, ref)
            typer.echo(f"VMI {name} was scheduled to {verb}")
            if wait:
                be.wait(ref, "Ready", timeout)

    _vmi_only_verb("soft-reboot", "Soft reboot a virtual machine instance (ACPI reboot request to the guest).",
                   lambda be, ref: be.soft_reboot(ref))
    _vmi_only_verb("reset", "Reset a virtual machine instance (a hard reset, like pressing the reset button).",
                   lambda be, ref: be.reset(ref))
