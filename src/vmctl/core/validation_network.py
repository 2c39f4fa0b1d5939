"""Interface and network checks of KubeVirt's network admitter (pkg/network/admitter), with its texts and paths.

The checks ``validation.validate_network`` leaves to this module, each called at its place in KubeVirt's order:
the masquerade's reserved MAC address and passt on a pod network, the feature-gate refusal of DRA networks, and
per interface the MAC address, PCI address, forwarded ports, port ranges (PortRangesSpec gate, off by default)
and DHCP options.
"""

from __future__ import annotations

import re
from typing import Any

from vmctl.core.netaddr import parse_ip_sloppy
from vmctl.core.validation_devices import PCI_ADDRESS
from vmctl.errors import FieldProblem

Obj = dict[str, Any]
INVALID, REQUIRED, DUPLICATE = "FieldValueInvalid", "FieldValueRequired", "FieldValueDuplicate"
_HEX = frozenset("0123456789abcdefABCDEF")
_PORT_NAME = re.compile(r"[-a-z0-9]+")
_PORT_NAME_LETTER = re.compile(r"[a-z]")


def dra_networks(field: str, networks: list[Obj]) -> list[FieldProblem]:
    """``validateNetworkDevicesWithDRA`` with its gate off (KubeVirt's default): no ``resourceClaim`` network."""
    if any(network.get("resourceClaim") is not None for network in networks):
        return [FieldProblem(f"{field}.networks", "vmi.spec.networks contains DRA networks but NetworkDevicesWithDRA "
                             "feature gate is not enabled", INVALID)]
    return []


#: ``link.StaticMasqueradeBridgeMAC``: the in-pod bridge's own address
_MASQUERADE_BRIDGE_MAC = "02:00:00:00:00:00"


def binding_extras(base: str, iface: Obj, network: Obj) -> list[FieldProblem]:
    """The binding checks after the masquerade's pod network: its reserved MAC address, passt on a pod network
    (the bridge-on-pod-network and PasstBinding gates are on in KubeVirt's default configuration)."""
    causes = []
    if iface.get("masquerade") is not None and iface.get("macAddress") == _MASQUERADE_BRIDGE_MAC:
        causes.append(FieldProblem(f"{base}.macAddress", "The requested MAC address is reserved for the in-pod bridge. "
                                   "Please choose another one.", INVALID))
    if iface.get("passtBinding") is not None and network.get("pod") is None:
        causes.append(FieldProblem(f"{base}.name", "PasstBinding interface only implemented with pod network", INVALID))
    return causes


def _hex_pairs(groups: list[str]) -> bool:
    return all(len(group) == 2 and set(group) <= _HEX for group in groups)


def mac_length(text: str) -> int | None:
    """The byte length of Go's ``net.ParseMAC`` for ``text`` (6, 8 or 20), ``None`` when it does not parse."""
    if len(text) < 14:
        return None
    if text[2] in ":-":
        if (len(text) + 1) % 3 or not _hex_pairs(text.split(text[2])):
            return None
        length = (len(text) + 1) // 3
    elif text[4] == ".":
        groups = text.split(".")
        if (len(text) + 1) % 5 or not all(len(g) == 4 and set(g) <= _HEX for g in groups):
            return None
        length = 2 * (len(text) + 1) // 5
    else:
        return None
    return length if length in (6, 8, 20) else None


def _mac(base: str, iface: Obj) -> list[FieldProblem]:
    """``validateMacAddress`` (``link.ValidateMacAddress``)."""
    mac = iface.get("macAddress")
    if not isinstance(mac, str) or not mac:
        return []
    length = mac_length(mac)
    if length == 6:
        return []
    problem = "malformed" if length is None else "too long"
    return [FieldProblem(f"{base}.macAddress", f"interface {base}.name has {problem} MAC address ({mac}).", INVALID)]


def _pci(base: str, iface: Obj) -> list[FieldProblem]:
    address = iface.get("pciAddress")
    if not isinstance(address, str) or not address or PCI_ADDRESS.fullmatch(address):
        return []
    return [FieldProblem(f"{base}.pciAddress", f"interface {base}.name has malformed PCI address ({address}).",
                         INVALID)]


