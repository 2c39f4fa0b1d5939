"""Build VirtualMachine(Cluster)Preference manifests (virtctl ``create preference``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmctl.create.params import flag_error, random_suffix

Obj = dict[str, Any]
API_VERSION = "instancetype.kubevirt.io/v1beta1"
#: Values KubeVirt accepts for ``spec.cpu.preferredCPUTopology`` (the ``prefer*`` spellings are deprecated).
CPU_TOPOLOGIES = (
    "sockets", "cores", "threads", "spread", "any",
    "preferSockets", "preferCores", "preferThreads", "preferSpread", "preferAny",
)


@dataclass
class PreferenceOptions:
    """The flags of ``vmctl create preference``; ``None`` means "not given"."""

    name: str | None = None
    namespace: str | None = None
    namespaced: bool = False
    volume_storage_class: str | None = None
    machine_type: str | None = None
    cpu_topology: str | None = None


def build_preference(opts: PreferenceOptions) -> Obj:
    """Return the preference; cluster-scoped unless ``namespaced`` or a namespace was given."""
    namespaced = opts.namespaced or bool(opts.namespace)
    name = opts.name if opts.name is not None else (
        f"preference-{random_suffix()}" if namespaced else f"clusterpreference-{random_suffix()}"
    )
    spec: Obj = {}
    if opts.volume_storage_class is not None:
        spec["volumes"] = {"preferredStorageClassName": opts.volume_storage_class} if opts.volume_storage_class else {}
    if opts.machine_type is not None:
        spec["machine"] = {"preferredMachineType": opts.machine_type} if opts.machine_type else {}
    if opts.cpu_topology is not None:
        if opts.cpu_topology not in CPU_TOPOLOGIES:
            raise flag_error("cpu-topology", "CPU topology must have a value of sockets, cores, threads or spread")
        spec["cpu"] = {"preferredCPUTopology": opts.cpu_topology}
    metadata: Obj = {"name": name}
    if namespaced and opts.namespace:
        metadata["namespace"] = opts.namespace
    return {
        "apiVersion": API_VERSION,
        "kind": "VirtualMachinePreference" if namespaced else "VirtualMachineClusterPreference",
        "metadata": metadata,
        "spec": spec,
    }
