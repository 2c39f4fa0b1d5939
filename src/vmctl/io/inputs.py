"""Read the ``-f`` inputs: files, directories (recursively) and ``-`` (stdin)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from vmctl.errors import InputError
from vmctl.io.yamlio import Document, parse_documents
from vmctl.settings import max_input_bytes

_SUFFIXES = (".yaml", ".yml", ".json")


def _read(path: Path) -> str:
    limit = max_input_bytes()
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{path}: input is {size} bytes, more than the limit of {limit} bytes")
        with path.open("rb") as stream:  # bounded read: pipes and devices report no size
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise InputError(f"{path}: input is more than the limit of {limit} bytes")
        return data.decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or directory") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def _read_stdin() -> str:
    """Standard input as strict UTF-8, at most one byte over the size bound (so oversize input is reported)."""
    limit = max_input_bytes()
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream without bytes underneath (e.g. io.StringIO in tests)
        return sys.stdin.read(limit + 1)
    data = buffer.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"<stdin>: input is more than the limit of {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("<stdin>: not UTF-8 text") from None


def folder_error(exc: OSError, folder: Path) -> InputError:
    """``FOLDER: cannot read folder: permission denied`` (or the system's reason)."""
    problem = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
    return InputError(f"{exc.filename or folder}: cannot read folder: {problem}")


def files_below(folder: Path, suffixes: Iterable[str], *, skip_hidden: bool = False) -> list[Path]:
    """Every file below ``folder`` (recursively, sorted) whose name ends with one of ``suffixes``; a folder that
    cannot be read is an error naming it (never silently skipped)."""
    def refuse(exc: OSError) -> None:
        raise folder_error(exc, folder)

    ends = tuple(suffixes)
    return sorted(
        Path(root) / name
        for root, _dirs, names in os.walk(folder, onerror=refuse)
        for name in names
        if name.endswith(ends) and not (skip_hidden and name.startswith("."))
    )


def read_text(source: str) -> str:
    """The text of one file, or of stdin for ``-`` (bounded, strict UTF-8)."""
    return _read_stdin() if source == "-" else _read(Path(source))


def read_inputs(
    sources: Iterable[str], parse: Callable[[str, str], list[Document]] = parse_documents
) -> list[Document]:
    """Parse every document of every source in order (``parse(text, source)``: ``parse_documents`` or one
    that returns the same documents, e.g. ``vmctl.batch.parse_big_yaml``)."""
    docs: list[Document] = []
    for source in sources:
        if source == "-":
            docs.extend(parse(_read_stdin(), "<stdin>"))
            continue
        for file in input_files(source):
            docs.extend(parse(_read(Path(file)), file))
    return docs


def input_files(source: str) -> list[str]:
    """The files a source names: itself, or every .yaml/.yml/.json file of a folder (recursively, sorted)."""
    path = Path(source)
    if not path.is_dir():
        return [source]
    files = files_below(path, _SUFFIXES)
    if not files:
        raise InputError(f"{path}: directory holds no .yaml, .yml or .json file")
    return [str(file) for file in files]


def is_object(obj: object) -> bool:
    """True for a Kubernetes object: a mapping with an ``apiVersion`` or a ``kind``."""
    return isinstance(obj, dict) and bool(obj.get("kind") or obj.get("apiVersion"))


def describe_objects(objects: Iterable[object]) -> str:
    """What some parsed input holds, for messages: ``found kinds: A, B`` or ``no Kubernetes objects``."""
    kinds = sorted({str(o["kind"]) for o in objects if isinstance(o, dict) and o.get("kind")})
    if kinds:
        return f"found kinds: {', '.join(kinds)}"
    return "no Kubernetes objects"


def read_objects(
    sources: Iterable[str], parse: Callable[[str, str], list[Document]] = parse_documents
) -> list[Document]:
    """``read_inputs``, where a source that holds no Kubernetes object (empty, or text such as ``/etc/passwd``)
    is an error naming it: CI must not pass on an empty render."""
    from vmctl.io.yamlio import iter_objects

    docs: list[Document] = []
    for source in sources:
        found = read_inputs([source], parse)
        if not any(is_object(obj) for _, obj in iter_objects(found)):
            why = "the input is empty" if not found else "expected YAML or JSON documents with apiVersion and kind"
            raise InputError(f"{'<stdin>' if source == '-' else source}: no Kubernetes objects ({why})")
        docs.extend(found)
    return docs
