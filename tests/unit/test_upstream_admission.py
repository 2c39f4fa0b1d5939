"""KubeVirt's own admission unit tests for instancetypes, preferences and VMs using them, ported
(pkg/instancetype/webhooks/admitter_test.go, pkg/instancetype/preference/webhooks/admitter_test.go,
pkg/instancetype/webhooks/vm/admitter_test.go, pkg/instancetype/{,preference/}annotations/annotations_test.go,
pkg/instancetype/find/spec_test.go @ d923fdb8).

Instancetype and preference objects go through ``vmctl.cli.validate.semantic_problems`` (what ``vmctl validate``
runs per kind); VMs go through the real pipeline (``vmctl.core.pipeline.resolve``).
"""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.catalog import load_catalog
from vmctl.cli.validate import semantic_problems
from vmctl.core.matchers import annotations_for, is_cluster_kind
from vmctl.core.pipeline import MemoSource, resolve
from vmctl.core.preference import check_spread_topology
from vmctl.errors import FieldProblem, NotFoundError, ObjectRejected

Obj = dict[str, Any]
GROUP = "instancetype.kubevirt.io/v1beta1"


def obj(kind: str, spec: Obj, name: str = "test-name", namespace: str | None = "test-namespace") -> Obj:
    meta: Obj = {"name": name}
    if namespace is not None and "Cluster" not in kind:
        meta["namespace"] = namespace
    return {"apiVersion": GROUP, "kind": kind, "metadata": meta, "spec": spec}


def problems_of(kind: str, spec: Obj) -> list[FieldProblem]:
    return semantic_problems(obj(kind, spec), None)


def errors(found: list[FieldProblem]) -> list[FieldProblem]:
    return [p for p in found if p.reason != "Warning"]


INSTANCETYPE_KINDS = ("VirtualMachineInstancetype", "VirtualMachineClusterInstancetype")
PREFERENCE_KINDS = ("VirtualMachinePreference", "VirtualMachineClusterPreference")


# --- pkg/instancetype/webhooks/admitter_test.go --------------------------------------------------


@pytest.mark.parametrize("kind", INSTANCETYPE_KINDS)
def test_instancetype_valid_is_accepted(kind: str) -> None:
    # admitter_test.go Describe("Validating [Cluster]Instancetype Admitter") DescribeTable("should accept valid
    # instancetype") Entry("with v1beta1 version")
    assert problems_of(kind, {}) == []


@pytest.mark.parametrize("percent", [
    # admitter_test.go DescribeTable("should reject negative and over 100% memory overcommit values")
    # Entry("negative overcommit percent")
    -15,
    # ... Entry("over 100 percent overcommit")
    150,
])
def test_instancetype_rejects_out_of_range_overcommit(percent: int) -> None:
    spec = {"cpu": {"guest": 1}, "memory": {"guest": "128M", "overcommitPercent": percent}}
    assert errors(problems_of("VirtualMachineInstancetype", spec)) == [FieldProblem(
        "spec.memory.overcommitPercent",
        f"spec.memory.overcommitPercent '{percent}': must be in range between 0 and 100.",
    )]


@pytest.mark.parametrize("kind", INSTANCETYPE_KINDS)
def test_instancetype_rejects_overcommit_with_hugepages(kind: str) -> None:
    # admitter_test.go It("should reject specs with memory overcommit and hugepages") (both admitters)
    spec = {"cpu": {"guest": 1},
            "memory": {"guest": "128M", "overcommitPercent": 15, "hugepages": {"pageSize": "1Gi"}}}
    assert errors(problems_of(kind, spec)) == [FieldProblem(
        "spec.memory.overcommitPercent",
        "spec.memory.overcommitPercent and spec.memory.hugepages should not be requested together.",
    )]


@pytest.mark.parametrize("kind", INSTANCETYPE_KINDS)
def test_instancetype_warns_about_deprecated_launch_security(kind: str) -> None:
    # admitter_test.go It("should warn off deprecated launchSecurity field") (both admitters)
    found = problems_of(kind, {"launchSecurity": {}})
    assert errors(found) == []
    assert [p.message for p in found] == [
        "launchSecurity is deprecated and will be removed in a future release. Use preference instead."]


# --- pkg/instancetype/preference/webhooks/admitter_test.go ----------------------------------------


def test_preference_valid_is_accepted() -> None:
    # preference admitter_test.go DescribeTable("should accept valid preference") Entry("with v1beta1 version")
    assert problems_of("VirtualMachinePreference", {}) == []


