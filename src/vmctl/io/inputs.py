"""Read the ``-f`` inputs: files, directories (recursively) and ``-`` (stdin)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
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
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
            if not files:
                raise InputError(f"{path}: directory holds no .yaml, .yml or .json file")
            for file in files:
                docs.extend(parse(_read(file), str(file)))
        else:
            docs.extend(parse(_read(path), str(path)))
    return docs
