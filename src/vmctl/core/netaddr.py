"""IP addresses as Kubernetes' and KubeVirt's Go code reads and writes them.

``parse_ip_sloppy`` is k8s.io/utils ``ParseIPSloppy`` (IPv4 octets may have leading zeros, IPv6 has no zone);
``ip_text`` is Go's ``net.IP.String()``; ``sanitize_ip`` and ``sanitize_cidr`` are what KubeVirt's types'
JSON decoders do to NTP servers, DNS name servers and the pod network's CIDR (api/core/v1 sanitizers.go).
"""

from __future__ import annotations

import ipaddress
from typing import Any


def _sloppy_ipv4(text: str) -> bytes | None:
    """The four bytes of a dotted IPv4 address, leading zeros allowed (k8s.io/utils ``ParseIPSloppy``)."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and p.isascii() and int(p) <= 255 for p in parts):
        return None
    return bytes(int(p) for p in parts)


def parse_ip_sloppy(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """k8s.io/utils ``ParseIPSloppy``: IPv4 (leading zeros allowed) or IPv6 (no zone); None when invalid."""
    first = next((c for c in text if c in ".:"), "")
    if first == ".":
        packed = _sloppy_ipv4(text)
        return None if packed is None else ipaddress.IPv4Address(packed)
    if first != ":" or "%" in text:
        return None
    head, _, tail = text.rpartition(":")
    if "." in tail:
        packed = _sloppy_ipv4(tail)
        if packed is None:
            return None
        text = f"{head}:{packed[:2].hex()}:{packed[2:].hex()}"
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def ip_text(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Go's ``net.IP.String()``: an IPv4-mapped IPv6 address prints as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def sanitize_ip(text: Any) -> Any:
    """KubeVirt's ``sanitizeIP``: the canonical text of an address; anything else unchanged."""
    address = parse_ip_sloppy(text) if isinstance(text, str) else None
    return text if address is None else ip_text(address)


def sanitize_cidr(text: Any) -> Any:
    """KubeVirt's ``sanitizeCIDR``: ``<address>/<prefix>`` canonical (the address is kept, not masked)."""
    if not isinstance(text, str) or "/" not in text:
        return text
    addr, _, prefix = text.partition("/")
    packed = _sloppy_ipv4(addr)
    address = ipaddress.IPv4Address(packed) if packed is not None else parse_ip_sloppy(addr) if ":" in addr else None
    if address is None or not (prefix.isdigit() and prefix.isascii()) or int(prefix) > address.max_prefixlen:
        return text
    return f"{ip_text(address)}/{int(prefix)}"
