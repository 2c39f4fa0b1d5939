"""What KubeVirt does to a VM before and while it creates the VMI (VM mutating webhook, VM controller).

- ``mutate_defaults``: the VM mutating webhook's own defaults on the template (firmware UUID,
  architecture/machine-type defaults, PCI topology annotation); its preference part is
  ``vmctl.core.preference.mutate_vm``.
- ``setup_vmi_from_vm``: the VM controller's ``SetupVMIFromVM`` (+ generation annotation, finalizer).
- ``instancetype_annotations``: the ``kubevirt.io/[cluster-]{instancetype,preference}-name`` VMI annotations.
- ``assign_firmware_identity`` / ``keep_firmware_identity``: what a server does on create (random firmware UUID and
  serial) and what an apply that leaves them out keeps; used where vmctl stores objects itself (the local backend).

Determinism: KubeVirt gives a new VM a random firmware UUID and serial; offline, vmctl uses the UUIDv5 of the VM
name (KubeVirt's own fallback) and leaves the serial unset. A VM without ``uid`` (not yet stored) gives an
owner reference with ``uid: ""`` and ``status.virtualMachineRevisionName: revision-start-vm--<generation>``,
as KubeVirt's code gives with that input (nothing is invented).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vmctl.core.defaults import (
    DEFAULT_CLUSTER,
    PCI_TOPOLOGY_ANNOTATION,
    PCI_TOPOLOGY_VERSION,
    VM_CONTROLLER_FINALIZER,
    ClusterConfig,
    add_finalizer,
    legacy_firmware_uuid,
    set_default_volume_disk,
    supports_pcie_hotplug,
)
from vmctl.core.fields import clone, ensure

Obj = dict[str, Any]

GENERATION_ANNOTATION = "kubevirt.io/vm-generation"
_NAMESPACED_INSTANCETYPE = ("virtualmachineinstancetype", "virtualmachineinstancetypes")
_CLUSTER_INSTANCETYPE = ("", "virtualmachineclusterinstancetype", "virtualmachineclusterinstancetypes")
_NAMESPACED_PREFERENCE = ("virtualmachinepreference", "virtualmachinepreferences")
_CLUSTER_PREFERENCE = ("", "virtualmachineclusterpreference", "virtualmachineclusterpreferences")



def template_of(vm: Obj) -> Obj:
    """``spec.template`` of a VM (created empty when missing)."""
    return ensure(ensure(vm, "spec"), "template")


def _vmi_spec(obj: Obj) -> Any:
    """A VMI's spec or a VM's template spec (anything, when the object is malformed)."""
    spec = obj.get("spec")
    if obj.get("kind") == "VirtualMachine":
        template = spec.get("template") if isinstance(spec, dict) else None
        spec = template.get("spec") if isinstance(template, dict) else None
    return spec


def _firmware(obj: Obj) -> Obj | None:
    """``domain.firmware`` of a VMI's spec or a VM's template spec, created when missing; None when the object
    has no such spec."""
    spec = _vmi_spec(obj)
    if not isinstance(spec, dict):
        return None
    domain = spec.setdefault("domain", {})
    if not isinstance(domain, dict):
        return None
    firmware = domain.setdefault("firmware", {})
    return firmware if isinstance(firmware, dict) else None


def assign_firmware_identity(obj: Obj, new_id: Callable[[], str]) -> None:
    """A new VM's or VMI's firmware identity where none is set: KubeVirt's VM mutator gives a new VM a random UUID
    and serial; a new VMI's defaults give it a UUID."""
    firmware = _firmware(obj)
    if firmware is None:
        return
    for key in ("uuid", "serial") if obj.get("kind") == "VirtualMachine" else ("uuid",):
        if not firmware.get(key):
            firmware[key] = new_id()


def keep_firmware_identity(obj: Obj, stored: Obj) -> None:
    """An update of a VM or VMI that leaves the firmware UUID or serial out keeps the stored ones: the server set
    them, and ``kubectl apply`` keeps the fields it never managed."""
    kept = ((_vmi_spec(stored) or {}).get("domain") or {}).get("firmware")
    if not isinstance(kept, dict) or not (kept.get("uuid") or kept.get("serial")):
        return
    firmware = _firmware(obj)
    if firmware is None:
        return
    for key in ("uuid", "serial"):
        if kept.get(key) and not firmware.get(key):
            firmware[key] = kept[key]