def _port_name_ok(name: str) -> bool:
    """apimachinery's ``IsValidPortName`` has nothing to say."""
    return (len(name) <= 15 and bool(_PORT_NAME.fullmatch(name)) and bool(_PORT_NAME_LETTER.search(name))
            and "--" not in name and not name.startswith("-") and not name.endswith("-"))


def _ports(base: str, iface: Obj, network: Obj) -> list[FieldProblem]:
    """``validatePortConfiguration``: names (duplicates, format), then each port's number and protocol."""
    ports = iface.get("ports")
    if network.get("pod") is None or not isinstance(ports, list) or not ports:
        return []
    ports = [p if isinstance(p, dict) else {} for p in ports]
    causes, seen = [], set()
    for idx, port in enumerate(ports):
        name = port.get("name") or ""
        if not name:
            continue
        if name in seen:
            causes.append(FieldProblem(f"{base}.ports[{idx}].name", f"Duplicate name of the port: {name}", DUPLICATE))
        if not _port_name_ok(name):
            causes.append(FieldProblem(f"{base}.ports[{idx}].name", f"Invalid name of the port: {name}", INVALID))
        seen.add(name)
    for idx, port in enumerate(ports):
        number = port.get("port") or 0
        if number == 0:
            causes.append(FieldProblem(f"{base}.ports[{idx}].port", "Port field is mandatory.", REQUIRED))
        if number < 0 or number >= 65536:
            causes.append(FieldProblem(f"{base}.ports[{idx}].port", "Port field must be in range 0 < x < 65536.",
                                       INVALID))
        if port.get("protocol") not in (None, "", "TCP", "UDP"):
            causes.append(FieldProblem(f"{base}.ports[{idx}].protocol", "Unknown protocol, only TCP or UDP allowed",
                                       INVALID))
    return causes


def _port_ranges(base: str, iface: Obj) -> list[FieldProblem]:
    """``validatePortRangesConfiguration`` with the PortRangesSpec gate off (KubeVirt's default)."""
    if not iface.get("portRanges"):  # an empty list is dropped on the way, as in Go
        return []
    return [FieldProblem(f"{base}.name", "portRanges is specified on interface but the PortRangesSpec feature gate "
                         "is not enabled", INVALID)]


def is_ipv4(text: Any) -> bool:
    """Go's ``net.ParseIP(text).To4() != nil`` on the server as decoded (the type's decoder canonicalised it):
    dotted IPv4, leading zeros allowed, or IPv6 that maps one."""
    address = parse_ip_sloppy(text) if isinstance(text, str) else None
    return address is not None and (address.version == 4 or address.ipv4_mapped is not None)


def _dhcp(field: str, base: str, iface: Obj) -> list[FieldProblem]:
    """``validateDHCPOptions``: private options (unique, 224–254; reported at the spec itself), NTP servers."""
    options = iface.get("dhcpOptions")
    if not isinstance(options, dict):
        return []
    causes = []
    private = [o if isinstance(o, dict) else {} for o in options.get("privateOptions") or []]
    codes = [o.get("option") or 0 for o in private]
    if len(set(codes)) < len(codes):
        causes.append(FieldProblem(field, "Found Duplicates: you have provided duplicate DHCPPrivateOptions", INVALID))
    for code in codes:
        if not 224 <= code <= 254:
            causes.append(FieldProblem(field, "provided DHCPPrivateOptions are out of range, must be in range 224 to "
                                       "254", INVALID))
    for idx, server in enumerate(options.get("ntpServers") or []):
        if not is_ipv4(server):
            causes.append(FieldProblem(f"{base}.dhcpOptions.ntpServers[{idx}]", "NTP servers must be a list of valid "
                                       "IPv4 addresses.", INVALID))
    return causes


def interface_fields(field: str, idx: int, iface: Obj, network: Obj) -> list[FieldProblem]:
    """The checks of ``validateInterfacesFields`` after the name and model, for interface ``idx`` and the network
    of its name (``{}`` when there is none)."""
    base = f"{field}.domain.devices.interfaces[{idx}]"
    return (_mac(base, iface) + _pci(base, iface) + _ports(base, iface, network) + _port_ranges(base, iface)
            + _dhcp(field, base, iface))
