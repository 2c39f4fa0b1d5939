"""Instancetype ``cpu`` → VMI ``domain.cpu``: conflicts (all collected), copied fields, then the topology."""

from __future__ import annotations

from vmctl.core.api import Conflict
from vmctl.core.fields import clone, dig, ensure
from vmctl.core.instancetype._common import Spec, child, set_or_omit
from vmctl.core.preference import topology as topo


def _conflicts(path: str, cpu: Spec, vmi_spec: Spec, vmi_cpu: Spec) -> list[Conflict]:
    found: list[Conflict] = []
    resources = dig(vmi_spec, "domain", "resources", default={}) or {}
    for kind in ("requests", "limits"):
        if "cpu" in (resources.get(kind) or {}):
            found.append(child(path, "domain", "resources", kind, "cpu"))
    for name in ("sockets", "cores", "threads"):
        if vmi_cpu.get(name):
            found.append(child(path, "domain", "cpu", name))
    if vmi_cpu.get("model") and cpu.get("model") is not None:
        found.append(child(path, "domain", "cpu", "model"))
    if vmi_cpu.get("dedicatedCpuPlacement") and cpu.get("dedicatedCPUPlacement") is not None:
        found.append(child(path, "domain", "cpu", "dedicatedCPUPlacement"))  # KubeVirt's spelling (sic)
    if vmi_cpu.get("isolateEmulatorThread") and cpu.get("isolateEmulatorThread") is not None:
        found.append(child(path, "domain", "cpu", "isolateEmulatorThread"))
    for name in ("numa", "realtime"):
        if vmi_cpu.get(name) is not None and cpu.get(name) is not None:
            found.append(child(path, "domain", "cpu", name))
    return found


def topology(vcpus: int, preference_spec: Spec | None) -> tuple[int, int, int]:
    """(sockets, cores, threads) for ``vcpus`` guest CPUs under the preference's ``preferredCPUTopology``.

    Non-divisible spreads use integer division; ``check_spread_topology`` reports them beforehand.
    """
    sockets = cores = threads = 1
    if vcpus == 1:
        return sockets, cores, threads
    wanted = topo.normalized_topology(preference_spec)
    if wanted == topo.CORES:
        cores = vcpus
    elif wanted in (topo.SOCKETS, topo.ANY):
        sockets = vcpus
    elif wanted == topo.THREADS:
        threads = vcpus
    elif wanted == topo.SPREAD:
        ratio, across = topo.spread_options(preference_spec)
        if across == topo.SOCKETS_CORES:
            cores, sockets = ratio, _div(vcpus, ratio)
        elif across == topo.CORES_THREADS:
            threads, cores = ratio, _div(vcpus, ratio)
        elif across == topo.SOCKETS_CORES_THREADS:
            threads, cores = topo.THREADS_PER_CORE, ratio
            sockets = _div(vcpus // topo.THREADS_PER_CORE, ratio)
    return sockets, cores, threads


def _div(total: int, ratio: int) -> int:
    return total // ratio if ratio else 0  # a zero ratio makes KubeVirt panic; never reached after the spread check


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    cpu = instancetype_spec.get("cpu") or {}
    vmi_cpu = ensure(vmi_spec, "domain", "cpu")
    conflicts = _conflicts(path, cpu, vmi_spec, vmi_cpu)
    if conflicts:
        return conflicts
    if cpu.get("model") is not None:
        set_or_omit(vmi_cpu, "model", cpu["model"])
    if cpu.get("dedicatedCPUPlacement") is not None:
        set_or_omit(vmi_cpu, "dedicatedCpuPlacement", bool(cpu["dedicatedCPUPlacement"]))
    if cpu.get("isolateEmulatorThread") is not None:
        set_or_omit(vmi_cpu, "isolateEmulatorThread", bool(cpu["isolateEmulatorThread"]))
    for name in ("numa", "realtime"):
        if cpu.get(name) is not None:
            vmi_cpu[name] = clone(cpu[name])
    if cpu.get("maxSockets") is not None:
        set_or_omit(vmi_cpu, "maxSockets", cpu["maxSockets"])
    sockets, cores, threads = topology(int(cpu.get("guest") or 0), preference_spec)
    set_or_omit(vmi_cpu, "sockets", sockets)
    set_or_omit(vmi_cpu, "cores", cores)
    set_or_omit(vmi_cpu, "threads", threads)
    return []
