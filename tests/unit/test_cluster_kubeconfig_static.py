"""The static-credential fast path builds the same client configuration as the official kubeconfig loader.

vmctl reads contexts whose user holds a token, a token file, a client certificate, basic auth or nothing
without importing ``kubernetes.config.kube_config`` (it pulls oauthlib, requests and pydantic: most of a
cluster command's start-up). Every shape here is loaded both ways and compared field by field (files by
content); exec plugins, auth providers and broken entries go to the official loader.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("kubernetes")

from vmctl.backends.cluster import kubeconfig  # noqa: E402

FIELDS = ("host", "verify_ssl", "tls_server_name", "proxy")
FILES = ("ssl_ca_cert", "cert_file", "key_file")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def write(path: Path, cluster: dict[str, Any], user: dict[str, Any] | None) -> Path:
    ctx: dict[str, Any] = {"cluster": "c"}
    doc: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "c", "cluster": cluster}], "contexts": [{"name": "x", "context": ctx}], "users": [],
    }
    if user is not None:
        ctx["user"] = "u"
        doc["users"] = [{"name": "u", "user": user}]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def snapshot(cfg: Any) -> dict[str, Any]:
    seen = {f: getattr(cfg, f) for f in FIELDS}
    seen["auth"] = cfg.auth_settings()
    for f in FILES:
        value = getattr(cfg, f)
        seen[f] = Path(value).read_bytes() if value else None
    return seen


def both_ways(paths: list[Path]) -> tuple[Any, dict[str, Any]]:
    """(fast-path configuration or None, the official loader's snapshot)."""
    merged = kubeconfig._merge(paths)
    ctx = merged.entries["contexts"]["x"][0]["context"]
    return kubeconfig._static_configuration(merged, ctx), snapshot(kubeconfig._loaded_configuration(paths, "x"))


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    for name in ("ca.crt", "client.crt", "client.key"):
        (tmp_path / name).write_text(f"-----{name}-----\n", encoding="utf-8")
    (tmp_path / "token").write_text("file-token", encoding="utf-8")
    return tmp_path


HTTPS = "https://127.0.0.1:6443/"
SHAPES: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "files": ({"server": HTTPS, "certificate-authority": "ca.crt"},
              {"client-certificate": "client.crt", "client-key": "client.key"}),
    "data": ({"server": HTTPS, "certificate-authority-data": b64("CA")},
             {"client-certificate-data": b64("CERT"), "client-key-data": b64("KEY")}),
    "data wins over file": ({"server": HTTPS, "certificate-authority-data": b64("CA"),
                             "certificate-authority": "ca.crt"}, {"token": "t"}),
    "token": ({"server": HTTPS, "insecure-skip-tls-verify": True}, {"token": "abc.def"}),
    "token file": ({"server": HTTPS, "certificate-authority": "ca.crt"}, {"tokenFile": "token"}),
    "token wins over token file": ({"server": HTTPS}, {"token": "inline", "tokenFile": "token"}),
    "empty token": ({"server": HTTPS}, {"token": "", "username": "ann", "password": "pw"}),
    "basic auth": ({"server": HTTPS, "tls-server-name": "api.example"}, {"username": "ann", "password": "s3:cr"}),
    "token and basic": ({"server": HTTPS}, {"token": "t", "username": "ann", "password": "pw"}),
    "proxy": ({"server": HTTPS, "proxy-url": "http://proxy:3128", "insecure-skip-tls-verify": False},
              {"token": "t"}),
    "plain http ignores certificates": ({"server": "http://127.0.0.1:8080"},
                                        {"client-certificate": "client.crt", "client-key": "client.key"}),
    "no user": ({"server": HTTPS, "certificate-authority": "ca.crt"}, None),
    "empty user": ({"server": HTTPS}, {}),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_fast_path_equals_the_official_loader(pki: Path, shape: str) -> None:
    cluster, user = SHAPES[shape]
    fast, official = both_ways([write(pki / "config", cluster, user)])
    assert fast is not None, "a static user must not need the official loader"
    assert snapshot(fast) == official


def test_merged_files_resolve_paths_as_the_official_loader(tmp_path: Path) -> None:
    """The loader resolves a user's certificate paths from the *cluster's* file, its token file from its own."""
    one, two = tmp_path / "one", tmp_path / "two"
    for d in (one, two):
        d.mkdir()
        for name in ("ca.crt", "client.crt", "client.key", "token"):
            (d / name).write_text(f"{d.name}/{name}", encoding="utf-8")
    first = write(one / "config", {"server": HTTPS, "certificate-authority": "ca.crt"}, None)
    second = two / "config"
    second.write_text(yaml.safe_dump({"users": [{"name": "u", "user": {
        "client-certificate": "client.crt", "client-key": "client.key", "tokenFile": "token"}}]}))
    doc = yaml.safe_load(first.read_text())
    doc["contexts"][0]["context"]["user"] = "u"
    first.write_text(yaml.safe_dump(doc))
    fast, official = both_ways([first, second])
    assert fast is not None and snapshot(fast) == official
    assert official["cert_file"] == b"one/client.crt" and official["auth"]["BearerToken"]["value"] == "Bearer two/token"


@pytest.mark.parametrize("user", [
    {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "true"}},
    {"auth-provider": {"name": "oidc", "config": {}}},
    {"client-certificate": "missing.crt", "client-key": "missing.key"},
    {"token": 42},
])
def test_other_users_go_to_the_official_loader(tmp_path: Path, user: dict[str, Any]) -> None:
    path = write(tmp_path / "config", {"server": HTTPS}, user)
    merged = kubeconfig._merge([path])
    assert kubeconfig._static_configuration(merged, merged.entries["contexts"]["x"][0]["context"]) is None


def test_missing_certificate_file_keeps_the_official_message(tmp_path: Path) -> None:
    path = write(tmp_path / "config", {"server": HTTPS}, {"client-certificate": "gone.crt", "client-key": "k"})
    with pytest.raises(kubeconfig.ConfigError, match="File does not exist: .*gone.crt"):
        kubeconfig.load(path, None, None, environ={})


def test_embedded_data_lands_in_private_files(tmp_path: Path) -> None:
    path = write(tmp_path / "config", {"server": HTTPS, "certificate-authority-data": b64("CA")},
                 {"client-certificate-data": b64("CERT"), "client-key-data": b64("KEY")})
    cfg = kubeconfig.load(path, None, None, environ={}).configuration
    for name in FILES:
        assert Path(getattr(cfg, name)).stat().st_mode & 0o077 == 0
