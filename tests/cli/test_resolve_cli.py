"""``vmctl resolve`` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vmctl.io.yamlio import parse_documents

VM = """\
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web1
spec:
  runStrategy: Always
  instancetype:
    name: small2
    kind: VirtualMachineInstancetype
  preference:
    name: fedora
  template:
    metadata:
      labels: {app: web}
    spec:
      domain: {devices: {}}
      volumes:
      - name: rootdisk
        containerDisk: {image: quay.io/containerdisks/fedora:40}
---
apiVersion: instancetype.kubevirt.io/v1beta1
kind: VirtualMachineInstancetype
metadata:
  name: small2
spec:
  cpu: {guest: 2}
  memory: {guest: 2Gi}
"""


@pytest.fixture
def vm_file(tmp_path: Path) -> Path:
    path = tmp_path / "vm.yaml"
    path.write_text(VM)
    return path


def test_resolve_yaml(vm_file: Path, vmctl) -> None:
    code, out, err = vmctl("resolve", "-f", str(vm_file))
    assert (code, err) == (0, "")
    docs = parse_documents(out, "out")
    assert len(docs) == 1  # the instancetype document is lookup data, not output
    vmi = docs[0].obj
    assert vmi["kind"] == "VirtualMachineInstance"
    assert vmi["spec"]["domain"]["cpu"]["sockets"] == 2
    assert vmi["spec"]["domain"]["memory"]["guest"] == "2Gi"
    assert vmi["metadata"]["annotations"]["kubevirt.io/instancetype-name"] == "small2"


def test_resolve_show_origin_yaml(vm_file: Path, vmctl) -> None:
    code, out, _ = vmctl("resolve", "-f", str(vm_file), "--show-origin")
    assert code == 0
    lines = out.splitlines()
    assert any(line.strip().startswith("sockets: 2") and line.endswith("# instancetype/small2") for line in lines)
    assert any(line.strip().startswith("bus: virtio") and line.endswith("# preference/fedora") for line in lines)
    assert any(line.strip().startswith("app: web") and line.endswith("# vm") for line in lines)
    # the commented output is still valid YAML for the same object
    plain = vmctl("resolve", "-f", str(vm_file), "-o", "json")[1]
    assert parse_documents(out, "o")[0].obj == json.loads(plain)


def test_resolve_show_origin_json(vm_file: Path, vmctl) -> None:
    code, out, _ = vmctl("resolve", "-f", str(vm_file), "-o", "json", "--show-origin")
    assert code == 0
    body = json.loads(out)
    assert set(body) == {"object", "origins"}
    assert body["origins"]["spec.domain.cpu.sockets"] == "instancetype/small2"
    assert body["object"]["metadata"]["name"] == "web1"


def test_resolve_name_output(vm_file: Path, vmctl) -> None:
    assert vmctl("resolve", "-f", str(vm_file), "-o", "name")[1] == (
        "virtualmachineinstance.kubevirt.io/web1\n")


def test_rejection_prints_kubevirt_message_and_causes(tmp_path: Path, vmctl) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(VM.replace("domain: {devices: {}}", "domain: {devices: {}, cpu: {sockets: 4}}"))
    code, out, err = vmctl("resolve", "-f", str(path))
    assert code == 1
    assert out == ""
    assert err == (
        f"error: {path}:16: document 1 (VirtualMachine/web1): VM field(s) spec.template.spec.domain.cpu.sockets conflicts "
        "with selected instance type\n"
        "  spec.template.spec.domain.cpu.sockets: VM field(s) spec.template.spec.domain.cpu.sockets conflicts "
        "with selected instance type\n"
    )


def test_not_found_with_hint(tmp_path: Path, vmctl) -> None:
    path = tmp_path / "nf.yaml"
    path.write_text(VM.split("---")[0].replace("name: fedora", "name: fedoraa"))
    path.write_text(path.read_text().replace("name: small2\n    kind: VirtualMachineInstancetype", "name: u1.small"))
    code, out, err = vmctl("resolve", "-f", str(path))
    assert code == 1 and out == ""
    assert err.startswith(
        f'error: {path}:10: document 1 (VirtualMachine/web1): virtualmachineclusterpreferences.instancetype.kubevirt.io '
        '"fedoraa" not found\n')
    assert "hint:" in err


def test_no_vm_in_input(tmp_path: Path, vmctl) -> None:
    path = tmp_path / "it.yaml"
    path.write_text(VM.split("---\n")[1])
    code, _, err = vmctl("resolve", "-f", str(path))
    assert code == 1
    assert "no VirtualMachine or VirtualMachineInstance in the input" in err


def test_missing_file_flag_is_usage_error(vmctl) -> None:
    code, _, err = vmctl("resolve")
    assert code == 2
    assert "-f/--filename is required" in err


def test_show_origin_with_name_is_usage_error(vm_file: Path, vmctl) -> None:
    code, _, err = vmctl("resolve", "-f", str(vm_file), "-o", "name", "--show-origin")
    assert code == 2
    assert "--show-origin works with -o yaml or -o json" in err


def test_help_has_examples(vmctl) -> None:
    code, out, _ = vmctl("resolve", "--help")
    assert code == 0
    assert "Example: vmctl resolve -f vm.yaml --show-origin" in out


def test_stdin_and_namespace_through_the_console_script() -> None:
    exe = Path(sys.executable).parent / "vmctl"
    proc = subprocess.run([str(exe), "resolve", "-f", "-", "-n", "dev", "-o", "json"], input=VM,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["metadata"]["namespace"] == "dev"
