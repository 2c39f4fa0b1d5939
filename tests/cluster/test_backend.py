"""``--backend cluster``: the real CLI through ClusterBackend against the real API server."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from vmctl.backends.base import ApplyError, Ref
from vmctl.backends.cluster import objects, open_backend

pytestmark = pytest.mark.cluster

VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: {name}
spec:
  runStrategy: {rs}
  {instancetype}template:
    spec:
      domain:
        devices: {{}}
{memory}"""


def vm_yaml(name: str, rs: str = "Halted", instancetype: str | None = None) -> str:
    if instancetype:
        return VM.format(
            name=name, rs=rs, instancetype=f"instancetype: {{name: {instancetype}}}\n  ", memory=""
        )
    return VM.format(name=name, rs=rs, instancetype="", memory="        memory: {guest: 128Mi}\n")


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def test_apply_get_delete_through_the_cli(cli: Any, kubectl: Any, namespace: str) -> None:
    f = write(cli.tmp, "vm.yaml", vm_yaml("web"))
    assert cli("apply", "-f", str(f)) == (0, "virtualmachine.kubevirt.io/web created\n", "")
    assert cli("apply", "-f", str(f)) == (0, "virtualmachine.kubevirt.io/web configured\n", "")
    seen = json.loads(kubectl("get", "vm", "web", "-n", namespace, "-o", "json").stdout)
    assert seen["spec"]["runStrategy"] == "Halted"
    assert cli("get", "vm", "-o", "name") == (0, "virtualmachine.kubevirt.io/web\n", "")
    code, out, err = cli("delete", "vm", "web", "--wait")
    assert (code, err) == (0, "") and "web" in out
    assert kubectl("get", "vm", "-n", namespace, "-o", "name").stdout == ""


def test_instancetypes_come_from_the_cluster(cli: Any, kubectl: Any, namespace: str) -> None:
    it = {
        "apiVersion": "instancetype.kubevirt.io/v1beta1",
        "kind": "VirtualMachineClusterInstancetype",
        "metadata": {"name": f"small-{namespace}"},
        "spec": {"cpu": {"guest": 1}, "memory": {"guest": "1Gi"}},
    }
    kubectl("apply", "--validate=false", "-f", "-", stdin=yaml.safe_dump(it))
    try:
        good = write(cli.tmp, "good.yaml", vm_yaml("sized", instancetype=f"small-{namespace}"))
        assert cli("apply", "-f", str(good)) == (0, "virtualmachine.kubevirt.io/sized created\n", "")
        bad = write(cli.tmp, "bad.yaml", vm_yaml("unsized", instancetype="u1.medium"))
        code, out, err = cli("apply", "-f", str(bad))  # in vmctl's catalog, but not on this cluster
        assert (code, out) == (1, "")
        assert 'virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.medium" not found' in err
    finally:
        kubectl("delete", "virtualmachineclusterinstancetype", f"small-{namespace}")


def test_a_server_refusal_after_some_were_applied(apiserver: Any, kubectl: Any, namespace: str) -> None:
    kubectl.server_side_apply(namespace, vm_yaml("taken", "Always"))
    from vmctl.admission import Admitted

    first = yaml.safe_load(vm_yaml("fresh"))
    second = yaml.safe_load(vm_yaml("taken", "Halted"))
    be = open_backend(kubeconfig=str(apiserver.kubeconfig), namespace=namespace)
    with pytest.raises(ApplyError) as exc:
        be.apply([Admitted(first), Admitted(second)], namespace=namespace)
    be.close()
    assert [(o["metadata"]["name"], action) for o, action in exc.value.results] == [("fresh", "created")]
    assert exc.value.message.startswith(
        "virtualmachine.kubevirt.io/taken not applied (document 2): conflict (409): "
    )
    assert exc.value.details == [] and exc.value.hint and "--force-conflicts" in exc.value.hint


def test_lifecycle_verbs_reach_virt_api(cli: Any, virt_api: Any, namespace: str) -> None:
    assert cli("start", "web") == (0, "VM web was scheduled to start\n", "")
    req = virt_api.requests[-1]
    assert req.path.endswith(f"/namespaces/{namespace}/virtualmachines/web/start") and req.body == b"{}"
    code, out, err = cli("stop", "web", "--force", "--grace-period", "0")
    assert (code, out, err) == (0, "VM web was scheduled to stop\n", "")
    assert json.loads(virt_api.requests[-1].body) == {"gracePeriod": 0}


