"""Client-side admission of a batch of objects before anything is stored or sent.

What the API server and KubeVirt's webhooks would check, for every document of an ``apply``: a kind the
backend stores, a name, the namespace, the schema (unknown fields fail as with kubectl's strict validation;
deprecations are warnings) and KubeVirt's VM/VMI admission. Each VM and VMI is resolved here once; the
result travels with the object (``Admitted.vmi``), so a backend does not resolve it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from vmctl.core.api import ObjectSource
from vmctl.core.defaults import ClusterConfig
from vmctl.core.fields import clone

Obj = dict[str, Any]


class Admitted(NamedTuple):
    """An object ready to store, and for a VM/VMI the VMI KubeVirt would create or admit for it now."""

    obj: Obj
    vmi: Obj | None = None


class BatchSource:
    """ObjectSource: the objects being applied first, then ``fallback`` (stored objects, catalogs)."""

    def __init__(self, objs: list[Obj], fallback: ObjectSource) -> None:
        self.objs = objs
        self.fallback = fallback

    def _find(self, kind: str, name: str, namespace: str) -> Obj | None:
        for obj in self.objs:
            meta = obj.get("metadata") or {}
            if obj.get("kind") == kind and meta.get("name") == name and meta.get("namespace", namespace) in (
                namespace, None, ""
            ):
                return obj
        return None

    def find_instancetype(self, name: str, kind: str, namespace: str) -> Obj:
        return self._find(kind, name, namespace) or self.fallback.find_instancetype(name, kind, namespace)

    def find_preference(self, name: str, kind: str, namespace: str) -> Obj:
        return self._find(kind, name, namespace) or self.fallback.find_preference(name, kind, namespace)

    def presets(self, namespace: str) -> list[Obj]:
        mine = {o["metadata"]["name"]: o for o in self.objs if o.get("kind") == "VirtualMachineInstancePreset"
                and (o["metadata"].get("namespace") or "default") == namespace}
        for preset in self.fallback.presets(namespace):
            mine.setdefault(preset["metadata"]["name"], preset)
        return [mine[k] for k in sorted(mine)]


def _identified(docs: Iterable[Any], namespace: str | None, stored_kinds: frozenset[str],
                default_namespace: str = "default") -> list[tuple[Any, Obj]]:
    """Every document as (document, object copy): a mapping with a stored kind and a name, namespace set (``-n``,
    else the object's, else ``default_namespace``)."""
    from vmctl.core.kinds import BY_KIND, kind_hint
    from vmctl.errors import InputError
    from vmctl.io.yamlio import iter_objects

    out: list[tuple[Any, Obj]] = []
    for doc, obj in iter_objects(docs):
        where = doc.where
        if not isinstance(obj, dict):
            raise InputError(f"{where}: expected a Kubernetes object (a mapping), got {type(obj).__name__}")
        kind = obj.get("kind")
        if not isinstance(kind, str) or not kind:
            raise InputError(f"{where}: kind: required field is missing")
        if kind not in stored_kinds:
            hint = kind_hint(kind)
            known = "known to vmctl but not stored by this backend" if kind in BY_KIND else "unknown"
            raise InputError(f"{where}: kind {kind!r} is {known}", hint=f"did you mean {hint}?" if hint else None)
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta.get("name"):
            raise InputError(f"{where}: metadata.name: required field is missing")
        obj = clone(obj)
        if namespace and BY_KIND[kind].namespaced:
            given = meta.get("namespace")
            if given and given != namespace:
                raise InputError(
                    f"{where}: the namespace from the provided object {given!r} does not match the namespace "
                    f"{namespace!r}. You must pass '--namespace={given}' to perform this operation."
                )
            obj["metadata"]["namespace"] = namespace
        elif BY_KIND[kind].namespaced and not meta.get("namespace"):
            obj["metadata"]["namespace"] = default_namespace
        out.append((doc, obj))
    return out


def _check_schema(objs: list[tuple[Any, Obj]], warn: Callable[[str], None]) -> None:
    from vmctl.errors import InputError
    from vmctl.schema import validate_object

    warned: set[str] = set()
    for doc, obj in objs:
        problems = []
        for problem in validate_object(obj):
            if problem.reason == "Deprecated":  # the API server's deprecation warnings: shown, not fatal
                if problem.message not in warned:
                    warned.add(problem.message)
                    warn(problem.message)
            else:
                problems.append(problem)
        if problems:
            first = problems[0]
            line = doc.line_of(first.field)
            at = f":{line}" if line else ""
            more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            raise InputError(f"{doc.source}{at}: {obj['kind']} {obj['metadata']['name']}: {first.field}: "
                             f"{first.message}{more}")


#: how ``apply`` asks for a missing instancetype or preference (it stores only VMs that can start)
SUPPLY_ON_APPLY = "vmctl applies a VM only with its {which}: apply the {which} first, or add it to this -f"


def admit_batch(
    docs: Iterable[Any], namespace: str | None, stored_kinds: frozenset[str], fallback: ObjectSource,
    warn: Callable[[str], None], stored: Callable[[str, str, str], Obj | None] | None = None,
    cluster: ClusterConfig | None = None,
    default_namespace: str = "default",
    server_defaults: Callable[[Obj], None] | None = None,
) -> list[Admitted]:
    """Check every object before anything is stored; the first problem raises ``InputError`` naming its
    file and line. VMs and VMIs come back with the VMI they resolve to. ``stored(kind, namespace, name)``
    gives the object an update replaces (a pool's selector may not change); ``cluster``: the KubeVirt settings
    (feature gates) of the backend. Objects without a namespace (and no ``namespace``) go to
    ``default_namespace`` (the backend's). ``server_defaults(obj)`` sets what the backend's server gives a VM or
    VMI before admission (``Backend.server_defaults``)."""
    from vmctl.core.defaults import DEFAULT_CLUSTER
    from vmctl.core.pipeline import MemoSource, admit
    from vmctl.errors import InputError, ObjectRejected

    objs = _identified(docs, namespace, stored_kinds, default_namespace)
    _check_schema(objs, warn)
    source = MemoSource(BatchSource([o for _, o in objs], fallback))  # each lookup once per batch
    out: list[Admitted] = []
    for doc, obj in objs:
        if obj["kind"] in ("VirtualMachinePool", "VirtualMachineInstanceReplicaSet"):
            _check_replicated(doc, obj, source, stored, cluster or DEFAULT_CLUSTER)
        if obj["kind"] not in ("VirtualMachine", "VirtualMachineInstance"):
            out.append(Admitted(obj))
            continue
        if server_defaults is not None:
            server_defaults(obj)
        try:
            resolved, found = admit(obj, source, cluster=cluster or DEFAULT_CLUSTER, supply=SUPPLY_ON_APPLY)
        except ObjectRejected as exc:
            raise InputError(f"{doc.where}: {obj['kind']} {obj['metadata']['name']}: {exc.message}") from None
        if found or resolved is None:
            first = found[0]
            raise InputError(f"{doc.where}: {obj['kind']} {obj['metadata']['name']} is invalid: "
                             f"{first.field}: {first.message}")
        out.append(Admitted(obj, resolved.obj))
    return out


def _check_replicated(doc: Any, obj: Obj, source: ObjectSource,
                      stored: Callable[[str, str, str], Obj | None] | None, cluster: ClusterConfig) -> None:
    """KubeVirt's pool / replica set admission (its template checked as a VM or VMI), the first problem raised."""
    from vmctl.core.pool_admission import pool_problems, replicaset_problems
    from vmctl.errors import InputError

    meta = obj["metadata"]
    if obj["kind"] == "VirtualMachinePool":
        old = stored(obj["kind"], meta.get("namespace") or "default", meta["name"]) if stored else None
        found = pool_problems(obj, source, old=old, cluster=cluster)
    else:
        found = replicaset_problems(obj, source, cluster=cluster)
    if found:
        first = found[0]
        line = doc.line_of(first.field)
        at = f":{line}" if line else ""
        raise InputError(f"{doc.source}{at}: {obj['kind']} {meta['name']} is invalid: {first.field}: {first.message}")
