"""Big ``vmctl resolve``/``expand`` batches run in two processes; stdout, stderr and exit code must equal the
one-process run's, byte for byte (through the real entry point, with a low threshold so small inputs split)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from vmctl import batch as batch_module
from vmctl.cli.main import main

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or len(os.sched_getaffinity(0)) < 2, reason="needs os.fork and two CPUs"
)

PRESETS = [
    {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstancePreset",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"tier": name}},
            "domain": {"devices": {}, "features": {"acpi": {}}, "resources": {"requests": {"memory": "64Mi"}}},
        },
    }
    for name in ("front", "back")
]


def vm(i: int, *, tier: str = "front", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": f"vm-{i}", "namespace": "default"},
        "spec": {
            "runStrategy": "Always",
            "instancetype": {"name": "u1.medium"},
            "preference": {"name": "fedora"},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": tier, "note": ["yes", "a: b", "x"][i % 3]}},
                "spec": {
                    "domain": {"devices": {}},
                    "volumes": [
                        {"name": "rootdisk", "containerDisk": {"image": "quay.io/containerdisks/fedora:40"}},
                        {"name": "cloudinit", "cloudInitNoCloud": {"userData": f"#cloud-config\nhostname: h{i}\n"}},
                    ],
                },
            },
            **spec,
        },
    }


def write(tmp_path: Path, objs: list[dict[str, Any]], name: str = "batch.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def both(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """Run in one process and in two; assert the same result and return it."""
    monkeypatch.setattr(batch_module, "PARALLEL_MIN", 10**9)
    serial = run(argv, capsys)
    monkeypatch.setattr(batch_module, "PARALLEL_MIN", 2)
    forks: list[int] = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    split = run(argv, capsys)
    assert forks == [1]
    assert split == serial
    return serial


BATCH = [*PRESETS, *(vm(i, tier="front" if i < 5 else "back") for i in range(10))]


@pytest.mark.parametrize("output", ["yaml", "json", "name"])
@pytest.mark.parametrize("command", ["resolve", "expand"])
def test_split_batch_prints_what_one_process_prints(
    command: str, output: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = both([command, "-f", write(tmp_path, BATCH), "-o", output], capsys, monkeypatch)
    assert code == 0
    if output == "name":
        prefix = "virtualmachineinstance.kubevirt.io" if command == "resolve" else "virtualmachine.kubevirt.io"
        assert out == "".join(f"{prefix}/vm-{i}\n" for i in range(10))
    elif output == "json":
        assert [o["metadata"]["name"] for o in json.loads(out)["items"]] == [f"vm-{i}" for i in range(10)]
    else:
        assert out.count("---\n") == 9
    if command == "resolve":  # both presets' warnings, front first, once each
        lines = err.splitlines()
        assert lines[0].startswith("warning: kubevirt.io/v1 VirtualMachineInstancePresets is now deprecated")
        assert [line.split("'")[1] for line in lines[1:]] == ["front", "back"]


@pytest.mark.parametrize("output", ["yaml", "json"])
def test_split_batch_with_origins(
    output: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = both(["resolve", "-f", write(tmp_path, BATCH), "-o", output, "--show-origin"], capsys, monkeypatch)
    assert code == 0
    if output == "json":
        body = json.loads(out)
        assert len(body) == 10 and body[9]["origins"]["spec.domain.cpu.sockets"] == "instancetype/u1.medium"
    else:
        assert out.count("---\n") == 9 and "# instancetype/u1.medium" in out


def test_refusals_in_both_halves_are_reported_in_input_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = [vm(i) for i in range(10)]
    objs[1]["spec"]["instancetype"]["name"] = "u1.nope"
    objs[1]["spec"].pop("preference", None)  # else the VM fails its preference's requirements first, as in KubeVirt
    objs[8]["spec"]["preference"]["name"] = "nope"
    objs[9]["spec"]["template"]["spec"]["domain"]["cpu"] = {"cores": 2}
    code, out, err = both(["resolve", "-f", write(tmp_path, objs), "-o", "yaml"], capsys, monkeypatch)
    assert code == 1 and out == ""
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert [e.split()[4] for e in errors] == ["(VirtualMachine/vm-1):", "(VirtualMachine/vm-8):", "(VirtualMachine/vm-9):"]
    assert "u1.nope" in errors[0] and '"nope" not found' in errors[1] and "conflicts with selected instance type" in errors[2]


def test_a_refusal_in_the_first_half_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = [vm(i) for i in range(6)]
    objs[0]["spec"]["instancetype"]["name"] = "u1.nope"
    code, out, err = both(["resolve", "-f", write(tmp_path, objs), "-o", "json"], capsys, monkeypatch)
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and err.count("error: ") == 1


def test_a_child_that_sends_nothing_is_redone_here(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, [vm(i) for i in range(6)])
    monkeypatch.setattr(batch_module, "PARALLEL_MIN", 10**9)
    serial = run(["resolve", "-f", path, "-o", "json"], capsys)
    monkeypatch.setattr(batch_module, "PARALLEL_MIN", 2)
    monkeypatch.setattr(batch_module, "_child", lambda *a: os._exit(3))
    assert run(["resolve", "-f", path, "-o", "json"], capsys) == serial
    assert serial[0] == 0 and len(json.loads(serial[1])["items"]) == 6


def test_json_that_needs_the_whole_batch_is_rendered_here(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, [vm(i) for i in range(6)])
    monkeypatch.setattr(batch_module, "PARALLEL_MIN", 10**9)
    serial = run(["resolve", "-f", path, "-o", "json"], capsys)
    monkeypatch.setattr(batch_module, "PARALLEL_MIN", 2)
    monkeypatch.setattr(batch_module, "render_part", lambda *a: None)
    assert run(["resolve", "-f", path, "-o", "json"], capsys) == serial


def test_small_batches_stay_in_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked for a small batch"))
    code, out, _ = run(["resolve", "-f", write(tmp_path, [vm(i) for i in range(3)]), "-o", "name"], capsys)
    assert code == 0 and out.count("\n") == 3
