"""Resolve (or expand) a batch of input objects as ``vmctl resolve``/``expand`` print it: the schema check,
KubeVirt's pipeline for every VM or VMI, the rendered text.

Big batches use two processes where ``os.fork`` exists and there are two CPUs: a big YAML file is parsed in
two halves (``parse_big_yaml``), and the objects are checked, resolved and rendered in two halves
(``run_batch``). Whatever happens in the child, the output, messages and exit code are exactly the one-process
ones: the child's findings are merged in input order, and anything unexpected is redone in this process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from vmctl.errors import VmctlError
from vmctl.io.jsonout import NotPlain, dumps_indented, indented
from vmctl.io.yamlio import Document

#: Batches of at least this many objects are split in two: this process checks, resolves and renders the
#: first half while a forked child does the second; the texts are joined in input order.
PARALLEL_MIN = 2000
#: Share of the objects the child takes (this process also joins and writes the output).
CHILD_SHARE = 0.5
#: YAML texts of at least this many bytes are parsed in two processes (about 1,000 typical VMs).
PARALLEL_PARSE_MIN_BYTES = 512 * 1024

Pair = tuple[Document, Any]
Write = Callable[[str], Any]


class Finding(NamedTuple):
    """One schema problem as the CLI prints it: ``level`` is ``deprecated`` (printed once per text),
    ``warning`` or ``error``."""

    level: str
    text: str


class Outcome(NamedTuple):
    """What a batch prints: refused (exit 1, nothing on stdout), warnings for stderr, the stdout text."""

    failed: bool
    warnings: list[str]
    text: str


class Job(NamedTuple):
    """How to do a batch: ``step(obj)`` resolves one object, ``render(objs, fmt)`` renders plain results
    (``fmt``: yaml, json or name), ``prepare()`` runs after a clean schema check and before the first step
    (e.g. loading the catalog), as in one process. Schema findings and refusals are printed through ``warn``
    and ``write_err`` in input order; ``warned`` collects the deprecations printed (once each)."""

    step: Callable[[Any], Any]
    fmt: str
    show_origin: bool
    render: Callable[..., str]
    strict: bool
    warned: set[str]
    warn: Write
    write_err: Write
    prepare: Callable[[], Any]


def _two_cpus() -> bool:
    return hasattr(os, "fork") and len(os.sched_getaffinity(0)) >= 2


# --- reading ------------------------------------------------------------------------------------------------


def parse_big_yaml(text: str, source: str) -> list[Document]:
    """``parse_documents(text, source)``, in two processes for a big YAML text (same documents, same errors)."""
    from vmctl.io.yamlio import check_size, load_yaml, parse_documents, split_documents

    if len(text) < PARALLEL_PARSE_MIN_BYTES or text.lstrip().startswith(("{", "[")) or not _two_cpus():
        return parse_documents(text, source)
    check_size(text, source)
    chunks = split_documents(text, 2)
    if len(chunks) < 2:
        return parse_documents(text, source)

    def second_half() -> list[tuple[Any, int]]:
        docs, _ = load_yaml(text, source, chunks[1])
        return [(doc.obj, doc.index) for doc in docs]

    try:
        with _Forked(second_half) as child:
            docs, count = load_yaml(text, source, chunks[0])
            payload = child.result()
    except VmctlError:  # a problem anywhere: the one-process parse finds the first one, as it always does
        return parse_documents(text, source)
    except OSError:  # no pipe or no fork (process limits): one process
        return parse_documents(text, source)
    if payload is None:
        try:
            payload = second_half()
        except VmctlError:
            return parse_documents(text, source)
    docs.extend(Document(obj, source, count + index, text) for obj, index in payload)
    return docs


# --- the schema check ---------------------------------------------------------------------------------------


def schema_findings(pairs: Iterable[Pair], *, strict: bool) -> list[Finding]:
    """What KubeVirt's API server would refuse (errors) or drop (unknown fields: warnings, errors with
    ``strict``) for every input object, in input order."""
    from vmctl.schema import WARNING_REASONS, validate_object

    found: list[Finding] = []
    memo: dict[str, Any] = {}  # batches of near-identical objects (names apart) are walked once
    for doc, obj in pairs:
        for problem in validate_object(obj, memo=memo):
            if problem.reason == "Deprecated":
                found.append(Finding("deprecated", problem.message))
                continue
            line = doc.line_of(problem.field) if problem.field else None
            where = f"{doc.source}:{line}" if line else doc.source
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            what = f"{obj.get('kind') or '<no kind>'}/{meta.get('name') or '<no name>'}"
            field = f"{problem.field}: " if problem.field else ""
            text = f"{where}: document {doc.index + 1} ({what}): {field}{problem.message}"
            if problem.reason in WARNING_REASONS and not (strict and problem.reason == "FieldValueUnknown"):
                found.append(Finding("warning", text))
            else:
                found.append(Finding("error", text))
    return found


def report_findings(findings: list[Finding], warned: set[str], warn: Write, write_err: Write) -> bool:
    """Print ``findings`` (deprecations once per text, collected in ``warned``); True when none is an error."""
    ok = True
    for level, text in findings:
        if level == "deprecated":
            if text not in warned:
                warned.add(text)
                warn(text)
        elif level == "warning":
            warn(text)
        else:
            write_err(f"error: {text}\n")
            ok = False
    return ok


# --- resolving ----------------------------------------------------------------------------------------------


def label(doc: Any, obj: dict[str, Any], exc: Exception | None = None) -> str:
    """``FILE:LINE: document N (Kind/name)`` as ``vmctl validate`` writes it; the line is that of the first
    cause's field, of the matcher of a missing instancetype or preference, or of the document."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    causes = getattr(exc, "causes", None) or []
    line = doc.line_of(causes[0].field if causes else getattr(exc, "field", ""))
    where = f"{doc.source}:{line}" if line else doc.source
    return f"{where}: document {doc.index + 1} ({obj.get('kind') or '<no kind>'}/{meta.get('name') or '<no name>'})"


