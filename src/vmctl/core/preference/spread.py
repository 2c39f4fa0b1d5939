"""KubeVirt ``CheckSpreadCPUTopology``: the instancetype's vCPUs must divide evenly under a spread preference."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import dig
from vmctl.core.preference import topology as topo
from vmctl.errors import FieldProblem

FIELD = "instancetype.spec.cpu.guest"
_RATIO = "Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio"


def _not_divisible(vcpus: int, by: int) -> bool:
    return by == 0 or vcpus % by > 0


def check_spread_topology(
    instancetype_spec: dict[str, Any] | None, preference_spec: dict[str, Any] | None
) -> FieldProblem | None:
    """A problem at ``instancetype.spec.cpu.guest`` when a spread topology cannot divide the vCPUs, else None.

    A ratio of 0 is reported as not divisible (KubeVirt would fail with a division by zero).
    """
    if instancetype_spec is None or topo.normalized_topology(preference_spec) != topo.SPREAD:
        return None
    vcpus = int(dig(instancetype_spec, "cpu", "guest") or 0)
    ratio, across = topo.spread_options(preference_spec)
    message = None
    if across == topo.SOCKETS_CORES and _not_divisible(vcpus, ratio):
        message = (f"{vcpus} vCPUs provided by the instance type are not divisible by the "
                   f"{_RATIO} of {ratio} provided by the preference")
    elif across == topo.CORES_THREADS and _not_divisible(vcpus, ratio):
        message = f"{vcpus} vCPUs provided by the instance type are not divisible by the number of threads per core {ratio}"
    elif across == topo.SOCKETS_CORES_THREADS and (
        vcpus % topo.THREADS_PER_CORE > 0 or _not_divisible(vcpus // topo.THREADS_PER_CORE, ratio)
    ):
        message = (f"{vcpus} vCPUs provided by the instance type are not divisible by the number of threads per core "
                   f"{topo.THREADS_PER_CORE} and {_RATIO} of {ratio}")
    return FieldProblem(FIELD, message) if message else None
