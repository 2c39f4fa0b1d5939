"""Parsed YAML files kept as JSON in the user's cache folder, so a command that reads the same template on
every run does not import and run the YAML parser each time.

An entry is named by the SHA-256 of the file's text, of vmctl's version and of this format's version: a
changed file (or another vmctl) has another name, so a result is never stale. Only plain JSON data is cached (YAML dates or binary values are
not). The folder is ``$XDG_CACHE_HOME/vmctl/parsed`` (``~/.cache/vmctl/parsed``); when it cannot be read or
written the file is simply parsed, and nothing is reported.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from vmctl.io.yamlio import Document, parse_documents

#: Bumped whenever what ``parse_documents`` returns for a text could change (or this format does).
FORMAT = "1"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/vmctl/parsed``, else ``~/.cache/vmctl/parsed``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vmctl" / "parsed"


def _digest(text: str) -> str:
    try:  # the interpreter's own SHA-256: importing hashlib (and OpenSSL) costs more than parsing small files
        from _sha2 import sha256  # type: ignore[import-not-found]  # Python >= 3.12
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found, no-redef]
        except ImportError:  # pragma: no cover - a build without the built-in hashes
            from hashlib import sha256  # type: ignore[no-redef]
    from vmctl import __version__

    return sha256(f"{FORMAT}\0{__version__}\0{text}".encode()).hexdigest()


def _plain(node: Any) -> bool:
    """True for data that reads back from JSON unchanged (str keys; str, int, float, bool, None leaves)."""
    kind = type(node)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in node.items())
    if kind is list:
        return all(_plain(v) for v in node)
    return kind in (str, int, bool) or node is None or (kind is float and node == node and abs(node) != float("inf"))


def parse_cached(text: str, source: str) -> list[Document]:
    """``parse_documents(text, source)``, from the cache when this text was parsed before."""
    path = cache_dir() / f"{_digest(text)}.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return [Document(obj, source, index, text) for index, obj in entries]
    except (OSError, ValueError, TypeError):
        pass
    docs = parse_documents(text, source)
    if all(_plain(doc.obj) for doc in docs):
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            scratch.write_text(json.dumps([[doc.index, doc.obj] for doc in docs]), encoding="utf-8")
            os.replace(scratch, path)
        except OSError:  # an unwritable cache folder: parse again next time
            with contextlib.suppress(OSError):
                scratch.unlink(missing_ok=True)
    return docs
