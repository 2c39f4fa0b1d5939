"""``ClusterBackend``: the ``Backend`` verbs over KubeVirt's API, each a few lines over this package's library.

Objects (apply by server-side apply, get, list, delete with ``--wait``), lifecycle requests (virt-api's
subresources), waits (watches) and the streams (console, VNC, screenshots, port-forward: websockets and GETs
of virt-api's subresources through the API server) are here. Instancetypes, preferences and presets are read from the cluster only: what the cluster has is what it
will use.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vmctl.backends.base import Ref, Reporter, SilentReporter, Stream, refusal
from vmctl.backends.cluster import errors, lifecycle, objects
from vmctl.backends.cluster import scale as scale_mod
from vmctl.backends.cluster.connection import Connection
from vmctl.backends.cluster.events import events_for
from vmctl.backends.cluster.resources import Resource, of_kind
from vmctl.core import kinds
from vmctl.core.matchers import is_cluster_kind
from vmctl.errors import InputError, NotFoundError, VmctlError

if TYPE_CHECKING:
    from vmctl.admission import Admitted
    from vmctl.core.defaults import ClusterConfig

Obj = dict[str, Any]

#: The kinds ``apply`` sends (KubeVirt's kinds plus ConfigMap and Secret, as the local backend stores).
STORED_KINDS = frozenset(
    k.kind
    for k in (
        kinds.VM, kinds.VMI, kinds.VMIRS, kinds.PRESET, kinds.POOL, kinds.INSTANCETYPE,
        kinds.CLUSTER_INSTANCETYPE, kinds.PREFERENCE, kinds.CLUSTER_PREFERENCE, kinds.CONFIGMAP, kinds.SECRET,
    )
)  # fmt: skip
RECHECK = 5.0  # a wait re-reads both objects at least this often (a watch follows only one of them)
TIMEOUT_MESSAGE = "Timeout trying to connect to the virtual machine instance"  # virtctl's words


def resource(kind: str) -> Resource:
    known = kinds.BY_KIND.get(kind)
    if known is None:
        raise InputError(f"kind {kind!r} is not known to the cluster backend")
    return of_kind(known)


class ClusterSource:
    """``ObjectSource`` reading instancetypes, preferences and presets from the cluster (read-only); callers
    wrap it in the pipeline's ``MemoSource`` so each object is read once per command."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _get(self, kind: kinds.Kind, name: str, namespace: str) -> Obj:
        res = of_kind(kind)
        try:
            return objects.get(self.conn, res, name, namespace)
        except errors.ClusterNotFound:
            raise NotFoundError(f'{res.group_resource} "{name}" not found') from None

    def find_instancetype(self, name: str, kind: str, namespace: str) -> Obj:
        """``kind`` as the VM spells it: empty or any accepted spelling (KubeVirt's matcher rules)."""
        cluster = is_cluster_kind(kind, "instancetype")
        return self._get(kinds.CLUSTER_INSTANCETYPE if cluster else kinds.INSTANCETYPE, name, namespace)

    def find_preference(self, name: str, kind: str, namespace: str) -> Obj:
        cluster = is_cluster_kind(kind, "preference")
        return self._get(kinds.CLUSTER_PREFERENCE if cluster else kinds.PREFERENCE, name, namespace)

    def presets(self, namespace: str) -> list[Obj]:
        found = objects.list_objects(self.conn, of_kind(kinds.PRESET), namespace)
        return sorted(found, key=lambda p: p["metadata"]["name"])