def test_preference_rejects_unknown_topology() -> None:
    # preference admitter_test.go It("should reject unsupported PreferredCPUTopolgy value")
    found = problems_of("VirtualMachinePreference", {"cpu": {"preferredCPUTopology": "foo"}})
    assert found == [FieldProblem("spec.cpu.preferredCPUTopology", "unknown preferredCPUTopology foo",
                                  "FieldValueInvalid")]


@pytest.mark.parametrize("kind", PREFERENCE_KINDS)
@pytest.mark.parametrize("topology", [
    # preference admitter_test.go DescribeTable("should reject unsupported SpreadOptions Across value")
    # Entry("with spread")
    "spread",
    # ... Entry("with preferSpread")
    "preferSpread",
])
def test_preference_rejects_unsupported_across(kind: str, topology: str) -> None:
    spec = {"preferSpreadSocketToCoreRatio": 3,
            "cpu": {"preferredCPUTopology": topology, "spreadOptions": {"across": "foobar"}}}
    assert problems_of(kind, spec) == [FieldProblem("spec.cpu.spreadOptions.across", "across foobar is not supported")]


RATIO_ENTRIES: list[tuple[str, Obj]] = [
    ("PreferSpreadSocketToCoreRatio with spread",
     {"preferSpreadSocketToCoreRatio": 3,
      "cpu": {"preferredCPUTopology": "spread", "spreadOptions": {"across": "CoresThreads"}}}),
    ("PreferSpreadSocketToCoreRatio with preferSpread",
     {"preferSpreadSocketToCoreRatio": 3,
      "cpu": {"preferredCPUTopology": "preferSpread", "spreadOptions": {"across": "CoresThreads"}}}),
    ("SpreadOptions with spread",
     {"cpu": {"preferredCPUTopology": "spread", "spreadOptions": {"across": "CoresThreads", "ratio": 3}}}),
    ("SpreadOptions with preferSpread",
     {"cpu": {"preferredCPUTopology": "preferSpread", "spreadOptions": {"across": "CoresThreads", "ratio": 3}}}),
]


@pytest.mark.parametrize("kind", PREFERENCE_KINDS)
@pytest.mark.parametrize("spec", [e[1] for e in RATIO_ENTRIES], ids=[e[0] for e in RATIO_ENTRIES])
def test_preference_rejects_cores_threads_ratio_other_than_2(kind: str, spec: Obj) -> None:
    # preference admitter_test.go DescribeTable("should reject when spreading vCPUs across CoresThreads with a
    # ratio higher than 2 set through") Entry(<id>)  (both admitters)
    assert problems_of(kind, spec) == [FieldProblem(
        "spec.cpu.spreadOptions.ratio",
        "only a ratio of 2 (1 core 2 threads) is allowed when spreading vCPUs over cores and threads")]


@pytest.mark.parametrize("kind", PREFERENCE_KINDS)
@pytest.mark.parametrize(("deprecated", "alternative"), [
    # preference admitter_test.go DescribeTable("should raise warning for")
    # Entry("DeprecatedPreferSockets and provide Sockets as an alternative")
    ("preferSockets", "sockets"),
    # ... Entry("DeprecatedPreferCores and provide Cores as an alternative")
    ("preferCores", "cores"),
    # ... Entry("DeprecatedPreferThreads and provide Threads as an alternative")
    ("preferThreads", "threads"),
    # ... Entry("DeprecatedPreferSpread and provide Spread as an alternative")
    ("preferSpread", "spread"),
    # ... Entry("DeprecatedPreferAny and provide Any as an alternative")
    ("preferAny", "any"),
])
def test_preference_warns_about_deprecated_topology(kind: str, deprecated: str, alternative: str) -> None:
    found = problems_of(kind, {"cpu": {"preferredCPUTopology": deprecated}})
    assert [(p.reason, p.message) for p in found] == [(
        "Warning",
        f"PreferredCPUTopology {deprecated} is deprecated for removal in a future release, "
        f"please use {alternative} instead",
    )]


# --- pkg/instancetype/webhooks/vm/admitter_test.go -------------------------------------------------


def test_spread_check_passes_without_instancetype() -> None:
    # vm/admitter_test.go DescribeTable("should admit VM with preference using preferSpread and without instancetype")
    assert check_spread_topology(None, {"cpu": {"preferredCPUTopology": "spread"}}) is None
    assert check_spread_topology(None, {"cpu": {"preferredCPUTopology": "preferSpread"}}) is None


