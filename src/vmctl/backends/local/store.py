"""The local backend's object store: one SQLite file (``state.db``) in the state folder.

Objects are kept as JSON bodies keyed by (kind, namespace, name) with Kubernetes-like metadata: ``uid``,
``resourceVersion`` (one global counter), ``generation`` (bumped on spec changes), ``creationTimestamp``,
``deletionTimestamp``, labels, annotations and ``ownerReferences``. Writers use ``BEGIN IMMEDIATE`` so several
vmctl processes can share one state folder; updates with an expected resourceVersion fail with a conflict.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vmctl.core import kinds
from vmctl.core.fields import canonical_json, clone
from vmctl.errors import InputError, NotFoundError, VmctlError

Obj = dict[str, Any]

SCHEMA_VERSION = 1
DB_NAME = "state.db"
BUSY_TIMEOUT_MS = 30_000
MAX_EVENTS = 50  # per object

#: Kinds the store keeps; the generic ones (pools, replica sets, revisions) are stored as they come.
STORED_KINDS = (
    kinds.VM, kinds.VMI, kinds.INSTANCETYPE, kinds.CLUSTER_INSTANCETYPE, kinds.PREFERENCE,
    kinds.CLUSTER_PREFERENCE, kinds.PRESET, kinds.CONFIGMAP, kinds.SECRET, kinds.POOL, kinds.VMIRS,
    kinds.CONTROLLER_REVISION,
)
STORED_BY_KIND = {k.kind: k for k in STORED_KINDS}

#: Fields outside ``spec`` whose change bumps ``generation`` (none besides spec for our kinds).
_SYSTEM_META = ("uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "managedFields")


class ConflictError(VmctlError):
    """An update lost a race (resourceVersion changed) or a lifecycle request conflicts with the state."""


class AlreadyExistsError(VmctlError):
    """``create`` of an object that is already stored."""


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resource_of(kind: str) -> str:
    """``virtualmachines.kubevirt.io`` for a kind name (Kubernetes' qualified resource)."""
    known = kinds.BY_KIND.get(kind)
    return known.resource if known else kind.lower()


def not_found(kind: str, name: str) -> NotFoundError:
    return NotFoundError(f'{resource_of(kind)} "{name}" not found')


def scope_namespace(kind: str, namespace: str | None) -> str:
    """The namespace an object of ``kind`` is stored under ("" for cluster-scoped kinds)."""
    known = kinds.BY_KIND.get(kind)
    if known is not None and not known.namespaced:
        return ""
    return namespace or "default"


# --- the store --------------------------------------------------------------------------------------------


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    uid TEXT NOT NULL UNIQUE,
    resource_version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, namespace, name)
);
CREATE INDEX IF NOT EXISTS objects_kind ON objects (kind, namespace);
CREATE TABLE IF NOT EXISTS leases (
    key TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    started TEXT NOT NULL,
    acquired REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    source TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_object ON events (kind, namespace, name);
CREATE TABLE IF NOT EXISTS runtime (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (namespace, name)
);
"""


def _proc_start(pid: int) -> str:
    """Start time of a process (field 22 of /proc/PID/stat), to tell a live owner from a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def pid_alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    current = _proc_start(pid)
    if not current:
        return False
    if current != started:
        return False
    # a zombie (killed, not yet reaped) does not hold anything
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Store:
    """A handle on ``<state_dir>/state.db``. Cheap to create; one per process is enough."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"--state-dir {self.state_dir}: cannot create: {exc.strerror}") from None
        self.path = self.state_dir / DB_NAME
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise InputError(f"--state-dir {self.state_dir}: cannot open {DB_NAME}: {exc}") from None
        self._depth = 0
        self._migrate()

    def close(self) -> None:
        self._db.close()

    # -- schema ------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self.transaction():
            # executescript() would COMMIT; run the statements one by one inside the transaction
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            row = self._db.execute("SELECT value FROM meta WHERE key='schemaVersion'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schemaVersion', ?)", (str(SCHEMA_VERSION),))
                self._db.execute("INSERT INTO meta VALUES ('resourceVersion', '0')")
                self._db.execute("INSERT INTO meta VALUES ('storeId', ?)", (uuid.uuid4().hex,))
            elif int(row[0]) > SCHEMA_VERSION:
                raise VmctlError(
                    f"{self.path}: state schema version {row[0]} is newer than this vmctl supports "
                    f"({SCHEMA_VERSION}); upgrade vmctl"
                )

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("SELECT value FROM meta WHERE key='schemaVersion'").fetchone()[0])

    @property
    def store_id(self) -> str:
        """A random id of this state folder (written into domain metadata to recognise our domains)."""
        return str(self._db.execute("SELECT value FROM meta WHERE key='storeId'").fetchone()[0])

    # -- transactions ------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (re-entrant: nested blocks join the outer transaction)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise VmctlError(f"{self.path}: state database is busy: {exc}") from None
                time.sleep(0.05)
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    def _next_rv(self) -> int:
        self._db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='resourceVersion'")
        return int(self._db.execute("SELECT value FROM meta WHERE key='resourceVersion'").fetchone()[0])

    # -- reads -------------------------------------------------------------------------------------

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        row = self._db.execute(
            "SELECT body FROM objects WHERE kind=? AND namespace=? AND name=?",
            (kind, scope_namespace(kind, namespace), name),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def require(self, kind: str, namespace: str | None, name: str) -> Obj:
        obj = self.get(kind, namespace, name)
        if obj is None:
            raise not_found(kind, name)
        return obj

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None) -> list[Obj]:
        """Objects of a kind, sorted by namespace then name (all namespaces when ``namespace`` is None)."""
        from vmctl.core.selectors import parse_selector

        match = parse_selector(selector or "")
        if namespace is None:
            rows = self._db.execute(
                "SELECT body FROM objects WHERE kind=? ORDER BY namespace, name", (kind,)
            ).fetchall()
        else:
            rows = self._db.execute(
                "SELECT body FROM objects WHERE kind=? AND namespace=? ORDER BY name",
                (kind, scope_namespace(kind, namespace)),
            ).fetchall()
        out = []
        for (body,) in rows:
            obj = json.loads(body)
            if match((obj.get("metadata") or {}).get("labels") or {}):
                out.append(obj)
        return out

    # -- writes ------------------------------------------------------------------------------------

    def _write(self, obj: Obj, *, insert: bool) -> Obj:
        meta = obj["metadata"]
        rv = self._next_rv()
        meta["resourceVersion"] = str(rv)
        body = json.dumps(obj, sort_keys=True, separators=(",", ":"))
        key = (obj["kind"], meta.get("namespace", ""), meta["name"])
        if insert:
            self._db.execute(
                "INSERT INTO objects (kind, namespace, name, uid, resource_version, body) VALUES (?,?,?,?,?,?)",
                (*key, meta["uid"], rv, body),
            )
        else:
            self._db.execute(
                "UPDATE objects SET resource_version=?, body=? WHERE kind=? AND namespace=? AND name=?",
                (rv, body, *key),
            )
        return obj

    def _normalise(self, obj: Obj, namespace: str | None) -> Obj:
        obj = clone(obj)
        kind = obj.get("kind")
        if not isinstance(kind, str) or not kind:
            raise InputError("object has no kind")
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta.get("name"):
            raise InputError(f"{kind}: metadata.name is required")
        ns = scope_namespace(kind, meta.get("namespace") or namespace)
        if ns:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if "apiVersion" not in obj and kind in kinds.BY_KIND:
            obj["apiVersion"] = kinds.BY_KIND[kind].api_version
        return obj

    def create(self, obj: Obj, *, namespace: str | None = None) -> Obj:
        obj = self._normalise(obj, namespace)
        meta = obj["metadata"]
        with self.transaction():
            if self.get(obj["kind"], meta.get("namespace"), meta["name"]) is not None:
                raise AlreadyExistsError(f'{resource_of(obj["kind"])} "{meta["name"]}" already exists')
            meta["uid"] = new_uuid()
            meta["generation"] = 1
            meta["creationTimestamp"] = now_rfc3339()
            for key in ("deletionTimestamp", "resourceVersion"):
                meta.pop(key, None)
            return self._write(obj, insert=True)

    def update(self, obj: Obj, *, expected_rv: str | None = None, status: bool = True) -> Obj:
        """Replace a stored object; ``expected_rv`` (default: the object's own) must match the stored one.

        System metadata (uid, creationTimestamp, generation) is kept from the stored copy; ``generation`` is
        bumped when ``spec`` changed. With ``status=False`` the stored status is kept (a spec update).
        """
        obj = self._normalise(obj, None)
        meta = obj["metadata"]
        kind, name = obj["kind"], meta["name"]
        with self.transaction():
            current = self.get(kind, meta.get("namespace"), name)
            if current is None:
                raise not_found(kind, name)
            want = expected_rv if expected_rv is not None else meta.get("resourceVersion")
            if want is not None and str(want) != current["metadata"]["resourceVersion"]:
                raise ConflictError(
                    f'Operation cannot be fulfilled on {resource_of(kind)} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again"
                )
            cur_meta = current["metadata"]
            for key in ("uid", "creationTimestamp", "generation"):
                meta[key] = cur_meta[key]
            if "deletionTimestamp" in cur_meta and "deletionTimestamp" not in meta:
                meta["deletionTimestamp"] = cur_meta["deletionTimestamp"]
            if not status:
                if "status" in current:
                    obj["status"] = current["status"]
                else:
                    obj.pop("status", None)
            if canonical_json(obj.get("spec")) != canonical_json(current.get("spec")):
                meta["generation"] = int(cur_meta.get("generation", 1)) + 1
            return self._write(obj, insert=False)

    def mutate(self, kind: str, namespace: str | None, name: str, change: Callable[[Obj], None]) -> Obj:
        """Read, change in place and write back, atomically."""
        with self.transaction():
            obj = self.require(kind, namespace, name)
            change(obj)
            return self.update(obj)

    def apply(self, obj: Obj, *, namespace: str | None = None) -> tuple[Obj, str]:
        """kubectl-apply-like create-or-update: returns the stored object and created|configured|unchanged."""
        obj = self._normalise(obj, namespace)
        meta = obj["metadata"]
        with self.transaction():
            current = self.get(obj["kind"], meta.get("namespace"), meta["name"])
            if current is None:
                return self.create(obj), "created"
            desired = clone(current)
            for key, value in obj.items():
                if key in ("metadata", "status"):
                    continue
                desired[key] = value
            for key in [k for k in desired if k not in obj and k not in ("metadata", "status", "apiVersion", "kind")]:
                del desired[key]
            dmeta = desired["metadata"]
            for key in ("labels", "annotations", "ownerReferences", "finalizers"):
                if key in meta:
                    dmeta[key] = meta[key]
                else:
                    dmeta.pop(key, None)
            if canonical_json(desired) == canonical_json(current):
                return current, "unchanged"
            return self.update(desired, expected_rv=current["metadata"]["resourceVersion"]), "configured"

    def delete(self, kind: str, namespace: str | None, name: str, *, cascade: bool = True) -> list[Obj]:
        """Delete an object and (``cascade``), recursively, the objects that name it in ``ownerReferences``."""
        with self.transaction():
            obj = self.require(kind, namespace, name)
            deleted = [obj]
            self._db.execute(
                "DELETE FROM objects WHERE kind=? AND namespace=? AND name=?",
                (kind, scope_namespace(kind, namespace), name),
            )
            self._next_rv()
            uid = obj["metadata"]["uid"]
            for dependant in self.owned_by(uid, obj["metadata"].get("namespace", "")) if cascade else ():
                dmeta = dependant["metadata"]
                deleted.extend(self.delete(dependant["kind"], dmeta.get("namespace"), dmeta["name"]))
            return deleted

    def owned_by(self, uid: str, namespace: str) -> list[Obj]:
        """The objects of ``namespace`` whose ``ownerReferences`` name ``uid``."""
        rows = self._db.execute(
            "SELECT body FROM objects WHERE namespace=? AND body LIKE ?", (namespace, f'%"uid":"{uid}"%')
        ).fetchall()
        out = []
        for (body,) in rows:
            obj = json.loads(body)
            refs = (obj.get("metadata") or {}).get("ownerReferences") or []
            if any(isinstance(r, dict) and r.get("uid") == uid for r in refs):
                out.append(obj)
        return out

    # -- leases (who is starting what) -------------------------------------------------------------

    def acquire_lease(self, key: str) -> bool:
        """Take ``key`` for this process unless a live process holds it; True when taken."""
        pid = os.getpid()
        with self.transaction():
            row = self._db.execute("SELECT pid, started FROM leases WHERE key=?", (key,)).fetchone()
            if row is not None and row[0] != pid and pid_alive(row[0], row[1]):
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO leases (key, pid, started, acquired) VALUES (?,?,?,?)",
                (key, pid, _proc_start(pid), time.time()),
            )
            return True

    def lease_held(self, key: str) -> bool:
        """True when a live process other than this one holds ``key``."""
        row = self._db.execute("SELECT pid, started FROM leases WHERE key=?", (key,)).fetchone()
        return row is not None and row[0] != os.getpid() and pid_alive(row[0], row[1])

    def release_lease(self, key: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM leases WHERE key=? AND pid=?", (key, os.getpid()))

    # -- events (what controllers did to an object, as ``kubectl describe`` lists them) -----------------

    def record_event(self, kind: str, namespace: str, name: str, *, type_: str, reason: str, message: str,
                     source: str) -> None:
        """Record an event; the same one again soon after bumps its count (as the API server aggregates)."""
        now = now_rfc3339()
        with self.transaction():
            row = self._db.execute(
                "SELECT id FROM events WHERE kind=? AND namespace=? AND name=? AND type=? AND reason=? AND message=?"
                " ORDER BY id DESC LIMIT 1", (kind, namespace, name, type_, reason, message),
            ).fetchone()
            if row is not None:
                self._db.execute("UPDATE events SET count=count+1, last_seen=? WHERE id=?", (now, row[0]))
                return
            self._db.execute(
                "INSERT INTO events (kind, namespace, name, type, reason, message, source, first_seen, last_seen,"
                " count) VALUES (?,?,?,?,?,?,?,?,?,1)", (kind, namespace, name, type_, reason, message, source, now, now),
            )
            self._db.execute(  # keep the newest MAX_EVENTS per object
                "DELETE FROM events WHERE kind=? AND namespace=? AND name=? AND id NOT IN (SELECT id FROM events "
                "WHERE kind=? AND namespace=? AND name=? ORDER BY id DESC LIMIT ?)",
                (kind, namespace, name, kind, namespace, name, MAX_EVENTS),
            )

    def events(self, kind: str, namespace: str, name: str) -> list[Obj]:
        """The object's events, oldest first, shaped like ``v1.Event`` (the fields ``describe`` shows)."""
        rows = self._db.execute(
            "SELECT type, reason, message, source, first_seen, last_seen, count FROM events WHERE kind=? AND "
            "namespace=? AND name=? ORDER BY id", (kind, namespace, name),
        ).fetchall()
        return [{"type": t, "reason": r, "message": m, "source": {"component": src}, "firstTimestamp": first,
                 "lastTimestamp": last, "count": count} for t, r, m, src, first, last, count in rows]

    # -- runtime records (domain name, work folder, console log of a VMI) ---------------------------

    def runtime(self, namespace: str, name: str) -> Obj | None:
        row = self._db.execute(
            "SELECT body FROM runtime WHERE namespace=? AND name=?", (namespace, name)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def runtimes(self, namespace: str | None = None) -> dict[tuple[str, str], Obj]:
        """Every runtime record (of a namespace), by (namespace, name)."""
        if namespace is None:
            rows = self._db.execute("SELECT namespace, name, body FROM runtime").fetchall()
        else:
            rows = self._db.execute("SELECT namespace, name, body FROM runtime WHERE namespace=?",
                                    (namespace,)).fetchall()
        return {(ns, name): json.loads(body) for ns, name, body in rows}

    def set_runtime(self, namespace: str, name: str, record: Obj | None) -> None:
        with self.transaction():
            if record is None:
                self._db.execute("DELETE FROM runtime WHERE namespace=? AND name=?", (namespace, name))
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO runtime (namespace, name, body) VALUES (?,?,?)",
                    (namespace, name, json.dumps(record, sort_keys=True)),
                )


def new_uuid() -> str:
    """A random UUID (object uids, firmware identities)."""
    return str(uuid.uuid4())