class ClusterBackend:
    """The ``Backend`` protocol against a Kubernetes API server with KubeVirt."""

    name = "cluster"
    stored_kinds = STORED_KINDS
    @property
    def cluster_config(self) -> ClusterConfig:
        """KubeVirt's defaults (the cluster's own KubeVirt CR is not read yet)."""
        from vmctl.core.defaults import DEFAULT_CLUSTER

        return DEFAULT_CLUSTER

    def __init__(self, conn: Connection, *, reporter: Reporter | None = None) -> None:
        self.conn = conn
        self.reporter = reporter or SilentReporter()

    @property
    def default_namespace(self) -> str:
        """The kubeconfig context's namespace (in a pod: the service account's), else "default"."""
        return self.conn.namespace

    # --- objects -------------------------------------------------------------------------------------
    def lookup_source(self) -> ClusterSource:
        return ClusterSource(self.conn)

    def server_defaults(self, obj: Obj) -> None:
        """Nothing: KubeVirt's own mutating webhook gives new VMs and VMIs their firmware identity."""

    def apply(self, batch: list[Admitted], *, namespace: str | None = None, dry_run: str = "none",
              force: bool = False) -> list[tuple[Obj, str]]:
        """Server-side apply each admitted object in order (``dryRun=All`` for "server", only GETs for
        "client"); a refusal is an ``ApplyError`` whose lines name every document not applied."""
        report = objects.apply_all(self.conn, [item.obj for item in batch], namespace=namespace,
                                   dry_run=dry_run, force=force)
        results = [(a.obj, a.action) for a in report.applied]
        if report.failed is not None:
            raise refusal(report.lines()[len(results):], results, report.failed[2])
        return results

    def get(self, ref: Ref) -> Obj:
        return objects.get(self.conn, resource(ref.kind), ref.name, ref.namespace)

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None, *,
             chunk_size: int = objects.DEFAULT_CHUNK_SIZE) -> list[Obj]:
        res = resource(kind)
        return list(
            objects.list_objects(
                self.conn, res, namespace, all_namespaces=namespace is None, label_selector=selector,
                chunk_size=chunk_size,
            )
        )

    def delete(self, ref: Ref, *, wait: bool = False, timeout: float = 300, cascade: str = "background") -> None:
        """DELETE with ``propagationPolicy`` (Background, Foreground, Orphan); ``wait``: until it is gone
        (with foreground propagation, after the objects it owns)."""
        res = resource(ref.kind)
        objects.delete(self.conn, res, ref.name, ref.namespace, cascade=cascade)
        if wait:
            objects.wait_deleted(self.conn, res, ref.name, namespace=ref.namespace, timeout=timeout)

    def events(self, ref: Ref) -> list[Obj]:
        """The object's core/v1 Events, oldest first (by name, kind, namespace and uid)."""
        return events_for(self.conn, self.get(ref))

    # --- replicated workloads ------------------------------------------------------------------------
    def scale(self, ref: Ref, replicas: int, *, current_replicas: int | None = None) -> Obj:
        """``kubectl scale``: a merge patch of ``/scale``, or with ``current_replicas`` a GET + PUT of the Scale
        (409 if it changed in between); returns the object as it is now."""
        res = resource(ref.kind)
        scale_mod.scale(self.conn, res, ref.name, replicas, ref.namespace, current_replicas=current_replicas)
        return objects.get(self.conn, res, ref.name, ref.namespace)

    def patch(self, ref: Ref, merge_patch: Obj) -> Obj:
        return objects.merge_patch(self.conn, resource(ref.kind), ref.name, merge_patch, ref.namespace)

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self, ref: Ref, *, paused: bool = False) -> None:
        lifecycle.start(self.conn, ref.name, ref.namespace, paused=paused)

    def stop(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None:
        lifecycle.stop(self.conn, ref.name, ref.namespace, grace_period=grace_period, force=force)

    def restart(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None:
        lifecycle.restart(self.conn, ref.name, ref.namespace, grace_period=grace_period, force=force)

    def pause(self, ref: Ref) -> None:
        lifecycle.pause(self.conn, ref.name, ref.namespace)

    def unpause(self, ref: Ref) -> None:
        lifecycle.unpause(self.conn, ref.name, ref.namespace)

    def soft_reboot(self, ref: Ref) -> None:
        lifecycle.soft_reboot(self.conn, ref.name, ref.namespace)

    def reset(self, ref: Ref) -> None:
        lifecycle.reset(self.conn, ref.name, ref.namespace)

    def _pair(self, ref: Ref) -> tuple[Obj | None, Obj | None]:
        """(VM, VMI) of that name, None where absent."""

        def maybe(kind: kinds.Kind) -> Obj | None:
            try:
                return objects.get(self.conn, of_kind(kind), ref.name, ref.namespace)
            except NotFoundError:
                return None

        return maybe(kinds.VM) if ref.kind == kinds.VM.kind else None, maybe(kinds.VMI)

    def wait(self, ref: Ref, condition: str, timeout: float) -> Obj:
        """Watch until ``condition`` (Ready, Running, Paused, Stopped, Deleted) holds for the VM or VMI."""
        from vmctl.controllers import vm as vmctrl

        try:
            vmctrl.holds(condition, ref.kind, None, None)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        # watch the object whose change decides: the object itself for Deleted, the VM for a VM's Stopped (its
        # printableStatus), else the VMI (phase and conditions)
        own = condition.lower() == "deleted" or (condition.lower() == "stopped" and ref.kind == kinds.VM.kind)
        watched = resource(ref.kind) if own else of_kind(kinds.VMI)
        deadline = time.monotonic() + timeout
        while True:
            seen = self._peek(watched, ref)  # before reading the pair: a change in between ends the nap below
            vm, vmi = self._pair(ref)
            if vmctrl.holds(condition, ref.kind, vm, vmi):
                return (vm if ref.kind == kinds.VM.kind else vmi) or {}
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                what = "VirtualMachine" if ref.kind == kinds.VM.kind else "VirtualMachineInstance"
                raise objects.WaitTimeout(
                    f"timed out after {timeout:g}s waiting for {what} {ref.name} to be {condition}"
                )
            # sleep on a watch: any change of the watched object, or RECHECK seconds, ends the nap
            with contextlib.suppress(objects.WaitTimeout):
                objects.wait_for(
                    self.conn,
                    watched,
                    ref.name,
                    _changed_from(seen),
                    namespace=ref.namespace,
                    timeout=min(RECHECK, remaining),
                )

    def _peek(self, res: Resource, ref: Ref) -> str | None:
        try:
            return objects.get(self.conn, res, ref.name, ref.namespace)["metadata"].get("resourceVersion")
        except NotFoundError:
            return None

    def wait_desired(self, refs: list[Ref], timeout: float) -> None:
        """Every VM where its runStrategy heads it, every standalone VMI Ready (``apply --wait``)."""
        from vmctl.controllers import vm as vmctrl

        deadline = time.monotonic() + timeout
        for ref in refs:
            if ref.kind == kinds.VM.kind:
                vm, vmi = self._pair(ref)
                target = vmctrl.desired_state(vm, vmi) if vm is not None else "Deleted"
            else:
                target = "Ready"
            self.wait(ref, target, max(0.0, deadline - time.monotonic()))

    # --- streams ---------------------------------------------------------------------------------------
    def console(self, ref: Ref, *, timeout: float, force: bool, escape: bytes) -> int:
        """The VMI's serial console through virt-api's websocket, driven by the same session as locally.

        As virtctl: while virt-api answers 400 (the VMI is not running yet) the attach is retried every second
        for up to ``timeout`` seconds; other answers fail at once. A new console connection always takes over
        (virt-handler closes the previous one), so ``force`` changes nothing here."""
        from vmctl.backends.cluster import streams
        from vmctl.streams.console import Session, banner

        ws = self._attach(lambda: streams.console(self.conn, ref.name, ref.namespace), timeout)
        return Session(streams.ConsoleStream(ws), escape=escape).run(banner_text=banner(ref.name, escape))

    def _attach(self, dial: Callable[[], Any], timeout: float) -> Any:
        """``dial()`` again every second while virt-api says 400 (VMI not running), up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return dial()
            except errors.ClusterError as exc:
                if exc.status != 400:
                    raise
                if time.monotonic() + 1 > deadline:
                    raise VmctlError(TIMEOUT_MESSAGE) from None
            time.sleep(1)

    def vnc_stream(self, ref: Ref) -> Stream:
        """A socket whose peer is virt-api's ``vnc`` websocket (RFB bytes)."""
        from vmctl.backends.cluster import streams

        return streams.socket_bridge(streams.vnc(self.conn, ref.name, ref.namespace))  # type: ignore[no-any-return]

    def screenshot(self, ref: Ref) -> bytes:
        from vmctl.backends.cluster import streams

        return streams.screenshot(self.conn, ref.name, ref.namespace)

    def port_connector(self, ref: Ref, port: int, protocol: str) -> Callable[[], Stream]:
        """Each call opens a ``portforward/{port}/{protocol}`` websocket to the guest, as a socket."""
        from vmctl.backends.cluster import streams

        def dial() -> Stream:
            ws = streams.portforward(self.conn, ref.name, port, protocol, ref.namespace)
            return streams.socket_bridge(ws)  # type: ignore[no-any-return]

        return dial

    def close(self) -> None:
        self.conn.close()


def _changed_from(resource_version: str | None) -> Callable[[Obj | None], bool]:
    """A wait condition: the object's resourceVersion differs from ``resource_version`` (or it appeared/went)."""

    def changed(obj: Obj | None) -> bool:
        return (obj or {}).get("metadata", {}).get("resourceVersion") != resource_version

    return changed

