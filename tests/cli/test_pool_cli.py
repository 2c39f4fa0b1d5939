"""Pools and replica sets offline through the real entry point: ``vmctl validate`` (KubeVirt's admission
texts, the maxSurge hint), ``vmctl expand`` / ``vmctl resolve`` of member N."""

from __future__ import annotations

import re

import yaml

POOL = """apiVersion: pool.kubevirt.io/v1beta1
kind: VirtualMachinePool
metadata:
  name: web
  namespace: dev
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  nameGeneration:
    appendIndexToSecretRefs: true
  virtualMachineTemplate:
    metadata:
      labels:
        app: web
    spec:
      runStrategy: Always
      dataVolumeTemplates:
      - metadata:
          name: root
        spec:
          storage:
            resources:
              requests:
                storage: 1Gi
          source:
            blank: {}
      template:
        spec:
          domain:
            devices: {}
            memory:
              guest: 128Mi
          volumes:
          - name: root
            dataVolume:
              name: root
          - name: ci
            cloudInitNoCloud:
              secretRef:
                name: web-userdata
"""

REPLICA_SET = """apiVersion: kubevirt.io/v1
kind: VirtualMachineInstanceReplicaSet
metadata:
  name: workers
spec:
  replicas: 2
  selector:
    matchLabels:
      app: worker
  template:
    metadata:
      labels:
        app: worker
    spec:
      domain:
        devices: {}
        memory:
          guest: 128Mi
"""


def write(tmp_path, text: str, name: str = "pool.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_validate_accepts_a_valid_pool_and_replica_set(vmctl, tmp_path):
    code, out, err = vmctl("validate", "-f", write(tmp_path, POOL + "---\n" + REPLICA_SET))
    assert (code, out, err) == (0, "", "2 objects valid\n")


def test_validate_reports_kubevirt_admission_errors_one_line_each(vmctl, tmp_path):
    bad = POOL.replace("      app: web\n  nameGeneration", "      app: other\n  nameGeneration").replace(
        "  replicas: 3\n",
        "  replicas: 3\n  maxUnavailable: 0\n  updateStrategy:\n    unmanaged: {}\n    opportunistic: {}\n",
    )
    code, out, err = vmctl("validate", "-f", write(tmp_path, bad))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert re.fullmatch(
        r"error: .*pool\.yaml:\d+: document 1 \(VirtualMachinePool/web\): spec\.selector: "
        r"selector does not match labels\.",
        lines[0],
    )
    assert lines[1].endswith("spec.maxUnavailable: maxUnavailable must be greater than 0")
    assert lines[2].endswith(
        "spec.updateStrategy: only one strategy can be configured at a time: "
        "but found unmanaged, opportunistic strategies"
    )
    assert lines[-1] == "1 object checked, 1 invalid: 3 errors"


def test_validate_points_max_surge_write_ups_to_the_real_fields(vmctl, tmp_path):
    text = POOL.replace(
        "  replicas: 3\n", "  replicas: 3\n  updateStrategy:\n    rollingUpdate:\n      maxSurge: 1\n"
    )
    code, _, err = vmctl("validate", "-f", write(tmp_path, text))
    assert code == 0
    hint = next(line for line in err.splitlines() if line.startswith("hint: "))
    assert "spec.updateStrategy.rollingUpdate.maxSurge" in hint
    assert "spec.maxUnavailable" in hint and "pool.vmctl.io/max-surge" in hint


def test_expand_prints_the_vm_member_n_gets(vmctl, tmp_path):
    code, out, err = vmctl("expand", "-f", write(tmp_path, POOL), "--index", "2")
    assert code == 0, err
    vm = yaml.safe_load(out)
    assert vm["kind"] == "VirtualMachine" and vm["metadata"]["name"] == "web-2"
    assert vm["metadata"]["labels"] == {"app": "web", "kubevirt.io/vm-pool-revision-name": "web-1"}
    assert vm["metadata"]["finalizers"] == ["pool.kubevirt.io/finalizer"]
    owner = vm["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("VirtualMachinePool", "web", True)
    assert vm["spec"]["dataVolumeTemplates"][0]["metadata"]["name"] == "root-2"
    volumes = vm["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["dataVolume"]["name"] == "root-2"
    assert volumes[1]["cloudInitNoCloud"]["secretRef"]["name"] == "web-userdata-2"


def test_resolve_prints_the_vmi_of_member_0_by_default(vmctl, tmp_path):
    code, out, err = vmctl("resolve", "-f", write(tmp_path, POOL))
    assert code == 0, err
    vmi = yaml.safe_load(out)
    assert vmi["kind"] == "VirtualMachineInstance" and vmi["metadata"]["name"] == "web-0"
    assert vmi["metadata"]["namespace"] == "dev"
    assert vmi["metadata"]["labels"]["kubevirt.io/vm-pool-revision-name"] == "web-1"
    assert vmi["metadata"]["ownerReferences"][0]["name"] == "web-0"


def test_resolve_prints_a_replica_set_member_vmi_named_without_a_dash(vmctl, tmp_path):
    path = write(tmp_path, REPLICA_SET, "rs.yaml")
    code, out, err = vmctl("resolve", "-f", path, "-o", "name")
    assert code == 0, err
    assert re.fullmatch(
        r"virtualmachineinstance\.kubevirt\.io/workers[bcdfghjklmnpqrstvwxz2456789]{5}\n", out
    )
    assert vmctl("resolve", "-f", path, "-o", "name")[1] == out  # reproducible offline
    assert vmctl("resolve", "-f", path, "-o", "name", "--index", "1")[1] != out


def test_expand_of_a_replica_set_points_to_resolve(vmctl, tmp_path):
    code, out, err = vmctl("expand", "-f", write(tmp_path, REPLICA_SET, "rs.yaml"))
    assert code == 1 and out == ""
    assert "use 'vmctl resolve'" in err


def test_negative_index_is_a_usage_error(vmctl, tmp_path):
    assert vmctl("expand", "-f", write(tmp_path, POOL), "--index", "-1")[0] == 2