def mutate_defaults(vm: Obj, cluster: ClusterConfig = DEFAULT_CLUSTER) -> None:
    """The rest of the VM mutating webhook on create: firmware UUID, architecture, machine type, PCI annotation."""
    template = template_of(vm)
    spec = ensure(template, "spec")
    firmware = ensure(ensure(spec, "domain"), "firmware")
    if not firmware.get("uuid"):
        firmware["uuid"] = legacy_firmware_uuid(str((vm.get("metadata") or {}).get("name", "")))
    if not spec.get("architecture"):
        spec["architecture"] = cluster.default_architecture
    machine = ensure(spec["domain"], "machine")
    if not machine.get("type"):
        machine["type"] = cluster.machine_type_for(spec["architecture"])
    if supports_pcie_hotplug(spec):
        annotations = ensure(ensure(template, "metadata"), "annotations")
        annotations.setdefault(PCI_TOPOLOGY_ANNOTATION, PCI_TOPOLOGY_VERSION)


def owner_reference(vm: Obj, namespace: str = "default") -> Obj:
    """``metav1.NewControllerRef(vm)``; a VM without ``uid`` gives ``uid: ""``, as KubeVirt's code does."""
    metadata = vm.get("metadata") or {}
    name = str(metadata.get("name", ""))
    return {
        "apiVersion": "kubevirt.io/v1",
        "blockOwnerDeletion": True,
        "controller": True,
        "kind": "VirtualMachine",
        "name": name,
        "uid": str(metadata.get("uid") or ""),
    }


def _start_paused(vm: Obj) -> bool:
    requests = (vm.get("status") or {}).get("stateChangeRequests") or []
    if not requests or not isinstance(requests[0], dict):
        return False
    first = requests[0]
    return first.get("action") == "Start" and (first.get("data") or {}).get("paused") == "true"


def setup_vmi_from_vm(vm: Obj, namespace: str, *, take_template: bool = False) -> Obj:
    """KubeVirt ``SetupVMIFromVM`` plus the controller's generation annotation and finalizer.

    ``take_template``: the VMI takes over the VM's template spec instead of a copy (for callers that own
    ``vm`` and read no more than ``spec.instancetype``/``spec.preference`` from it afterwards).
    """
    metadata = vm.get("metadata") or {}
    template = (vm.get("spec") or {}).get("template") or {}
    vmi_meta = clone(template.get("metadata") or {})
    vmi_meta.pop("generateName", None)
    vmi_meta["name"] = metadata.get("name", "")
    vmi_meta["namespace"] = namespace
    labels = (template.get("metadata") or {}).get("labels")
    if labels:
        vmi_meta["labels"] = clone(labels)
    else:
        vmi_meta.pop("labels", None)
    vmi_meta["ownerReferences"] = [owner_reference(vm, namespace)]
    spec = template.get("spec") or {}
    if not take_template:
        spec = clone(spec)
    vmi: Obj = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": vmi_meta, "spec": spec}
    if _start_paused(vm):
        spec["startStrategy"] = "Paused"
    firmware = ensure(ensure(spec, "domain"), "firmware")
    if not firmware.get("uuid"):
        firmware["uuid"] = legacy_firmware_uuid(vmi_meta["name"])
    set_default_volume_disk(spec)
    generation = metadata.get("generation")
    generation = generation if isinstance(generation, int) and not isinstance(generation, bool) else 1
    uid = metadata.get("uid") or ""
    vmi["status"] = {"virtualMachineRevisionName": f"revision-start-vm-{uid}-{generation}"}
    ensure(vmi_meta, "annotations")[GENERATION_ANNOTATION] = str(generation)
    if (vm.get("spec") or {}).get("runStrategy") == "WaitAsReceiver":
        vmi_meta["annotations"]["kubevirt.io/create-migration-target"] = "true"
    add_finalizer(vmi_meta, VM_CONTROLLER_FINALIZER)
    return vmi


def instancetype_annotations(vm: Obj) -> dict[str, str]:
    """The VMI annotations naming the VM's instancetype and preference (by matcher kind)."""
    spec = vm.get("spec") or {}
    result: dict[str, str] = {}
    it = spec.get("instancetype")
    if isinstance(it, dict):
        kind = str(it.get("kind") or "").lower()
        if kind in _NAMESPACED_INSTANCETYPE:
            result["kubevirt.io/instancetype-name"] = str(it.get("name") or "")
        elif kind in _CLUSTER_INSTANCETYPE:
            result["kubevirt.io/cluster-instancetype-name"] = str(it.get("name") or "")
    pref = spec.get("preference")
    if isinstance(pref, dict):
        kind = str(pref.get("kind") or "").lower()
        if kind in _NAMESPACED_PREFERENCE:
            result["kubevirt.io/preference-name"] = str(pref.get("name") or "")
        elif kind in _CLUSTER_PREFERENCE:
            result["kubevirt.io/cluster-preference-name"] = str(pref.get("name") or "")
    return result
