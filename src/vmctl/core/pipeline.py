"""The VM → VMI pipeline: what KubeVirt's webhooks and controllers do, in their order, offline.

``resolve`` (VM or VMI in, VMI out):
  VM admission (mutating)   matcher validation → preferred architecture / machine type / storage class →
                            firmware UUID, architecture and machine-type defaults, PCI topology annotation
  VM admission (validating) on a copy: CheckSpreadCPUTopology → ApplyToVMI(spec.template.spec) conflicts →
                            VMI-spec defaults → preference requirements → discontinued bindings →
                            ValidateVirtualMachineSpec (core/validation.py); a missing instancetype or
                            preference is checked without and fails in the controller
  VM controller             SetupVMIFromVM → preferredAutoattach* → AutoAttachInputDevice →
                            SetDefaultNetworkInterface → instancetype/preference annotations → ApplyToVMI(spec)
                            → discontinued bindings ("failed create validation")
  VMI admission (mutating)  presets → SetDefaultVirtualMachineInstance (+ status, finalizer)
  VMI admission (validating) the VMI create admitter's checks

Objects come out as KubeVirt's Go code writes them (core/goshape.py).

``expand_vm`` is KubeVirt's expand-spec: SetDefaultVolumeDisk → SetDefaultNetworkInterface →
ApplyToVMI(spec.template.spec) → VMI-spec defaults → matchers removed.
"""

from __future__ import annotations

import functools
from typing import Any

from vmctl.core import defaults, presets, quantity
from vmctl.core.api import Conflict, ObjectSource, Resolved
from vmctl.core.apply import apply_to_vmi
from vmctl.core.defaults import DEFAULT_CLUSTER, ClusterConfig
from vmctl.core.fields import clone
from vmctl.core.goshape import drop_omitted, go_json
from vmctl.core.matchers import validate_matchers
from vmctl.core.origin import OriginTracker
from vmctl.core.preference import apply_autoattach, check_spread_topology, mutate_vm
from vmctl.core.validation import (
    validate_namespace,
    validate_network_creation,
    validate_vm_spec,
    validate_vmi_create,
)
from vmctl.core.validation_scheduling import sanitize_nameservers
from vmctl.core.validation_security import metadata_key
from vmctl.core.vmi_from_vm import (
    instancetype_annotations,
    mutate_defaults,
    setup_vmi_from_vm,
)
from vmctl.errors import FieldProblem, NotFoundError, ObjectRejected, Unavailable, VmctlError

Obj = dict[str, Any]
_MAX_CAUSES_IN_MESSAGE = 10


class MemoSource:
    """An ``ObjectSource`` wrapper that remembers lookups (and not-found errors) for a whole run."""

    def __init__(self, source: ObjectSource) -> None:
        self.source = source
        self._cache: dict[tuple[str, str, str, str], Any] = {}
        #: VM admission checks that passed, by their inputs (the specs are kept so their ids stay unique)
        self.admitted: dict[tuple[Any, ...], tuple[Obj | None, Obj | None]] = {}

    def _get(self, key: tuple[str, str, str, str], fetch: Any) -> Any:
        try:
            found = self._cache[key]
        except KeyError:
            try:
                found = fetch()
            except VmctlError as exc:
                found = exc
            self._cache[key] = found
        if isinstance(found, VmctlError):
            raise found
        return found

    def find_instancetype(self, name: str, kind: str, namespace: str) -> Obj:
        return self._get(("it", name, kind, namespace), lambda: self.source.find_instancetype(name, kind, namespace))

    def find_preference(self, name: str, kind: str, namespace: str) -> Obj:
        return self._get(("pref", name, kind, namespace), lambda: self.source.find_preference(name, kind, namespace))

    def presets(self, namespace: str) -> list[Obj]:
        return self._get(("presets", namespace, "", ""), lambda: self.source.presets(namespace))


def _memo(source: ObjectSource) -> MemoSource:
    return source if isinstance(source, MemoSource) else MemoSource(source)


def rejection(causes: list[FieldProblem]) -> ObjectRejected:
    """KubeVirt's admission response: at most 10 causes, their messages joined with ", " (then a count)."""
    shown = causes[:_MAX_CAUSES_IN_MESSAGE]
    message = ", ".join(c.message for c in shown)
    if len(causes) > _MAX_CAUSES_IN_MESSAGE:
        message += f", and {len(causes) - _MAX_CAUSES_IN_MESSAGE} more validation errors"
    return ObjectRejected(message, list(shown))


