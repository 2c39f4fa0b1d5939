"""Instancetype CPU: copied fields, VMI JSON spellings and the guest topology for every preferredCPUTopology."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmctl.core.instancetype import cpu


def apply(instancetype_cpu, preference=None, vmi=None):
    vmi = {} if vmi is None else vmi
    assert cpu.apply("spec", {"cpu": instancetype_cpu}, preference, vmi, {}) == []
    return vmi["domain"]["cpu"]


def pref(topology=None, **cpu_extra):
    spec: dict = {"cpu": dict(cpu_extra)}
    if topology is not None:
        spec["cpu"]["preferredCPUTopology"] = topology
    return spec


def test_fields_are_copied_with_vmi_spelling():
    result = apply({"guest": 2, "model": "host-passthrough", "dedicatedCPUPlacement": True, "isolateEmulatorThread": True,
                    "numa": {"guestMappingPassthrough": {}}, "realtime": {"mask": "0-3"}, "maxSockets": 8})
    assert result == {"model": "host-passthrough", "dedicatedCpuPlacement": True, "isolateEmulatorThread": True,
                      "numa": {"guestMappingPassthrough": {}}, "realtime": {"mask": "0-3"}, "maxSockets": 8,
                      "sockets": 2, "cores": 1, "threads": 1}


def test_false_bools_are_omitted_like_go_json():
    vmi = {"domain": {"cpu": {"isolateEmulatorThread": False}}}
    result = apply({"guest": 1, "dedicatedCPUPlacement": False, "isolateEmulatorThread": False}, vmi=vmi)
    assert result == {"sockets": 1, "cores": 1, "threads": 1}


def test_copied_values_are_independent_of_the_instancetype():
    numa = {"guestMappingPassthrough": {}}
    result = apply({"guest": 1, "numa": numa})
    result["numa"]["x"] = 1
    assert numa == {"guestMappingPassthrough": {}}


def test_cpu_features_of_the_vmi_are_kept():
    vmi = {"domain": {"cpu": {"features": [{"name": "vmx"}]}}}
    assert apply({"guest": 1}, vmi=vmi)["features"] == [{"name": "vmx"}]


@pytest.mark.parametrize(
    ("preference", "expected"),
    [
        (None, (6, 1, 1)),
        ({}, (6, 1, 1)),
        ({"cpu": {}}, (6, 1, 1)),
        (pref("sockets"), (6, 1, 1)),
        (pref("preferSockets"), (6, 1, 1)),
        (pref("any"), (6, 1, 1)),
        (pref("preferAny"), (6, 1, 1)),
        (pref("cores"), (1, 6, 1)),
        (pref("preferCores"), (1, 6, 1)),
        (pref("threads"), (1, 1, 6)),
        (pref("preferThreads"), (1, 1, 6)),
        (pref("spread"), (3, 2, 1)),
        (pref("preferSpread"), (3, 2, 1)),
        (pref("spread", spreadOptions={"across": "SocketsCores", "ratio": 3}), (2, 3, 1)),
        (pref("spread", spreadOptions={"across": "CoresThreads"}), (1, 3, 2)),
        (pref("spread", spreadOptions={"across": "SocketsCoresThreads"}), (1, 2, 2)),  # 6/2/2 → 1 (integer division)
        (pref("spread", spreadOptions={"across": "SocketsCoresThreads", "ratio": 3}), (1, 3, 2)),
        ({**pref("spread"), "preferSpreadSocketToCoreRatio": 3}, (2, 3, 1)),
        # spreadOptions.ratio wins over the older top-level ratio
        ({**pref("spread", spreadOptions={"ratio": 6}), "preferSpreadSocketToCoreRatio": 3}, (1, 6, 1)),
        ({**pref("spread"), "preferSpreadSocketToCoreRatio": 0}, (3, 2, 1)),
        (pref("unknown"), (1, 1, 1)),  # an unknown topology leaves 1/1/1 (preference admission rejects it)
        (pref("spread", spreadOptions={"across": "Nowhere"}), (1, 1, 1)),
    ],
)
def test_topology(preference, expected):
    result = apply({"guest": 6}, preference)
    assert (result["sockets"], result["cores"], result["threads"]) == expected


def test_spread_across_sockets_cores_threads_with_larger_guest():
    result = apply({"guest": 24}, pref("spread", spreadOptions={"across": "SocketsCoresThreads", "ratio": 3}))
    assert (result["sockets"], result["cores"], result["threads"]) == (4, 3, 2)


@pytest.mark.parametrize("topology", ["sockets", "cores", "threads", "spread", "any", "preferSpread"])
def test_one_vcpu_is_always_one_one_one(topology):
    result = apply({"guest": 1}, pref(topology))
    assert (result["sockets"], result["cores"], result["threads"]) == (1, 1, 1)


def test_topology_helper_integer_division_for_non_divisible_spread():
    assert cpu.topology(5, pref("spread")) == (2, 2, 1)
    assert cpu.topology(4, pref("spread", spreadOptions={"ratio": 0})) == (0, 0, 1)


@given(
    st.integers(min_value=1, max_value=64),
    st.sampled_from(["SocketsCores", "CoresThreads", "SocketsCoresThreads"]),
    st.integers(min_value=1, max_value=8),
)
def test_topology_product_equals_guest_for_divisible_inputs(factor, across, ratio):
    if across == "CoresThreads":
        ratio = 2
    per_unit = ratio * (2 if across == "SocketsCoresThreads" else 1)
    vcpus = factor * per_unit
    sockets, cores, threads = cpu.topology(vcpus, pref("spread", spreadOptions={"across": across, "ratio": ratio}))
    assert sockets * cores * threads == vcpus


@given(st.integers(min_value=1, max_value=512), st.sampled_from(["sockets", "cores", "threads", "any", None]))
def test_simple_topologies_product_equals_guest(vcpus, topology):
    sockets, cores, threads = cpu.topology(vcpus, pref(topology))
    assert sockets * cores * threads == vcpus
