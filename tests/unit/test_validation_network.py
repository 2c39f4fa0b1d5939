"""Interface checks of the network admitter (validation_network.py) and the address decoders of goshape."""

from __future__ import annotations

import pytest

from vmctl.core import validation_network as vn
from vmctl.core.goshape import go_json, sanitize_cidr, sanitize_ip


@pytest.mark.parametrize(("mac", "length"), [
    ("02:00:00:00:00:01", 6), ("02-00-00-00-00-0A", 6), ("0200.0000.0001", 6), ("02:00:5e:10:00:00:00:01", 8),
    ("02:00:00:00:00", None), ("02:00-00:00:00:01", None), ("02-00-00-00-00-0g", None), ("020000000001", None),
])
def test_mac_length_is_gos_parse_mac(mac: str, length: int | None) -> None:
    assert vn.mac_length(mac) == length


@pytest.mark.parametrize(("server", "ipv4"), [
    ("10.0.0.1", True), ("010.0.0.1", True), ("::ffff:10.0.0.2", True), ("fe80::1", False), ("pool.ntp.org", False),
    ("1.2.3", False), ("::1.2.3.4", False),
])
def test_ntp_servers_are_checked_as_decoded(server: str, ipv4: bool) -> None:
    assert vn.is_ipv4(server) is ipv4


def test_interface_fields_in_kubevirts_order() -> None:
    iface = {"name": "default", "masquerade": {}, "macAddress": "x", "pciAddress": "y",
             "ports": [{"port": 0, "protocol": "ICMP"}], "portRanges": [{"protocol": "TCP", "start": 1, "end": 2}],
             "dhcpOptions": {"privateOptions": [{"option": 1}], "ntpServers": ["x"]}}
    causes = vn.interface_fields("spec", 0, iface, {"name": "default", "pod": {}})
    base = "spec.domain.devices.interfaces[0]"
    assert [c.field for c in causes] == [f"{base}.macAddress", f"{base}.pciAddress", f"{base}.ports[0].port",
                                         f"{base}.ports[0].protocol", f"{base}.name", "spec",
                                         f"{base}.dhcpOptions.ntpServers[0]"]
    assert vn.interface_fields("spec", 0, {**iface, "macAddress": "", "pciAddress": "", "portRanges": [],
                                           "dhcpOptions": {}}, {"name": "default", "multus": {}}) == []


def test_addresses_are_canonical_after_decoding() -> None:
    assert sanitize_ip("FE80:0:0::1") == "fe80::1" and sanitize_ip("name") == "name"
    assert sanitize_cidr("010.000.002.000/024") == "10.0.2.0/24" and sanitize_cidr("10.0.0.0/33") == "10.0.0.0/33"
    spec = go_json({"dnsConfig": {"nameservers": ["::ffff:1.2.3.4"]},
                    "networks": [{"name": "n", "pod": {"vmNetworkCIDR": "FD10::/64"}}]}, "v1.VirtualMachineInstanceSpec")
    assert spec["dnsConfig"]["nameservers"] == ["1.2.3.4"] and spec["networks"][0]["pod"]["vmNetworkCIDR"] == "fd10::/64"
