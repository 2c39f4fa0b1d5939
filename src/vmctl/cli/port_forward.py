"""``vmctl port-forward``: forward local TCP ports to a VM's guest ports."""

from __future__ import annotations

import sys
import threading
import time
from typing import Annotated

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Namespace

HELP = """Forward local TCP ports to ports of a virtual machine.

TARGET is vm/NAME or vmi/NAME (optionally vm/NAME/NAMESPACE); each PORT is [tcp/]LOCAL[:REMOTE] (REMOTE
defaults to LOCAL; LOCAL 0 picks a free port). Runs until interrupted.

Local backend: a guest port is reachable only if the VM's pod-network interface forwards it, which is decided
when the VM starts: declare it in spec.template.spec.domain.devices.interfaces[].ports (TCP port 22 is
forwarded when no ports are declared). UDP is not supported.

Example: vmctl port-forward vm/vm1 2222:22

Example: vmctl port-forward vmi/web 8080:80 8443:443 --address 0.0.0.0

Example: ssh -o ProxyCommand='vmctl port-forward --stdio vm/vm1 22' user@vm1
"""

TYPES = {
    "vm": "VirtualMachine", "vms": "VirtualMachine", "virtualmachine": "VirtualMachine",
    "virtualmachines": "VirtualMachine", "vmi": "VirtualMachineInstance", "vmis": "VirtualMachineInstance",
    "virtualmachineinstance": "VirtualMachineInstance", "virtualmachineinstances": "VirtualMachineInstance",
}


def parse_target(text: str, namespace: str | None) -> tuple[str, str, str]:
    """``vm/NAME[/NAMESPACE]`` -> (kind, name, namespace); the namespace is "" when neither the target nor -n
    names one (the backend's default then applies)."""
    from vmctl.errors import UsageError

    parts = text.split("/")
    if len(parts) not in (2, 3) or not parts[1] or parts[0].lower() not in TYPES:
        raise UsageError(f"target {text!r}: expected vm/NAME or vmi/NAME (optionally /NAMESPACE)")
    ns = parts[2] if len(parts) == 3 and parts[2] else (namespace or "")
    return TYPES[parts[0].lower()], parts[1], ns


def register(app: typer.Typer) -> None:
    @app.command("port-forward", help=HELP)
    @backend_command
    def port_forward(
        target: Annotated[str, typer.Argument(help="vm/NAME or vmi/NAME.", show_default=False)],
        ports: Annotated[list[str], typer.Argument(help="[tcp/]LOCAL[:REMOTE], one or more.", show_default=False)],
        address: Annotated[str, typer.Option("--address", help="Local address to listen on.")] = "127.0.0.1",
        stdio: Annotated[bool, typer.Option("--stdio", help="Bridge stdin/stdout to the one REMOTE port (for ssh ProxyCommand).")] = False,
        timeout: Annotated[int, typer.Option("--timeout", help="Minutes to wait for the VMI to be running.")] = 5,
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        from vmctl.backends.base import Ref
        from vmctl.cli.backend_flags import open_backend
        from vmctl.cli.console import wait_running
        from vmctl.cli.output import info, warn
        from vmctl.errors import UsageError
        from vmctl.streams.tcp import TcpProxy, parse_port_spec, stdio_bridge

        kind, name, ns = parse_target(target, namespace)
        specs = [parse_port_spec(p) for p in ports]
        if any(s.protocol == "udp" for s in specs):
            raise UsageError("udp port-forwarding is not supported by vmctl; use tcp ports")
        if stdio and len(specs) != 1:
            raise UsageError("--stdio: exactly one port is needed")
        be = open_backend(flags)
        ns = ns or be.default_namespace
        if kind == "VirtualMachine":
            be.get(Ref("VirtualMachine", name, ns))  # NotFound for a missing VM, as virtctl
        wait_running(be, name, ns, timeout * 60)
        ref = Ref("VirtualMachineInstance", name, ns)
        connectors = [be.port_connector(ref, s.remote, s.protocol) for s in specs]
        if stdio:
            sock = connectors[0]()
            try:
                stdio_bridge(sock)
            finally:
                sock.close()
            return
        proxies = []
        try:
            for spec, connect in zip(specs, connectors, strict=True):
                proxy = TcpProxy(address, spec.local, connect)
                proxies.append(proxy)
                info(f"Forwarding from {address}:{proxy.port} -> {spec.remote}")
            threads = [threading.Thread(target=p.serve_forever, kwargs={"on_error": warn}, daemon=True) for p in proxies]
            for thread in threads:
                thread.start()
            sys.stderr.flush()
            while all(t.is_alive() for t in threads):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for proxy in proxies:
                proxy.close()