def test_wait_watches_the_vmi(apiserver: Any, namespace: str) -> None:
    base = f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances"
    apiserver.admin.create(
        base,
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstance",
            "metadata": {"name": "web"},
            "spec": {"domain": {"devices": {}}},
        },
    )

    def controller() -> None:  # plays virt-handler: the VMI runs and becomes Ready
        time.sleep(0.5)
        apiserver.admin.request(
            "PATCH",
            f"{base}/web",
            {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
            content_type="application/merge-patch+json",
        )

    be = open_backend(kubeconfig=str(apiserver.kubeconfig), namespace=namespace)
    t = threading.Thread(target=controller)
    t.start()
    start = time.monotonic()
    vmi = be.wait(Ref("VirtualMachineInstance", "web", namespace), "Ready", 30)
    t.join()
    assert vmi["status"]["phase"] == "Running" and time.monotonic() - start < 5
    with pytest.raises(
        objects.WaitTimeout, match="timed out after 1s waiting for VirtualMachineInstance web to be Paused"
    ):
        be.wait(Ref("VirtualMachineInstance", "web", namespace), "Paused", 1)
    be.close()


def test_get_table_and_describe(cli: Any, apiserver: Any, namespace: str) -> None:
    f = write(cli.tmp, "vm.yaml", vm_yaml("web"))
    assert cli("apply", "-f", str(f))[0] == 0
    code, out, err = cli("get", "vms")
    assert (code, err) == (0, "") and out.splitlines()[0].split()[:2] == ["NAME", "AGE"]
    assert out.splitlines()[1].split()[0] == "web"
    code, out, err = cli("describe", "vm", "web")
    assert (code, err) == (0, "") and "web" in out
    code, out, err = cli("get", "vm", "missing")
    assert (code, out) == (1, "")
    assert err == 'error: virtualmachines.kubevirt.io "missing" not found\n', err  # as on the local backend
    code, out, err = cli("get", "vm,vmi", "-o", "name")  # several types, as kubectl (no VMI here: none made)
    assert (code, out, err) == (0, "virtualmachine.kubevirt.io/web\n", "")
    code, out, _ = cli("get", "vm,vmirs")
    assert code == 0 and out.splitlines()[1].split()[0] == "virtualmachine.kubevirt.io/web"


POOL_YAML = """apiVersion: pool.kubevirt.io/v1beta1
kind: VirtualMachinePool
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {pool: web}}
  virtualMachineTemplate:
    metadata: {labels: {pool: web}}
    spec:
      runStrategy: Halted
      template:
        spec:
          domain:
            devices: {}
            memory: {guest: 128Mi}
"""


def test_scale_and_rollout_through_the_cli(cli: Any, kubectl: Any, namespace: str) -> None:
    kubectl("create", "--validate=false", "-n", namespace, "-f", "-", stdin=POOL_YAML)
    code, out, err = cli("scale", "pool", "web", "--replicas", "3")
    assert (code, err) == (0, "") and out.endswith("scaled\n")
    seen = json.loads(kubectl("get", "vmpool", "web", "-n", namespace, "-o", "json").stdout)
    assert seen["spec"]["replicas"] == 3
    code, out, err = cli("scale", "pool", "web", "--replicas", "5", "--current-replicas", "2")
    assert (code, out, err) == (1, "", "error: Expected replicas to be 2, was 3\n")
    code, out, err = cli("rollout", "pause", "pool/web")
    assert (code, err) == (0, "") and out.endswith("paused\n")
    assert kubectl("get", "vmpool", "web", "-n", namespace, "-o", "jsonpath={.spec.paused}").stdout == "true"


def test_describe_shows_the_events(cli: Any, apiserver: Any, namespace: str) -> None:
    f = write(cli.tmp, "vm.yaml", vm_yaml("web"))
    assert cli("apply", "-f", str(f))[0] == 0
    be = open_backend(kubeconfig=str(apiserver.kubeconfig), namespace=namespace)
    vm = be.get(Ref("VirtualMachine", "web", namespace))
    apiserver.admin.create(f"/api/v1/namespaces/{namespace}/events", {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1"},
        "involvedObject": {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "name": "web",
                           "namespace": namespace, "uid": vm["metadata"]["uid"]},
        "reason": "SuccessfulCreate", "message": "Started the virtual machine by creating the new VMI",
        "type": "Normal", "firstTimestamp": "2026-12-07T10:00:00Z", "lastTimestamp": "2026-12-07T10:00:00Z",
        "count": 1, "source": {"component": "virtualmachine-controller"},
    })  # fmt: skip
    assert [e["reason"] for e in be.events(Ref("VirtualMachine", "web", namespace))] == ["SuccessfulCreate"]
    be.close()
    code, out, err = cli("describe", "vm", "web")
    assert (code, err) == (0, "") and "SuccessfulCreate" in out


def test_wait_desired_follows_the_vm_status(apiserver: Any, namespace: str) -> None:
    """``apply --wait``: a Halted VM is done once the controller reports it Stopped."""
    from vmctl.admission import Admitted

    be = open_backend(kubeconfig=str(apiserver.kubeconfig), namespace=namespace)
    be.apply([Admitted(yaml.safe_load(vm_yaml("idle")))], namespace=namespace)

    def controller() -> None:
        time.sleep(0.5)
        apiserver.admin.request(
            "PATCH", f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines/idle/status",
            {"status": {"printableStatus": "Stopped"}}, content_type="application/merge-patch+json",
        )  # fmt: skip

    t = threading.Thread(target=controller)
    t.start()
    start = time.monotonic()
    be.wait_desired([Ref("VirtualMachine", "idle", namespace)], 30)
    t.join()
    be.close()
    assert time.monotonic() - start < 3  # woken by the watch, not by the periodic re-read
