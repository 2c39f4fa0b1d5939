"""Port forwarding: argument grammar, forwards read from domain XML, host-port planning, the relay, CLI errors.

(The TCP proxy is shared with ``vmctl vnc``.)"""

from __future__ import annotations

import socket
import threading

import pytest

from vmctl.backends.local import portforward as pf
from vmctl.cli.port_forward import parse_target
from vmctl.errors import InputError, UsageError, VmctlError
from vmctl.streams import tcp


@pytest.mark.parametrize(("text", "spec"), [
    ("8080", tcp.PortSpec(8080, 8080)), ("2222:22", tcp.PortSpec(2222, 22)), ("tcp/0:80", tcp.PortSpec(0, 80)),
    ("UDP/53", tcp.PortSpec(53, 53, "udp")),
])
def test_port_spec(text: str, spec: tcp.PortSpec) -> None:
    assert tcp.parse_port_spec(text) == spec


@pytest.mark.parametrize("text", ["sctp/80", "x:22", "70000", "22:0", ""])
def test_bad_port_spec(text: str) -> None:
    with pytest.raises(UsageError):
        tcp.parse_port_spec(text)


def test_targets() -> None:
    assert parse_target("vm/web", None) == ("VirtualMachine", "web", "")
    assert parse_target("vmi/web/dev", "other") == ("VirtualMachineInstance", "web", "dev")
    assert parse_target("VirtualMachines/web", "ns1") == ("VirtualMachine", "web", "ns1")
    with pytest.raises(UsageError, match="expected vm/NAME or vmi/NAME"):
        parse_target("pod/web", None)


def test_host_port_for_names_what_is_forwarded() -> None:
    assert tcp.host_port_for([(40080, 80, "tcp")], 80, "tcp", vmi="web") == 40080
    with pytest.raises(VmctlError) as err:
        tcp.host_port_for([(40080, 80, "tcp")], 8080, "tcp", vmi="web")
    assert str(err.value) == "VMI web has no host forward for guest port tcp/8080 (forwarded: tcp/80)"
    assert "interfaces[].ports" in (err.value.hint or "")


def test_plan_only_for_pod_network_interfaces() -> None:
    spec = {"networks": [{"name": "default", "pod": {}}, {"name": "lan", "multus": {"networkName": "br"}}],
            "domain": {"devices": {"interfaces": [
                {"name": "default", "masquerade": {}, "ports": [{"port": 80}, {"port": 80}, {"port": 443, "protocol": "TCP"}]},
                {"name": "lan", "bridge": {}, "ports": [{"port": 9999}]}]}}}
    planned = pf.plan_host_forwards({"spec": spec})
    assert [(g, p) for _, g, p in planned] == [(80, "tcp"), (443, "tcp")]
    assert pf.plan_host_forwards({"spec": {"domain": {"devices": {}}}}) == []
    with pytest.raises(InputError, match="ports\\[\\].port must be 1-65535"):
        pf.plan_host_forwards({"spec": {**spec, "domain": {"devices": {"interfaces": [{"name": "default", "ports": [{"port": 0}]}]}}}})


def test_relay_passes_half_close_both_ways() -> None:
    echo = socket.socket()
    echo.bind(("127.0.0.1", 0))
    echo.listen(1)

    def serve() -> None:
        conn, _ = echo.accept()
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
        conn.sendall(data.upper())
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    proxy = tcp.TcpProxy("127.0.0.1", 0, lambda: tcp.connect_tcp(echo.getsockname()[1]))
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"max_clients": 1}, daemon=True)
    thread.start()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as client:
        client.sendall(b"x" * 200_000)
        client.shutdown(socket.SHUT_WR)  # EOF reaches the server, whose answer still comes back
        got = b""
        while chunk := client.recv(65536):
            got += chunk
    assert got == b"X" * 200_000
    thread.join(timeout=5)
    proxy.close()
    echo.close()


def test_listen_conflict_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(VmctlError, match=f"^cannot listen on 127.0.0.1:{port}: Address already in use$"):
            tcp.TcpProxy("127.0.0.1", port, lambda: socket.socket())


def test_cli_rejects_udp_and_bad_targets(vmctl) -> None:
    assert vmctl("port-forward", "vm/web", "udp/53", "--backend", "local") == (
        2, "", "error: udp port-forwarding is not supported by vmctl; use tcp ports\n")
    assert vmctl("port-forward", "svc/web", "80", "--backend", "local") == (
        2, "", "error: target 'svc/web': expected vm/NAME or vmi/NAME (optionally /NAMESPACE)\n")
