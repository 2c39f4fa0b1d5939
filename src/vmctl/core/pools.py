"""What a VirtualMachinePool member is: KubeVirt's naming, per-index spec, labels, owner and revision rules
(``pkg/virt-controller/watch/pool/pool.go``: ``calculateNewVMNames``, ``indexVMSpec``,
``injectPoolRevisionLabelsIntoVM``, ``poolOwnerRef``, ``ensureControllerRevision``,
``calculateMaxUnavailableInt``, ``preserveVMIdentityFields``).

Pure and shared by the pool planner, pool admission and the offline ``expand``/``resolve`` of a pool. Member
objects share the sub-trees they do not change with the pool (no deep copy per member): treat them as
read-only, or ``clone`` them before changing anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Container
from typing import Any

from vmctl.core.fields import controller_reference

Obj = dict[str, Any]

API_VERSION = "pool.kubevirt.io/v1beta1"
KIND = "VirtualMachinePool"
FINALIZER = "pool.kubevirt.io/finalizer"
REVISION_LABEL = "kubevirt.io/vm-pool-revision-name"
#: vmctl's extension: extra members started during an update (int or percent of replicas).
MAX_SURGE_ANNOTATION = "pool.vmctl.io/max-surge"
DEFAULT_MAX_UNAVAILABLE = "100%"


# --- the pool's fields ------------------------------------------------------------------------------------


def spec_of(pool: Obj) -> Obj:
    spec = pool.get("spec")
    return spec if isinstance(spec, dict) else {}


def name_of(obj: Obj | None) -> str:
    return str(((obj or {}).get("metadata") or {}).get("name") or "")


def replicas(pool: Obj) -> int:
    """``spec.replicas``; nil means 1."""
    value = spec_of(pool).get("replicas")
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def generation(pool: Obj) -> int:
    """``metadata.generation``; the API server starts it at 1."""
    value = (pool.get("metadata") or {}).get("generation")
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def vm_template(pool: Obj) -> Obj:
    template = spec_of(pool).get("virtualMachineTemplate")
    return template if isinstance(template, dict) else {}


# --- names --------------------------------------------------------------------------------------------------


def member_name(pool_name: str, index: int) -> str:
    return f"{pool_name}-{index}"


def index_from_name(name: str) -> int | None:
    """The number after the last ``-`` (Go ``strconv.Atoi``), or None."""
    tail = name.rsplit("-", 1)[-1]
    if not re.fullmatch(r"[+-]?[0-9]+", tail):
        return None
    return int(tail)


def new_member_names(count: int, pool_name: str, taken: Container[str]) -> list[str]:
    """``calculateNewVMNames``: the ``count`` lowest indices whose name no VM of the namespace has."""
    names: list[str] = []
    index = 0
    while len(names) < count:
        name = member_name(pool_name, index)
        if name not in taken:
            names.append(name)
        index += 1
    return names


def revision_name(pool: Obj) -> str:
    """``<pool>-<metadata.generation>``: the ControllerRevision holding the pool spec of this generation."""
    return f"{name_of(pool)}-{generation(pool)}"


def owner_reference(pool: Obj) -> Obj:
    """The controller ownerReference a pool puts on its VMs and revisions."""
    return controller_reference(pool, API_VERSION, KIND)


def revision_object(pool: Obj) -> Obj:
    """The ControllerRevision ``ensureControllerRevision`` creates: the pool spec, owned by the pool."""
    meta = pool.get("metadata") or {}
    out_meta: Obj = {"name": revision_name(pool), "ownerReferences": [owner_reference(pool)]}
    if meta.get("namespace"):
        out_meta["namespace"] = meta["namespace"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": out_meta,
        "data": spec_of(pool),
        "revision": generation(pool),
    }


# --- members -----------------------------------------------------------------------------------------------


def _flag(pool_spec: Obj, name: str) -> bool:
    options = pool_spec.get("nameGeneration")
    return isinstance(options, dict) and options.get(name) is True


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _suffixed_ref(ref: Any, suffix: str) -> Any:
    return {**ref, "name": f"{ref.get('name', '')}{suffix}"} if isinstance(ref, dict) else ref


def _index_volume(volume: Obj, dv_names: dict[str, str], suffix: str) -> Obj:
    """One volume ``MemberFactory`` found to need the index (the first matching source wins, as in KubeVirt's
    if/else chain)."""
    if isinstance(pvc := volume.get("persistentVolumeClaim"), dict):
        return {**volume, "persistentVolumeClaim": {**pvc, "claimName": dv_names[pvc["claimName"]]}}
    if isinstance(dv := volume.get("dataVolume"), dict):
        return {**volume, "dataVolume": {**dv, "name": dv_names[dv["name"]]}}
    if isinstance(cm := volume.get("configMap"), dict):
        return {**volume, "configMap": {**cm, "name": f"{cm.get('name', '')}{suffix}"}}
    if isinstance(secret := volume.get("secret"), dict):
        return {**volume, "secret": {**secret, "secretName": f"{secret.get('secretName', '')}{suffix}"}}
    for source in ("cloudInitNoCloud", "cloudInitConfigDrive"):
        if isinstance(cloud_init := volume.get(source), dict):
            out = dict(cloud_init)
            for ref in ("secretRef", "networkDataSecretRef"):
                if out.get(ref) is not None:
                    out[ref] = _suffixed_ref(out[ref], suffix)
            return {**volume, source: out}
    return volume


def _needs_index(volume: Any, dv_names: Container[str], configmaps: bool, secrets: bool) -> bool:
    """Whether ``indexVMSpec`` changes this volume."""
    if not isinstance(volume, dict):
        return False
    if isinstance(pvc := volume.get("persistentVolumeClaim"), dict):
        return pvc.get("claimName") in dv_names
    if isinstance(dv := volume.get("dataVolume"), dict):
        return dv.get("name") in dv_names
    if isinstance(volume.get("configMap"), dict):
        return configmaps
    if isinstance(volume.get("secret"), dict) or any(
        isinstance(volume.get(s), dict) for s in ("cloudInitNoCloud", "cloudInitConfigDrive")
    ):
        return secrets
    return False


class MemberFactory:
    """Builds the members of one pool at one revision (``scaleOut``, ``indexVMSpec``,
    ``injectPoolRevisionLabelsIntoVM``, ``opportunisticUpdate``). What does not depend on the index is
    prepared once and shared by the members it builds: treat them as read-only."""

    def __init__(self, pool: Obj, revision: str | None = None) -> None:
        self.pool = pool
        self.revision = revision_name(pool) if revision is None else revision
        pool_spec = spec_of(pool)
        vm_template_ = _dict(pool_spec.get("virtualMachineTemplate"))
        self._spec = _dict(vm_template_.get("spec"))
        dvts = self._spec.get("dataVolumeTemplates")
        self._dvts: list[Any] = dvts if isinstance(dvts, list) else []
        self._dv_names = [str(_dict(_dict(d).get("metadata")).get("name", "")) for d in self._dvts]
        self._template = _dict(self._spec.get("template"))
        self._vmi_spec = self._template.get("spec")
        volumes = _dict(self._vmi_spec).get("volumes")
        configmaps = _flag(pool_spec, "appendIndexToConfigMapRefs")
        secrets = _flag(pool_spec, "appendIndexToSecretRefs")
        names = set(self._dv_names)
        self._indexed_volumes = (
            [i for i, v in enumerate(volumes) if _needs_index(v, names, configmaps, secrets)]
            if isinstance(volumes, list)
            else []
        )
        template_meta = _dict(self._template.get("metadata"))
        self._template_meta = {
            **template_meta,
            "labels": {**_dict(template_meta.get("labels")), REVISION_LABEL: self.revision},
        }
        vm_meta = _dict(vm_template_.get("metadata"))
        self._labels = {**_dict(vm_meta.get("labels")), REVISION_LABEL: self.revision}
        self._annotations = dict(vm_meta["annotations"]) if vm_meta.get("annotations") else None
        pool_meta = _dict(pool.get("metadata"))
        self._pool_name = str(pool_meta.get("name") or "")
        self._namespace = pool_meta.get("namespace")
        self._owners = [owner_reference(pool)]

    def spec(self, index: int) -> Obj:
        """``indexVMSpec`` with the revision label on the template: dataVolumeTemplates get ``-<index>`` and
        the PVC / DataVolume volumes naming them follow; with ``nameGeneration.appendIndexToConfigMapRefs``
        configMap volumes, with ``appendIndexToSecretRefs`` secret volumes and cloud-init ``secretRef`` /
        ``networkDataSecretRef`` get it too."""
        suffix = f"-{index}"
        spec = dict(self._spec)
        dv_names: dict[str, str] = {}
        if self._dvts:
            indexed = []
            for dvt, name in zip(self._dvts, self._dv_names, strict=True):
                dv_names[name] = name + suffix
                if isinstance(dvt, dict):
                    dvt = {**dvt, "metadata": {**_dict(dvt.get("metadata")), "name": name + suffix}}
                indexed.append(dvt)
            spec["dataVolumeTemplates"] = indexed
        template = dict(self._template)
        template["metadata"] = self._template_meta
        if self._indexed_volumes:
            volumes = list(self._vmi_spec["volumes"])
            for i in self._indexed_volumes:
                volumes[i] = _index_volume(volumes[i], dv_names, suffix)
            template["spec"] = {**self._vmi_spec, "volumes": volumes}
        spec["template"] = template
        return spec

    def _metadata(self, base: Obj) -> Obj:
        meta = {**base, "labels": self._labels}
        if self._annotations is not None:
            meta["annotations"] = self._annotations
        else:
            meta.pop("annotations", None)
        return meta

    def vm(self, index: int) -> Obj:
        """The VirtualMachine the pool creates as member ``index``: name ``<pool>-<index>``, labels and
        annotations from ``virtualMachineTemplate.metadata``, the revision label on the VM and its template,
        the pool finalizer and the pool as controller owner."""
        base: Obj = {"name": member_name(self._pool_name, index)}
        if self._namespace:
            base["namespace"] = self._namespace
        meta = self._metadata(base)
        meta["finalizers"] = [FINALIZER]
        meta["ownerReferences"] = self._owners
        return {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "metadata": meta,
            "spec": self.spec(index),
        }

    def updated_vm(self, vm: Obj, index: int) -> Obj:
        """``opportunisticUpdate`` of one VM: labels, annotations and spec from the template (the rest of the
        VM kept), firmware ``uuid`` and ``serial`` preserved (``preserveVMIdentityFields``)."""
        spec = self.spec(index)
        _preserve_firmware_identity(vm, spec)
        return {**vm, "metadata": self._metadata(_dict(vm.get("metadata"))), "spec": spec}


def member_vm(pool: Obj, index: int, revision: str | None = None) -> Obj:
    """The VirtualMachine member ``index`` of ``pool`` (see ``MemberFactory.vm``)."""
    return MemberFactory(pool, revision).vm(index)


def _preserve_firmware_identity(old_vm: Obj, spec: Obj) -> None:
    """The old VM's firmware uuid / serial win over the template's."""
    old_template = (old_vm.get("spec") or {}).get("template")
    if not isinstance(old_template, dict):
        return
    old_firmware = ((old_template.get("spec") or {}).get("domain") or {}).get("firmware")
    if not isinstance(old_firmware, dict):
        return
    template = spec["template"]
    vmi_spec = dict(template.get("spec") or {})
    domain = dict(vmi_spec.get("domain") or {})
    firmware = dict(domain.get("firmware") or {})
    for key in ("uuid", "serial"):
        if old_firmware.get(key):
            firmware[key] = old_firmware[key]
    domain["firmware"] = firmware
    vmi_spec["domain"] = domain
    spec["template"] = {**template, "spec": vmi_spec}


# --- comparing -------------------------------------------------------------------------------------------


def semantic(node: Any) -> Any:
    """The value Go's ``equality.Semantic.DeepEqual`` compares after a JSON round trip: no nulls, and empty
    maps and lists equal to absent ones (compare two ``semantic`` values with ``==``)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            value = semantic(value)
            if value is not None and value != {} and value != []:
                out[key] = value
        return out
    if isinstance(node, list):
        return [semantic(item) for item in node]
    return node


