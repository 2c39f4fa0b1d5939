"""One pool planner pass (``vmctl.controllers.pool.plan_pool``) over 100 / 1,000 / 10,000 members,
mid-rollout.

    .venv/bin/python bench/pool_planner.py [--runs N]

Scenarios (simulated objects, no libvirt):

* ``template changed``: the first pass after a template change: every VM is outdated (one UpdateVM each),
  the revision is created;
* ``vmis rolling``: VMs updated, half the VMIs still on the old revision, 2% of them not Ready,
  ``maxUnavailable: 10%`` (restarts limited by the budget);
* ``steady``: nothing to do (status only);
* ``max-surge``: half the members on the old revision, ``pool.vmctl.io/max-surge: 10%``.

Prints, per pass, the best and the median CPU time (``time.process_time``: other processes on a shared
runner do not count) and the best per member (a flat per-member figure means linear). Goal: ≤ 50 ms for
10,000 members. No assertions.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from vmctl.controllers.pool import plan_pool  # noqa: E402
from vmctl.core import pools  # noqa: E402

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SIZES = (100, 1_000, 10_000)


def make_pool(replicas: int, generation: int, surge: str | None = None) -> dict:
    pool = {
        "apiVersion": "pool.kubevirt.io/v1beta1",
        "kind": "VirtualMachinePool",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "pool-uid",
            "generation": generation,
            "finalizers": [pools.FINALIZER],
        },
        "spec": {
            "replicas": replicas,
            "maxUnavailable": "10%",
            "selector": {"matchLabels": {"app": "web"}},
            "nameGeneration": {"appendIndexToSecretRefs": True},
            "virtualMachineTemplate": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "runStrategy": "Always",
                    "instancetype": {"name": "u1.small"},
                    "template": {
                        "metadata": {"labels": {"app": "web", "gen": str(generation)}},
                        "spec": {
                            "domain": {
                                "devices": {
                                    "disks": [
                                        {"name": "root", "disk": {"bus": "virtio"}},
                                        {"name": "ci", "disk": {"bus": "virtio"}},
                                    ],
                                    "interfaces": [{"name": "default", "masquerade": {}}],
                                }
                            },
                            "networks": [{"name": "default", "pod": {}}],
                            "volumes": [
                                {
                                    "name": "root",
                                    "containerDisk": {"image": "quay.io/containerdisks/fedora:41"},
                                },
                                {"name": "ci", "cloudInitNoCloud": {"secretRef": {"name": "web-userdata"}}},
                            ],
                        },
                    },
                },
            },
        },
    }
    if surge:
        pool["metadata"]["annotations"] = {pools.MAX_SURGE_ANNOTATION: surge}
    return pool


def members(pool: dict, count: int, vm_revision: str, vmi_revision_of, not_ready_every: int = 0):
    vms, vmis = [], []
    for i in range(count):
        vm = pools.member_vm(pool, i, vm_revision)
        ready = "False" if not_ready_every and i % not_ready_every == 0 else "True"
        vm["status"] = {"conditions": [{"type": "Ready", "status": ready}], "printableStatus": "Running"}
        vms.append(vm)
        vmis.append(
            {
                "metadata": {
                    "name": vm["metadata"]["name"],
                    "labels": {"app": "web", pools.REVISION_LABEL: vmi_revision_of(i)},
                },
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": ready}]},
            }
        )
    return vms, vmis


def scenario(name: str, size: int):
    old_pool, new_pool = make_pool(size, 1), make_pool(size, 2)
    old_rev, new_rev = pools.revision_object(old_pool), pools.revision_object(new_pool)
    if name == "template changed":
        vms, vmis = members(old_pool, size, "web-1", lambda i: "web-1")
        return new_pool, vms, vmis, [old_rev]
    if name == "vmis rolling":
        vms, vmis = members(
            new_pool, size, "web-2", lambda i: "web-1" if i % 2 else "web-2", not_ready_every=50
        )
        return new_pool, vms, vmis, [old_rev, new_rev]
    if name == "steady":
        vms, vmis = members(new_pool, size, "web-2", lambda i: "web-2")
        return new_pool, vms, vmis, [new_rev]
    surge_pool = make_pool(size, 2, surge="10%")
    vms, vmis = members(surge_pool, size, "web-2", lambda i: "web-1" if i % 2 else "web-2")
    return surge_pool, vms, vmis, [old_rev, new_rev]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{'scenario':<18}{'members':>9}{'best ms':>9}{'median ms':>11}{'µs/member':>11}{'actions':>9}")
    for name in ("template changed", "vmis rolling", "steady", "max-surge"):
        for size in SIZES:
            pool, vms, vmis, revisions = scenario(name, size)
            times, actions = [], 0
            for run in range(args.runs):
                started = time.process_time()
                plan = plan_pool(pool, vms, vmis, revisions, NOW, random.Random(run))
                times.append(time.process_time() - started)
                actions = len(plan.actions)
            best, median = min(times), statistics.median(times)
            print(
                f"{name:<18}{size:>9,}{best * 1e3:>9.1f}{median * 1e3:>11.1f}"
                f"{best / size * 1e6:>11.2f}{actions:>9}",
                flush=True,
            )


if __name__ == "__main__":
    main()
