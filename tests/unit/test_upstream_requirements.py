"""KubeVirt's own preference-requirements unit tests, ported
(pkg/instancetype/preference/requirements/{cpu,memory,arch}_test.go @ d923fdb8).

Upstream checks ``(conflicts, err)``; here the same result is one ``FieldProblem`` whose field is the conflict
paths joined with ", " and whose message is the admission text ``failure checking preference requirements: <err>``.
"""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.core.requirements import PREFIX, check_requirements

Obj = dict[str, Any]
CPU = "spec.template.spec.domain.cpu"


def cpu_pref(guest: int, topology: str | None = None, across: str | None = None) -> Obj:
    pref: Obj = {"requirements": {"cpu": {"guest": guest}}}
    if topology is not None:
        pref["cpu"] = {"preferredCPUTopology": topology}
        if across is not None:
            pref["cpu"]["spreadOptions"] = {"across": across}
    return pref


def vm_cpu(**cpu: int) -> Obj:
    return {"domain": {"cpu": cpu}}


# --- cpu_test.go DescribeTable("should pass when sufficient resources are provided") ---------------

CPU_PASS: list[tuple[str, Obj | None, Obj, Obj]] = [
    ("by an instance type for vCPUs", {"cpu": {"guest": 2}}, cpu_pref(2), {}),
    ("by a VM for vCPUs using PreferSockets (default)", None, cpu_pref(2, "sockets"), vm_cpu(sockets=2)),
    ("by a VM for vCPUs using PreferCores", None, cpu_pref(2, "cores"), vm_cpu(cores=2)),
    ("by a VM for vCPUs using PreferThreads", None, cpu_pref(2, "threads"), vm_cpu(threads=2)),
    ("by a VM for vCPUs using PreferSpread by default across SocketsCores", None, cpu_pref(6, "spread"),
     vm_cpu(cores=2, sockets=3)),
    ("by a VM for vCPUs using PreferSpread across CoresThreads", None, cpu_pref(6, "spread", "CoresThreads"),
     vm_cpu(threads=2, cores=3)),
    ("by a VM for vCPUs using PreferSpread across SocketsCoresThreads", None,
     cpu_pref(8, "spread", "SocketsCoresThreads"), vm_cpu(threads=2, cores=2, sockets=2)),
    ("by a VM for vCPUs using PreferAny", None, cpu_pref(4, "any"), vm_cpu(cores=2, sockets=2, threads=1)),
]


@pytest.mark.parametrize(("it", "pref", "vm_spec"), [e[1:] for e in CPU_PASS], ids=[e[0] for e in CPU_PASS])
def test_cpu_requirements_pass(it: Obj | None, pref: Obj, vm_spec: Obj) -> None:
    # cpu_test.go DescribeTable("should pass when sufficient resources are provided") Entry(<id>)
    assert check_requirements(it, pref, vm_spec) is None


def _vm_text(provided: int, required: int, provided_as: str) -> str:
    return (f"insufficient CPU resources of {provided} vCPU provided by VirtualMachine, "
            f"preference requires {required} vCPU provided as {provided_as}")


# --- cpu_test.go DescribeTable("should be rejected when insufficient resources are provided") -------

CPU_REJECT: list[tuple[str, Obj | None, Obj, Obj, list[str], str]] = [
    ("by an instance type for vCPUs", {"cpu": {"guest": 1}}, cpu_pref(2), {}, ["spec.instancetype"],
     "insufficient CPU resources of 1 vCPU provided by instance type, preference requires 2 vCPU"),
    ("by a VM for vCPUs using PreferSockets (default)", None, cpu_pref(2, "sockets"), vm_cpu(sockets=1),
     [f"{CPU}.sockets"], _vm_text(1, 2, "sockets")),
    ("by a VM for vCPUs using PreferCores", None, cpu_pref(2, "cores"), vm_cpu(cores=1),
     [f"{CPU}.cores"], _vm_text(1, 2, "cores")),
    ("by a VM for vCPUs using PreferThreads", None, cpu_pref(2, "threads"), vm_cpu(threads=1),
     [f"{CPU}.threads"], _vm_text(1, 2, "threads")),
    ("by a VM for vCPUs using PreferSpread by default across SocketsCores", None, cpu_pref(4, "spread"),
     vm_cpu(cores=1, sockets=1), [f"{CPU}.sockets", f"{CPU}.cores"], _vm_text(1, 4, "SocketsCores")),
    ("by a VM for vCPUs using PreferSpread across CoresThreads", None, cpu_pref(4, "spread", "CoresThreads"),
     vm_cpu(cores=1, threads=1), [f"{CPU}.cores", f"{CPU}.threads"], _vm_text(1, 4, "CoresThreads")),
    ("by a VM for vCPUs using PreferSpread across SocketsCoresThreads", None,
     cpu_pref(4, "spread", "SocketsCoresThreads"), vm_cpu(sockets=1, cores=1, threads=1),
     [f"{CPU}.sockets", f"{CPU}.cores", f"{CPU}.threads"], _vm_text(1, 4, "SocketsCoresThreads")),
    ("by a VM for vCPUs using PreferAny", None, cpu_pref(4, "any"), vm_cpu(sockets=2, cores=1, threads=1),
     [f"{CPU}.cores", f"{CPU}.sockets", f"{CPU}.threads"], _vm_text(2, 4, "cores, sockets and threads")),
]


