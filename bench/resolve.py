"""Resolve 10,000 typical VMs (u1.medium + fedora, container disk, cloud-init) and print VMs/s.

Prints figures; asserts nothing. Goal: >= 10,000 VMs/s.

- library: ``vmctl.core.pipeline.resolve`` in-process, one ``MemoSource`` for the batch;
- CLI: ``vmctl resolve -f big.<yaml|json> -o <json|yaml>`` end to end (start-up, parsing, output included),
  input written once to a temporary folder.

Both with and without ``--show-origin``. Bytecode is compiled first, and the CLI runs without
PYTHONDONTWRITEBYTECODE, so the figures are not start-up compile times. Batches this big run in two processes
on a machine with two CPUs (``vmctl.cli.resolve.PARALLEL_MIN``).
"""

from __future__ import annotations

import compileall
import json
import os
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


def _rate(elapsed: float) -> str:
    return f"{COUNT} VMs in {elapsed:5.2f}s = {COUNT / elapsed:8,.0f} VMs/s"


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
        print(f"{label:46} {_rate(time.perf_counter() - start)}", flush=True)


def cli(vms: list[dict]) -> None:
    import yaml

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = {
            "yaml": Path(tmp, "big.yaml"),
            "json": Path(tmp, "big.json"),
        }
        inputs["yaml"].write_text(yaml.safe_dump_all(vms, sort_keys=False))
        inputs["json"].write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": vms}))
        runs = [("yaml", "yaml", False), ("json", "json", False), ("yaml", "json", False), ("json", "yaml", False),
                ("yaml", "yaml", True), ("json", "json", True)]
        for source, output, origins in runs:
            argv = [str(VMCTL), "resolve", "-f", str(inputs[source]), "-o", output]
            if origins:
                argv.append("--show-origin")
            start = time.perf_counter()
            done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            elapsed = time.perf_counter() - start
            label = f"CLI -f big.{source} -o {output}" + (" --show-origin" if origins else "")
            if done.returncode != 0:
                print(f"{label:46} failed: {done.stderr.decode()[-300:]}", flush=True)
                continue
            print(f"{label:46} {_rate(elapsed)}", flush=True)


def main() -> None:
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    vms = [vm(i) for i in range(COUNT)]
    library(vms)
    cli(vms)


if __name__ == "__main__":
    main()
