"""The one small interface every backend (local libvirt, KubeVirt cluster) implements.

Commands in ``vmctl.cli`` talk only to these protocols, so every verb has the same flags, messages and exit
codes on both backends. Objects are plain dicts shaped like the Kubernetes API objects.

- ``Backend``: objects, lifecycle verbs, waits and streams — what every backend does;
- ``ObjectSource``: where instancetypes, preferences and presets are looked up (stored objects, then catalogs);
- ``LocalHost``: what only a host vmctl controls itself has: the control loop, the guest's domain XML and
  named volumes. Commands that need it check ``isinstance(backend, LocalHost)`` and say they are local-only.
- ``Reporter``: how a backend tells the user something without printing itself (the CLI injects one).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from vmctl.core.api import ObjectSource
from vmctl.errors import VmctlError

if TYPE_CHECKING:
    from vmctl.admission import Admitted
    from vmctl.core.defaults import ClusterConfig

__all__ = ["ApplyError", "Backend", "LocalHost", "NamedVolumes", "ObjectSource", "Ref", "Reporter", "Stream"]

Obj = dict[str, Any]


@dataclass(frozen=True)
class Ref:
    """A namespaced object reference: kind (KubeVirt kind name), name, namespace."""

    kind: str
    name: str
    namespace: str = "default"


class Reporter(Protocol):
    """Warnings (something may be wrong), notices (something to know) and progress (of a long transfer)."""

    def warn(self, message: str) -> None: ...
    def notice(self, message: str) -> None: ...
    def progress(self, label: str, total: int, done: Callable[[], int]) -> AbstractContextManager[None]:
        """Show the progress of a transfer of ``total`` bytes (0: unknown) while the block runs; ``done()``
        says how many bytes are through."""


class SilentReporter:
    """A reporter that keeps what it is told (library use and tests)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def warn(self, message: str) -> None:
        self.messages.append(f"warning: {message}")

    def notice(self, message: str) -> None:
        self.messages.append(f"notice: {message}")

    def progress(self, label: str, total: int, done: Callable[[], int]) -> AbstractContextManager[None]:
        return contextlib.nullcontext()


