"""Where the cluster is and who we are: kubeconfig files (kubectl's rules) or the in-cluster service account.

Rules, as kubectl's ``clientcmd``:
- ``--kubeconfig PATH`` reads exactly that file (it must exist);
- else ``$KUBECONFIG`` is a ``:``-separated list, merged: for clusters, users and contexts the first file that
  names an entry wins, and ``current-context`` comes from the first file that sets it; missing files are
  skipped;
- else ``~/.kube/config``;
- else, inside a pod, the service account (``KUBERNETES_SERVICE_HOST`` + the mounted token).

``--context`` picks a context; the namespace is ``-n``, else the context's, else ``default`` (in a pod: the
service account's namespace). Users may carry a token (or tokenFile), a client certificate, or an exec
credential plugin. The official client does the authentication; this module only chooses and reports —
tokens stay inside the client's configuration and are never part of a message.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vmctl.backends.cluster import official_client
from vmctl.backends.cluster.incluster import SA_DIR, in_cluster_available
from vmctl.errors import InputError


class ConfigError(InputError):
    """The kubeconfig (or the in-cluster environment) cannot be used."""


@dataclass
class ClientSettings:
    """A ready ``kubernetes.client.Configuration`` plus what vmctl may say about it."""

    configuration: Any = field(repr=False)  # kubernetes.client.Configuration: holds credentials, never shown
    server: str
    namespace: str
    namespace_from: str  # "flag", "context", "service account" or "default"
    context: str | None = None
    user: str | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)  # kubeconfig files read (or "in-cluster")


def kubeconfig_paths(kubeconfig: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> list[Path]:
    """The kubeconfig files to read, in precedence order (only existing ones; --kubeconfig must exist)."""
    if kubeconfig:
        path = Path(os.path.expanduser(os.fspath(kubeconfig)))
        if not path.is_file():
            raise ConfigError(f"--kubeconfig: {path}: no such file")
        return [path]
    env = environ.get("KUBECONFIG")
    if env:
        seen: list[Path] = []
        for part in env.split(os.pathsep):
            if part:
                path = Path(os.path.expanduser(part))
                if path.is_file() and path not in seen:
                    seen.append(path)
        return seen
    home = environ.get("HOME") or os.path.expanduser("~")
    default = Path(home) / ".kube" / "config"
    return [default] if default.is_file() else []


def load(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    namespace: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    sa_dir: Path = SA_DIR,
) -> ClientSettings:
    """Client settings from the kubeconfig files (or the pod's service account); one clear error otherwise."""
    environ = os.environ if environ is None else environ
    paths = kubeconfig_paths(kubeconfig, environ)
    if paths:
        return _from_files(paths, context, namespace)
    if in_cluster_available(environ, sa_dir):
        if context:
            raise ConfigError(
                f"--context {context}: no kubeconfig found, and the in-cluster config has no contexts"
            )
        return _in_cluster(namespace, environ, sa_dir)
    looked = environ.get("KUBECONFIG") or "~/.kube/config"
    raise ConfigError(
        f"no kubeconfig found (looked at {looked}) and not running inside a cluster",
        hint="pass --kubeconfig, set KUBECONFIG, or use --backend local",
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a kubeconfig mapping (apiVersion: v1, kind: Config)")
    return data


_SECTIONS = ("clusters", "users", "contexts")


@dataclass
class _Merged:
    """kubectl's merge of several kubeconfig files: per section, the first file naming an entry wins; each
    entry keeps the file it came from (relative paths are relative to it)."""

    entries: dict[str, dict[str, tuple[Any, Path]]]
    current: str | None


def _merge(paths: list[Path]) -> _Merged:
    entries: dict[str, dict[str, tuple[Any, Path]]] = {key: {} for key in _SECTIONS}
    current: str | None = None
    for path in paths:
        data = _read_yaml(path)  # also reports unreadable / malformed files in one line
        for key in _SECTIONS:
            if data.get(key) is not None and not isinstance(data[key], list):
                raise ConfigError(f"{path}: {key}: expected a list")
            for entry in data.get(key) or []:
                if isinstance(entry, Mapping) and entry.get("name") is not None:
                    entries[key].setdefault(str(entry["name"]), (entry, path))
        if current is None and data.get("current-context"):
            current = str(data["current-context"])
    return _Merged(entries, current)


def _from_files(paths: list[Path], context: str | None, namespace: str | None) -> ClientSettings:
    merged = _merge(paths)
    names = list(merged.entries["contexts"])
    chosen = context or merged.current
    files = ", ".join(str(p) for p in paths)
    if not chosen:
        raise ConfigError(
            f"{files}: no current-context set", hint=_contexts_hint(names, "--context NAME picks one")
        )
    if chosen not in names:
        flag = "--context" if context else "current-context"
        raise ConfigError(
            f"{flag}: context {chosen!r} not found in {files}", hint=_contexts_hint(names, None)
        )
    ctx = merged.entries["contexts"][chosen][0].get("context")
    ctx = ctx if isinstance(ctx, Mapping) else {}
    cfg = _static_configuration(merged, ctx)
    if cfg is None:  # exec plugins, auth providers and anything unusual: the official loader
        cfg = _loaded_configuration(paths, chosen)
    user = ctx.get("user")
    server = getattr(cfg, "host", "") or ""
    if not server or server == "http://localhost":
        raise ConfigError(f"context {chosen!r}: its cluster has no server address")
    ns, source = (
        (namespace, "flag")
        if namespace
        else ((str(ctx["namespace"]), "context") if ctx.get("namespace") else ("default", "default"))
    )
    return ClientSettings(
        cfg, server, ns, source, chosen, str(user) if user else None, tuple(str(p) for p in paths)
    )


def _loaded_configuration(paths: list[Path], chosen: str) -> Any:
    """The official client's loader: exec credential plugins, auth providers (OIDC refresh), its errors."""
    kube_config = official_client.kube_config()
    config_exception = official_client.config_exception()
    merger = kube_config.KubeConfigMerger(os.pathsep.join(str(p) for p in paths))
    if merger.config is None:
        raise ConfigError(f"{paths[0]}: empty kubeconfig")
    config = merger.config
    config.value["current-context"] = chosen
    cfg = official_client.configuration()
    with _CapturedClientLog() as log:
        try:
            loader = kube_config.KubeConfigLoader(config_dict=config, active_context=chosen, config_base_path=None)
            loader.load_and_set(cfg)
        except config_exception as exc:
            raise ConfigError(f"context {chosen!r}: {_clean(str(exc))}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"context {chosen!r}: malformed kubeconfig entry ({type(exc).__name__}: {exc})"
            ) from None
    if log.messages:  # the client logs (and goes on without credentials) when an exec plugin fails
        user = (loader.current_context.get("context") or {}).get("user")
        raise ConfigError(f"user {user!r} of context {chosen!r}: {log.messages[0]}")
    return cfg


#: What a static user or cluster entry may hold for the fast path, and the type each must have.
_USER_FIELDS = {
    "token": str, "tokenFile": str, "username": str, "password": str, "client-certificate": str,
    "client-certificate-data": str, "client-key": str, "client-key-data": str,
}
_CLUSTER_FIELDS = {
    "server": str, "certificate-authority": str, "certificate-authority-data": str,
    "insecure-skip-tls-verify": bool, "tls-server-name": str, "proxy-url": str,
}


class _NotStatic(Exception):
    """The entry needs the official loader (exec, auth-provider, a missing file, an odd value)."""


def _static_configuration(merged: _Merged, ctx: Mapping[str, Any]) -> Any | None:
    """The ``Configuration`` the official loader would build for a context whose user has static credentials
    (token, token file, client certificate, basic auth, none) — without importing the loader (bench/NOTES.md);
    ``None`` when the official loader must do it. tests/unit/test_cluster_kubeconfig.py compares the two."""
    try:
        cluster, cluster_file = _section(merged, "clusters", ctx.get("cluster"), "cluster", _CLUSTER_FIELDS)
        user, user_file = ({}, cluster_file) if not ctx.get("user") else _section(
            merged, "users", ctx.get("user"), "user", _USER_FIELDS
        )
        if "server" not in cluster:
            raise _NotStatic
        cfg = official_client.configuration()
        token = _user_token(user, user_file.parent)
        if token:
            cfg.api_key["BearerToken"] = token
        cfg.host = cluster["server"].rstrip("/")
        if cfg.host.startswith("https"):
            base = cluster_file.parent  # client certificates too: the loader resolves them from the cluster's file
            cfg.ssl_ca_cert = _as_file(cluster, "certificate-authority", base)
            cfg.cert_file = _as_file(user, "client-certificate", base)
            cfg.key_file = _as_file(user, "client-key", base)
        if "insecure-skip-tls-verify" in cluster:
            cfg.verify_ssl = not cluster["insecure-skip-tls-verify"]
        if "tls-server-name" in cluster:
            cfg.tls_server_name = cluster["tls-server-name"]
        if "proxy-url" in cluster:
            cfg.proxy = cluster["proxy-url"]
        return cfg
    except (_NotStatic, OSError, ValueError):
        return None


def _section(
    merged: _Merged, section: str, name: Any, key: str, fields: Mapping[str, type]
) -> tuple[Mapping[str, Any], Path]:
    found = merged.entries[section].get(str(name)) if isinstance(name, str) else None
    if found is None:
        raise _NotStatic
    entry, path = found
    body = entry.get(key)
    if not isinstance(body, Mapping) or any(k not in fields or not isinstance(v, fields[k]) for k, v in body.items()):
        raise _NotStatic
    return body, Path(os.path.abspath(path))


def _user_token(user: Mapping[str, Any], base: Path) -> str | None:
    """``Bearer <token>`` (``token`` wins over ``tokenFile``), else ``Basic ...`` for username and password."""
    token = user["token"] if "token" in user else (
        (base / user["tokenFile"]).read_text(encoding="utf-8").strip() if "tokenFile" in user else None
    )
    if token:
        return f"Bearer {token}"
    if "username" in user and "password" in user:
        from urllib3.util import make_headers

        return str(make_headers(basic_auth=f"{user['username']}:{user['password']}")["authorization"])
    return None


def _as_file(entry: Mapping[str, Any], key: str, base: Path) -> str | None:
    """A file path for ``key`` (relative to ``base``), or a private temporary file holding ``key-data``."""
    if f"{key}-data" in entry:
        data = entry[f"{key}-data"]
        return _private_file(base64.standard_b64decode(data)) if data else None
    if key in entry:
        path = os.path.normpath(base / entry[key])
        if not os.path.isfile(path):
            raise _NotStatic  # the official loader says which file is missing
        return path
    return None


def _private_file(content: bytes) -> str:
    """Write ``content`` to a mode-0600 temporary file removed when vmctl exits."""
    import atexit
    import tempfile

    fd, name = tempfile.mkstemp(prefix="vmctl-kubeconfig-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    atexit.register(_remove_quietly, name)
    return name


def _remove_quietly(name: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(name)


def _in_cluster(namespace: str | None, environ: Mapping[str, str], sa_dir: Path) -> ClientSettings:
    config_exception = official_client.config_exception()
    cfg = official_client.configuration()
    try:
        official_client.incluster_config().InClusterConfigLoader(str(sa_dir / "token"), str(sa_dir / "ca.crt"), environ=environ).load_and_set(
            cfg
        )
    except config_exception as exc:
        raise ConfigError(f"in-cluster config: {_clean(str(exc))}") from None
    if namespace:
        ns, source = namespace, "flag"
    else:
        try:
            ns = (sa_dir / "namespace").read_text(encoding="utf-8").strip() or "default"
            source = "service account"
        except OSError:
            ns, source = "default", "default"
    return ClientSettings(cfg, cfg.host, ns, source, None, "serviceaccount", ("in-cluster",))


def _contexts_hint(names: list[str], extra: str | None) -> str | None:
    parts = []
    if names:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        parts.append(f"contexts: {shown}")
    if extra:
        parts.append(extra)
    return "; ".join(parts) or None


def _clean(text: str) -> str:
    return " ".join(text.split())


class _CapturedClientLog(logging.Handler):
    """Collect the error lines the official client logs while loading, instead of letting them reach
    stderr."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(_clean(record.getMessage()))

    def __enter__(self) -> _CapturedClientLog:
        root = logging.getLogger()
        self._saved = root.handlers[:]
        root.handlers = [self]
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().handlers = self._saved


def describe(settings: ClientSettings) -> str:
    """One line for diagnostics: server, context, user, namespace (never credentials)."""
    who = f"user {settings.user}" if settings.user else "no user"
    ctx = f"context {settings.context}" if settings.context else "in-cluster"
    return f"{settings.server} ({ctx}, {who}, namespace {settings.namespace})"


__all__ = ["ClientSettings", "ConfigError", "describe", "kubeconfig_paths", "load"]
