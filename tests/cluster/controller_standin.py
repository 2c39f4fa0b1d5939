"""A virt-controller stand-in for the cluster tests (never shipped): a thread that plays KubeVirt's VM and pool
controllers against the real API server, through the documented API only (create/delete of VMIs and VMs,
ControllerRevisions, merge patches of the ``status`` subresource; of the VMI itself, whose CRD has none).

* VMs: a VMI exists while the runStrategy asks for one (Always, RerunOnFailure, Once; Halted and Manual have
  none: their VMI is deleted); the VMI's status is phase Running with a Ready condition (no guest boots), the
  VM's status is printableStatus Running/Stopped, ``created``, ``ready`` and the Ready condition.
* VirtualMachinePools: the ControllerRevision ``<pool>-<generation>``, member VMs ``<pool>-<index>`` (vmctl's
  own ``vmctl.core.pools.member_vm``) for indices below ``spec.replicas``, extra members deleted (and
  their ``pool.kubevirt.io/finalizer`` removed once marked), and
  ``status.replicas/readyReplicas/labelSelector``. A pool with ``spec.paused`` is left as it is.

It polls (every ``interval`` seconds) rather than watches: simple, and quick enough for tests.
"""

from __future__ import annotations

import threading
from typing import Any

from vmctl.controllers.rollout import owned_by
from vmctl.core import pools
from vmctl.core.pools import FINALIZER

Obj = dict[str, Any]
VMS = "/apis/kubevirt.io/v1/virtualmachines"
VMIS = "/apis/kubevirt.io/v1/virtualmachineinstances"
POOLS = "/apis/pool.kubevirt.io/v1beta1/virtualmachinepools"
RUNNING = ("Always", "RerunOnFailure", "Once")


def _ns_path(base: str, namespace: str, name: str = "") -> str:
    group, plural = base.rsplit("/", 1)
    return f"{group}/namespaces/{namespace}/{plural}" + (f"/{name}" if name else "")


def _ready_condition(ready: bool) -> Obj:
    return {"type": "Ready", "status": "True" if ready else "False"}


def run_strategy(vm: Obj) -> str:
    spec = vm.get("spec") or {}
    if spec.get("runStrategy"):
        return str(spec["runStrategy"])
    return "Always" if spec.get("running") else "Halted"


def _selector_text(pool: Obj) -> str:
    labels = ((pool.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


class ControllerStandIn:
    """``start()`` the thread, ``stop()`` it; ``admin`` is the fixture's raw HTTPS client (``Admin``); only
    ``namespace`` is looked after (other tests' objects are left alone)."""

    def __init__(self, admin: Any, namespace: str, interval: float = 0.1) -> None:
        self.admin = admin
        self.namespace = namespace
        self.interval = interval
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="controller-standin", daemon=True)

    def start(self) -> ControllerStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sync()
            except AssertionError as exc:  # a race with a test's own changes: try again next pass
                self.errors.append(str(exc))

    def _items(self, path: str) -> list[Obj]:
        return list(self.admin.request("GET", path)[1].get("items") or [])

    def _patch_status(self, path: str, obj: Obj, status: Obj, *, subresource: bool = True) -> None:
        """A merge patch of ``status`` (the ``status`` subresource; KubeVirt's VMI CRD has none, so virt-handler
        patches the VMI itself), skipped when nothing changes."""
        current = obj.get("status") or {}
        if all(current.get(k) == v for k, v in status.items()):
            return
        target = f"{path}/status" if subresource else path
        self.admin.request("PATCH", target, {"status": status},
                           content_type="application/merge-patch+json", ok=(200, 404, 409))

    # --- one pass ---------------------------------------------------------------------------------------
    def sync(self) -> None:
        """One pass over every pool, then every VM (pools first: their new members are handled at once)."""
        ns = self.namespace
        for pool in self._items(_ns_path(POOLS, ns)):
            self.sync_pool(pool)
        vmis = {v["metadata"]["name"]: v for v in self._items(_ns_path(VMIS, ns))}
        for vm in self._items(_ns_path(VMS, ns)):
            self.sync_vm(vm, vmis.get(vm["metadata"]["name"]))

    def sync_vm(self, vm: Obj, vmi: Obj | None) -> None:
        meta = vm["metadata"]
        ns, name = meta["namespace"], meta["name"]
        want = run_strategy(vm) in RUNNING and not meta.get("deletionTimestamp")
        if want and vmi is None:
            template = (vm.get("spec") or {}).get("template") or {}
            body = {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstance",
                "metadata": {
                    "name": name,
                    "labels": (template.get("metadata") or {}).get("labels") or {},
                    "ownerReferences": [{
                        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "name": name,
                        "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True,
                    }],
                },
                "spec": template.get("spec") or {"domain": {"devices": {}}},
            }
            vmi = self.admin.create(_ns_path(VMIS, ns), body)
            if not isinstance(vmi, dict) or vmi.get("kind") != "VirtualMachineInstance":
                return  # 409: the next pass sees it
        elif not want and vmi is not None:
            if not vmi["metadata"].get("deletionTimestamp"):
                self.admin.request("DELETE", _ns_path(VMIS, ns, name), ok=(200, 202, 404))
            vmi = None
        if vmi is not None:
            self._patch_status(_ns_path(VMIS, ns, name), vmi, {
                "phase": "Running", "conditions": [_ready_condition(True)],
            }, subresource=False)
        running = vmi is not None
        self._patch_status(_ns_path(VMS, ns, name), vm, {
            "printableStatus": "Running" if running else "Stopped",
            "created": running,
            "ready": running,
            "runStrategy": run_strategy(vm),
            "conditions": [_ready_condition(running)],
        })

    def sync_pool(self, pool: Obj) -> None:
        meta = pool["metadata"]
        ns, name = meta["namespace"], meta["name"]
        spec = pool.get("spec") or {}
        if meta.get("deletionTimestamp") or spec.get("paused"):
            return
        self.admin.create(_ns_path("/apis/apps/v1/controllerrevisions", ns), pools.revision_object(pool))
        revision = pools.revision_name(pool)
        vms = []
        for vm in self._items(_ns_path(VMS, ns)):
            if not owned_by(vm, pool):
                continue
            finalizers = vm["metadata"].get("finalizers") or []
            if not vm["metadata"].get("deletionTimestamp"):
                vms.append(vm)
            elif FINALIZER in finalizers:  # the pool's part of a member's deletion is done: let it go
                rest = [f for f in finalizers if f != FINALIZER]
                self.admin.request("PATCH", _ns_path(VMS, ns, vm["metadata"]["name"]),
                                   {"metadata": {"finalizers": rest or None}},
                                   content_type="application/merge-patch+json", ok=(200, 404, 409))
        have = {pools.index_from_name(vm["metadata"]["name"]): vm for vm in vms}
        replicas = pools.replicas(pool)
        for index in range(replicas):
            if index not in have:
                member = pools.member_vm(pool, index, revision)
                member["metadata"]["namespace"] = ns
                self.admin.create(_ns_path(VMS, ns), member)
        members = []
        for index, vm in have.items():
            if index is None or index >= replicas:
                self.admin.request("DELETE", _ns_path(VMS, ns, vm["metadata"]["name"]), ok=(200, 202, 404))
            else:
                members.append(vm)
        self._patch_status(_ns_path(POOLS, ns, name), pool, {
            "replicas": len(members),
            "readyReplicas": sum(1 for vm in members if (vm.get("status") or {}).get("ready") is True),
            "labelSelector": _selector_text(pool),
        })
