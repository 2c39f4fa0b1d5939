"""KubeVirt's own expand-spec unit tests, ported (pkg/virt-api/rest/expand_test.go, which drives
pkg/instancetype/expand/expand.go @ d923fdb8), against ``vmctl.core.pipeline.expand_vm``.
"""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.catalog import load_catalog
from vmctl.core.fields import clone
from vmctl.core.goshape import go_json
from vmctl.core.pipeline import MemoSource, expand_vm
from vmctl.errors import NotFoundError, ObjectRejected

Obj = dict[str, Any]
NS = "test-namespace"
GROUP = "instancetype.kubevirt.io/v1beta1"


def base_vm() -> Obj:
    """The BeforeEach VM of expand_test.go: one volume, an empty domain."""
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": "test-vm", "namespace": NS},
            "spec": {"template": {"spec": {"domain": {}, "volumes": [{"name": "volumeName"}]}}}}


def doc(kind: str, name: str, spec: Obj) -> Obj:
    meta: Obj = {"name": name}
    if "Cluster" not in kind:
        meta["namespace"] = NS
    return {"apiVersion": GROUP, "kind": kind, "metadata": meta, "spec": spec}


IT_SPEC = {"cpu": {"guest": 2}, "memory": {"guest": "128Mi"}}
PREF_SPEC = {"cpu": {"preferredCPUTopology": "cores"}, "devices": {"preferredDiskBus": "virtio"}}


def expand(vm: Obj, docs: list[Obj] | None = None) -> Obj:
    return expand_vm(vm, MemoSource(load_catalog(docs or [])), origins=False).obj


def test_unchanged_without_matchers() -> None:
    # expand_test.go It("should return unchanged VM, if no instancetype and preference is assigned")
    # the same Go object; as JSON it carries what Go's encoder always writes (domain.resources, status, ...)
    vm = base_vm()
    assert expand(clone(vm)) == go_json(vm, "v1.VirtualMachine")


INSTANCETYPE_KINDS = [
    # DescribeTable("should fail if VM points to nonexistent instancetype") Entry("default (empty kind)") ...
    ("", "virtualmachineclusterinstancetypes"),
    ("virtualmachineclusterinstancetype", "virtualmachineclusterinstancetypes"),  # Entry("singular kind")
    ("virtualmachineclusterinstancetypes", "virtualmachineclusterinstancetypes"),  # Entry("plural kind")
    # DescribeTable("should fail if VM points to nonexistent namespace-scoped instancetype") Entry("singular kind")
    ("virtualmachineinstancetype", "virtualmachineinstancetypes"),
    ("virtualmachineinstancetypes", "virtualmachineinstancetypes"),  # ... Entry("plural kind")
]
PREFERENCE_KINDS = [
    # DescribeTable("should fail if VM points to nonexistent preference") Entry("default (empty kind)") ...
    ("", "virtualmachineclusterpreferences"),
    ("virtualmachineclusterpreference", "virtualmachineclusterpreferences"),  # Entry("singular kind")
    ("virtualmachineclusterpreferences", "virtualmachineclusterpreferences"),  # Entry("plural kind")
    # DescribeTable("should fail if VM points to nonexistent namespace-scoped preference") Entry("singular kind")
    ("virtualmachinepreference", "virtualmachinepreferences"),
    ("virtualmachinepreferences", "virtualmachinepreferences"),  # ... Entry("plural kind")
]


@pytest.mark.parametrize(("kind", "resource"), INSTANCETYPE_KINDS)
def test_nonexistent_instancetype(kind: str, resource: str) -> None:
    vm = base_vm()
    vm["spec"]["instancetype"] = {"name": "nonexistent-instancetype", "kind": kind}
    with pytest.raises(NotFoundError) as info:
        expand(vm)
    assert f'{resource}.instancetype.kubevirt.io "nonexistent-instancetype" not found' in info.value.message