def admitter_source(it_spec: Obj | None = None, pref_spec: Obj | None = None) -> MemoSource:
    """The BeforeEach objects of vm/admitter_test.go: a namespaced instancetype and preference."""
    it = it_spec if it_spec is not None else {"cpu": {"guest": 2}, "memory": {"guest": "128Mi"}}
    pref = pref_spec if pref_spec is not None else {"cpu": {"preferredCPUTopology": "cores"}}
    return MemoSource(load_catalog([
        obj("VirtualMachineInstancetype", it, "instancetypeName", "default"),
        obj("VirtualMachinePreference", pref, "preferenceName", "default"),
    ]))


def admitter_vm(domain: Obj | None = None, instancetype: bool = True, preference: bool = True) -> Obj:
    spec: Obj = {"runStrategy": "Halted", "template": {"spec": {"domain": domain if domain is not None else {}}}}
    if instancetype:
        spec["instancetype"] = {"name": "instancetypeName", "kind": "virtualmachineinstancetype"}
    if preference:
        spec["preference"] = {"name": "preferenceName", "kind": "virtualmachinepreference"}
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": "testvmi", "namespace": "default"}, "spec": spec}


def rejection_of(vm: Obj, source: MemoSource) -> ObjectRejected:
    with pytest.raises(ObjectRejected) as info:
        resolve(vm, source, origins=False)
    return info.value


def conflict_cause(path: str) -> FieldProblem:
    return FieldProblem(path, f"VM field(s) {path} conflicts with selected instance type", "FieldValueInvalid")


def test_vm_rejected_when_instancetype_fails_to_apply() -> None:
    # vm/admitter_test.go It("should reject if instancetype fails to apply to VMI")
    vm = admitter_vm({"cpu": {"sockets": 1}, "memory": {"guest": "1Gi"}})
    causes = rejection_of(vm, admitter_source()).causes
    assert conflict_cause("spec.template.spec.domain.cpu.sockets") in causes
    assert conflict_cause("spec.template.spec.domain.memory.guest") in causes


def test_vm_rejected_when_instancetype_and_vm_define_topology() -> None:
    # vm/admitter_test.go It("should reject if instancetype and VM define CPU sockets, cores and threads")
    vm = admitter_vm({"cpu": {"sockets": 1, "cores": 1, "threads": 1}})
    rejected = rejection_of(vm, admitter_source())
    assert rejected.causes == [conflict_cause(f"spec.template.spec.domain.cpu.{n}")
                               for n in ("sockets", "cores", "threads")]
    assert rejected.message == ", ".join(c.message for c in rejected.causes)


@pytest.mark.parametrize(("resources", "path"), [
    # vm/admitter_test.go DescribeTable("should reject if instancetype and VM define conflicting resources")
    # Entry("CPU resource requests")
    ({"requests": {"cpu": "1"}}, "spec.template.spec.domain.resources.requests.cpu"),
    # ... Entry("CPU resource limits")
    ({"limits": {"cpu": "1"}}, "spec.template.spec.domain.resources.limits.cpu"),
    # ... Entry("Memory resource requests")
    ({"requests": {"memory": "128Mi"}}, "spec.template.spec.domain.resources.requests.memory"),
    # ... Entry("Memory resource limits")
    ({"limits": {"memory": "128Mi"}}, "spec.template.spec.domain.resources.limits.memory"),
])
def test_vm_rejected_on_conflicting_resources(resources: Obj, path: str) -> None:
    rejected = rejection_of(admitter_vm({"resources": resources}), admitter_source())
    assert rejected.causes == [conflict_cause(path)]


def test_vm_rejected_when_preference_requirements_not_met() -> None:
    # vm/admitter_test.go It("should reject if preference requirements are not met")
    # Upstream calls Check(nil, preference, template spec) on a VM whose template has no domain.cpu. In the
    # pipeline the VMI defaults run first (as in vms-admitter.go), so the template then has sockets=1 and the
    # same preference (topology cores) reports the cores field instead.
    from vmctl.core.requirements import check_requirements

    pref = {"cpu": {"preferredCPUTopology": "cores"}, "requirements": {"cpu": {"guest": 10}}}
    problem = check_requirements(None, pref, {"domain": {}})
    assert problem == FieldProblem(
        "spec.template.spec.domain.cpu",
        "failure checking preference requirements: no CPU resources provided by VirtualMachine, "
        "preference requires 10 vCPU", "FieldValueNotFound")
    rejected = rejection_of(admitter_vm(instancetype=False), admitter_source(pref_spec=pref))
    assert rejected.causes == [FieldProblem(
        "spec.template.spec.domain.cpu.cores",
        "failure checking preference requirements: insufficient CPU resources of 1 vCPU provided by "
        "VirtualMachine, preference requires 10 vCPU provided as cores", "FieldValueNotFound")]