class VmiRejected(ObjectRejected):
    """The VMI validating webhook refused the VMI (for a VM: the VM is stored, its VMI never starts)."""


#: the reason of problems KubeVirt does not reject the object for, but that keep it from running
ADVISORY = "Advisory"


def _conflict_causes(conflicts: list[Conflict]) -> list[FieldProblem]:
    return [FieldProblem(c.path, c.message(), "FieldValueInvalid") for c in conflicts]


def _namespace(obj: Obj, namespace: str | None) -> str:
    own = (obj.get("metadata") or {}).get("namespace")
    if namespace and own and own != namespace:
        raise VmctlError(
            f'the namespace from the provided object "{own}" does not match the namespace "{namespace}". '
            f"You must pass '--namespace={own}' to perform this operation."
        )
    found = str(own or namespace or "default")
    problems = validate_namespace(found)
    if problems:
        raise rejection(problems)
    return found


# --- lookups ----------------------------------------------------------------------------------------


def _find(vm: Obj, source: MemoSource, namespace: str) -> tuple[Obj | None, Obj | None]:
    """The instancetype and preference objects a VM's matchers name (NotFoundError when missing)."""
    spec = vm.get("spec") or {}
    found: list[Obj | None] = []
    for which in ("instancetype", "preference"):
        matcher = spec.get(which)
        if not isinstance(matcher, dict):
            found.append(None)
            continue
        name = matcher.get("name")
        if not name:
            volume = matcher.get("inferFromVolume")
            raise ObjectRejected(
                f"spec.{which}.inferFromVolume: cannot infer the {which} from volume {volume!r} offline; "
                f"set spec.{which}.name instead",
                [FieldProblem(f"spec.{which}.inferFromVolume", "inferring needs the cluster's volume labels")],
            )
        kind = str(matcher.get("kind") or "")
        try:
            if which == "instancetype":
                found.append(source.find_instancetype(str(name), kind, namespace))
            else:
                found.append(source.find_preference(str(name), kind, namespace))
        except NotFoundError as exc:
            exc.field = f"spec.{which}.name"  # type: ignore[attr-defined]  # where callers point their line
            raise
    return found[0], found[1]


def _spec(obj: Obj | None) -> Obj | None:
    if obj is None:
        return None
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _stage(obj: Obj | None, which: str) -> str:
    return f"{which}/{((obj or {}).get('metadata') or {}).get('name', '')}"


# --- Go JSON shape of the final object ------------------------------------------------------------------

_QUANTITY_MAPS = (("domain", "resources", "requests"), ("domain", "resources", "limits"))
_QUANTITY_FIELDS = (("domain", "memory", "guest"), ("domain", "memory", "maxGuest"))


def _canonical(text: Any) -> Any:
    if isinstance(text, (dict, list, bool)) or text is None:
        return text
    return _canonical_cached(text)


@functools.lru_cache(maxsize=4096)
def _canonical_cached(text: str | int | float) -> Any:
    try:
        return quantity.canonical(text)
    except VmctlError:
        return text


def canonicalize_quantities(spec: Obj) -> None:
    """Quantities as Go serialises them (``2048Mi`` → ``2Gi``, ``2`` → ``"2"``)."""
    for path in _QUANTITY_MAPS:
        node: Any = spec
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            for key, value in node.items():
                node[key] = _canonical(value)
    for *parents, leaf in _QUANTITY_FIELDS:
        node = spec
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(leaf) is not None:
            node[leaf] = _canonical(node[leaf])
    for volume in spec.get("volumes") or []:
        if isinstance(volume, dict):
            for source in ("emptyDisk", "hostDisk"):
                target = volume.get(source)
                if isinstance(target, dict) and target.get("capacity") is not None:
                    target["capacity"] = _canonical(target["capacity"])


def _finish_vmi_spec(spec: Obj) -> None:
    domain = spec.setdefault("domain", {})
    domain.setdefault("resources", {})
    domain.setdefault("devices", {})
    canonicalize_quantities(spec)


