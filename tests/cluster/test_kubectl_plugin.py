"""``kubectl vmctl ...``: the ``kubectl-vmctl`` console script found on PATH by the machine's real kubectl, against
the real API server; and the local-only verbs saying so in one line on the cluster backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_backend import POOL_YAML  # beside this file: pytest puts tests/cluster on sys.path

pytestmark = pytest.mark.cluster

KUBECTL = Path(os.environ.get("VMCTL_KUBECTL", "/usr/bin/kubectl"))


@pytest.fixture
def plugin_env(context_kubeconfig: Path, tmp_path: Path) -> dict[str, str]:
    """PATH with the installed ``kubectl-vmctl`` first; KUBECONFIG a copy of the test kubeconfig whose context
    names the test's namespace (kubectl passes its environment to plugins)."""
    script = Path(sys.executable).parent / "kubectl-vmctl"
    if not script.is_file():
        pytest.skip(f"{script} not installed (pip install -e .)")
    if not os.access(KUBECTL, os.X_OK):
        pytest.skip(f"kubectl not found at {KUBECTL}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMCTL_BACKEND")}
    env.update(PATH=f"{script.parent}{os.pathsep}{env.get('PATH', '')}", KUBECONFIG=str(context_kubeconfig), HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / ".config"))
    return env


def kubectl_run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KUBECTL), *args], capture_output=True, text=True, env=env, input=stdin, timeout=60)


def test_kubectl_finds_the_plugin(plugin_env: dict[str, str]) -> None:
    listed = kubectl_run(plugin_env, "plugin", "list")
    assert "kubectl-vmctl" in listed.stdout, listed.stderr


def test_kubectl_vmctl_scale_and_rollout(plugin_env: dict[str, str], namespace: str) -> None:
    created = kubectl_run(plugin_env, "create", "--validate=false", "-f", "-", stdin=POOL_YAML)
    assert created.returncode == 0, created.stderr
    proc = kubectl_run(plugin_env, "vmctl", "scale", "pool", "web", "--replicas", "3")
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        0, "virtualmachinepool.pool.kubevirt.io/web scaled\n", ""
    )
    seen = json.loads(kubectl_run(plugin_env, "get", "vmpool", "web", "-n", namespace, "-o", "json").stdout)
    assert seen["spec"]["replicas"] == 3  # in the context's namespace: no -n anywhere
    proc = kubectl_run(plugin_env, "vmctl", "rollout", "pause", "pool/web")
    assert proc.returncode == 0 and proc.stdout.endswith("paused\n"), proc.stderr
    proc = kubectl_run(plugin_env, "vmctl", "get", "vmpool", "-o", "name")
    assert (proc.returncode, proc.stdout) == (0, "virtualmachinepool.pool.kubevirt.io/web\n"), proc.stderr


def test_kubectl_vmctl_usage_errors_name_the_plugin(plugin_env: dict[str, str]) -> None:
    proc = kubectl_run(plugin_env, "vmctl", "scale", "pool", "web")
    assert proc.returncode == 2
    assert "see 'kubectl vmctl scale --help'" in proc.stderr


@pytest.mark.parametrize("args", [
    ("controller", "status"),
    ("volume", "list"),
    ("volume", "create", "data1", "--size", "1Gi"),
], ids=" ".join)
def test_local_only_verbs_say_so_on_the_cluster(plugin_env: dict[str, str], args: tuple[str, ...]) -> None:
    proc = kubectl_run(plugin_env, "vmctl", *args)
    assert (proc.returncode, proc.stdout) == (2, "")
    verb = f"kubectl vmctl {args[0]}"  # as the user called it
    assert proc.stderr == f"error: {verb} is only available with the local backend (this is the cluster backend)\n"