_SC = ("{n} vCPUs provided by the instance type are not divisible by the "
       "Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio of {r} provided by the preference")
_CT = "{n} vCPUs provided by the instance type are not divisible by the number of threads per core {r}"
_SCT = ("{n} vCPUs provided by the instance type are not divisible by the number of threads per core "
        "2 and Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio of {r}")


def _spread(topology: str, ratio: int | None = None, legacy_ratio: int | None = None,
            across: str | None = None) -> Obj:
    pref: Obj = {"cpu": {"preferredCPUTopology": topology}}
    options: Obj = {}
    if across is not None:
        options["across"] = across
    if ratio is not None:
        options["ratio"] = ratio
    if options:
        pref["cpu"]["spreadOptions"] = options
    if legacy_ratio is not None:
        pref["preferSpreadSocketToCoreRatio"] = legacy_ratio
    return pref


SPREAD_REJECT: list[tuple[str, int, Obj, str]] = []
for _topology in ("spread", "preferSpread"):
    SPREAD_REJECT += [
        (f"3 vCPUs, default of SpreadAcrossSocketsCores and default SocketCoreRatio of 2 with {_topology}",
         3, _spread(_topology), _SC.format(n=3, r=2)),
        (f"2 vCPUs, default of SpreadAcrossSocketsCores and SocketCoreRatio via PreferSpreadSocketToCoreRatio of 3 "
         f"with {_topology}", 2, _spread(_topology, legacy_ratio=3), _SC.format(n=2, r=3)),
        (f"2 vCPUs, default of SpreadAcrossSocketsCores and SocketCoreRatio via SpreadOptions of 3 with {_topology}",
         2, _spread(_topology, ratio=3), _SC.format(n=2, r=3)),
        (f"4 vCPUs, default of SpreadAcrossSocketsCores and SocketCoreRatio via PreferSpreadSocketToCoreRatio of 3 "
         f"with {_topology}", 4, _spread(_topology, legacy_ratio=3), _SC.format(n=4, r=3)),
        (f"4 vCPUs, default of SpreadAcrossSocketsCores and SocketCoreRatio via SpreadOptions of 3 with {_topology}",
         4, _spread(_topology, ratio=3), _SC.format(n=4, r=3)),
        (f"3 vCPUs and SpreadAcrossCoresThreads with {_topology}",
         3, _spread(_topology, across="CoresThreads"), _CT.format(n=3, r=2)),
        (f"5 vCPUs and SpreadAcrossCoresThreads with {_topology}",
         5, _spread(_topology, across="CoresThreads"), _CT.format(n=5, r=2)),
        (f"5 vCPUs, SpreadAcrossSocketsCoresThreads and default SocketCoreRatio of 2 with {_topology}",
         5, _spread(_topology, across="SocketsCoresThreads"), _SCT.format(n=5, r=2)),
        (f"6 vCPUs, SpreadAcrossSocketsCoresThreads and SocketCoreRatio via PreferSpreadSocketToCoreRatio of 4 "
         f"with {_topology}", 6, _spread(_topology, legacy_ratio=4, across="SocketsCoresThreads"),
         _SCT.format(n=6, r=4)),
        (f"6 vCPUs, SpreadAcrossSocketsCoresThreads and SocketCoreRatio via SpreadOptions of 4 with {_topology}",
         6, _spread(_topology, ratio=4, across="SocketsCoresThreads"), _SCT.format(n=6, r=4)),
    ]


@pytest.mark.parametrize(("vcpus", "pref", "message"), [e[1:] for e in SPREAD_REJECT],
                         ids=[e[0] for e in SPREAD_REJECT])
def test_vm_rejected_when_spread_does_not_divide(vcpus: int, pref: Obj, message: str) -> None:
    # vm/admitter_test.go DescribeTable("should reject if PreferSpread requested with") Entry(<id>)
    source = admitter_source(it_spec={"cpu": {"guest": vcpus}, "memory": {"guest": "128Mi"}}, pref_spec=pref)
    rejected = rejection_of(admitter_vm(), source)
    assert rejected.causes == [FieldProblem("instancetype.spec.cpu.guest", message, "FieldValueInvalid")]
    assert rejected.message == message


