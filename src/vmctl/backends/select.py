"""Pick the backend for a command: ``--backend``, ``VMCTL_BACKEND``, the config file, then a kubeconfig probe.

Without an explicit choice, ``cluster`` is the default whenever a cluster is configured (``$KUBECONFIG`` names an
existing file; else ``~/.kube/config`` sets a ``current-context``; else a pod's service account), and ``local``
otherwise.
There is no silent fallback: a cluster that cannot be reached is one ``error:`` line naming its server
(``--backend local`` or ``VMCTL_BACKEND=local`` picks the local backend). ``--kubeconfig`` or ``--context``
with no backend named also means the cluster, as does running as the kubectl plugin (``kubectl-vmctl``).
kubectl's global flags (``ClusterFlags``) reach the cluster backend's connection; the local backend ignores them.

Config file ``~/.config/vmctl/config.yaml`` (``$XDG_CONFIG_HOME/vmctl/config.yaml``) keys: ``backend``
(local|cluster), ``libvirtUri``, ``stateDir``, ``allowHooks`` (bool). Flags and environment win over the file.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vmctl.errors import InputError, UsageError

if TYPE_CHECKING:
    from vmctl.backends.base import Backend, Reporter

BACKENDS = ("local", "cluster")
#: Set by the ``kubectl-vmctl`` entry point: a kubeconfig then means the cluster, as it does for kubectl.
PREFER_CLUSTER = False


@dataclass(frozen=True)
class ClusterFlags:
    """kubectl's global flags vmctl shares (None: not given)."""

    kubeconfig: str | None = None
    context: str | None = None
    impersonate: str | None = None  # --as
    request_timeout: str | None = None  # as typed ("30s", "1m30s", "0")

    @property
    def names_cluster(self) -> bool:
        """Whether the user pointed at a cluster (--kubeconfig or --context)."""
        return bool(self.kubeconfig or self.context)


@dataclass(frozen=True)
class Config:
    backend: str | None = None
    libvirt_uri: str | None = None
    state_dir: Path | None = None
    allow_hooks: bool = False


def config_path() -> Path:
    from vmctl.paths import config_home

    return config_home() / "config.yaml"


def load_config(path: Path | None = None) -> Config:
    """Read the config file (missing file = defaults); bad content is one clear error."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    from vmctl.io.yamlio import parse_documents

    docs = parse_documents(text, str(path))
    if not docs:
        return Config()
    data: Any = docs[0].obj
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of settings (backend, libvirtUri, stateDir, allowHooks)")
    known = {"backend", "libvirtUri", "stateDir", "allowHooks"}
    for key in data:
        if key not in known:
            raise InputError(f"{path}: unknown setting {key!r}; expected one of {', '.join(sorted(known))}")
    backend = data.get("backend")
    if backend is not None and backend not in BACKENDS:
        raise InputError(f"{path}: backend: expected 'local' or 'cluster', got {backend!r}")
    for key in ("libvirtUri", "stateDir"):
        if data.get(key) is not None and (not isinstance(data[key], str) or "\0" in data[key]):
            raise InputError(f"{path}: {key}: expected a string")
    allow = data.get("allowHooks", False)
    if not isinstance(allow, bool):
        raise InputError(f"{path}: allowHooks: expected true or false, got {allow!r}")
    state = data.get("stateDir")
    return Config(
        backend=backend,
        libvirt_uri=data.get("libvirtUri"),
        state_dir=Path(os.path.expanduser(state)) if state else None,
        allow_hooks=allow,
    )


def _kubeconfig_files() -> list[Path]:
    """The kubeconfig files kubectl would read: $KUBECONFIG's existing files, else ~/.kube/config if present."""
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p and Path(p).is_file()]
    path = Path.home() / ".kube" / "config"
    return [path] if path.is_file() else []


_CURRENT = re.compile(r"""(?:^|[{,\s])["']?current-context["']?[ \t]*:[ \t]*["']?([^"'#,\s}]*)""")


def _sets_current_context(path: Path) -> bool:
    """Whether a kubeconfig file names a current context (a line scan: no YAML parser on every command)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # unreadable: the cluster backend says why in one line, rather than vmctl going local
    return any(m.group(1) not in ("", "~", "null") for m in _CURRENT.finditer(text))


def _has_kubeconfig() -> bool:
    """A cluster is configured: ``$KUBECONFIG`` names an existing file (the user's own statement, as for kubectl:
    a broken one is then an error, never a silent switch to local), ``~/.kube/config`` sets a current-context (a
    leftover empty one does not take a laptop over), or vmctl runs in a pod with a service account."""
    files = _kubeconfig_files()
    if files:
        return bool(os.environ.get("KUBECONFIG")) or any(_sets_current_context(p) for p in files)
    from vmctl.backends.cluster.incluster import in_cluster_available

    return in_cluster_available(os.environ)


def choose_backend(backend: str | None, config: Config | None = None, cluster: ClusterFlags | None = None) -> str:
    """The backend name: flag, ``VMCTL_BACKEND``, the config file, ``--kubeconfig``/``--context`` or the kubectl
    plugin (with any kubeconfig file, as kubectl), then cluster when a usable kubeconfig exists, else local."""
    source = "--backend"
    if backend is None:
        backend, source = os.environ.get("VMCTL_BACKEND") or None, "VMCTL_BACKEND"
    if backend is not None:
        if backend not in BACKENDS:
            raise UsageError(f"{source}: expected 'local' or 'cluster', got {backend!r}")
        return backend
    config = config or load_config()
    if config.backend:
        return config.backend
    if (cluster is not None and cluster.names_cluster) or (PREFER_CLUSTER and _kubeconfig_files()):
        return "cluster"
    return "cluster" if _has_kubeconfig() else "local"


def _open_cluster(reporter: Reporter, flags: ClusterFlags) -> Backend:
    """The cluster backend (the kubeconfig by kubectl's rules; a missing or broken one is a clear error)."""
    from vmctl.backends.cluster import open_backend

    return open_backend(
        kubeconfig=flags.kubeconfig, context=flags.context, impersonate=flags.impersonate,
        request_timeout=flags.request_timeout, reporter=reporter,
    )


def default_libvirt_uri() -> str:
    return "qemu:///system" if os.geteuid() == 0 else "qemu:///session"


def get_backend(
    backend: str | None, state_dir: Path | None, libvirt_uri: str | None, *, allow_hooks: bool | None = None,
    reporter: Reporter | None = None, cluster: ClusterFlags | None = None,
) -> Backend:
    """Open the backend a command should talk to; it tells the user things through ``reporter``. ``cluster``
    (kubectl's global flags) reaches the cluster backend only."""
    from vmctl.backends.base import SilentReporter

    reporter = reporter or SilentReporter()
    cluster = cluster or ClusterFlags()
    config = load_config()
    if choose_backend(backend, config, cluster) == "cluster":
        return _open_cluster(reporter, cluster)
    from vmctl.backends.local.backend import LocalBackend
    from vmctl.paths import default_state_dir

    env_state = os.environ.get("VMCTL_STATE_DIR")
    state = state_dir or (Path(env_state) if env_state else None) or config.state_dir or default_state_dir()
    uri = libvirt_uri or os.environ.get("VMCTL_LIBVIRT_URI") or config.libvirt_uri or default_libvirt_uri()
    hooks = config.allow_hooks if allow_hooks is None else (allow_hooks or config.allow_hooks)
    return LocalBackend(Path(state), uri, allow_hooks=hooks, reporter=reporter)