# --- VMI admission ------------------------------------------------------------------------------------


def _admit_vmi(
    vmi: Obj, source: MemoSource, namespace: str, tracker: OriginTracker, cluster: ClusterConfig,
    validating: bool = True,
) -> list[str]:
    """Presets then defaults, in place (then the VMI validating webhook); returns the warnings."""
    matched_by_name: dict[str, Any] = {}

    def after(name: str) -> None:
        matched_by_name[name] = True
        tracker.snap(f"preset/{name}", vmi)

    found = source.presets(namespace)
    warnings = presets.apply_presets(vmi, found, after_each=after).warnings if found else []
    defaults.set_default_vmi(vmi, cluster)
    _finish_vmi_spec(vmi["spec"])
    meta = vmi.get("metadata")
    causes = _checked(source, ("vmi", _cluster_key(cluster), _without_identity(vmi["spec"]), metadata_key(meta)),
                      lambda: validate_vmi_create(vmi["spec"], cluster, meta)) if validating else []
    if causes:  # the VMI validating webhook
        refused = rejection(causes)
        raise VmiRejected(refused.message, refused.causes)
    status = vmi.get("status") or {}
    memory = status.get("memory")
    if isinstance(memory, dict):
        for k, v in memory.items():
            memory[k] = _canonical(v)
    return warnings + presets.deprecation_warnings(vmi)


def _result(vmi: Obj, tracker: OriginTracker, warnings: list[str]) -> Resolved:
    final = go_json(vmi, "v1.VirtualMachineInstance")
    tracker.snap("default", final)
    return Resolved(final, tracker.origins(final), warnings)


# --- resolve ------------------------------------------------------------------------------------------


def _template_view(vm: Obj) -> Obj:
    template = (vm.get("spec") or {}).get("template") or {}
    meta = template.get("metadata") or {}
    vm_meta = vm.get("metadata") or {}
    view_meta = dict(meta)
    view_meta["name"] = vm_meta.get("name", "")
    view_meta["namespace"] = vm_meta.get("namespace", "")
    return {"metadata": view_meta, "spec": template.get("spec") or {}}


def _admit_vm(
    vm: Obj, namespace: str, source: MemoSource, warnings: list[str]
) -> tuple[Obj | None, Obj | None, NotFoundError | None]:
    """The VM admission checks; returns the instancetype and preference objects found and the first lookup
    error. KubeVirt's VM webhooks only log a missing object (the VM is admitted and checked without it); the
    VM controller then fails on it (instancetype first)."""
    problems = validate_matchers(vm)
    if problems:
        raise rejection(problems)
    spec = vm.get("spec") or {}
    for which in ("instancetype", "preference"):
        matcher = spec.get(which)
        if (isinstance(matcher, dict) and not matcher.get("name") and matcher.get("inferFromVolume")
                and matcher.get("inferFromVolumeFailurePolicy") == "Ignore"):
            # offline there are no volume labels: KubeVirt's mutator clears the matcher when they are missing
            del spec[which]
            warnings.append(f"spec.{which}: cannot infer from volume {matcher['inferFromVolume']!r} offline; "
                            f"inferFromVolumeFailurePolicy is Ignore, so the VM is resolved without {which}")
    found: list[Obj | None] = []
    missing: NotFoundError | None = None
    for which in ("instancetype", "preference"):
        only = {**vm, "spec": {k: v for k, v in spec.items() if k == which}}
        try:
            found.append(_find(only, source, namespace)[0 if which == "instancetype" else 1])
        except NotFoundError as exc:
            found.append(None)
            missing = missing or exc
    return found[0], found[1], missing


_KEPT_DEVICES = ("gpus", "hostDevices", "interfaces", "autoattachPodInterface")
_MAX_ADMITTED = 4096


def _light_view(spec: Obj) -> Obj:
    """What conflicts, defaults and requirements read (no volumes, disks or other devices, no firmware
    UUID or serial), sharing the leaves with ``spec``."""
    view = {k: v for k, v in spec.items() if k != "volumes" and k != "domain"}
    domain = spec.get("domain")
    if isinstance(domain, dict):
        light = {k: v for k, v in domain.items() if k != "devices"}
        firmware = light.get("firmware")
        if isinstance(firmware, dict) and ("uuid" in firmware or "serial" in firmware):
            light["firmware"] = {k: v for k, v in firmware.items() if k not in ("uuid", "serial")}
        devices = domain.get("devices")
        if isinstance(devices, dict):
            light["devices"] = {k: devices[k] for k in _KEPT_DEVICES if k in devices}
        view["domain"] = light
    return view


