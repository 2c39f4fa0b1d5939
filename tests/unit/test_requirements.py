"""Preference requirements: order, paths and texts of every branch (reason FieldValueNotFound)."""

from __future__ import annotations

import pytest

from vmctl.core.requirements import check_requirements
from vmctl.errors import FieldProblem

PREFIX = "failure checking preference requirements: "
CPU = "spec.template.spec.domain.cpu"


def problem(field, message):
    return FieldProblem(field, PREFIX + message, "FieldValueNotFound")


def pref(requirements, topology=None, **extra):
    spec = {"requirements": requirements, **extra}
    if topology is not None:
        spec.setdefault("cpu", {})["preferredCPUTopology"] = topology
    return spec


def it(cpu=2, memory="2Gi"):
    return {"cpu": {"guest": cpu}, "memory": {"guest": memory}}


def vm(sockets=1, cores=1, threads=1, memory=None, architecture="amd64"):
    spec: dict = {"domain": {"cpu": {"sockets": sockets, "cores": cores, "threads": threads}}, "architecture": architecture}
    if memory is not None:
        spec["domain"]["memory"] = {"guest": memory}
    return spec


def test_no_preference_or_requirements():
    assert check_requirements(it(), None, vm()) is None
    assert check_requirements(it(), {"cpu": {}}, vm()) is None


def test_instancetype_cpu():
    assert check_requirements(it(cpu=2), pref({"cpu": {"guest": 4}}), vm()) == problem(
        "spec.instancetype", "insufficient CPU resources of 2 vCPU provided by instance type, preference requires 4 vCPU")
    assert check_requirements(it(cpu=4), pref({"cpu": {"guest": 4}}), vm()) is None


def test_vm_without_cpu():
    assert check_requirements(None, pref({"cpu": {"guest": 2}}), {"domain": {}}) == problem(
        CPU, "no CPU resources provided by VirtualMachine, preference requires 2 vCPU")


@pytest.mark.parametrize(
    ("topology", "field"),
    [(None, "sockets"), ("sockets", "sockets"), ("preferSockets", "sockets"), ("cores", "cores"),
     ("preferCores", "cores"), ("threads", "threads"), ("preferThreads", "threads")],
)
def test_vm_single_field_topologies(topology, field):
    counts = {"sockets": 1, "cores": 1, "threads": 1}
    assert check_requirements(None, pref({"cpu": {"guest": 2}}, topology), vm(**counts)) == problem(
        f"{CPU}.{field}",
        f"insufficient CPU resources of 1 vCPU provided by VirtualMachine, preference requires 2 vCPU provided as {field}")
    counts[field] = 2
    assert check_requirements(None, pref({"cpu": {"guest": 2}}, topology), vm(**counts)) is None


@pytest.mark.parametrize(
    ("across", "fields", "provided"),
    [
        (None, ["sockets", "cores"], 2 * 3),
        ("SocketsCores", ["sockets", "cores"], 2 * 3),
        ("CoresThreads", ["cores", "threads"], 3 * 4),
        ("SocketsCoresThreads", ["sockets", "cores", "threads"], 2 * 3 * 4),
    ],
)
def test_vm_spread(across, fields, provided):
    extra = {"cpu": {"preferredCPUTopology": "spread"}}
    if across:
        extra["cpu"]["spreadOptions"] = {"across": across}
    preference = pref({"cpu": {"guest": 100}}, **extra)
    assert check_requirements(None, preference, vm(sockets=2, cores=3, threads=4)) == problem(
        ", ".join(f"{CPU}.{f}" for f in fields),
        f"insufficient CPU resources of {provided} vCPU provided by VirtualMachine, preference requires 100 vCPU "
        f"provided as {across or 'SocketsCores'}")
    preference["requirements"]["cpu"]["guest"] = provided
    assert check_requirements(None, preference, vm(sockets=2, cores=3, threads=4)) is None


@pytest.mark.parametrize("topology", ["any", "preferAny"])
def test_vm_any(topology):
    assert check_requirements(None, pref({"cpu": {"guest": 30}}, topology), vm(2, 3, 4)) == problem(
        f"{CPU}.cores, {CPU}.sockets, {CPU}.threads",
        "insufficient CPU resources of 24 vCPU provided by VirtualMachine, preference requires 30 vCPU provided as "
        "cores, sockets and threads")
    assert check_requirements(None, pref({"cpu": {"guest": 24}}, topology), vm(2, 3, 4)) is None


def test_memory_with_instancetype():
    assert check_requirements(it(memory="1Gi"), pref({"memory": {"guest": "2048Mi"}}), vm()) == problem(
        "spec.instancetype", "insufficient Memory resources of 1Gi provided by instance type, preference requires 2Gi")
    assert check_requirements(it(memory="2Gi"), pref({"memory": {"guest": "2Gi"}}), vm()) is None


def test_memory_vm_guest_overrides_instancetype_value():
    # quirk kept from KubeVirt: the VM's own memory.guest is compared, the path still names the instancetype
    assert check_requirements(it(memory="4Gi"), pref({"memory": {"guest": "2Gi"}}), vm(memory="1Gi")) == problem(
        "spec.instancetype", "insufficient Memory resources of 1Gi provided by instance type, preference requires 2Gi")
    assert check_requirements(it(memory="1Gi"), pref({"memory": {"guest": "2Gi"}}), vm(memory="2Gi")) is None


def test_memory_without_instancetype():
    assert check_requirements(None, pref({"memory": {"guest": "1.5Gi"}}), vm(memory="1Gi")) == problem(
        "spec.template.spec.domain.memory",
        "insufficient Memory resources of 1Gi provided by VirtualMachine, preference requires 1536Mi")
    assert check_requirements(None, pref({"memory": {"guest": "512M"}}), {"domain": {}}) == problem(
        "spec.template.spec.domain.memory",
        "insufficient Memory resources of 0 provided by VirtualMachine, preference requires 512M")


def test_architecture():
    assert check_requirements(None, pref({"architecture": "arm64"}), vm(architecture="amd64")) == problem(
        "spec.template.spec.architecture", "preference requires architecture arm64 but amd64 is being requested")
    assert check_requirements(None, pref({"architecture": "arm64"}), {"domain": {}}) == problem(
        "spec.template.spec.architecture", "preference requires architecture arm64 but  is being requested")
    assert check_requirements(None, pref({"architecture": "amd64"}), vm()) is None


def test_order_cpu_then_memory_then_architecture():
    requirements = {"cpu": {"guest": 8}, "memory": {"guest": "8Gi"}, "architecture": "s390x"}
    assert check_requirements(it(), pref(requirements), vm()).field == "spec.instancetype"
    assert "CPU" in check_requirements(it(), pref(requirements), vm()).message
    requirements["cpu"]["guest"] = 1
    assert "Memory" in check_requirements(it(), pref(requirements), vm()).message
    requirements["memory"]["guest"] = "1Gi"
    assert check_requirements(it(), pref(requirements), vm()).field == "spec.template.spec.architecture"
    requirements["architecture"] = "amd64"
    assert check_requirements(it(), pref(requirements), vm()) is None
