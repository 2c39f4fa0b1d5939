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

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vmctl.errors import InputError

SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


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


def in_cluster_available(environ: Mapping[str, str], sa_dir: Path = SA_DIR) -> bool:
    return bool(
        environ.get("KUBERNETES_SERVICE_HOST")
        and environ.get("KUBERNETES_SERVICE_PORT")
        and (sa_dir / "token").is_file()
    )


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


def _merged(paths: list[Path]) -> tuple[Any, str | None]:
    """The client's merged config (entries keep their file for relative paths) and kubectl's
    current-context."""
    from kubernetes.config.kube_config import KubeConfigMerger

    current: str | None = None
    for path in paths:
        data = _read_yaml(path)  # also reports unreadable / malformed files in one line
        for key in ("clusters", "users", "contexts"):
            if data.get(key) is not None and not isinstance(data[key], list):
                raise ConfigError(f"{path}: {key}: expected a list")
        if current is None and data.get("current-context"):
            current = str(data["current-context"])
    merger = KubeConfigMerger(os.pathsep.join(str(p) for p in paths))
    if merger.config is None:
        raise ConfigError(f"{paths[0]}: empty kubeconfig")
    return merger.config, current


def _from_files(paths: list[Path], context: str | None, namespace: str | None) -> ClientSettings:
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigLoader

    config, current = _merged(paths)
    entries = [getattr(c, "value", c) for c in (config.value.get("contexts") or [])]  # ConfigNode or dict
    names = [str(c.get("name")) for c in entries if isinstance(c, Mapping)]
    chosen = context or current
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
    config.value["current-context"] = chosen
    cfg = Configuration()
    with _CapturedClientLog() as log:
        try:
            loader = KubeConfigLoader(config_dict=config, active_context=chosen, config_base_path=None)
            loader.load_and_set(cfg)
        except ConfigException as exc:
            raise ConfigError(f"context {chosen!r}: {_clean(str(exc))}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"context {chosen!r}: malformed kubeconfig entry ({type(exc).__name__}: {exc})"
            ) from None
    ctx = loader.current_context.get("context") or {}
    user = ctx.get("user")
    if log.messages:  # the client logs (and goes on without credentials) when an exec plugin fails
        raise ConfigError(f"user {user!r} of context {chosen!r}: {log.messages[0]}")
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


def _in_cluster(namespace: str | None, environ: Mapping[str, str], sa_dir: Path) -> ClientSettings:
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.incluster_config import InClusterConfigLoader

    cfg = Configuration()
    try:
        InClusterConfigLoader(str(sa_dir / "token"), str(sa_dir / "ca.crt"), environ=environ).load_and_set(
            cfg
        )
    except ConfigException as exc:
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
