"""Instancetype memory: guest, canonical quantities, float32 overcommit, hugepages and maxGuest."""

from __future__ import annotations

import pytest

from vmctl.core.instancetype import memory
from vmctl.errors import InputError


def apply(instancetype_memory, vmi=None):
    vmi = {} if vmi is None else vmi
    assert memory.apply("spec", {"memory": instancetype_memory}, None, vmi, {}) == []
    return vmi


def test_guest_is_written_without_request():
    assert apply({"guest": "4Gi"}) == {"domain": {"memory": {"guest": "4Gi"}}}


def test_guest_is_written_in_canonical_form():
    assert apply({"guest": "2048Mi"})["domain"]["memory"]["guest"] == "2Gi"
    assert apply({"guest": "1536Mi"})["domain"]["memory"]["guest"] == "1536Mi"
    assert apply({"guest": 1073741824})["domain"]["memory"]["guest"] == "1073741824"


@pytest.mark.parametrize(
    ("guest", "percent", "expected"),
    [("512M", 80, "102399992"), ("512M", 15, "435200k"), ("4Gi", 50, "2Gi"), ("8Gi", 25, "6Gi")],
)
def test_overcommit_writes_a_float32_memory_request(guest, percent, expected):
    vmi = apply({"guest": guest, "overcommitPercent": percent})
    assert vmi["domain"]["resources"] == {"requests": {"memory": expected}}


def test_overcommit_keeps_existing_cpu_request_map():
    vmi = {"domain": {"resources": {"requests": {"ephemeral-storage": "1Gi"}}}}
    apply({"guest": "4Gi", "overcommitPercent": 50}, vmi)
    assert vmi["domain"]["resources"]["requests"] == {"ephemeral-storage": "1Gi", "memory": "2Gi"}


def test_zero_overcommit_writes_no_request():
    assert "resources" not in apply({"guest": "4Gi", "overcommitPercent": 0})["domain"]


def test_hugepages_and_max_guest_are_copied():
    vmi = apply({"guest": "2Gi", "hugepages": {"pageSize": "1Gi"}, "maxGuest": "8192Mi"})
    assert vmi["domain"]["memory"] == {"guest": "2Gi", "hugepages": {"pageSize": "1Gi"}, "maxGuest": "8Gi"}


def test_vmi_hugepages_kept_when_instancetype_has_none():
    vmi = apply({"guest": "2Gi"}, {"domain": {"memory": {"hugepages": {"pageSize": "2Mi"}}}})
    assert vmi["domain"]["memory"] == {"guest": "2Gi", "hugepages": {"pageSize": "2Mi"}}


def test_bad_guest_names_the_field():
    with pytest.raises(InputError, match=r"^instancetype spec.memory.guest: invalid quantity '2 GB'"):
        apply({"guest": "2 GB"})


def test_overcommit_request_helper():
    assert memory.overcommit_request("512M", 80) == "102399992"
