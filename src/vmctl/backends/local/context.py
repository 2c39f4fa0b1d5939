"""What every part of the local control plane shares: the state folder and its SQLite store, the libvirt
connection, start leases, and the reporter that tells the user things."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vmctl.backends.base import Reporter
from vmctl.backends.local.guests import domain_name, domain_owner, lookup_domain, observe_domain
from vmctl.backends.local.libvirt_conn import open_connection
from vmctl.backends.local.store import Store
from vmctl.controllers.vm import DomainState, Observed
from vmctl.errors import VmctlError

Obj = dict[str, Any]


def now() -> datetime:
    return datetime.now(UTC)


def lease_key(namespace: str, name: str) -> str:
    return f"start/{namespace}/{name}"


class LocalContext:
    """The store, the libvirt connection (opened on first use) and the leases of one backend instance."""

    def __init__(self, state_dir: Path, uri: str, *, allow_hooks: bool, reporter: Reporter) -> None:
        self.state_dir = Path(state_dir).expanduser().absolute()  # libvirtd resolves paths on its own side
        self.uri = uri
        self.allow_hooks = allow_hooks
        self.reporter = reporter
        self._store: Store | None = None
        self._conn: Any = None
        self._leases: dict[str, int] = {}
        self._warned: set[str] = set()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.state_dir)
        return self._store

    @property
    def conn(self) -> Any:
        if self._conn is None:
            self._conn = open_connection(self.uri)
        return self._conn

    def close(self) -> None:
        """Close the store (the libvirt connection stays shared by the process)."""
        self._conn = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def warn_once(self, message: str) -> None:
        """A warning said once per backend instance (wait loops touch the same VM many times)."""
        if message not in self._warned:
            self._warned.add(message)
            self.reporter.warn(message)

    # -- the guests of VMIs ------------------------------------------------------------------------------

    def owner_record(self, vmi: Obj) -> dict[str, str]:
        """What a VMI's domain carries in its metadata to map it back to the VMI after a crash."""
        meta = vmi["metadata"]
        return {"store": self.store.store_id, "kind": "VirtualMachineInstance", "apiVersion": "kubevirt.io/v1",
                "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"],
                "resourceVersion": meta.get("resourceVersion")}

    def owns(self, owner: dict[str, str]) -> bool:
        return owner.get("store") == self.store.store_id

    def domain_of(self, vmi: Obj | None, domains: dict[str, Any] | None = None) -> Any:
        """The domain that belongs to this VMI (same store and uid), or None."""
        if vmi is None:
            return None
        ns, name = vmi["metadata"].get("namespace", "default"), vmi["metadata"]["name"]
        dname = domain_name(ns, name)
        dom = domains.get(dname) if domains is not None else lookup_domain(self.conn, dname)
        if dom is None:
            return None
        owner = domain_owner(dom)
        if not self.owns(owner) or owner.get("uid") != vmi["metadata"]["uid"]:
            return None
        return dom

    def observed(self, vmi: Obj | None, key: str, domains: dict[str, Any] | None = None) -> Observed:
        starting = bool(key) and self.store.lease_held(key)
        dom = self.domain_of(vmi, domains)
        state = observe_domain(dom) if dom is not None else DomainState.ABSENT
        return Observed(domain=state, starting=starting)

    # -- leases: one process starts a VM at a time ---------------------------------------------------------

    def try_lease(self, key: str) -> bool:
        if self._leases.get(key):
            self._leases[key] += 1
            return True
        if not self.store.acquire_lease(key):
            return False
        self._leases[key] = 1
        return True

    def release(self, key: str) -> None:
        count = self._leases.get(key, 0) - 1
        if count <= 0:
            self._leases.pop(key, None)
            self.store.release_lease(key)
        else:
            self._leases[key] = count

    @contextlib.contextmanager
    def starting(self, namespace: str, name: str) -> Iterator[None]:
        key = lease_key(namespace, name)
        if not self.try_lease(key):
            raise VmctlError(f"VM {name} is already being started by another vmctl process")
        try:
            yield
        finally:
            self.release(key)
