"""vmctl against KubeVirt's own code: every golden case, field for field and error text for error text.

``golden.jsonl.gz`` holds the generated cases of ``generate.py``, ``golden-valid.jsonl.gz`` generated cases with
what the webhooks refuse for other reasons repaired (most of them resolve), ``golden-spiced.jsonl.gz`` those with
one spec rule each put to the test, ``golden-spiced-sched.jsonl.gz`` those with one scheduling or security setting
(affinity, spread, DNS, access credentials, launch security, Hyper-V, metadata), ``golden-spiced-devices.jsonl.gz``
the same with one device, storage or migration rule each, ``golden-catalog.jsonl.gz`` the bundled
catalog's instancetypes and preferences on VMs of ours, and ``golden-regressions.jsonl.gz`` single inputs on
which vmctl once differed (each stores its own input), each with what KubeVirt's code returned (see SOURCE.md).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from differential import difference, vmctl_expand, vmctl_resolve
from generate import (
    catalog_cases,
    generate,
    spiced_cases,
    spiced_device_cases,
    spiced_sched_cases,
    valid_cases,
)

HERE = Path(__file__).parent


def _golden(name: str) -> list[dict[str, Any]]:
    with gzip.open(HERE / name, "rt") as handle:
        return [json.loads(line) for line in handle]


GENERATED = _golden("golden.jsonl.gz")
VALID = _golden("golden-valid.jsonl.gz")
SPICED = _golden("golden-spiced.jsonl.gz")
SPICED_DEVICES = _golden("golden-spiced-devices.jsonl.gz")
CATALOG = _golden("golden-catalog.jsonl.gz")
SPICED_SCHED = _golden("golden-spiced-sched.jsonl.gz")
REGRESSIONS = _golden("golden-regressions.jsonl.gz")
SETS = {
    "generated": GENERATED, "valid": VALID, "spiced": SPICED, "spiced-devices": SPICED_DEVICES, "catalog": CATALOG,
    "spiced-sched": SPICED_SCHED, "regressions": REGRESSIONS,
}


def _without_random_uuid(record: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    """A bare VMI without a firmware UUID gets a random one from KubeVirt (vmctl: UUIDv5 of the name)."""
    vmi = record["case"].get("vmi")
    if vmi is None or "object" not in outcome or ((vmi["spec"]["domain"].get("firmware") or {}).get("uuid")):
        return outcome
    obj = json.loads(json.dumps(outcome["object"]))
    obj["spec"]["domain"].get("firmware", {}).pop("uuid", None)
    return {"object": obj}


def test_there_are_enough_cases() -> None:
    assert sum(len(records) for records in SETS.values()) >= 2000


def test_golden_inputs_are_the_generators() -> None:
    generated = {case["id"]: case for case in generate(2400)}
    assert all(record["case"] == generated[record["id"]] for record in GENERATED)
    repaired = {case["id"]: case for case in valid_cases(1200)}
    assert all(record["case"] == repaired[record["id"]] for record in VALID)
    spiced = {case["id"]: case for case in spiced_cases(700)}
    assert all(record["case"] == spiced[record["id"]] for record in SPICED)
    sched = {case["id"]: case for case in spiced_sched_cases(600)}
    assert all(record["case"] == sched[record["id"]] for record in SPICED_SCHED)
    devices = {case["id"]: case for case in spiced_device_cases(700)}
    assert all(record["case"] == devices[record["id"]] for record in SPICED_DEVICES)
    its = sorted({r["case"]["vm"]["spec"]["instancetype"]["name"] for r in CATALOG if "instancetype" in r["case"]["vm"]["spec"]})
    prefs = sorted({r["case"]["vm"]["spec"]["preference"]["name"] for r in CATALOG})
    by_id = {case["id"]: case for case in catalog_cases(its, prefs)}
    assert all(record["case"] == by_id[record["id"]] for record in CATALOG)


@pytest.mark.parametrize("which", ["expand", "resolve"])
@pytest.mark.parametrize("golden", list(SETS))
def test_vmctl_answers_as_kubevirt(golden: str, which: str) -> None:
    run = vmctl_expand if which == "expand" else vmctl_resolve
    failures = {}
    for record in SETS[golden]:
        want = record.get(which)
        if want is None:
            continue
        found = difference(_without_random_uuid(record, want), _without_random_uuid(record, run(record["case"])))
        if found:
            failures[record["id"]] = found
    assert not failures, f"{len(failures)} cases differ, e.g. " + "; ".join(
        f"{k}: {v}" for k, v in list(failures.items())[:5])