def refusal(label: str, exc: Exception) -> str:
    """The stderr lines for an object KubeVirt would refuse."""
    from vmctl.errors import ObjectRejected

    message = exc.message if isinstance(exc, VmctlError) else str(exc)
    lines = [f"error: {label}: {message}\n"]
    if isinstance(exc, ObjectRejected):
        for cause in exc.causes:
            lines.append(f"  {cause.field}: {cause.message}\n" if cause.field else f"  {cause.message}\n")
    hint = getattr(exc, "hint", None)
    if hint:
        lines.append(f"hint: {hint}\n")
    return "".join(lines)


def resolve_all(targets: list[Pair], step: Callable[[Any], Any], write: Write) -> tuple[list[Any], bool]:
    """Resolve every target in order; refusals are written (``write``) as they come. (results, any refused)."""
    results = []
    failed = False
    for doc, obj in targets:
        try:
            results.append(step(obj))
        except VmctlError as exc:
            write(refusal(label(doc, obj, exc), exc))
            failed = True
    return results, failed


class _Half(NamedTuple):
    """One half of a batch, done: its schema findings, refusals (stderr text), results, rendered text."""

    findings: list[Finding]
    errors: str
    failed: bool
    warnings: list[str]
    part: str | None


def _do_half(pairs: list[Pair], targets: list[Pair], job: Job) -> _Half:
    findings = schema_findings(pairs, strict=job.strict)
    if any(f.level == "error" for f in findings):  # the whole batch is refused before anything is resolved
        return _Half(findings, "", True, [], None)
    errors: list[str] = []
    results, failed = resolve_all(targets, job.step, errors.append)
    part = None if failed else render_part(results, job.fmt, job.show_origin, job.render)
    warnings = [] if failed else [w for r in results for w in r.warnings]
    return _Half(findings, "".join(errors), failed, warnings, part)


def run_batch(pairs: list[Pair], targets: list[Pair], job: Job, *, parallel: bool = True) -> Outcome:
    """Check ``pairs`` against the schema, then resolve ``targets`` and render the results (see ``Job``);
    the outcome's warnings are the pipeline's. ``parallel``: a big batch may be done in two processes."""
    if parallel and len(targets) >= max(PARALLEL_MIN, 2) and _two_cpus():
        done = _in_two_processes(pairs, targets, job)
        if done is not None:
            return done
    if not report_findings(schema_findings(pairs, strict=job.strict), job.warned, job.warn, job.write_err):
        return Outcome(True, [], "")
    job.prepare()
    results, failed = resolve_all(targets, job.step, job.write_err)
    if failed:
        return Outcome(True, [], "")
    warnings = [w for r in results for w in r.warnings]
    return Outcome(False, warnings, render_all(results, job.fmt, job.show_origin, job.render))


