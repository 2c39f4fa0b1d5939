"""``vmctl expand`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

VM = """\
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: web1}
spec:
  runStrategy: Always
  instancetype: {name: u1.large}
  preference: {name: ubuntu}
  template:
    spec:
      domain: {devices: {}}
      volumes:
      - name: rootdisk
        containerDisk: {image: quay.io/containerdisks/ubuntu:24.04}
"""


def test_expand_json(tmp_path: Path, vmctl) -> None:
    path = tmp_path / "vm.yaml"
    path.write_text(VM)
    code, out, err = vmctl("expand", "-f", str(path), "-o", "json")
    assert (code, err) == (0, "")
    vm = json.loads(out)
    assert vm["kind"] == "VirtualMachine"
    assert "instancetype" not in vm["spec"] and "preference" not in vm["spec"]
    spec = vm["spec"]["template"]["spec"]
    assert spec["domain"]["cpu"] == {"cores": 1, "sockets": 2, "threads": 1}
    assert spec["domain"]["memory"] == {"guest": "8Gi"}
    assert spec["domain"]["devices"]["disks"] == [{"disk": {"bus": "virtio"}, "name": "rootdisk"}]
    assert spec["domain"]["devices"]["interfaces"] == [{"bridge": {}, "model": "virtio", "name": "default"}]
    assert spec["domain"]["machine"] == {"type": "q35"}
    assert spec["architecture"] == "amd64"


def test_expand_conflict(tmp_path: Path, vmctl) -> None:
    path = tmp_path / "vm.yaml"
    path.write_text(VM.replace("domain: {devices: {}}", "domain: {devices: {}, memory: {guest: 1Gi}}"))
    code, out, err = vmctl("expand", "-f", str(path))
    assert code == 1 and out == ""
    assert err.splitlines()[0] == (
        f"error: {path}:10: document 1 (VirtualMachine/web1): VM field(s) spec.template.spec.domain.memory.guest conflicts "
        "with selected instance type")


def test_expand_refuses_vmis(tmp_path: Path, vmctl) -> None:
    path = tmp_path / "vmi.yaml"
    path.write_text("apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: v}\nspec: {domain: {}}\n")
    code, _, err = vmctl("expand", "-f", str(path))
    assert code == 1
    assert "expand takes VirtualMachines; use 'vmctl resolve' for VMIs" in err


def test_expand_help(vmctl) -> None:
    code, out, _ = vmctl("expand", "--help")
    assert code == 0 and "Example: vmctl expand -f vm.yaml" in out


UNMET = """\
apiVersion: instancetype.kubevirt.io/v1beta1
kind: VirtualMachineInstancetype
metadata: {name: small}
spec: {cpu: {guest: 2}, memory: {guest: 1Gi}}
---
apiVersion: instancetype.kubevirt.io/v1beta1
kind: VirtualMachinePreference
metadata: {name: big}
spec: {requirements: {cpu: {guest: 4}}}
---
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: web}
spec:
  runStrategy: Halted
  instancetype: {name: small, kind: VirtualMachineInstancetype}
  preference: {name: big, kind: VirtualMachinePreference}
  template: {spec: {domain: {devices: {}}}}
"""


def test_expand_prints_what_expand_spec_does_and_warns_of_unmet_requirements(tmp_path: Path, vmctl) -> None:
    """KubeVirt's expand-spec does not check a preference's requirements: the VM is printed (exit 0) and
    stderr says, in KubeVirt's words, that its VM admission would refuse it; resolve refuses it."""
    path = tmp_path / "vm.yaml"
    path.write_text(UNMET)
    code, out, err = vmctl("expand", "-f", str(path), "-o", "json")
    assert code == 0
    assert json.loads(out)["spec"]["template"]["spec"]["domain"]["cpu"]["sockets"] == 2
    text = ("failure checking preference requirements: insufficient CPU resources of 2 vCPU provided by "
            "instance type, preference requires 4 vCPU")
    assert err.startswith(f"warning: VirtualMachine/web: spec.instancetype: {text} (expand-spec does not check")
    assert err.count("\n") == 1
    code, out, err = vmctl("resolve", "-f", str(path))
    assert code == 1 and out == "" and text in err
