"""``vmctl start|stop|restart|pause|unpause|soft-reboot|reset``: virtctl's lifecycle verbs, messages and errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from vmctl.cli.options import Backend, LibvirtUri, Namespace, StateDir, Wait

Name = Annotated[str, typer.Argument(help="Name of the VM", metavar="NAME")]
Timeout = Annotated[int, typer.Option("--timeout", help="Seconds to wait with --wait.")]
Force = Annotated[bool, typer.Option("--force", help="With --grace-period: stop (or restart) without waiting.")]
GracePeriod = Annotated[
    int | None,
    typer.Option("--grace-period", help="Seconds the guest gets to shut down (with --force; restart takes only 0)."),
]
AllowHooks = Annotated[bool, typer.Option("--allow-hooks", help="Allow hook sidecar scripts to run.")]
VMI_TYPES = ("vm", "virtualmachine", "vmi", "virtualmachineinstance")


@contextmanager
def _prefixed(prefix: str) -> Iterator[None]:
    """Re-raise a backend error with virtctl's prefix (same class, so the same exit code)."""
    from vmctl.errors import VmctlError

    try:
        yield
    except VmctlError as exc:
        exc.message = f"{prefix}{exc.message}"
        exc.args = (exc.message,)
        raise


def _backend(backend: str | None, state_dir: Any, libvirt_uri: str | None, allow_hooks: bool = False) -> Any:
    from vmctl.cli.resources import open_backend

    return open_backend(backend, state_dir, libvirt_uri, allow_hooks=allow_hooks or None)


def _force_pair(force: bool, grace: int | None) -> None:
    from vmctl.errors import UsageError

    if force != (grace is not None):
        raise UsageError("Must both use --force=true and set --grace-period.")


