"""Choosing the backend: flag, VMCTL_BACKEND, config file, kubeconfig probe; config file errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vmctl.backends import select
from vmctl.errors import InputError, UsageError, VmctlError


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("VMCTL_BACKEND", raising=False)
    return tmp_path


def config(home: Path, text: str) -> None:
    path = home / ".config" / "vmctl" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_default_is_local_without_kubeconfig(home: Path) -> None:
    assert select.choose_backend(None) == "local"


def test_kubeconfig_means_cluster(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text("apiVersion: v1\ncurrent-context: admin\n")
    assert select.choose_backend(None) == "cluster"
    monkeypatch.setenv("KUBECONFIG", str(home / "missing"))
    assert select.choose_backend(None) == "local"


def test_precedence_flag_env_config(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config(home, "backend: cluster\n")
    assert select.choose_backend(None) == "cluster"
    monkeypatch.setenv("VMCTL_BACKEND", "local")
    assert select.choose_backend(None) == "local"
    assert select.choose_backend("cluster") == "cluster"


def test_a_usable_kubeconfig_means_the_cluster_without_a_notice(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vmctl.backends.base import SilentReporter

    kc = home / "kc"
    kc.write_text(KUBECONFIG_TEXT)
    monkeypatch.setenv("KUBECONFIG", f"{home / 'absent'}:{kc}")
    reporter = SilentReporter()
    be = select.get_backend(None, home / "st", "test:///default", reporter=reporter)
    assert (be.name, reporter.messages) == ("cluster", [])
    be.close()
    be = select.get_backend("local", home / "st", "test:///default", reporter=reporter)
    assert (be.name, reporter.messages) == ("local", [])


@pytest.mark.parametrize(("text", "usable"), [
    ("apiVersion: v1\nkind: Config\n", False),
    ('current-context: ""\n', False),
    ("current-context: ~  # none\n", False),
    ("current-context: admin\n", True),
    ("current-context: 'dev'\n", True),
    ('{"kind": "Config", "current-context": "admin"}', True),
    ('{"kind": "Config", "current-context": ""}', False),
    ('{\n"current-context": "admin"\n}\n', True),
])
def test_usable_means_a_current_context(home: Path, text: str, usable: bool) -> None:
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text(text)
    assert select.choose_backend(None) == ("cluster" if usable else "local")


@pytest.mark.parametrize("how", ["flag", "env", "config"])
def test_explicit_cluster_reads_the_kubeconfig(home: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    monkeypatch.setenv("KUBECONFIG", str(home / "kc"))
    (home / "kc").write_text("apiVersion: v1\n")
    if how == "env":
        monkeypatch.setenv("VMCTL_BACKEND", "cluster")
    elif how == "config":
        config(home, "backend: cluster\n")
    with pytest.raises(VmctlError) as err:
        select.get_backend("cluster" if how == "flag" else None, home / "st", "test:///default")
    assert str(err.value) == f"{home / 'kc'}: no current-context set"  # a kubeconfig without contexts


def test_bad_values(home: Path) -> None:
    with pytest.raises(UsageError, match="--backend: expected 'local' or 'cluster', got 'kvm'"):
        select.choose_backend("kvm")
    config(home, "backend: local\nallowHooks: yes please\n")
    with pytest.raises(InputError, match="allowHooks: expected true or false"):
        select.load_config()
    config(home, "libvirtURI: qemu:///system\n")
    with pytest.raises(InputError, match="unknown setting 'libvirtURI'"):
        select.load_config()


def test_config_values_reach_the_local_backend(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VMCTL_STATE_DIR", raising=False)
    monkeypatch.delenv("VMCTL_LIBVIRT_URI", raising=False)
    config(home, f"backend: local\nlibvirtUri: test:///default\nstateDir: {home}/st\nallowHooks: true\n")
    be = select.get_backend(None, None, None)
    assert (be.name, be.uri, be.state_dir, be.allow_hooks) == ("local", "test:///default", home / "st", True)
    assert be.list("ConfigMap") == [] and (home / "st" / "state.db").is_file()  # the store opens on first use
    be = select.get_backend(None, home / "other", "test:///default", allow_hooks=False)
    assert be.state_dir == home / "other"


def test_cluster_backend_without_a_kubeconfig(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(VmctlError) as err:
        select.get_backend("cluster", None, None)
    assert str(err.value) == "no kubeconfig found (looked at ~/.kube/config) and not running inside a cluster"
    assert err.value.hint == "pass --kubeconfig, set KUBECONFIG, or use --backend local"


def test_cluster_backend_opens_without_contacting_the_server(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("kubernetes")
    kc = home / "kc"
    kc.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: c, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: c, namespace: team}}]\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(kc))
    be = select.get_backend("cluster", None, None)
    assert be.name == "cluster" and be.conn.namespace == "team" and be.conn.server == "https://127.0.0.1:1"
    be.close()


def test_default_uri_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(select.os, "geteuid", lambda: 0)
    assert select.default_libvirt_uri() == "qemu:///system"
    monkeypatch.setattr(select.os, "geteuid", lambda: 1000)
    assert select.default_libvirt_uri() == "qemu:///session"


def test_libvirtd_down_is_one_line() -> None:
    from vmctl.backends.local.libvirt_conn import open_connection

    with pytest.raises(VmctlError) as err:
        open_connection("qemu+unix:///system?socket=/nonexistent/libvirt-sock")
    assert str(err.value) == "libvirtd is not running: start it with 'libvirtd -d' (or 'systemctl start libvirtd')"


KUBECONFIG_TEXT = (
    "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
    "users: [{name: c, user: {token: t}}, {name: d, user: {token: u}}]\n"
    "contexts: [{name: c, context: {cluster: c, user: c, namespace: team}},\n"
    "           {name: d, context: {cluster: c, user: d, namespace: other}}]\n"
)


def test_kubectl_flags_reach_the_cluster_connection(home: Path) -> None:
    pytest.importorskip("kubernetes")
    kc = home / "kc"
    kc.write_text(KUBECONFIG_TEXT)
    flags = select.ClusterFlags(kubeconfig=str(kc), context="d", impersonate="ann", request_timeout="1m30s")
    be = select.get_backend(None, None, None, cluster=flags)  # --kubeconfig alone chooses the cluster
    assert (be.name, be.default_namespace, be.conn.settings.context) == ("cluster", "other", "d")
    assert be.conn.timeout == 90 and be.conn.default_headers()["Impersonate-User"] == "ann"
    be.close()


def test_local_backend_ignores_the_kubectl_flags(home: Path) -> None:
    flags = select.ClusterFlags(kubeconfig=str(home / "absent"), context="x", request_timeout="soon")
    be = select.get_backend("local", home / "st", "test:///default", cluster=flags)
    assert (be.name, be.default_namespace) == ("local", "default")


def test_kubectl_plugin_prefers_the_cluster(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text(KUBECONFIG_TEXT)
    assert select.choose_backend(None) == "cluster"  # a usable kubeconfig: the cluster
    (home / ".kube" / "config").write_text("apiVersion: v1\nkind: Config\n")
    assert select.choose_backend(None) == "local"  # no current-context: not usable
    monkeypatch.setattr(select, "PREFER_CLUSTER", True)
    assert select.choose_backend(None) == "cluster"  # as kubectl-vmctl: any kubeconfig means the cluster
    assert select.choose_backend("local") == "local"


def test_the_suite_never_reads_the_users_kubeconfig() -> None:
    """tests/conftest.py points KUBECONFIG at a file that does not exist: with no backend named, tests run on the
    local backend whatever ~/.kube/config holds."""
    assert not Path(os.environ["KUBECONFIG"]).exists()
    assert select.choose_backend(None) == "local"


def test_a_kubeconfig_named_in_KUBECONFIG_means_the_cluster_even_when_broken(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As kubectl: a file the user names is used, and a broken one is an error, not a quiet switch to local."""
    bad = home / "kc-bad.yaml"
    bad.write_text("garbage: [\n")
    monkeypatch.setenv("KUBECONFIG", str(bad))
    assert select.choose_backend(None) == "cluster"
    pytest.importorskip("kubernetes")
    with pytest.raises(VmctlError, match=r"kc-bad.yaml: not valid YAML"):
        select.get_backend(None, home / "st", "test:///default")


def test_in_a_pod_the_service_account_means_the_cluster(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vmctl.backends.cluster import incluster

    sa = home / "sa"
    sa.mkdir()
    (sa / "token").write_text("t")
    monkeypatch.setattr(incluster, "SA_DIR", sa)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    assert select.choose_backend(None) == "cluster"
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    assert select.choose_backend(None) == "local"
