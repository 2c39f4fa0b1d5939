"""The CLI's waits and rollouts against the real API server, with the virt-controller stand-in doing KubeVirt's
part (VMIs, pool members, status): the same messages and exit codes as on the local backend."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from test_backend import vm_yaml  # beside this file

pytestmark = pytest.mark.cluster

POOL = """apiVersion: pool.kubevirt.io/v1beta1
kind: VirtualMachinePool
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  virtualMachineTemplate:
    metadata:
      labels: {app: web}
    spec:
      runStrategy: Always
      template:
        metadata:
          labels: {app: web}
        spec:
          domain:
            devices: {}
            resources:
              requests:
                memory: 128Mi
"""


def test_apply_wait_until_the_vm_runs_and_delete(cli: Any, controller: Any, tmp_path: Path) -> None:
    manifest = tmp_path / "vm.yaml"
    manifest.write_text(vm_yaml("web", "Always"))
    assert cli("apply", "-f", manifest, "--wait", "--timeout", "30") == (
        0, "virtualmachine.kubevirt.io/web created\n", "")
    vm = json.loads(cli("get", "vm", "web", "-o", "json")[1])
    assert vm["status"]["printableStatus"] == "Running" and vm["status"]["ready"] is True
    assert cli("get", "vmi", "web", "-o", "name")[:2] == (0, "virtualmachineinstance.kubevirt.io/web\n")
    manifest.write_text(vm_yaml("web", "Halted"))
    assert cli("apply", "-f", manifest, "--wait", "--timeout", "30") == (
        0, "virtualmachine.kubevirt.io/web configured\n", "")
    assert json.loads(cli("get", "vm", "web", "-o", "json")[1])["status"]["printableStatus"] == "Stopped"


def test_scale_wait_rollout_status_pause_resume(cli: Any, controller: Any, tmp_path: Path) -> None:
    (tmp_path / "pool.yaml").write_text(POOL)
    assert cli("apply", "-f", tmp_path / "pool.yaml")[0] == 0
    assert cli("scale", "pool", "web", "--replicas", "3", "--wait", "--timeout", "30") == (
        0, "virtualmachinepool.pool.kubevirt.io/web scaled\n", "")
    names = cli("get", "vms", "-o", "name")[1].split()
    assert names == [f"virtualmachine.kubevirt.io/web-{i}" for i in range(3)]
    code, out, err = cli("rollout", "status", "pool/web")
    assert (code, out.splitlines()[0], err) == (0, 'virtualmachinepool "web" successfully rolled out', "")

    assert cli("rollout", "pause", "pool/web") == (0, "virtualmachinepool.pool.kubevirt.io/web paused\n", "")
    assert cli("rollout", "pause", "pool/web") == (
        1, "", 'error: virtualmachinepools.pool.kubevirt.io "web" is already paused\n')
    assert cli("scale", "pool", "web", "--replicas", "1")[0] == 0
    code, out, _ = cli("rollout", "status", "pool/web")  # paused: the controller leaves the members alone
    assert code == 1 and len(cli("get", "vms", "-o", "name")[1].split()) == 3
    assert cli("rollout", "resume", "pool/web") == (0, "virtualmachinepool.pool.kubevirt.io/web resumed\n", "")
    assert cli("rollout", "resume", "pool/web")[0] == 1
    code, out, _ = cli("rollout", "status", "pool/web", "--watch", "--timeout", "30")
    assert code == 0 and out.splitlines()[-1] == 'virtualmachinepool "web" successfully rolled out'
    deadline = time.monotonic() + 30  # the scaled-in members are being deleted (finalizers) when it says so
    while cli("get", "vms", "-o", "name")[1].split() != ["virtualmachine.kubevirt.io/web-0"]:
        assert time.monotonic() < deadline, cli("get", "vms", "-o", "name")
        time.sleep(0.3)