def _validate_vm_copy(
    vm: Obj, it_spec: Obj | None, pref_spec: Obj | None, cluster: ClusterConfig, memo: MemoSource
) -> None:
    """VM validating webhook on a copy: spread topology, conflicts, requirements after defaults.

    The outcome depends only on the specs, the cluster config and the light view of the template, so a
    pass is remembered for the run: a batch of VMs that differ only in names is checked once.
    """
    if it_spec is None and pref_spec is None:
        return
    template = (vm.get("spec") or {}).get("template") or {}
    view = _light_view(template.get("spec") or {})
    meta = template.get("metadata") or {}
    key = (id(it_spec), id(pref_spec), _cluster_key(cluster), repr(view), repr(meta))
    if key in memo.admitted:
        return
    _check_vm_copy(clone(view), clone(meta), it_spec, pref_spec, cluster)
    if len(memo.admitted) >= _MAX_ADMITTED:
        memo.admitted.clear()
    memo.admitted[key] = (it_spec, pref_spec)


_CLUSTER_KEYS: dict[int, tuple[ClusterConfig, str]] = {}


def _cluster_key(cluster: ClusterConfig) -> str:
    """``repr(cluster)``, computed once per config object (the object is kept, so its id stays its own)."""
    found = _CLUSTER_KEYS.get(id(cluster))
    if found is None or found[0] is not cluster:
        if len(_CLUSTER_KEYS) > 64:
            _CLUSTER_KEYS.clear()
        found = _CLUSTER_KEYS[id(cluster)] = (cluster, repr(cluster))
    return found[1]


def _without_identity(spec: Obj) -> str:
    """``repr`` of a VMI spec without its firmware UUID and serial (the parts that differ between VMs of a batch
    that differ only in their names; no check reads them); a key for remembering checks that passed."""
    firmware = (spec.get("domain") or {}).get("firmware")
    if not isinstance(firmware, dict) or ("uuid" not in firmware and "serial" not in firmware):
        return repr(spec)
    identity = {key: firmware.pop(key) for key in ("uuid", "serial") if key in firmware}
    try:
        return repr(spec)
    finally:
        firmware.update(identity)


def _checked(memo: MemoSource, key: tuple[Any, ...], check: Any) -> list[FieldProblem]:
    """``check()``'s problems; an empty answer is remembered for the run under ``key``."""
    if key in memo.admitted:
        return []
    causes = check()
    if not causes:
        if len(memo.admitted) >= _MAX_ADMITTED:
            memo.admitted.clear()
        memo.admitted[key] = (None, None)
    return causes


def _validate_vm_spec(
    vm: Obj, it_spec: Obj | None, pref_spec: Obj | None, cluster: ClusterConfig, memo: MemoSource
) -> None:
    """The VM admitter's spec validation, on a copy with the instancetype and preference applied and the
    VMI-spec defaults set: discontinued interface bindings, then ``ValidateVirtualMachineSpec``."""
    spec = vm.get("spec") or {}
    template_spec = (spec.get("template") or {}).get("spec") or {}
    key = ("vm", id(it_spec), id(pref_spec), _cluster_key(cluster), _without_identity(template_spec),
           repr({k: v for k, v in spec.items() if k != "template"}), repr((spec.get("template") or {}).get("metadata")))
    if key in memo.admitted:
        return
    spec_copy = clone(spec)
    template = spec_copy.get("template")
    if isinstance(template, dict):
        tspec = template.setdefault("spec", {})
        apply_to_vmi("spec.template.spec", it_spec, pref_spec, tspec, template.setdefault("metadata", {}))
        defaults.set_default_vmi_spec(tspec, cluster)
        causes = validate_network_creation("spec", tspec)
        if causes:
            raise rejection(causes)
    causes = validate_vm_spec(spec_copy, cluster)
    if causes:
        raise rejection(causes)
    _checked(memo, key, list)