def _schedule(be: Any, name: str, namespace: str | None, verb: str, error_prefix: str,
              act: Callable[[Any, Any], None], wait_for: str | None, timeout: int) -> None:
    """A VM verb as virtctl runs it: ``act(backend, ref)`` (errors get virtctl's prefix), the 'scheduled' line,
    then, with ``--wait``, wait for the ``wait_for`` condition."""
    from vmctl.backends.base import Ref

    ref = Ref("VirtualMachine", name, namespace or "default")
    with _prefixed(error_prefix):
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
    def start(
        name: Name,
        paused: Annotated[bool, typer.Option("--paused", help="Start the virtual machine paused.")] = False,
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: Timeout = 300,
        allow_hooks: AllowHooks = False,
        backend: Backend = None,
        state_dir: StateDir = None,
        libvirt_uri: LibvirtUri = None,
    ) -> None:
        _schedule(
            _backend(backend, state_dir, libvirt_uri, allow_hooks), name, namespace, "start",
            "Error starting VirtualMachine ", lambda be, ref: be.start(ref, paused=paused),
            ("Paused" if paused else "Ready") if wait else None, timeout,
        )

    @app.command("stop", help="Stop a virtual machine: ACPI power-off, then forced off after the grace period.\n\n"
                 "Example: vmctl stop web1 --wait\n\nExample: vmctl stop web1 --force --grace-period 0")
    def stop(
        name: Name,
        force: Force = False,
        grace_period: GracePeriod = None,
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: Timeout = 300,
        backend: Backend = None,
        state_dir: StateDir = None,
        libvirt_uri: LibvirtUri = None,
    ) -> None:
        _force_pair(force, grace_period)
        _schedule(
            _backend(backend, state_dir, libvirt_uri), name, namespace, "stop",
            "error force stopping VirtualMachine: " if force else "error stopping VirtualMachine ",
            lambda be, ref: be.stop(ref, grace_period=grace_period, force=force), "Stopped" if wait else None, timeout,
        )

    @app.command("restart", help="Restart a virtual machine (stop its VMI, start a new one).\n\n"
                 "Example: vmctl restart web1 --wait\n\nExample: vmctl restart web1 --force --grace-period 0")
    def restart(
        name: Name,
        force: Force = False,
        grace_period: GracePeriod = None,
        namespace: Namespace = None,
        wait: Wait = False,
        timeout: Timeout = 300,
        allow_hooks: AllowHooks = False,
        backend: Backend = None,
        state_dir: StateDir = None,
        libvirt_uri: LibvirtUri = None,
    ) -> None:
        _force_pair(force, grace_period)
        _schedule(
            _backend(backend, state_dir, libvirt_uri, allow_hooks), name, namespace, "restart",
            "error force restarting VirtualMachine: " if force else "error restarting VirtualMachine: ",
            lambda be, ref: be.restart(ref, grace_period=grace_period, force=force), "Ready" if wait else None, timeout,
        )

    def _vmi_verb(verb: str, text: str, example: str, condition: str | None,
                  act: Callable[[Any, Any], None], error_prefix: str) -> None:
        @app.command(verb, help=f"{text}\n\nExample: {example}")
        def command(
            kind: Annotated[str, typer.Argument(help="vm or vmi", metavar="TYPE")],
            name: Annotated[str, typer.Argument(help="Name of the VM or VMI", metavar="NAME")],
            namespace: Namespace = None,
            wait: Wait = False,
            timeout: Timeout = 300,
            backend: Backend = None,
            state_dir: StateDir = None,
            libvirt_uri: LibvirtUri = None,
        ) -> None:
            from vmctl.backends.base import Ref
            from vmctl.errors import NotFoundError, VmctlError

            which = _vm_or_vmi(kind)
            be = _backend(backend, state_dir, libvirt_uri)
            ns = namespace or "default"
            if which == "VirtualMachine":
                with _prefixed(f"Error getting VirtualMachine {name}: "):
                    vm = be.get(Ref("VirtualMachine", name, ns))
                try:
                    act(be, Ref("VirtualMachineInstance", name, ns))
                except NotFoundError as exc:
                    if verb == "pause":
                        from vmctl.backends.local.reconcile import run_strategy

                        if run_strategy(vm) == "Halted":
                            raise VmctlError(
                                f"Error pausing VirtualMachineInstance {name}. VirtualMachine {name} is not set to run"
                            ) from None
                        raise VmctlError(f"Error pausing VirtualMachineInstance {name}, it was not found") from None
                    exc.message = f"{error_prefix} {name}: {exc.message}"
                    raise
                except VmctlError as exc:
                    exc.message = f"{error_prefix} {name}: {exc.message}"
                    raise
            else:
                with _prefixed(f"{error_prefix} {name}: "):
                    act(be, Ref("VirtualMachineInstance", name, ns))
            typer.echo(f"VMI {name} was scheduled to {verb}")
            if wait and condition:
                be.wait(Ref("VirtualMachineInstance", name, ns), condition, timeout)

    _vmi_verb("pause", "Pause a virtual machine (TYPE is vm or vmi): its vCPUs are frozen.", "vmctl pause vm web1",
              "Paused", lambda be, ref: be.pause(ref), "Error pausing VirtualMachineInstance")
    _vmi_verb("unpause", "Unpause a virtual machine (TYPE is vm or vmi).", "vmctl unpause vmi web1",
              "Running", lambda be, ref: be.unpause(ref), "Error unpausing VirtualMachineInstance")

    def _vmi_only_verb(verb: str, text: str, method: str, error_prefix: str) -> None:
        @app.command(verb, help=f"{text}\n\nExample: vmctl {verb} web1")
        def command(
            name: Annotated[str, typer.Argument(help="Name of the VMI", metavar="NAME")],
            namespace: Namespace = None,
            wait: Wait = False,
            timeout: Timeout = 300,
            backend: Backend = None,
            state_dir: StateDir = None,
            libvirt_uri: LibvirtUri = None,
        ) -> None:
            from vmctl.backends.base import Ref

            be = _backend(backend, state_dir, libvirt_uri)
            ref = Ref("VirtualMachineInstance", name, namespace or "default")
            with _prefixed(f"{error_prefix} {name}: "):
                getattr(be, method)(ref)
            typer.echo(f"VMI {name} was scheduled to {verb}")
            if wait:
                be.wait(ref, "Ready", timeout)

    _vmi_only_verb("soft-reboot", "Soft reboot a virtual machine instance (ACPI reboot request to the guest).",
                   "soft_reboot", "Error soft rebooting VirtualMachineInstance")
    # virtctl's own spelling of the error prefix ("reseting") is kept so scripts matching it keep working
    _vmi_only_verb("reset", "Reset a virtual machine instance (a hard reset, like pressing the reset button).",
                   "reset", "Error reseting VirtualMachineInstance")
