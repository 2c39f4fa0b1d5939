"""Resolve 10,000 typical VMs (u1.medium + fedora, container disk, cloud-init) and print VMs/s.

Usage: python bench/resolve.py [--runs N]
Prints figures next to their goals; asserts nothing. Goals (end to end): >= 10,000 VMs/s for every input/output
pair, >= 5,000 VMs/s with ``--show-origin``.

- library: ``vmctl.core.pipeline.resolve`` in-process, one ``MemoSource`` for the batch (one process);
- CLI: ``vmctl resolve -f big.<yaml|json> -o <yaml|json> [--show-origin]`` end to end (start-up, parsing,
  output included), input written once to a temporary folder; the median of ``--runs`` runs (default 3) and
  the slowest-fastest range.

Bytecode is compiled first, and the CLI runs without PYTHONDONTWRITEBYTECODE, so the figures are not start-up
compile times. Batches this big run in two processes on a machine with two CPUs (``vmctl.batch``). The machine's
load moves every figure: compare figures of one run. bench/NOTES.md has measured figures and where the time goes.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COUNT = 10_000
ROOT = Path(__file__).resolve().parent.parent
VMCTL = Path(sys.executable).parent / "vmctl"


def vm(i: int) -> dict:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": f"vm-{i}", "namespace": "default"},
        "spec": {
            "runStrategy": "Always",
            "instancetype": {"name": "u1.medium"},
            "preference": {"name": "fedora"},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "domain": {"devices": {}},
                    "volumes": [
                        {"name": "rootdisk", "containerDisk": {"image": "quay.io/containerdisks/fedora:40"}},
                        {"name": "cloudinit", "cloudInitNoCloud": {"userData": "#cloud-config\npassword: x\n"}},
                    ],
                },
            },
        },
    }


GOAL = 10_000
GOAL_WITH_ORIGINS = 5_000


def _rate(elapsed: float) -> str:
    return f"{COUNT} VMs in {elapsed:5.2f}s = {COUNT / elapsed:8,.0f} VMs/s"


def _line(label: str, times: list[float], goal: int | None) -> str:
    median = statistics.median(times)
    spread = f"({COUNT / max(times):,.0f}-{COUNT / min(times):,.0f})" if len(times) > 1 else ""
    target = f"goal >= {goal:,}/s" if goal else ""
    return f"{label:46} {_rate(median)} {spread:>15}  {target}"


def library(vms: list[dict]) -> None:
    from vmctl.catalog import load_catalog
    from vmctl.core.pipeline import MemoSource, resolve

    source = MemoSource(load_catalog())
    resolve(vms[0], source)  # read the catalog once
    for origins in (False, True):
        start = time.perf_counter()
        for item in vms:
            resolve(item, source, origins=origins)
        label = "library, with origins" if origins else "library, without origins"
        print(_line(label, [time.perf_counter() - start], None), flush=True)


def cli(vms: list[dict], runs: int) -> None:
    import yaml

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = {
            "yaml": Path(tmp, "big.yaml"),
            "json": Path(tmp, "big.json"),
        }
        inputs["yaml"].write_text(yaml.safe_dump_all(vms, sort_keys=False))
        inputs["json"].write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": vms}))
        pairs = [(source, output) for source in ("yaml", "json") for output in ("yaml", "json")]
        for origins in (False, True):
            for source, output in pairs:
                argv = [str(VMCTL), "resolve", "-f", str(inputs[source]), "-o", output]
                if origins:
                    argv.append("--show-origin")
                label = f"CLI -f big.{source} -o {output}" + (" --show-origin" if origins else "")
                times = []
                for _ in range(runs):
                    start = time.perf_counter()
                    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
                    times.append(time.perf_counter() - start)
                    if done.returncode != 0:
                        break
                if done.returncode != 0:
                    print(f"{label:46} failed: {done.stderr.decode()[-300:]}", flush=True)
                    continue
                print(_line(label, times, GOAL_WITH_ORIGINS if origins else GOAL), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="CLI runs per figure (the median is printed)")
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    vms = [vm(i) for i in range(COUNT)]
    library(vms)
    cli(vms, max(1, args.runs))


if __name__ == "__main__":
    main()
