"""What ``scale`` and ``rollout`` share: naming a pool or replica set, durations, and reading its members."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vmctl.backends.base import Backend, Ref
    from vmctl.core.kinds import Kind

Obj = dict[str, Any]

REPLICATED = ("VirtualMachinePool", "VirtualMachineInstanceReplicaSet")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")


def replicated_target(args: list[str], namespace: str | None, *, what: str) -> tuple[Kind, Ref]:
    """``TYPE NAME`` or ``TYPE/NAME`` of a VirtualMachinePool or VirtualMachineInstanceReplicaSet."""
    from vmctl.backends.base import Ref
    from vmctl.cli.resources import split_type_name
    from vmctl.errors import UsageError

    kind, name = split_type_name(args)
    if kind.kind not in REPLICATED:
        raise UsageError(f"{what}: {kind.plural} cannot be {what}d; expected pool (vmpool, virtualmachinepool) or "
                         "vmirs (virtualmachineinstancereplicaset)" if what != "rollout" else
                         f"rollout: {kind.plural} have no rollout; expected pool or vmirs")
    return kind, Ref(kind.kind, name, namespace or "default")


def qualified_name(kind: Kind, name: str) -> str:
    """kubectl's ``TYPE.GROUP/NAME`` (``virtualmachinepool.pool.kubevirt.io/web``)."""
    return f"{kind.singular}.{kind.group}/{name}"


def resource_name(kind: Kind, name: str) -> str:
    """How the API server names an object in errors: ``virtualmachinepools.pool.kubevirt.io "web"``."""
    return f'{kind.plural}.{kind.group} "{name}"'


def parse_duration(text: str, *, flag: str = "--timeout") -> float:
    """Seconds from ``300`` or a Go duration (``90s``, ``5m``, ``1h30m``); a bad value is a usage error."""
    from vmctl.errors import UsageError

    value = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise UsageError(f"{flag} {text!r}: expected seconds or a duration such as 90s, 5m or 1h30m")
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts)


def members(be: Backend, owner: Obj) -> list[Obj]:
    """The VMs of a pool, or the VMIs of a replica set (owned by it, matched by its selector)."""
    from vmctl.controllers.rollout import owned_by

    kind = "VirtualMachine" if owner.get("kind") == "VirtualMachinePool" else "VirtualMachineInstance"
    meta = owner.get("metadata") or {}
    return [o for o in be.list(kind, meta.get("namespace") or "default") if owned_by(o, owner)]
