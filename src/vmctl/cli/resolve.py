"""``vmctl resolve``: the VMI KubeVirt would create for each VM (or admit for each VMI) of the inputs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, cluster_command
from vmctl.cli.members import Index
from vmctl.cli.options import Catalog, Files, Namespace, Output, Strict
from vmctl.cli.output import Format

HELP = """Resolve VMs into the exact VMI KubeVirt would create, offline.

Runs KubeVirt's pipeline: VM admission (matchers, preferred architecture/machine type, conflicts, requirements), the VM controller (firmware UUID, default disks, autoattach preferences, default pod network, instancetype and preference), then VMI admission (presets, defaults). VMIs in the input get presets and defaults. A VirtualMachinePool resolves to the VMI of its member --index N (default 0), a VirtualMachineInstanceReplicaSet to the VMI it creates. Instancetypes, preferences and presets are taken from the input documents first, then the catalog. Other kinds are only used for lookups and not printed.

--show-origin adds, per field, the stage that set it: vm, instancetype/NAME, preference/NAME, preset/NAME or default.

Example: vmctl resolve -f vm.yaml

Example: vmctl resolve -f vm.yaml --show-origin

Example: cat vm.yaml | vmctl resolve -f - -o json --show-origin

Example: vmctl resolve -f manifests/ --catalog ./my-instancetypes -n dev

Example: vmctl resolve -f pool.yaml --index 2