def _check_vm_copy(
    spec_copy: Obj, meta_copy: Obj, it_spec: Obj | None, pref_spec: Obj | None, cluster: ClusterConfig
) -> None:
    spread = check_spread_topology(it_spec, pref_spec)
    if spread is not None:
        raise rejection([spread])
    conflicts = apply_to_vmi("spec.template.spec", it_spec, pref_spec, spec_copy, meta_copy)
    if conflicts:
        raise rejection(_conflict_causes(conflicts))
    defaults.set_default_vmi_spec(spec_copy, cluster)
    if pref_spec is not None:
        from vmctl.core.requirements import check_requirements  # only preferences have requirements

        problem = check_requirements(it_spec, pref_spec, spec_copy)
        if problem is not None:
            raise rejection([problem])


def _resolve_vm(
    obj: Obj, source: MemoSource, namespace: str | None, tracker: OriginTracker, cluster: ClusterConfig,
    validating: bool = True,
) -> Resolved:
    vm = clone(obj)
    template_spec = ((vm.get("spec") or {}).get("template") or {}).get("spec")
    sanitize_nameservers(template_spec)
    drop_omitted(template_spec, "v1.VirtualMachineInstanceSpec")  # the VM mutating webhook replaces /spec
    ns = _namespace(vm, namespace)
    inference_warnings: list[str] = []
    it_obj, pref_obj, missing = _admit_vm(vm, ns, source, inference_warnings)
    it_spec, pref_spec = _spec(it_obj), _spec(pref_obj)
    it_stage, pref_stage = _stage(it_obj, "instancetype"), _stage(pref_obj, "preference")
    tracking = tracker.enabled
    if tracking:
        tracker.snap("vm", _template_view(vm))
    vm.setdefault("metadata", {})["namespace"] = ns
    if tracking:  # a namespace the VM did not state is the default one
        tracker.snap("default", _template_view(vm))
    # VM mutating webhook
    if pref_spec is not None:
        mutate_vm(pref_spec, vm)
        if tracking:
            tracker.snap(pref_stage, _template_view(vm))
    mutate_defaults(vm, cluster)
    # VM validating webhook
    _validate_vm_copy(vm, it_spec, pref_spec, cluster, source)
    if validating:
        _validate_vm_spec(vm, it_spec, pref_spec, cluster, source)
    if missing is not None:  # the VM controller cannot find it: no VMI
        raise missing
    # VM controller (``vm`` is our copy: the VMI takes its template spec over)
    vmi = setup_vmi_from_vm(vm, ns, take_template=True)
    tracker.snap("default", vmi)
    spec = vmi["spec"]
    if pref_spec is not None:
        apply_autoattach(pref_spec, spec)
        tracker.snap(pref_stage, vmi)
    defaults.auto_attach_input_device(spec)
    defaults.set_default_network_interface(spec, cluster)
    tracker.snap("default", vmi)
    if it_spec is not None or pref_spec is not None:
        meta = vmi["metadata"]
        annotations = meta.get("annotations")
        if not isinstance(annotations, dict):
            annotations = meta["annotations"] = {}
        names = instancetype_annotations(vm)
        for key, value in names.items():
            annotations[key] = value
            tracker.snap(pref_stage if "preference" in key else it_stage, vmi)
        conflicts = apply_to_vmi("spec", it_spec, pref_spec, spec, meta, lambda: tracker.snap(it_stage, vmi))
        if conflicts:
            paths = ", ".join(c.path for c in conflicts)
            raise ObjectRejected(
                f"VMI conflicts with instancetype spec in fields: [{paths}]", _conflict_causes(conflicts)
            )
        tracker.snap(pref_stage if pref_spec is not None else it_stage, vmi)
    causes = validate_network_creation("spec", spec)
    if causes:
        joined = "\n".join(f"&StatusCause{{Type:{c.reason},Message:{c.message},Field:{c.field},}}" for c in causes)
        raise ObjectRejected(f"failed create validation: {joined}", causes)
    # the VMI is sent to the API server as JSON: quantities become canonical
    canonicalize_quantities(spec)
    warnings = inference_warnings + _admit_vmi(vmi, source, ns, tracker, cluster, validating)
    return _result(vmi, tracker, warnings)


