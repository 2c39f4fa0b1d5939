"""``vmctl apply -f FILE...``: store objects (all validated first, then one transaction) and reconcile VMs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from vmctl.cli.options import Backend, Files, LibvirtUri, Namespace, StateDir, Wait
from vmctl.cli.output import Format

AllowHooks = Annotated[
    bool, typer.Option("--allow-hooks", help="Allow hook sidecar scripts (hooks.kubevirt.io/hookSidecars) to run.")
]
ApplyTimeout = Annotated[int, typer.Option("--timeout", help="Seconds to wait with --wait (for all objects together).")]
ApplyOutput = Annotated[
    Format | None,
    typer.Option("--output", "-o", help="Print the stored objects: yaml, json or name (default: one line each)."),
]


class _BatchSource:
    """ObjectSource: the objects being applied first, then stored objects, then the catalogs."""

    def __init__(self, objs: list[dict[str, Any]], fallback: Any) -> None:
        self.objs = objs
        self.fallback = fallback

    def _find(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        for obj in self.objs:
            meta = obj.get("metadata") or {}
            if obj.get("kind") == kind and meta.get("name") == name and meta.get("namespace", namespace) in (
                namespace, None, ""
            ):
                return obj
        return None

    def find_instancetype(self, name: str, kind: str, namespace: str) -> dict[str, Any]:
        return self._find(kind, name, namespace) or self.fallback.find_instancetype(name, kind, namespace)

    def find_preference(self, name: str, kind: str, namespace: str) -> dict[str, Any]:
        return self._find(kind, name, namespace) or self.fallback.find_preference(name, kind, namespace)

    def presets(self, namespace: str) -> list[dict[str, Any]]:
        mine = {o["metadata"]["name"]: o for o in self.objs if o.get("kind") == "VirtualMachineInstancePreset"
                and (o["metadata"].get("namespace") or "default") == namespace}
        for preset in self.fallback.presets(namespace):
            mine.setdefault(preset["metadata"]["name"], preset)
        return [mine[k] for k in sorted(mine)]


def validate_batch(docs: list[Any], namespace: str | None, fallback_source: Any) -> list[dict[str, Any]]:
    """Check every object (kind, name, schema, admission) before anything is stored; the first problem raises."""
    from vmctl.backends.local.store import STORED_BY_KIND
    from vmctl.core.fields import clone
    from vmctl.core.kinds import BY_KIND, kind_hint
    from vmctl.errors import InputError, ObjectRejected
    from vmctl.io.yamlio import iter_objects

    objs: list[tuple[Any, dict[str, Any]]] = []
    for doc, obj in iter_objects(docs):
        where = doc.where
        if not isinstance(obj, dict):
            raise InputError(f"{where}: expected a Kubernetes object (a mapping), got {type(obj).__name__}")
        kind = obj.get("kind")
        if not isinstance(kind, str) or not kind:
            raise InputError(f"{where}: kind: required field is missing")
        if kind not in STORED_BY_KIND:
            hint = kind_hint(kind)
            known = "known to vmctl but not stored by the local backend" if kind in BY_KIND else "unknown"
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
        objs.append((doc, obj))

    from vmctl.cli.output import warn
    from vmctl.core.pipeline import problems as admission_problems
    from vmctl.schema import validate_object

    warned: set[str] = set()

    def warn_once(message: str) -> None:
        if message not in warned:
            warned.add(message)
            warn(message)

    for doc, obj in objs:
        problems = []
        for problem in validate_object(obj):
            if problem.reason == "Deprecated":  # the API server's deprecation warnings: shown, not fatal
                warn_once(problem.message)
            else:  # unknown fields fail, as with kubectl's default --validate=strict
                problems.append(problem)
        if problems:
            first = problems[0]
            line = doc.line_of(first.field)
            at = f":{line}" if line else ""
            more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            raise InputError(f"{doc.source}{at}: {obj['kind']} {obj['metadata']['name']}: {first.field}: "
                             f"{first.message}{more}")

    source = _BatchSource([o for _, o in objs], fallback_source)
    for doc, obj in objs:
        if obj["kind"] not in ("VirtualMachine", "VirtualMachineInstance"):
            continue
        try:
            found = admission_problems(obj, source)
        except ObjectRejected as exc:
            raise InputError(f"{doc.where}: {obj['kind']} {obj['metadata']['name']}: {exc.message}") from None
        if found:
            first = found[0]
            raise InputError(f"{doc.where}: {obj['kind']} {obj['metadata']['name']} is invalid: "
                             f"{first.field}: {first.message}")
    return [o for _, o in objs]


def register(app: typer.Typer) -> None:
    @app.command(
        "apply",
        help=(
            "Create or update objects from files (VMs, VMIs, instancetypes, preferences, presets, ConfigMaps, "
            "Secrets). Every object is validated first; nothing is stored unless all are valid. VMs are then "
            "reconciled (runStrategy Always starts them). With --wait, wait until every applied VM is where its "
            "runStrategy heads it (Ready for Always, RerunOnFailure and Once; Stopped for Halted; Manual as it "
            "is) and every VMI is Ready.\n\n"
            "Example: vmctl apply -f web1.yaml\n\nExample: vmctl create vm --name web1 | vmctl apply -f - --wait "
            "--timeout 120"
        ),
    )
    def apply(
        filename: Files,
        namespace: Namespace = None,
        output: ApplyOutput = None,
        allow_hooks: AllowHooks = False,
        wait: Wait = False,
        timeout: ApplyTimeout = 300,
        backend: Backend = None,
        state_dir: StateDir = None,
        libvirt_uri: LibvirtUri = None,
    ) -> None:
        import sys

        from vmctl.cli.output import object_name, render
        from vmctl.cli.resources import open_backend
        from vmctl.errors import UsageError, VmctlError
        from vmctl.io.inputs import read_inputs

        if not filename:
            raise UsageError("-f/--filename is required")
        if timeout < 0:
            raise UsageError("--timeout: must be zero or more seconds")
        docs = read_inputs(filename)
        be = open_backend(backend, state_dir, libvirt_uri, allow_hooks=allow_hooks or None)
        fallback = _fallback_source(be)
        objs = validate_batch(docs, namespace, fallback)
        if not objs:
            raise UsageError("no objects passed to apply")
        failure: VmctlError | None = None
        try:
            results = be.apply(objs, namespace=namespace)
        except VmctlError as exc:
            results = getattr(exc, "results", None)
            if results is None:
                raise
            failure = exc
        if output is None:
            sys.stdout.write("".join(f"{object_name(obj)} {action}\n" for obj, action in results))
        else:
            sys.stdout.write(render([o for o, _ in results], output))
        if failure is not None:
            raise failure
        if wait:
            _wait(be, results, timeout)


def _wait(be: Any, results: list[tuple[dict[str, Any], str]], timeout: int) -> None:
    """``--wait``: every applied VM where its runStrategy heads it, every VMI Ready."""
    from vmctl.backends.base import Ref
    from vmctl.errors import UsageError

    refs = [Ref(o["kind"], o["metadata"]["name"], o["metadata"].get("namespace") or "default")
            for o, _ in results if o["kind"] in ("VirtualMachine", "VirtualMachineInstance")]
    if not refs:
        return
    waiter = getattr(be, "wait_desired", None)
    if waiter is None:
        raise UsageError(f"--wait is not supported by the {be.name} backend")
    waiter(refs, timeout)


def _fallback_source(be: Any) -> Any:
    """Stored objects then catalogs (local backend), or just the catalogs."""
    store = getattr(be, "store", None)
    if store is not None:
        from vmctl.backends.local.runtime import _StoreSource

        return _StoreSource(store)
    from vmctl.catalog import load_catalog

    return load_catalog()