@pytest.mark.parametrize(("kind", "resource"), PREFERENCE_KINDS)
def test_nonexistent_preference(kind: str, resource: str) -> None:
    vm = base_vm()
    vm["spec"]["preference"] = {"name": "nonexistent-preference", "kind": kind}
    with pytest.raises(NotFoundError) as info:
        expand(vm)
    assert f'{resource}.instancetype.kubevirt.io "nonexistent-preference" not found' in info.value.message


@pytest.mark.parametrize(("it_kind", "pref_kind", "it_doc_kind", "pref_doc_kind"), [
    # DescribeTable("should expand instancetype and preference within VM") Entry("default (empty kind)")
    ("", "", "VirtualMachineClusterInstancetype", "VirtualMachineClusterPreference"),
    # ... Entry("singular kind")
    ("virtualmachineclusterinstancetype", "virtualmachineclusterpreference",
     "VirtualMachineClusterInstancetype", "VirtualMachineClusterPreference"),
    # ... Entry("plural kind")
    ("virtualmachineclusterinstancetypes", "virtualmachineclusterpreferences",
     "VirtualMachineClusterInstancetype", "VirtualMachineClusterPreference"),
    # DescribeTable("should expand namespace-scoped instancetype and preference within VM") Entry("singular kind")
    ("virtualmachineinstancetype", "virtualmachinepreference", "VirtualMachineInstancetype", "VirtualMachinePreference"),
    # ... Entry("plural kind")
    ("virtualmachineinstancetypes", "virtualmachinepreferences", "VirtualMachineInstancetype",
     "VirtualMachinePreference"),
])
def test_expand_instancetype_and_preference(it_kind: str, pref_kind: str, it_doc_kind: str,
                                            pref_doc_kind: str) -> None:
    vm = base_vm()
    vm["spec"]["instancetype"] = {"name": "test-instancetype", "kind": it_kind}
    vm["spec"]["preference"] = {"name": "test-preference", "kind": pref_kind}
    got = expand(vm, [doc(it_doc_kind, "test-instancetype", IT_SPEC), doc(pref_doc_kind, "test-preference", PREF_SPEC)])
    assert "instancetype" not in got["spec"]
    assert "preference" not in got["spec"]
    template = got["spec"]["template"]
    assert (template.get("metadata") or {}).get("annotations") is None  # the instancetype has no annotations
    spec = template["spec"]
    assert spec["domain"]["cpu"]["cores"] == 2
    assert spec["domain"]["memory"]["guest"] == "128Mi"
    assert spec["domain"]["devices"]["disks"] == [{"name": "volumeName", "disk": {"bus": "virtio"}}]
    assert [n["name"] for n in spec["networks"]] == ["default"]


@pytest.mark.parametrize(("kind", "doc_kind"), [
    # DescribeTable("should fail, if there is a conflict when applying instancetype") Entry("default (empty kind)")
    ("", "VirtualMachineClusterInstancetype"),
    # ... Entry("singular kind")
    ("virtualmachineclusterinstancetype", "VirtualMachineClusterInstancetype"),
    # ... Entry("plural kind")
    ("virtualmachineclusterinstancetypes", "VirtualMachineClusterInstancetype"),
    # DescribeTable("should fail, if there is a conflict when applying namespace-scoped instancetype") Entry("singular kind")
    ("virtualmachineinstancetype", "VirtualMachineInstancetype"),
    # ... Entry("plural kind")
    ("virtualmachineinstancetypes", "VirtualMachineInstancetype"),
])
def test_expand_conflict(kind: str, doc_kind: str) -> None:
    vm = base_vm()
    vm["spec"]["instancetype"] = {"name": "test-instancetype", "kind": kind}
    vm["spec"]["template"]["spec"]["domain"]["cpu"] = {"sockets": 4}
    with pytest.raises(ObjectRejected) as info:
        expand(vm, [doc(doc_kind, "test-instancetype", IT_SPEC)])
    assert "VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type" in info.value.message