# --- counts -------------------------------------------------------------------------------------------------


_GO_INT = re.compile(r"[+-]?[0-9]+")
_INT32 = 2**31


def parse_percent(text: str) -> tuple[int | None, str | None]:
    """Go ``strconv.ParseInt(strings.TrimSuffix(text, "%"), 10, 32)``: (value, None) or (None, error)."""
    digits = text[:-1] if text.endswith("%") else text
    if not _GO_INT.fullmatch(digits):
        return None, f'strconv.ParseInt: parsing "{digits}": invalid syntax'
    value = int(digits)
    if not -_INT32 <= value < _INT32:
        return None, f'strconv.ParseInt: parsing "{digits}": value out of range'
    return value, None


def _go_div(a: int, b: int) -> int:
    """Go integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def max_unavailable(pool: Obj) -> tuple[int, str | None]:
    """``calculateMaxUnavailableInt``: (count, None), or (0, error text) for a percentage that does not parse.

    Default ``100%``; a percentage is ``floor(replicas × pct / 100)``; the result is at least 1."""
    value = spec_of(pool).get("maxUnavailable", DEFAULT_MAX_UNAVAILABLE)
    if value is None:
        value = DEFAULT_MAX_UNAVAILABLE
    if isinstance(value, str):
        pct, err = parse_percent(value)
        if err is not None or pct is None:
            return 0, f"invalid maxUnavailable percentage: {err}"
        count = _go_div(replicas(pool) * pct, 100)
    else:
        count = int(value)
    return max(count, 1), None


def max_surge(pool: Obj) -> int:
    """vmctl's ``pool.vmctl.io/max-surge`` annotation: an int, or a percent of replicas rounded up (as a
    Deployment's maxSurge); 0 when absent or not a number."""
    text = str(((pool.get("metadata") or {}).get("annotations") or {}).get(MAX_SURGE_ANNOTATION, "")).strip()
    if text.endswith("%") and _GO_INT.fullmatch(text[:-1]):
        return max(0, math.ceil(replicas(pool) * int(text[:-1]) / 100))
    return max(0, int(text)) if _GO_INT.fullmatch(text) else 0
