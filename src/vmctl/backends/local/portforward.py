"""Port forwarding for local VMs: host forwards planned at start, and a TCP proxy for ``vmctl port-forward``.

With user-mode networking (passt or SLIRP) a guest port is reachable from the host only through a forward that is
defined when the domain starts. ``plan_host_forwards`` picks one free port on 127.0.0.1 for every port an interface
on the pod network declares (``interfaces[].ports``); when none are declared it forwards guest TCP port 22 so that
SSH works. ``vmctl port-forward`` then listens on ``--address`` and relays each connection to the host port that
forwards the requested guest port. Guest ports that were not forwarded at start cannot be reached: declare them
in ``ports`` and restart the VM.
"""

from __future__ import annotations

import socket
from typing import Any

from vmctl.errors import InputError
from vmctl.streams.tcp import Forward, free_port

DEFAULT_GUEST_PORTS: tuple[tuple[int, str], ...] = ((22, "tcp"),)


def plan_host_forwards(vmi: dict[str, Any]) -> list[Forward]:
    """Host forwards (on 127.0.0.1) for the guest ports of the VMI's pod-network interfaces."""
    spec = vmi.get("spec") or {}
    pod_networks = {n.get("name") for n in spec.get("networks") or [] if isinstance(n, dict) and "pod" in n}
    wanted: list[tuple[int, str]] = []
    any_interface = False
    for iface in (spec.get("domain") or {}).get("devices", {}).get("interfaces") or []:
        if not isinstance(iface, dict) or iface.get("name") not in pod_networks:
            continue
        any_interface = True
        for port in iface.get("ports") or []:
            number = port.get("port") if isinstance(port, dict) else None
            if not isinstance(number, int) or not 0 < number < 65536:
                raise InputError(f"interface {iface.get('name')}: ports[].port must be 1-65535, got {number!r}")
            proto = str(port.get("protocol") or "TCP").lower()
            if proto not in ("tcp", "udp"):
                raise InputError(f"interface {iface.get('name')}: ports[].protocol must be TCP or UDP, got {proto!r}")
            if (number, proto) not in wanted:
                wanted.append((number, proto))
    if not any_interface:
        return []
    if not wanted:
        wanted = list(DEFAULT_GUEST_PORTS)
    out: list[Forward] = []
    for guest, proto in wanted:
        kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
        out.append((free_port("127.0.0.1", kind), guest, proto))
    return out