def _resolve_vmi(
    obj: Obj, source: MemoSource, namespace: str | None, tracker: OriginTracker, cluster: ClusterConfig,
    validating: bool = True,
) -> Resolved:
    vmi = clone(obj)
    sanitize_nameservers(vmi.get("spec"))
    drop_omitted(vmi.get("spec"), "v1.VirtualMachineInstanceSpec")  # the VMI mutating webhook replaces /spec
    ns = _namespace(vmi, namespace)
    vmi.setdefault("spec", {})
    tracker.snap("vmi", vmi)
    vmi.setdefault("metadata", {})["namespace"] = ns
    warnings = _admit_vmi(vmi, source, ns, tracker, cluster, validating)
    return _result(vmi, tracker, warnings)


def resolve(
    obj: Obj,
    source: ObjectSource,
    *,
    namespace: str | None = None,
    origins: bool = True,
    cluster: ClusterConfig = DEFAULT_CLUSTER,
    validating: bool = True,
) -> Resolved:
    """The VMI KubeVirt would create for a VM (or admit for a VMI); ``ObjectRejected`` when it would refuse.

    ``validating=False`` runs only the mutating webhooks and the controller (no VM/VMI spec validation).
    """
    kind = obj.get("kind")
    tracker = OriginTracker(origins)
    memo = _memo(source)
    if kind == "VirtualMachine":
        return _resolve_vm(obj, memo, namespace, tracker, cluster, validating)
    if kind == "VirtualMachineInstance":
        return _resolve_vmi(obj, memo, namespace, tracker, cluster, validating)
    raise VmctlError(f"cannot resolve kind {kind!r}: expected VirtualMachine or VirtualMachineInstance")


# --- expand ---------------------------------------------------------------------------------------------


def expand_vm(
    vm: Obj,
    source: ObjectSource,
    *,
    namespace: str | None = None,
    origins: bool = True,
    cluster: ClusterConfig = DEFAULT_CLUSTER,
) -> Resolved:
    """KubeVirt's expand-spec: the VM with its instancetype and preference written into the template."""
    if vm.get("kind") != "VirtualMachine":
        raise VmctlError(f"cannot expand kind {vm.get('kind')!r}: expected VirtualMachine")
    out = clone(vm)
    sanitize_nameservers(((out.get("spec") or {}).get("template") or {}).get("spec"))
    ns = namespace or str((out.get("metadata") or {}).get("namespace") or "default")
    own = (out.get("metadata") or {}).get("namespace")
    if own and own != ns:
        raise VmctlError(f"VM namespace must be empty or {ns}")
    out.setdefault("metadata", {})["namespace"] = ns  # expand-spec sets the request namespace
    spec = out.get("spec") or {}
    tracker = OriginTracker(origins)
    if not isinstance(spec.get("instancetype"), dict) and not isinstance(spec.get("preference"), dict):
        tracker.snap("vm", out)
        final = go_json(out, "v1.VirtualMachine")
        return Resolved(final, tracker.origins(final), [])
    memo = _memo(source)
    problems = validate_matchers(out)
    if problems:
        raise rejection(problems)
    it_obj, pref_obj = _find(out, memo, ns)
    it_spec, pref_spec = _spec(it_obj), _spec(pref_obj)
    tracker.snap("vm", out)
    template = out["spec"].setdefault("template", {})
    tspec = template.setdefault("spec", {})
    tmeta = template.setdefault("metadata", {})
    defaults.set_default_volume_disk(tspec)
    defaults.set_default_network_interface(tspec, cluster)
    tracker.snap("default", out)
    it_stage, pref_stage = _stage(it_obj, "instancetype"), _stage(pref_obj, "preference")
    conflicts = apply_to_vmi("spec.template.spec", it_spec, pref_spec, tspec, tmeta,
                             lambda: tracker.snap(it_stage, out))
    if conflicts:
        paths = ", ".join(c.path for c in conflicts)
        raise ObjectRejected(f"VM field(s) {paths} conflicts with selected instance type", _conflict_causes(conflicts))
    tracker.snap(pref_stage if pref_spec is not None else it_stage, out)
    defaults.set_default_vmi_spec(tspec, cluster)
    warnings = _admission_advisories(str(out['metadata'].get('name') or ''), it_spec, pref_spec, tspec)
    _finish_vmi_spec(tspec)
    out["spec"].pop("instancetype", None)
    out["spec"].pop("preference", None)
    status = out.get("status")
    if isinstance(status, dict):
        status.pop("instancetypeRef", None)
        status.pop("preferenceRef", None)
    final = go_json(out, "v1.VirtualMachine")
    tracker.snap("default", final)
    return Resolved(final, tracker.origins(final), warnings)


