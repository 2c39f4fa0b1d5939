"""kubectl's global flags on every backend command (``--kubeconfig``, ``--context``, ``--as``,
``--request-timeout``) and ``-n`` defaulting to the kubeconfig context's namespace — the real CLI against the real
API server, cross-checked with the real kubectl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_backend import vm_yaml  # beside this file: pytest puts tests/cluster on sys.path

pytestmark = pytest.mark.cluster


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "vm.yaml"
    path.write_text(vm_yaml("web"))
    return path


def test_kubeconfig_flag_picks_the_cluster_and_the_context_namespace(
    vmctl: Any, kubectl: Any, context_kubeconfig: Path, manifest: Path, namespace: str,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config, no KUBECONFIG: only the flag says where
    monkeypatch.delenv("KUBECONFIG", raising=False)
    kc = ("--kubeconfig", str(context_kubeconfig))
    assert vmctl("apply", "-f", manifest, *kc) == (0, "virtualmachine.kubevirt.io/web created\n", "")
    # no -n: the context's namespace, on the server as kubectl sees it
    assert kubectl("get", "vm", "-n", namespace, "-o", "name").stdout == "virtualmachine.kubevirt.io/web\n"
    assert vmctl("get", "vm", "web", "-o", "name", *kc) == (0, "virtualmachine.kubevirt.io/web\n", "")
    code, out, err = vmctl("describe", "vm", "web", *kc)
    assert (code, err) == (0, "") and "Namespace:" in out and namespace in out
    code, out, err = vmctl("delete", "vm", "web", *kc)
    assert (code, err) == (0, "") and "deleted" in out
    assert kubectl("get", "vm", "-n", namespace, "-o", "name").stdout == ""


def test_n_still_wins_over_the_context_namespace(
    vmctl: Any, kubectl: Any, apiserver: Any, context_kubeconfig: Path, manifest: Path, namespace: str
) -> None:
    other = f"{namespace}-b"
    apiserver.admin.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}}
    )
    try:
        kc = ("--kubeconfig", str(context_kubeconfig))
        assert vmctl("apply", "-f", manifest, "-n", other, *kc)[0] == 0
        assert kubectl("get", "vm", "-n", other, "-o", "name").stdout == "virtualmachine.kubevirt.io/web\n"
        assert kubectl("get", "vm", "-n", namespace, "-o", "name").stdout == ""
        code, out, err = vmctl("get", "vm", "web", *kc)  # the context's namespace has no "web"
        assert (code, out) == (1, "") and err.startswith('error: virtualmachines.kubevirt.io "web" not found')
    finally:
        apiserver.admin.request("DELETE", f"/api/v1/namespaces/{other}", ok=(200, 202, 404))


def test_context_flag_chooses_the_user(
    vmctl: Any, apiserver: Any, context_kubeconfig: Path, manifest: Path, namespace: str
) -> None:
    code, out, err = vmctl("get", "vm", "--kubeconfig", context_kubeconfig, "--context", "viewer")
    assert (code, out) == (1, "")
    assert err.splitlines()[0].startswith("error: forbidden (403): ")
    assert 'User "viewer" cannot list resource "virtualmachines"' in err and f'in the namespace "{namespace}"' in err
    assert len(err.splitlines()) <= 2  # the error and at most a hint


def test_as_impersonates(
    vmctl: Any, apiserver: Any, context_kubeconfig: Path, manifest: Path, namespace: str
) -> None:
    kc = ("--kubeconfig", str(context_kubeconfig))
    assert vmctl("apply", "-f", manifest, *kc)[0] == 0
    # the admin may impersonate; the server then decides as "viewer", who may not read VMs
    code, out, err = vmctl("get", "vm", "web", *kc, "--as", "viewer")
    assert (code, out) == (1, "")
    assert err.startswith("error: forbidden (403): ") and 'User "viewer" cannot get resource' in err
    apiserver.admin.grant(namespace, "viewer", [
        {"apiGroups": ["kubevirt.io"], "resources": ["virtualmachines"], "verbs": ["get"]},
    ])
    code, out, err = vmctl("get", "vm", "web", "-o", "json", *kc, "--as", "viewer")
    assert (code, err) == (0, "") and json.loads(out)["metadata"]["name"] == "web"


def test_request_timeout(vmctl: Any, context_kubeconfig: Path, manifest: Path) -> None:
    kc = ("--kubeconfig", str(context_kubeconfig))
    assert vmctl("apply", "-f", manifest, *kc, "--request-timeout", "1m30s")[0] == 0
    assert vmctl("get", "vm", "-o", "name", *kc, "--request-timeout", "0") == (
        0, "virtualmachine.kubevirt.io/web\n", ""
    )
    code, out, err = vmctl("get", "vm", *kc, "--request-timeout", "soon")
    assert (code, out) == (2, "")
    assert err.startswith("error: --request-timeout: expected seconds or a duration like 1m30s, got 'soon'")


def test_a_missing_kubeconfig_is_one_line(vmctl: Any, tmp_path: Path) -> None:
    code, out, err = vmctl("get", "vm", "--kubeconfig", tmp_path / "nope")
    assert (code, out) == (1, "")
    assert err == f"error: --kubeconfig: {tmp_path / 'nope'}: no such file\n"
