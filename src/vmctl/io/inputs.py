"""Read the ``-f`` inputs: files, directories (recursively) and ``-`` (stdin)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from vmctl.errors import InputError
from vmctl.io.yamlio import MAX_INPUT_BYTES, Document, parse_documents

_SUFFIXES = {".yaml", ".yml", ".json"}


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(f"{path}: input is {size} bytes, more than the limit of {MAX_INPUT_BYTES} bytes")
        with path.open("rb") as stream:  # bounded read: pipes and devices report no size
            data = stream.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(f"{path}: input is more than the limit of {MAX_INPUT_BYTES} bytes")
        return data.decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or directory") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def _read_stdin() -> str:
    """Standard input as strict UTF-8, at most one byte over the size bound (so oversize input is reported)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream without bytes underneath (e.g. io.StringIO in tests)
        return sys.stdin.read(MAX_INPUT_BYTES + 1)
    data = buffer.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"<stdin>: input is more than the limit of {MAX_INPUT_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("<stdin>: not UTF-8 text") from None


def read_inputs(sources: Iterable[str]) -> list[Document]:
    """Parse every document of every source in order."""
    docs: list[Document] = []
    for source in sources:
        if source == "-":
            docs.extend(parse_documents(_read_stdin(), "<stdin>"))
            continue
        for file in input_files(source):
            docs.extend(parse_documents(_read(Path(file)), file))
    return docs


def input_files(source: str) -> list[str]:
    """The files a source names: itself, or every .yaml/.yml/.json file of a folder (recursively, sorted)."""
    path = Path(source)
    if not path.is_dir():
        return [source]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
    if not files:
        raise InputError(f"{path}: directory holds no .yaml, .yml or .json file")
    return [str(file) for file in files]