@pytest.mark.parametrize(("it", "pref", "vm_spec", "paths", "text"), [e[1:] for e in CPU_REJECT],
                         ids=[e[0] for e in CPU_REJECT])
def test_cpu_requirements_rejected(it: Obj | None, pref: Obj, vm_spec: Obj, paths: list[str], text: str) -> None:
    # cpu_test.go DescribeTable("should be rejected when insufficient resources are provided") Entry(<id>)
    problem = check_requirements(it, pref, vm_spec)
    assert problem is not None
    assert problem.field == ", ".join(paths)
    assert problem.message == PREFIX + text
    assert problem.reason == "FieldValueNotFound"


# --- memory_test.go ---------------------------------------------------------------------------------


def mem_pref(guest: str) -> Obj:
    return {"requirements": {"memory": {"guest": guest}}}


@pytest.mark.parametrize(("it", "vm_spec"), [
    # memory_test.go DescribeTable("should pass when sufficient resources are provided") Entry("by an instance type for Memory")
    ({"memory": {"guest": "1Gi"}}, {}),
    # ... Entry("by a VM for Memory")  (resource.NewQuantity(1Gi, BinarySI) is "1Gi")
    (None, {"domain": {"memory": {"guest": "1Gi"}}}),
])
def test_memory_requirements_pass(it: Obj | None, vm_spec: Obj) -> None:
    assert check_requirements(it, mem_pref("1Gi"), vm_spec) is None


@pytest.mark.parametrize(("it", "vm_spec", "path", "text"), [
    # memory_test.go DescribeTable("should be rejected when insufficient resources are provided") Entry("by an instance type for Memory")
    ({"memory": {"guest": "1Gi"}}, {}, "spec.instancetype",
     "insufficient Memory resources of 1Gi provided by instance type, preference requires 2Gi"),
    # ... Entry("by a VM for Memory")
    (None, {"domain": {"memory": {"guest": "1Gi"}}}, "spec.template.spec.domain.memory",
     "insufficient Memory resources of 1Gi provided by VirtualMachine, preference requires 2Gi"),
    # ... Entry("by a VM without Memory - bug #14551")
    (None, {"domain": {}}, "spec.template.spec.domain.memory",
     "insufficient Memory resources of 0 provided by VirtualMachine, preference requires 2Gi"),
    # ... Entry("by a VM with Memory but without a Guest value provided - bug #14551")
    (None, {"domain": {"memory": {}}}, "spec.template.spec.domain.memory",
     "insufficient Memory resources of 0 provided by VirtualMachine, preference requires 2Gi"),
])
def test_memory_requirements_rejected(it: Obj | None, vm_spec: Obj, path: str, text: str) -> None:
    problem = check_requirements(it, mem_pref("2Gi"), vm_spec)
    assert problem is not None
    assert (problem.field, problem.message, problem.reason) == (path, PREFIX + text, "FieldValueNotFound")


# --- arch_test.go -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("pref", "arch"), [
    # arch_test.go DescribeTable("should pass when architecture requirement is met") Entry("when preference requires amd64 and vmi uses amd64")
    ({"requirements": {"architecture": "amd64"}}, "amd64"),
    # ... Entry("when preference requires arm64 and vmi uses arm64")
    ({"requirements": {"architecture": "arm64"}}, "arm64"),
    # ... Entry("when preference requires s390x and vmi uses s390x")
    ({"requirements": {"architecture": "s390x"}}, "s390x"),
    # ... Entry("when preference has no architecture requirement")
    ({"requirements": {}}, "amd64"),
    # ... Entry("when preference has no requirements at all")
    ({}, "amd64"),
])
def test_architecture_requirement_met(pref: Obj, arch: str) -> None:
    assert check_requirements(None, pref, {"architecture": arch}) is None


@pytest.mark.parametrize(("required", "arch"), [
    # arch_test.go DescribeTable("should be rejected when architecture requirement is not met") Entry("when preference requires amd64 but vmi uses arm64")
    ("amd64", "arm64"),
    # ... Entry("when preference requires arm64 but vmi uses amd64")
    ("arm64", "amd64"),
    # ... Entry("when preference requires s390x but vmi uses amd64")
    ("s390x", "amd64"),
    # ... Entry("when preference requires amd64 but vmi uses empty architecture")
    ("amd64", ""),
])
def test_architecture_requirement_not_met(required: str, arch: str) -> None:
    problem = check_requirements(None, {"requirements": {"architecture": required}}, {"architecture": arch})
    assert problem is not None
    assert problem.field == "spec.template.spec.architecture"
    assert problem.message == f"{PREFIX}preference requires architecture {required} but {arch} is being requested"