def _in_two_processes(pairs: list[Pair], targets: list[Pair], job: Job) -> Outcome | None:
    """The outcome of a big batch done in two halves, or None (nothing printed) to do it in one process."""
    import contextlib
    import io

    said = io.StringIO()  # what ``prepare`` prints comes after the schema findings, as in one process
    try:
        with contextlib.redirect_stderr(said):
            job.prepare()
    except VmctlError:
        return None  # the one-process run reports it after the schema check, as always
    split = min(max(1, len(targets) - int(len(targets) * CHILD_SHARE)), len(targets) - 1)
    first, second = targets[:split], targets[split:]
    # the child checks the objects from its first target on
    start = next(i for i, (doc, obj) in enumerate(pairs) if doc is second[0][0] and obj is second[0][1])
    try:
        with _Forked(lambda: _do_half(pairs[start:], second, job)) as child:
            mine = _do_half(pairs[:start], first, job)
            theirs = child.result()
    except Exception:  # noqa: BLE001 - anything unexpected here: the one-process run meets it itself
        return None
    if theirs is None:
        return None
    findings = mine.findings + theirs.findings
    refused = any(f.level == "error" for f in findings) or mine.failed or theirs.failed
    if not refused and (mine.part is None or theirs.part is None):
        return None  # the text needs the whole batch: render it in one process
    if not report_findings(findings, job.warned, job.warn, job.write_err):
        return Outcome(True, [], "")
    job.write_err(said.getvalue() + mine.errors + theirs.errors)
    if refused or mine.part is None or theirs.part is None:
        return Outcome(True, [], "")
    return Outcome(False, mine.warnings + theirs.warnings, join_parts([mine.part, theirs.part], job.fmt, job.show_origin))


# --- rendering ----------------------------------------------------------------------------------------------


def render_part(results: list[Any], fmt: str, show_origin: bool, render: Any) -> str | None:
    """What ``render_all`` writes for ``results`` inside the whole batch's text (see ``join_parts``); None
    when the JSON text needs the whole batch (data ``dumps_indented`` leaves to ``json.dumps``)."""
    if fmt == "json":
        try:
            if show_origin:
                return ",\n  ".join(indented({"object": r.obj, "origins": r.origins}, "  ") for r in results)
            return ",\n    ".join(indented(r.obj, "    ") for r in results)
        except (NotPlain, RecursionError):
            return None
    if not show_origin:
        return render([r.obj for r in results], fmt)
    from vmctl.core.origin import render_yaml_with_origins

    return "---\n".join(render_yaml_with_origins(r.obj, r.origins) for r in results)


def join_parts(parts: list[str], fmt: str, show_origin: bool) -> str:
    """``render_all`` of a batch of two or more results from the ``render_part`` texts of its pieces."""
    if fmt == "json":
        if show_origin:
            return "[\n  " + ",\n  ".join(parts) + "\n]\n"
        return '{\n  "apiVersion": "v1",\n  "items": [\n    ' + ",\n    ".join(parts) + '\n  ],\n  "kind": "List"\n}\n'
    if fmt == "name":
        return "".join(parts)
    return "---\n".join(parts)


def render_all(results: list[Any], fmt: str, show_origin: bool, render: Any) -> str:
    """The stdout text of a batch: one object as itself, several as YAML documents, a JSON list or names."""
    if fmt == "json":
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


# --- a forked helper ----------------------------------------------------------------------------------------


class _Forked:
    """``with _Forked(work) as child: ... child.result()``: ``work()`` runs in a forked child; ``result()`` is
    its return value, or None when it raised, died or sent something unreadable. The child is always reaped
    (killed if this process leaves the block early)."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self.work = work

    def __enter__(self) -> _Forked:
        sys.stdout.flush()
        sys.stderr.flush()
        self.read_fd, write_fd = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(self.read_fd)
            _child(self.work, write_fd)
        os.close(write_fd)
        self.reaped = False
        return self

    def result(self) -> Any:
        payload = _receive(self.read_fd)
        os.waitpid(self.pid, 0)
        self.reaped = True
        return payload

    def __exit__(self, *exc: object) -> None:
        os.close(self.read_fd)
        if not self.reaped:
            import signal

            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


def _child(work: Callable[[], Any], fd: int) -> None:
    """Run ``work``, send its pickled result on ``fd`` (nothing when it raised), exit."""
    import pickle

    try:
        data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - anything at all: the parent redoes this work and meets it itself
        data = b""
    try:
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


def _receive(fd: int) -> Any:
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
    except Exception:  # noqa: BLE001 - a cut-short message: redo the work here
        return None
