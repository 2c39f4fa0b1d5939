"""Time ``vmctl get vms`` with 100 VMs stored (local backend, libvirt test driver, fresh state folder).

Usage: .venv/bin/python bench/get_vms.py [--count 100] [--runs 5]
Prints the time to apply the VMs once and, per run, the wall time of a ``vmctl get vms`` subprocess
(interpreter start-up included) and of the in-process listing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NODE = ("<node><cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets>"
        "<cores>2</cores><threads>1</threads></cpu><memory>8388608</memory></node>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vmctl-bench-") as tmp:
        root = Path(tmp)
        (root / "node.xml").write_text(NODE)
        flags = ["--state-dir", str(root / "state"), "--libvirt-uri", f"test://{root}/node.xml"]
        vms = [{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
                "metadata": {"name": f"vm-{i:03d}", "labels": {"bench": "yes"}},
                "spec": {"runStrategy": "Halted", "template": {"spec": {"domain": {
                    "devices": {}, "resources": {"requests": {"memory": "128Mi"}}}}}}} for i in range(args.count)]
        (root / "vms.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": vms}))
        vmctl = [sys.executable, "-m", "vmctl"]
        t0 = time.perf_counter()
        subprocess.run([*vmctl, "apply", "-f", str(root / "vms.json"), *flags], check=True, capture_output=True)
        print(f"apply {args.count} VMs: {time.perf_counter() - t0:.2f} s")

        walls = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            out = subprocess.run([*vmctl, "get", "vms", *flags], check=True, capture_output=True, text=True).stdout
            walls.append(time.perf_counter() - t0)
            assert len(out.splitlines()) == args.count + 1
        print(f"vmctl get vms ({args.count} VMs, subprocess): median {statistics.median(walls) * 1000:.0f} ms, "
              f"min {min(walls) * 1000:.0f} ms, max {max(walls) * 1000:.0f} ms")

        from vmctl.backends.local.backend import LocalBackend

        backend = LocalBackend(root / "state", f"test://{root}/node.xml")
        inner = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            objs = backend.list("VirtualMachine", "default")
            inner.append(time.perf_counter() - t0)
            assert len(objs) == args.count
        print(f"LocalBackend.list ({args.count} VMs, in process): median {statistics.median(inner) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
