"""Kubeconfig selection follows kubectl: --kubeconfig, the KUBECONFIG merge list, ~/.kube/config,
in-cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("kubernetes")

from vmctl.backends.cluster.kubeconfig import ConfigError, load  # noqa: E402


def write(path: Path, current: str | None, entries: dict[str, dict[str, Any]]) -> Path:
    """A kubeconfig with one cluster/user/context per name: entries[name] = {server, namespace?, user?}."""
    cfg: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    if current:
        cfg["current-context"] = current
    for name, e in entries.items():
        cfg["clusters"].append(
            {"name": name, "cluster": {"server": e["server"], "insecure-skip-tls-verify": True}}
        )
        cfg["users"].append({"name": name, "user": e.get("user", {"token": f"secret-{name}"})})
        ctx = {"cluster": name, "user": name}
        if "namespace" in e:
            ctx["namespace"] = e["namespace"]
        cfg["contexts"].append({"name": name, "context": ctx})
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def test_explicit_file_and_context_namespace(tmp_path: Path) -> None:
    k = write(
        tmp_path / "k",
        "a",
        {"a": {"server": "https://a:6443", "namespace": "prod"}, "b": {"server": "https://b:6443"}},
    )
    s = load(k, environ={})
    assert (s.server, s.context, s.namespace, s.namespace_from, s.user) == (
        "https://a:6443",
        "a",
        "prod",
        "context",
        "a",
    )
    s = load(k, "b", environ={})
    assert (s.server, s.namespace, s.namespace_from) == ("https://b:6443", "default", "default")
    s = load(k, "a", "dev", environ={})
    assert (s.namespace, s.namespace_from) == ("dev", "flag")


def test_kubeconfig_env_merges_first_wins(tmp_path: Path) -> None:
    first = write(tmp_path / "one", "a", {"a": {"server": "https://first:1"}})
    second = write(
        tmp_path / "two", "b", {"a": {"server": "https://second:1"}, "b": {"server": "https://b:1"}}
    )
    env = {"KUBECONFIG": f"{tmp_path / 'missing'}:{first}:{second}"}
    s = load(environ=env)
    assert (s.context, s.server) == ("a", "https://first:1")  # current-context and entry from the first file
    assert load(context="b", environ=env).server == "https://b:1"  # entries only in later files are merged in


def test_default_location_and_in_cluster(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    write(home / ".kube" / "config", "a", {"a": {"server": "https://home:1"}})
    assert load(environ={"HOME": str(home)}).server == "https://home:1"

    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("sa-token-value")
    (sa / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")  # only read by the TLS layer, later
    (sa / "namespace").write_text("team-a\n")
    env = {
        "HOME": str(tmp_path / "nohome"),
        "KUBERNETES_SERVICE_HOST": "10.0.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
    }
    s = load(environ=env, sa_dir=sa)
    assert (s.server, s.namespace, s.namespace_from, s.sources) == (
        "https://10.0.0.1:443",
        "team-a",
        "service account",
        ("in-cluster",),
    )


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--kubeconfig: .*nope: no such file"):
        load(tmp_path / "nope", environ={})
    with pytest.raises(ConfigError, match="no kubeconfig found") as exc:
        load(environ={"HOME": str(tmp_path)})
    assert exc.value.hint and "--backend local" in exc.value.hint
    k = write(tmp_path / "k", "a", {"a": {"server": "https://a:1"}})
    with pytest.raises(ConfigError, match=r"--context: context 'zzz' not found") as exc:
        load(k, "zzz", environ={})
    assert exc.value.hint == "contexts: a"
    (tmp_path / "bad").write_text("clusters: [\n")
    with pytest.raises(ConfigError, match=r"bad: not valid YAML \(line"):
        load(tmp_path / "bad", environ={})
    nocur = write(tmp_path / "nocur", None, {"a": {"server": "https://a:1"}})
    with pytest.raises(ConfigError, match="no current-context set"):
        load(nocur, environ={})


def test_exec_plugin_failure_is_one_line_and_nothing_leaks(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    plugin = tmp_path / "plugin.sh"
    plugin.write_text("#!/bin/sh\necho 'credential helper broke' >&2\nexit 3\n")
    plugin.chmod(0o755)
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": str(plugin),
            "interactiveMode": "Never",
        }
    }
    k = write(tmp_path / "k", "a", {"a": {"server": "https://a:1", "user": user}})
    with pytest.raises(ConfigError) as exc:
        load(k, environ={})
    assert exc.value.message == "user 'a' of context 'a': exec: process returned 3. credential helper broke"
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_settings_never_show_the_token(tmp_path: Path) -> None:
    from vmctl.backends.cluster.kubeconfig import describe

    k = write(tmp_path / "k", "a", {"a": {"server": "https://a:1"}})
    s = load(k, environ={})
    assert "secret-a" not in describe(s) and "secret-a" not in repr(s)