class Stream(Protocol):
    """A connected byte stream (a socket, or a websocket wrapped to look like one)."""

    def recv(self, size: int) -> bytes: ...
    def sendall(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class Backend(Protocol):
    name: str  # "local" or "cluster"
    #: The kinds ``apply`` stores (KubeVirt kinds plus ConfigMap and Secret).
    stored_kinds: frozenset[str]
    #: The KubeVirt settings its admission and resolution follow (feature gates, defaults).
    cluster_config: ClusterConfig

    @property
    def default_namespace(self) -> str:
        """The namespace of a command without ``-n``: "default" locally, the kubeconfig context's on a cluster."""

    def lookup_source(self) -> ObjectSource:
        """Instancetypes, preferences and presets as this backend's resolution sees them."""

    def server_defaults(self, obj: Obj) -> None:
        """What the server gives a VM or VMI before admission, set in place: locally a new one's random firmware
        UUID (and a VM's serial), as KubeVirt's mutator, and an update keeps the stored ones; nothing on a
        cluster, whose own webhooks do it."""

    # --- objects -------------------------------------------------------------------------------
    def apply(self, batch: list[Admitted], *, namespace: str | None = None, dry_run: str = "none",
              force: bool = False) -> list[tuple[Obj, str]]:
        """Create or update admitted objects; returns (stored object, "created"|"configured"|"unchanged") per
        object. A refusal, or a failure after some were stored, raises ``ApplyError`` carrying the results so
        far and a line for every document that was not applied.

        ``dry_run`` is kubectl's ``--dry-run``: "none"; "client" (nothing is sent: the results say what would
        be created or configured); "server" (everything is judged as for real, nothing is stored). ``force``
        is ``--force-conflicts``: take over fields another field manager owns (server-side apply)."""

    def get(self, ref: Ref) -> Obj:
        """Return one object or raise NotFoundError."""

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None, *,
             chunk_size: int = 500) -> list[Obj]:
        """List objects of a kind (all namespaces when namespace is None), asking ``chunk_size`` at a time
        where the backend pages (kubectl's ``--chunk-size``; 0: everything at once)."""

    def delete(self, ref: Ref, *, wait: bool = False, timeout: float = 300, cascade: str = "background") -> None:
        """Delete an object and, as ``cascade`` says (kubectl's background|foreground|orphan), what it owns."""

    def events(self, ref: Ref) -> list[Obj]:
        """The object's events (``v1.Event``-shaped: type, reason, message, source, timestamps, count)."""

    # --- replicated workloads (VirtualMachinePool, VirtualMachineInstanceReplicaSet) -----------
    def scale(self, ref: Ref, replicas: int, *, current_replicas: int | None = None) -> Obj:
        """Set ``spec.replicas`` as ``kubectl scale`` does; with ``current_replicas`` only when that is the
        current value (a ``ConflictError`` saying what it is otherwise)."""

    def patch(self, ref: Ref, merge_patch: Obj) -> Obj:
        """Apply a JSON merge patch (RFC 7386) to an object's spec or metadata; returns the object."""

    # --- lifecycle (virtctl's subresources) ----------------------------------------------------
    def start(self, ref: Ref, *, paused: bool = False) -> None: ...
    def stop(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None: ...
    def restart(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None: ...
    def pause(self, ref: Ref) -> None: ...
    def unpause(self, ref: Ref) -> None: ...
    def soft_reboot(self, ref: Ref) -> None: ...
    def reset(self, ref: Ref) -> None: ...
    def wait(self, ref: Ref, condition: str, timeout: float) -> Obj:
        """Block until ``condition`` ("Ready", "Stopped", "Paused", "Deleted", ...) holds or raise on timeout."""
    def wait_desired(self, refs: list[Ref], timeout: float) -> None:
        """Block until every VM is where its runStrategy heads it and every VMI is Ready (``apply --wait``)."""

    # --- streams ------------------------------------------------------------------------------
    def console(self, ref: Ref, *, timeout: float, force: bool, escape: bytes) -> int:
        """Attach the terminal to the VMI's serial console (waiting up to ``timeout`` s); the exit code."""
    def vnc_stream(self, ref: Ref) -> Stream:
        """A connected stream to the VMI's VNC server."""
    def screenshot(self, ref: Ref) -> bytes:
        """A PNG of the VMI's screen."""
    def port_connector(self, ref: Ref, port: int, protocol: str) -> Callable[[], Stream]:
        """A function that opens a stream to ``port`` of the VMI's guest; raises first if it cannot be reached."""
    def close(self) -> None: ...


@runtime_checkable
class LocalHost(Protocol):
    """What only a backend that is its own control plane has (the local libvirt host)."""

    uri: str
    state_dir: Path

    def reconcile(self, namespace: str | None = None, *, start: bool = True) -> None:
        """One pass of the controllers over every object (of a namespace)."""
    def watch(self, stop: threading.Event, *, interval: float = 5.0, namespace: str | None = None) -> None:
        """Reconcile on every guest event and every ``interval`` seconds until ``stop`` is set (one loop per
        state folder: a second one is refused)."""
    def controller_status(self) -> dict[str, Any] | None:
        """The controller loop running for this host (pid, started, libvirtUri, log), or None."""
    def start_controller(self, *, interval: float = 5.0) -> tuple[dict[str, Any], bool]:
        """Run the controller loop in the background unless one runs: (its record, whether it was started now)."""
    def stop_controller(self) -> dict[str, Any] | None:
        """Stop the background controller loop; the record it had, or None when none ran."""
    def domain_xml(self, ref: Ref) -> str:
        """The live libvirt XML of a VMI's guest."""
    def volumes(self) -> NamedVolumes:
        """The named volumes of this host."""


class Volume(Protocol):
    namespace: str
    name: str
    path: Path
    format: str
    virtual_size: int
    actual_size: int


class NamedVolumes(Protocol):
    """Named disk volumes (what persistentVolumeClaim and dataVolume volumes use on a local host)."""

    def create(self, namespace: str, name: str, size: int) -> Volume: ...
    def import_image(self, namespace: str, name: str, source: str, *, size: int | None,
                     download: Callable[[str, Path], None]) -> Volume:
        """From a file path, an http(s) URL (fetched with ``download(url, dest)``) or ``docker://IMAGE``."""
    def list(self, namespace: str | None) -> list[tuple[Volume, list[str]]]:
        """Volumes with the ``vm/NAME`` and ``vmi/NAME`` objects that use them."""
    def delete(self, namespace: str, name: str) -> None: ...


def require_local(backend: Backend, what: str) -> LocalHost:
    """The backend as a ``LocalHost``, or a one-line error saying ``what`` is local-only."""
    if isinstance(backend, LocalHost):
        return backend
    from vmctl.errors import UsageError

    raise UsageError(f"{what} is only available with the local backend (this is the {backend.name} backend)")


class ApplyError(VmctlError):
    """Raised by ``Backend.apply`` when a document was refused, or some objects were stored and a later step
    failed: ``results`` says which were applied (the CLI prints them on stdout before the error), ``details``
    has one more line per document that was not applied (and the causes of a refusal), printed after the
    error line."""

    def __init__(self, message: str, results: list[tuple[Obj, str]], *, details: list[str] | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.results = results
        self.details = list(details or [])

    def detail_lines(self) -> list[str]:
        return self.details


#: Why a document after a refused one was not applied.
NOT_SENT = "not sent after the failure"

#: ``delete --cascade`` policies (kubectl's), as ``Backend.delete`` takes them.
CASCADE_POLICIES = ("background", "foreground", "orphan")


def check_cascade(cascade: str) -> None:
    """A ``Backend.delete`` caller passed one of ``CASCADE_POLICIES``."""
    from vmctl.errors import InputError

    if cascade not in CASCADE_POLICIES:
        raise InputError(f"--cascade: expected background, foreground or orphan, got {cascade!r}")


def ref_name(obj: Obj) -> str:
    """``kind.group/name`` as kubectl prints it in ``-o name`` (``virtualmachine.kubevirt.io/web``)."""
    kind = str(obj.get("kind", "")).lower()
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    name = (obj.get("metadata") or {}).get("name", "")
    return f"{kind}.{group}/{name}" if group else f"{kind}/{name}"


def not_applied(index: int, obj: Obj, reason: str) -> str:
    """The report line of a document (``index`` 0-based) that was not applied."""
    return f"{ref_name(obj)} not applied (document {index + 1}): {reason}"


def refusal(lines: list[str], results: list[tuple[Obj, str]], error: VmctlError) -> ApplyError:
    """The ``ApplyError`` of a batch with a refused document: ``lines`` are the report's lines for the
    documents not applied (the refusal first, with its causes), ``results`` those applied."""
    return ApplyError(lines[0], results, details=lines[1:], hint=error.hint)
