"""``vmctl resolve|expand --from-cluster``: instancetypes, preferences and presets read from the real API server
(read-only), and ``TYPE/NAME`` objects read from it, with the context's namespace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.cluster

VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: {name}
spec:
  runStrategy: Halted
  instancetype: {{name: {it}, kind: {kind}}}
  template:
    spec:
      domain:
        devices: {{}}
"""
NS_KIND = "VirtualMachineInstancetype"


@pytest.fixture
def cluster(namespace: str, kubectl: Any, context_kubeconfig: Path) -> Path:
    """A namespaced instancetype ``small`` and a VM ``web`` using it on the cluster; a kubeconfig whose context
    names the test's namespace."""
    it = {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachineInstancetype",
          "metadata": {"name": "small"}, "spec": {"cpu": {"guest": 3}, "memory": {"guest": "768Mi"}}}
    kubectl("apply", "--validate=false", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(it))
    kubectl.server_side_apply(namespace, VM.format(name="web", it="small", kind=NS_KIND))
    return context_kubeconfig


def test_resolve_a_vm_read_from_the_cluster(vmctl: Any, cluster: Path, namespace: str) -> None:
    code, out, err = vmctl("resolve", "vm/web", "--from-cluster", "--kubeconfig", cluster)
    assert (code, err) == (0, ""), err
    vmi = yaml.safe_load(out)
    assert vmi["kind"] == "VirtualMachineInstance" and vmi["metadata"]["namespace"] == namespace
    assert vmi["spec"]["domain"]["memory"]["guest"] == "768Mi"  # the cluster's instancetype
    assert vmi["spec"]["domain"]["cpu"]["sockets"] == 3


def test_expand_a_file_against_the_cluster(vmctl: Any, cluster: Path, tmp_path: Path) -> None:
    f = tmp_path / "vm.yaml"
    f.write_text(VM.format(name="local", it="small", kind=NS_KIND))
    code, out, err = vmctl("expand", "-f", f, "--from-cluster", "--kubeconfig", cluster)
    assert (code, err) == (0, ""), err
    vm = yaml.safe_load(out)
    assert "instancetype" not in vm["spec"]
    assert vm["spec"]["template"]["spec"]["domain"]["memory"]["guest"] == "768Mi"


def test_the_cluster_is_the_catalog(vmctl: Any, cluster: Path, tmp_path: Path) -> None:
    f = tmp_path / "vm.yaml"
    f.write_text(VM.format(name="local", it="u1.medium", kind="VirtualMachineClusterInstancetype"))
    assert vmctl("resolve", "-f", f)[0] == 0  # offline: vmctl's bundled catalog has u1.medium
    code, out, err = vmctl("resolve", "-f", f, "--from-cluster", "--kubeconfig", cluster)
    assert (code, out) == (1, "")
    assert 'virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.medium" not found' in err


def test_from_cluster_usage_errors(vmctl: Any, cluster: Path, tmp_path: Path) -> None:
    code, out, err = vmctl("resolve", "vm/web")
    assert (code, out) == (2, "") and "only with --from-cluster" in err
    code, out, err = vmctl("resolve", "vm/web", "--from-cluster", "--catalog", tmp_path, "--kubeconfig", cluster)
    assert (code, out) == (2, "") and "--catalog and --from-cluster exclude each other" in err
    code, out, err = vmctl("expand", "configmap/x", "--from-cluster", "--kubeconfig", cluster)
    assert (code, out) == (2, "") and "expand reads vm, vmi, vmpool or vmirs" in err
    code, out, err = vmctl("resolve", "vm/nope", "--from-cluster", "--kubeconfig", cluster)
    assert (code, out) == (1, "") and err.startswith('error: virtualmachines.kubevirt.io "nope" not found')