def _admission_advisories(name: str, it_spec: Obj | None, pref_spec: Obj | None, expanded_spec: Obj) -> list[str]:
    """What KubeVirt's VM admission refuses but expand-spec never checks (the spread divisibility and the
    preference's requirements): ``expand`` prints the expanded VM as KubeVirt does and says so on stderr."""
    problem = check_spread_topology(it_spec, pref_spec)
    if problem is None and pref_spec is not None:
        from vmctl.core.requirements import check_requirements

        problem = check_requirements(it_spec, pref_spec, expanded_spec)
    if problem is None:
        return []
    return [f"VirtualMachine/{name}: {problem.field}: {problem.message} (expand-spec does not check this; "
            f"KubeVirt's VM admission refuses the VM: see 'vmctl validate' or 'vmctl resolve')"]


# --- problems -------------------------------------------------------------------------------------------


def problems(
    obj: Obj, source: ObjectSource, *, namespace: str | None = None, cluster: ClusterConfig = DEFAULT_CLUSTER
) -> list[FieldProblem]:
    """Every admission problem ``resolve`` would reject the object for (never raises for them).

    For a VM, what only keeps it from running (an instancetype or preference not in the inputs or catalogs,
    which KubeVirt's VM admission admits; a VMI its webhook would refuse) has the reason ``ADVISORY``.
    """
    return admit(obj, source, namespace=namespace, cluster=cluster)[1]


#: how a missing instancetype or preference can be supplied offline (``validate``, ``resolve``)
SUPPLY_OFFLINE = "KubeVirt admits the VM, but cannot start it; supply the {which} with -f FILE or --catalog DIR"


def admit(
    obj: Obj, source: ObjectSource, *, namespace: str | None = None, cluster: ClusterConfig = DEFAULT_CLUSTER,
    supply: str = SUPPLY_OFFLINE,
) -> tuple[Resolved | None, list[FieldProblem]]:
    """Admission of a VM or VMI: (what ``resolve`` returns, or None when it cannot; every problem found, as
    ``problems`` reports them). ``supply`` says how a missing instancetype or preference can be given."""
    memo = _memo(source)
    found: list[FieldProblem] = []
    is_vm = obj.get("kind") == "VirtualMachine"
    if is_vm:
        found.extend(validate_matchers(obj))
        if found:
            return None, found
        spec = obj.get("spec") or {}
        ns = str((obj.get("metadata") or {}).get("namespace") or namespace or "default")
        for which, finder in (("instancetype", memo.find_instancetype), ("preference", memo.find_preference)):
            matcher = spec.get(which)
            if isinstance(matcher, dict) and matcher.get("name"):
                try:
                    finder(str(matcher["name"]), str(matcher.get("kind") or ""), ns)
                except NotFoundError as exc:
                    found.append(FieldProblem(f"spec.{which}.name", f"{exc.message} ({supply.format(which=which)})",
                                              ADVISORY))
                except ObjectRejected as exc:
                    found.append(FieldProblem(f"spec.{which}.kind", exc.message, "FieldValueInvalid"))
    try:
        return resolve(obj, memo, namespace=namespace, origins=False, cluster=cluster), found
    except VmiRejected as exc:
        causes = exc.causes or [FieldProblem("", exc.message)]
        if is_vm:
            causes = [FieldProblem(c.field and f"spec.template.{c.field}", f"its VMI would be refused: {c.message}",
                                   ADVISORY) for c in causes]
        found.extend(causes)
    except NotFoundError:
        if not found:
            raise
    except ObjectRejected as exc:
        found.extend(exc.causes or [FieldProblem("", exc.message)])
    except Unavailable:
        raise  # the backend did not answer: the object is not at fault
    except VmctlError as exc:
        found.append(FieldProblem("", exc.message))
    return None, found
