"""Which CPU topology a preference asks for, and its spread options (KubeVirt ``GetPreferredTopology``/``GetSpreadOptions``)."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import dig

SOCKETS, CORES, THREADS, SPREAD, ANY = "sockets", "cores", "threads", "spread", "any"
#: Deprecated spellings, still accepted, and the value each stands for.
DEPRECATED = {"preferSockets": SOCKETS, "preferCores": CORES, "preferThreads": THREADS,
              "preferSpread": SPREAD, "preferAny": ANY}
SUPPORTED = (*DEPRECATED, SOCKETS, CORES, THREADS, SPREAD, ANY)

SOCKETS_CORES, CORES_THREADS, SOCKETS_CORES_THREADS = "SocketsCores", "CoresThreads", "SocketsCoresThreads"
SPREAD_ACROSS = (CORES_THREADS, SOCKETS_CORES, SOCKETS_CORES_THREADS)
DEFAULT_SPREAD_RATIO = 2
THREADS_PER_CORE = 2


def preferred_topology(preference_spec: dict[str, Any] | None) -> str:
    """The topology exactly as written (default ``sockets``); deprecated aliases are not translated."""
    value = dig(preference_spec or {}, "cpu", "preferredCPUTopology")
    return SOCKETS if value is None else str(value)


def normalized_topology(preference_spec: dict[str, Any] | None) -> str:
    """The topology with deprecated aliases mapped to their current names (unknown values unchanged)."""
    value = preferred_topology(preference_spec)
    return DEPRECATED.get(value, value)


def spread_options(preference_spec: dict[str, Any] | None) -> tuple[int, str]:
    """(ratio, across): ratio 2, then ``preferSpreadSocketToCoreRatio`` if non-zero, then ``spreadOptions.ratio``."""
    spec = preference_spec or {}
    ratio = spec.get("preferSpreadSocketToCoreRatio") or DEFAULT_SPREAD_RATIO
    across = SOCKETS_CORES
    options = dig(spec, "cpu", "spreadOptions")
    if isinstance(options, dict):
        if options.get("across") is not None:
            across = str(options["across"])
        if options.get("ratio") is not None:
            ratio = options["ratio"]
    return int(ratio), across
