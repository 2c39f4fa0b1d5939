"""The backend flags every command that talks to a backend shares, declared once, and how such a command opens
its backend: ``--backend``, the local backend's ``--state-dir`` and ``--libvirt-uri``, and kubectl's global flags
for the cluster backend (``--kubeconfig``, ``--context``, ``--as``, ``--request-timeout``; the local backend
ignores them)."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from vmctl.cli.options import As, Backend, Context, Kubeconfig, LibvirtUri, RequestTimeout, StateDir

if TYPE_CHECKING:
    from vmctl.backends.base import Backend as BackendProtocol

F = TypeVar("F", bound=Callable[..., Any])


class BackendFlags(NamedTuple):
    """What the user said about the backend on the command line (None: not said)."""

    backend: str | None = None
    state_dir: Path | None = None
    libvirt_uri: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    impersonate: str | None = None  # kubectl's --as
    request_timeout: str | None = None  # as typed: "30s", "1m30s", "0"


NO_FLAGS = BackendFlags()

_ANNOTATIONS: dict[str, Any] = {
    "backend": Backend, "state_dir": StateDir, "libvirt_uri": LibvirtUri, "kubeconfig": Kubeconfig,
    "context": Context, "impersonate": As, "request_timeout": RequestTimeout,
}
assert tuple(_ANNOTATIONS) == BackendFlags._fields
_FLAGS = tuple(
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
    for name, annotation in _ANNOTATIONS.items()
)


#: kubectl's global flags alone, for commands that only read from a cluster (``resolve --from-cluster``).
_KUBECTL_FLAGS = tuple(p for p in _FLAGS if p.name in ("kubeconfig", "context", "impersonate", "request_timeout"))


def _with_flags(func: F, flags: tuple[inspect.Parameter, ...]) -> F:
    signature = inspect.signature(func, eval_str=True)
    params = [p for name, p in signature.parameters.items() if name != "flags"]

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        given = BackendFlags(**{name: kwargs.pop(name, None) for name in BackendFlags._fields})
        return func(*args, flags=given, **kwargs)

    command.__signature__ = signature.replace(parameters=[*params, *flags])  # type: ignore[attr-defined]
    return command  # type: ignore[return-value]


def backend_command(func: F) -> F:
    """Give a command the backend flags; it receives them as one ``flags: BackendFlags`` argument."""
    return _with_flags(func, _FLAGS)


def cluster_command(func: F) -> F:
    """Give an offline command that may read from a cluster kubectl's global flags (``--kubeconfig``,
    ``--context``, ``--as``, ``--request-timeout``), received as ``flags: BackendFlags``."""
    return _with_flags(func, _KUBECTL_FLAGS)


class CliReporter:
    """Backend warnings and notices as ``warning:`` / ``notice:`` lines on stderr."""

    def warn(self, message: str) -> None:
        from vmctl.cli.output import warn

        warn(message)

    def notice(self, message: str) -> None:
        import sys

        sys.stderr.write(f"notice: {message}\n")

    @contextlib.contextmanager
    def progress(self, label: str, total: int, done: Callable[[], int]) -> Iterator[None]:
        """A rich progress bar on stderr, on a terminal only, redrawn from ``done()`` five times a second."""
        import sys

        if not sys.stderr.isatty():
            yield
            return
        import threading

        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        finished = threading.Event()
        with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                      transient=True) as bar:
            task = bar.add_task(label, total=total or None)

            def poll() -> None:
                while not finished.wait(0.2):
                    bar.update(task, completed=done())

            thread = threading.Thread(target=poll, daemon=True)
            thread.start()
            try:
                yield
            finally:
                finished.set()
                thread.join()


def open_backend(flags: BackendFlags, *, allow_hooks: bool | None = None) -> BackendProtocol:
    """The backend a command talks to (``--backend``, environment, config file, kubeconfig probe)."""
    from vmctl.backends.select import ClusterFlags, get_backend

    cluster = ClusterFlags(flags.kubeconfig, flags.context, flags.impersonate, flags.request_timeout)
    return get_backend(flags.backend, flags.state_dir, flags.libvirt_uri, allow_hooks=allow_hooks,
                       reporter=CliReporter(), cluster=cluster)


def program() -> str:
    """How the user called vmctl (``vmctl`` or ``kubectl vmctl``), for messages that name a command."""
    import click

    ctx = click.get_current_context(silent=True)
    return ctx.find_root().info_name or "vmctl" if ctx is not None else "vmctl"