Example: vmctl resolve vm/web -n prod --from-cluster
"""

ShowOrigin = Annotated[
    bool, typer.Option("--show-origin", help="Annotate every field with the stage that set it (yaml comments or json 'origins').")
]

FromCluster = Annotated[
    bool,
    typer.Option(
        "--from-cluster",
        help="Read instancetypes, preferences and presets from the cluster (read-only) instead of the catalog; "
        "TYPE/NAME arguments read the objects themselves from it.",
    ),
]
Targets = Annotated[
    list[str] | None,
    typer.Argument(help="With --from-cluster: objects to read from the cluster (vm/NAME, vmi/NAME, vmpool/NAME, "
                   "vmirs/NAME).", show_default=False, metavar="[TYPE/NAME]..."),
]

_RESOLVABLE = ("VirtualMachine", "VirtualMachineInstance")
_READABLE = (*_RESOLVABLE, "VirtualMachinePool", "VirtualMachineInstanceReplicaSet")


def _label(doc: Any, obj: dict[str, Any]) -> str:
    name = (obj.get("metadata") or {}).get("name", "<no name>")
    return f"{doc.where} {obj.get('kind')}/{name}"


def _report(label: str, exc: Exception) -> str:
    """The stderr lines for an object KubeVirt would refuse."""
    from vmctl.errors import ObjectRejected, VmctlError

    message = exc.message if isinstance(exc, VmctlError) else str(exc)
    lines = [f"error: {label}: {message}\n"]
    if isinstance(exc, ObjectRejected):
        for cause in exc.causes:
            lines.append(f"  {cause.field}: {cause.message}\n" if cause.field else f"  {cause.message}\n")
    hint = getattr(exc, "hint", None)
    if hint:
        lines.append(f"hint: {hint}\n")
    return "".join(lines)


def check_schema(pairs: list[tuple[Any, Any]], *, strict: bool, warned: set[str]) -> bool:
    """Report what KubeVirt's API server would refuse (errors) or drop (unknown fields: warnings, errors with
    ``strict``) for every input object, one line each on stderr; True when nothing is an error. Deprecation
    warnings are printed once per text (collected in ``warned``), as they concern the kind, not the object."""
    from vmctl.cli.output import warn
    from vmctl.schema import WARNING_REASONS, validate_object

    ok = True
    memo: dict[str, Any] = {}  # batches of near-identical objects (names apart) are walked once
    for doc, obj in pairs:
        for problem in validate_object(obj, memo=memo):
            if problem.reason == "Deprecated":
                if problem.message not in warned:
                    warned.add(problem.message)
                    warn(problem.message)
                continue
            line = doc.line_of(problem.field) if problem.field else None
            where = f"{doc.source}:{line}" if line else doc.source
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            what = f"{obj.get('kind') or '<no kind>'}/{meta.get('name') or '<no name>'}"
            field = f"{problem.field}: " if problem.field else ""
            text = f"{where}: document {doc.index + 1} ({what}): {field}{problem.message}"
            if problem.reason in WARNING_REASONS and not (strict and problem.reason == "FieldValueUnknown"):
                warn(text)
            else:
                sys.stderr.write(f"error: {text}\n")
                ok = False
    return ok


def run(
    files: list[str],
    catalog: list[Path] | None,
    namespace: str | None,
    output: Format,
    show_origin: bool,
    *,
    expand: bool,
    strict: bool = False,
    index: int = 0,
    targets: list[str] | None = None,
    from_cluster: bool = False,
    flags: BackendFlags = NO_FLAGS,
) -> None:
    """Shared body of ``vmctl resolve`` and ``vmctl expand`` (``index``: the pool / replica set member;
    ``from_cluster``: lookups, and ``targets``, read from the cluster)."""
    import gc

    # A batch keeps every input and result alive, and makes almost no reference cycles: the cyclic collector
    # would only rescan the growing heap again and again (a third of the run for 10,000 VMs).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if from_cluster:
            _from_cluster(files, targets or [], catalog, namespace, output, show_origin, expand=expand,
                          strict=strict, index=index, flags=flags)
        elif targets:
            from vmctl.errors import UsageError

            raise UsageError(f"{targets[0]}: objects are read from a cluster only with --from-cluster")
        else:
            _run(files, catalog, namespace, output, show_origin, expand=expand, strict=strict, index=index)
    finally:
        if collecting:
            gc.enable()


def _run(
    files: list[str],
    catalog: list[Path] | None,
    namespace: str | None,
    output: Format,
    show_origin: bool,
    *,
    expand: bool,
    strict: bool,
    index: int = 0,
    cluster: tuple[list[Any], Any, str] | None = None,
) -> None:
    """``cluster``: (documents read from the cluster, its ObjectSource, its default namespace) for
    ``--from-cluster``."""
    from vmctl.catalog import load_catalog
    from vmctl.cli.members import member_pairs
    from vmctl.cli.output import render, warn
    from vmctl.core.pipeline import MemoSource, expand_vm, resolve
    from vmctl.errors import EXIT_ERROR, UsageError, VmctlError
    from vmctl.io.inputs import read_inputs
    from vmctl.io.yamlio import iter_objects

    command = "expand" if expand else "resolve"
    if not files and not cluster:
        raise UsageError(f"-f/--filename is required, e.g. 'vmctl {command} -f vm.yaml'")
    if show_origin and Format(output) is Format.name:
        raise UsageError("--show-origin works with -o yaml or -o json, not -o name")
    docs = read_inputs(files) if files else []
    if cluster is not None:
        docs += cluster[0]
    pairs = list(iter_objects(docs))
    for doc, obj in pairs:
        if not isinstance(obj, dict):
            raise VmctlError(f"{doc.where}: expected an object with 'kind', got {type(obj).__name__}")
    if cluster is not None and namespace is None:  # as kubectl: no namespace means the context's
        from vmctl.core.kinds import BY_KIND

        for _, obj in pairs:
            meta = obj.get("metadata")
            known = BY_KIND.get(str(obj.get("kind")))
            if isinstance(meta, dict) and not meta.get("namespace") and known is not None and known.namespaced:
                meta["namespace"] = cluster[2]
    if expand:
        for doc, obj in pairs:
            if obj.get("kind") == "VirtualMachineInstance":
                raise VmctlError(f"{_label(doc, obj)}: expand takes VirtualMachines; use 'vmctl resolve' for VMIs")
    warned: set[str] = set()
    if not check_schema(pairs, strict=strict, warned=warned):
        raise typer.Exit(EXIT_ERROR)
    pairs = member_pairs(pairs, index, expand=expand)
    if cluster is not None:
        from vmctl.catalog.store import Chained, input_catalog

        source = MemoSource(Chained(input_catalog([obj for _, obj in pairs]), cluster[1]))
    else:
        source = MemoSource(load_catalog([obj for _, obj in pairs], extra_dirs=catalog))
    wanted = ("VirtualMachine",) if expand else _RESOLVABLE
    targets = [(doc, obj) for doc, obj in pairs if obj.get("kind") in wanted]
    if not targets:
        kinds = " or ".join(wanted)
        raise VmctlError(f"no {kinds} in the input ({', '.join(files)})")
    fmt = Format(output)

    def step(obj: dict[str, Any]) -> Any:
        if expand:
            return expand_vm(obj, source, namespace=namespace, origins=show_origin)
        return resolve(obj, source, namespace=namespace, origins=show_origin)

    # a cluster connection cannot be shared with a forked child
    done = None if cluster is not None else _in_two_processes(targets, step, fmt, show_origin, render)
    if done is None:
        results, failed = _resolve_all(targets, step, sys.stderr.write)
        warnings = [w for r in results for w in r.warnings] if not failed else []
        text = "" if failed else _render(results, fmt, show_origin, render)
    else:
        failed, warnings, text = done
    if failed:
        raise typer.Exit(EXIT_ERROR)
    for warning in warnings:
        if warning not in warned:
            warned.add(warning)
            warn(warning)
    sys.stdout.write(text)
    sys.stdout.flush()


def _from_cluster(
    files: list[str], targets: list[str], catalog: list[Path] | None, namespace: str | None, output: Format,
    show_origin: bool, *, expand: bool, strict: bool, index: int, flags: BackendFlags,
) -> None:
    """``--from-cluster``: the objects named by ``targets`` are read from the cluster, instancetypes, preferences
    and presets are looked up in the input documents, then on the cluster (read-only; no catalog)."""
    from vmctl.backends.base import Ref
    from vmctl.cli.backend_flags import open_backend
    from vmctl.cli.resources import split_type_name
    from vmctl.errors import UsageError
    from vmctl.io.yamlio import Document

    if catalog:
        raise UsageError("--catalog and --from-cluster exclude each other: the cluster is the catalog")
    if not files and not targets:
        raise UsageError("--from-cluster: name objects to read (e.g. vm/web) or give -f/--filename")
    wanted = [split_type_name([t]) for t in targets]  # usage errors before connecting
    for kind, _ in wanted:
        if kind.kind not in _READABLE:
            raise UsageError(f"{kind.singular}: {'expand' if expand else 'resolve'} reads vm, vmi, vmpool or vmirs")
    be = open_backend(flags._replace(backend="cluster"))
    try:
        ns = namespace or be.default_namespace
        docs = []
        for (kind, name), text in zip(wanted, targets, strict=True):
            obj = be.get(Ref(kind.kind, name, ns))
            (obj.get("metadata") or {}).pop("managedFields", None)
            obj.pop("status", None)
            docs.append(Document(obj, f"cluster:{text}", 0))
        _run(files, None, namespace, output, show_origin, expand=expand, strict=strict, index=index,
             cluster=(docs, be.lookup_source(), ns))
    finally:
        be.close()


def _resolve_all(targets: list[tuple[Any, Any]], step: Any, write: Any) -> tuple[list[Any], bool]:
    """Resolve every target in order; refusals are written (``write``) as they come. (results, any refused)."""
    from vmctl.errors import VmctlError

    results = []
    failed = False
    for doc, obj in targets:
        try:
            results.append(step(obj))
        except VmctlError as exc:
            write(_report(_label(doc, obj), exc))
            failed = True
    return results, failed


# --- big batches: two processes ----------------------------------------------------------------------------

#: Batches of at least this many objects are split in two: this process resolves and renders the first half
#: while a forked child does the second; the texts are joined in input order (where ``os.fork`` exists and
#: there are two CPUs). Anything unexpected in the child and this process redoes its half itself, so the
#: output, messages and exit code are exactly the one-process ones.
PARALLEL_MIN = 2000
#: Share of the objects the child takes (this process also joins and writes the output).
CHILD_SHARE = 0.5


def _in_two_processes(
    targets: list[tuple[Any, Any]], step: Any, fmt: Format, show_origin: bool, render: Any
) -> tuple[bool, list[str], str] | None:
    """(refused, warnings, stdout text) for a big batch, or None to run in one process."""
    import os

    if len(targets) < max(PARALLEL_MIN, 2) or not hasattr(os, "fork") or len(os.sched_getaffinity(0)) < 2:
        return None
    split = min(max(1, len(targets) - int(len(targets) * CHILD_SHARE)), len(targets) - 1)
    first, second = targets[:split], targets[split:]
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(second, step, fmt, show_origin, render, write_fd)
    os.close(write_fd)
    reaped = False
    try:
        results, failed = _resolve_all(first, step, sys.stderr.write)
        part = None if failed else _render_part(results, fmt, show_origin, render)
        payload = _receive(read_fd)
        os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:
            import signal

            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if payload is not None:
        errors, failed_second, warnings_second, part_second = payload
        sys.stderr.write(errors)
        if failed or failed_second:
            return True, [], ""
        if part is not None and part_second is not None:
            warnings = [w for r in results for w in r.warnings] + warnings_second
            return False, warnings, _join_parts([part, part_second], fmt, show_origin)
    # the child could not do its half (or the text needs the whole batch): redo it here
    more, failed_second = _resolve_all(second, step, sys.stderr.write)
    if failed or failed_second:
        return True, [], ""
    results += more
    return False, [w for r in results for w in r.warnings], _render(results, fmt, show_origin, render)


def _child(targets: list[tuple[Any, Any]], step: Any, fmt: Format, show_origin: bool, render: Any, fd: int) -> None:
    """Resolve and render ``targets``, send (errors, refused, warnings, text or None) on ``fd``, exit."""
    import os
    import pickle

    try:
        errors: list[str] = []
        results, failed = _resolve_all(targets, step, errors.append)
        part = None if failed else _render_part(results, fmt, show_origin, render)
        warnings = [] if failed else [w for r in results for w in r.warnings]
        data = pickle.dumps(("".join(errors), failed, warnings, part), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - anything at all: the parent redoes this half and meets it itself
        data = b""
    try:
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


def _receive(fd: int) -> tuple[str, bool, list[str], str | None] | None:
    import os
    import pickle

    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    if not chunks:
        return None
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a cut-short message: redo the half here
        return None


def _render_part(results: list[Any], fmt: Format, show_origin: bool, render: Any) -> str | None:
    """What ``_render`` writes for ``results`` inside the whole batch's text (see ``_join_parts``); None when
    the JSON text needs the whole batch (data ``dumps_indented`` leaves to ``json.dumps``)."""
    if fmt is Format.json:
        try:
            if show_origin:
                return ",\n  ".join(_indented({"object": r.obj, "origins": r.origins}, "  ") for r in results)
            return ",\n    ".join(_indented(r.obj, "    ") for r in results)
        except (_NotPlain, RecursionError):
            return None
    if not show_origin:
        return render([r.obj for r in results], fmt)
    from vmctl.core.origin import render_yaml_with_origins

    return "---\n".join(render_yaml_with_origins(r.obj, r.origins) for r in results)


def _join_parts(parts: list[str], fmt: Format, show_origin: bool) -> str:
    """``_render`` of a batch of two or more results from the ``_render_part`` texts of its pieces."""
    if fmt is Format.json:
        if show_origin:
            return "[\n  " + ",\n  ".join(parts) + "\n]\n"
        return '{\n  "apiVersion": "v1",\n  "items": [\n    ' + ",\n    ".join(parts) + '\n  ],\n  "kind": "List"\n}\n'
    if fmt is Format.name:
        return "".join(parts)
    return "---\n".join(parts)


def _render(results: list[Any], fmt: Format, show_origin: bool, render: Any) -> str:
    if fmt is Format.json:
        body: Any
        if show_origin:
            body = [{"object": r.obj, "origins": r.origins} for r in results]
            body = body[0] if len(body) == 1 else body
        else:  # what ``render`` prints for -o json, written faster
            objs = [r.obj for r in results]
            body = objs[0] if len(objs) == 1 else {"apiVersion": "v1", "kind": "List", "items": objs}
        return dumps_indented(body) + "\n"
    if not show_origin:
        return render([r.obj for r in results], fmt)
    from vmctl.core.origin import render_yaml_with_origins

    return "---\n".join(render_yaml_with_origins(r.obj, r.origins) for r in results)


class _NotPlain(Exception):
    """Raised inside ``dumps_indented`` for data it leaves to the standard encoder."""


def _float_text(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def dumps_indented(obj: Any) -> str:
    """``json.dumps(obj, indent=2, sort_keys=True)``, same text, ~2.5x faster for plain JSON data.

    The standard library drops to its pure-Python encoder whenever it indents; this walks plain dicts,
    lists and scalars directly and hands anything else (subclasses, non-string keys) to ``json.dumps``.
    """
    import json

    try:
        return _indented(obj, "")
    except (_NotPlain, RecursionError):
        return json.dumps(obj, indent=2, sort_keys=True)


def _indented(obj: Any, indent: str) -> str:
    """The ``dumps_indented`` text of plain ``obj`` placed at ``indent``; _NotPlain for other data."""
    from json.encoder import encode_basestring_ascii as quote

    parts: list[str] = []
    add = parts.append

    def value(node: Any, indent: str) -> None:
        kind = type(node)
        if kind is str:
            add(quote(node))
        elif kind is dict:
            if not node:
                add("{}")
                return
            inner = indent + "  "
            sep = "{\n" + inner
            for key in sorted(node):
                if type(key) is not str:
                    raise _NotPlain
                add(sep)
                add(quote(key))
                add(": ")
                value(node[key], inner)
                sep = ",\n" + inner
            add("\n" + indent + "}")
        elif kind is list:
            if not node:
                add("[]")
                return
            inner = indent + "  "
            sep = "[\n" + inner
            for item in node:
                add(sep)
                value(item, inner)
                sep = ",\n" + inner
            add("\n" + indent + "]")
        elif node is None:
            add("null")
        elif node is True:
            add("true")
        elif node is False:
            add("false")
        elif kind is int:
            add(int.__repr__(node))
        elif kind is float:
            add(_float_text(node))
        else:
            raise _NotPlain

    value(obj, indent)
    return "".join(parts)


def register(app: typer.Typer) -> None:
    @app.command("resolve", help=HELP)
    @cluster_command
    def resolve_cmd(
        targets: Targets = None,
        files: Files = [],  # noqa: B006 - typer reads the default, never mutates it
        catalog: Catalog = None,
        namespace: Namespace = None,
        output: Output = Format.yaml,
        show_origin: ShowOrigin = False,
        strict: Strict = False,
        index: Index = 0,
        from_cluster: FromCluster = False,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        run(files, catalog, namespace, output, show_origin, expand=False, strict=strict, index=index,
            targets=targets, from_cluster=from_cluster, flags=flags)