@pytest.mark.parametrize("topology", [
    # vm/admitter_test.go DescribeTable("should admit VM with preference using preferSpread and without
    # instancetype") Entry("with spread")
    "spread",
    # ... Entry("with preferSpread")
    "preferSpread",
])
def test_vm_admitted_with_spread_preference_without_instancetype(topology: str) -> None:
    source = admitter_source(pref_spec={"cpu": {"preferredCPUTopology": topology}})
    # the instancetype admitter alone (the VMI spec checks of the other webhooks are not part of that test)
    vmi = resolve(admitter_vm(instancetype=False), source, origins=False, validating=False).obj
    assert vmi["spec"]["domain"]["cpu"]["sockets"] == 1


@pytest.mark.parametrize(("which", "kind", "resource"), [
    # vm/admitter_test.go DescribeTable("should admit when") Entry("VirtualMachineInstancetype is referenced but not found")
    ("instancetype", "virtualmachineinstancetype", "virtualmachineinstancetypes"),
    # ... Entry("VirtualMachineClusterInstancetype is referenced but not found")
    ("instancetype", "", "virtualmachineclusterinstancetypes"),
    # ... Entry("VirtualMachinePreference is referenced but not found")
    ("preference", "virtualmachinepreference", "virtualmachinepreferences"),
    # ... Entry("VirtualMachineClusterPreference is referenced but not found")
    ("preference", "", "virtualmachineclusterpreferences"),
])
def test_vm_with_missing_matcher_object(which: str, kind: str, resource: str) -> None:
    # KubeVirt's admission only logs the missing object and the VM controller then fails on it: as here, where
    # the VM passes admission and resolving the VMI reports the not-found error.
    vm = admitter_vm(instancetype=False, preference=False)
    vm["spec"][which] = {"name": "unknown", **({"kind": kind} if kind else {})}
    with pytest.raises(NotFoundError) as info:
        resolve(vm, MemoSource(load_catalog([])), origins=False)
    assert info.value.message.startswith(f'{resource}.instancetype.kubevirt.io "unknown" not found')


# --- annotations_test.go (instancetype and preference) / find/spec_test.go ---------------------------


@pytest.mark.parametrize(("which", "kind", "key", "absent"), [
    # instancetype/annotations/annotations_test.go It("should add instancetype name annotation")
    ("instancetype", "virtualmachineinstancetype", "kubevirt.io/instancetype-name",
     "kubevirt.io/cluster-instancetype-name"),
    # ... It("should add cluster instancetype name annotation")
    ("instancetype", "virtualmachineclusterinstancetype", "kubevirt.io/cluster-instancetype-name",
     "kubevirt.io/instancetype-name"),
    # ... It("should add cluster name annotation, if instancetype.kind is empty")
    ("instancetype", "", "kubevirt.io/cluster-instancetype-name", "kubevirt.io/instancetype-name"),
    # preference/annotations/annotations_test.go It("should add preference name annotation")
    ("preference", "virtualmachinepreference", "kubevirt.io/preference-name", "kubevirt.io/cluster-preference-name"),
    # ... It("should add cluster preference name annotation")
    ("preference", "virtualmachineclusterpreference", "kubevirt.io/cluster-preference-name",
     "kubevirt.io/preference-name"),
    # ... It("should add cluster name annotation, if preference.kind is empty")
    ("preference", "", "kubevirt.io/cluster-preference-name", "kubevirt.io/preference-name"),
])
def test_matcher_annotations(which: str, kind: str, key: str, absent: str) -> None:
    vm = {"spec": {which: {"name": f"{which}-name", "kind": kind}}}
    found = annotations_for(vm)
    assert found == {key: f"{which}-name"}
    assert absent not in found


@pytest.mark.parametrize(("which", "matcher"), [
    # find/spec_test.go It("find returns error when invalid Instancetype Kind is specified")
    ("instancetype", "InstancetypeMatcher"),
    # preference/find/spec_test.go (same case for preferences)
    ("preference", "PreferenceMatcher"),
])
def test_unexpected_matcher_kind(which: str, matcher: str) -> None:
    with pytest.raises(ObjectRejected) as info:
        is_cluster_kind("foobar", which)
    assert info.value.message == f"got unexpected kind in {matcher}: foobar"
