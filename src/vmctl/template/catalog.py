"""Finding templates: a file path, or a name looked up in user template folders, then the bundled ``templates/``.

Search order for names: ``--template-dir`` folders (in the order given), ``VMCTL_TEMPLATE_PATH``
(``os.pathsep``-separated), ``~/.config/vmctl/templates``, then the templates shipped with vmctl. The first
folder holding a template of that ``metadata.name`` wins, so user templates shadow bundled ones.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import NamedTuple

from vmctl import paths
from vmctl.errors import InputError, NotFoundError
from vmctl.io.inputs import read_inputs
from vmctl.io.yamlio import iter_objects
from vmctl.template.model import Obj, is_template, template_name

_SUFFIXES = (".yaml", ".yml", ".json")


class TemplateRef(NamedTuple):  # a NamedTuple is much quicker to define than a dataclass (start-up time)
    """A template plus where it came from (``text`` is the whole source file)."""

    obj: Obj
    path: Path | None
    origin: str  # "bundled", "user" or "file"
    text: str = ""
    documents: int = 1


def search_dirs(extra_dirs: list[Path] | None = None) -> list[tuple[Path, str]]:
    dirs: list[tuple[Path, str]] = [(Path(d), "user") for d in extra_dirs or []]
    env = os.environ.get("VMCTL_TEMPLATE_PATH", "")
    dirs += [(Path(d), "user") for d in env.split(os.pathsep) if d]
    dirs.append((paths.config_home() / "templates", "user"))
    dirs.append((paths.bundled("templates"), "bundled"))
    return dirs


def _load_file(path: Path, origin: str) -> list[TemplateRef]:
    from vmctl.io.parsecache import parse_cached

    docs = read_inputs([str(path)], parse=parse_cached)
    text = docs[0].text if docs else ""
    found = [obj for _, obj in iter_objects(docs) if is_template(obj)]
    return [TemplateRef(obj, path, origin, text, len(docs)) for obj in found]


def _scan(directory: Path, origin: str, problems: list[str] | None) -> list[TemplateRef]:
    if not directory.is_dir():
        return []
    refs: list[TemplateRef] = []
    for path in sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in _SUFFIXES):
        try:
            refs.extend(_load_file(path, origin))
        except InputError as exc:
            if problems is None or origin == "bundled":
                raise
            problems.append(f"skipping {exc.message}")
    return refs


def list_refs(extra_dirs: list[Path] | None = None, problems: list[str] | None = None) -> list[TemplateRef]:
    """Every visible template (first folder wins for a name), sorted by name.

    ``--template-dir`` folders must exist. With ``problems`` given, unreadable files in user folders are
    skipped and described there instead of failing the whole lookup.
    """
    for directory in extra_dirs or []:
        if not Path(directory).is_dir():
            raise InputError(f"--template-dir {directory}: not a directory")
    seen: dict[str, TemplateRef] = {}
    for directory, origin in search_dirs(extra_dirs):
        for ref in _scan(directory, origin, problems):
            seen.setdefault(template_name(ref.obj), ref)
    return [seen[name] for name in sorted(seen)]


def _find_by_name(name: str, extra_dirs: list[Path] | None, problems: list[str] | None) -> TemplateRef | None:
    """The template ``list_refs`` would pick for ``name``, reading as little as possible.

    User folders are read whole, as ``list_refs`` reads them (same errors and problems). In the bundled
    folder (our own files) a file whose text does not contain the name cannot define it and is not parsed,
    so finding ``cirros`` parses one file.
    """
    for directory in extra_dirs or []:
        if not Path(directory).is_dir():
            raise InputError(f"--template-dir {directory}: not a directory")
    first: TemplateRef | None = None
    for directory, origin in search_dirs(extra_dirs):
        if origin != "bundled":
            for ref in _scan(directory, origin, problems):
                if first is None and template_name(ref.obj) == name:
                    first = ref
            continue
        if first is not None:
            return first
        if not directory.is_dir():
            continue
        for path in sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in _SUFFIXES):
            if name not in path.read_text(encoding="utf-8"):
                continue
            for ref in _load_file(path, origin):
                if template_name(ref.obj) == name:
                    return ref
    return first


def _looks_like_path(text: str) -> bool:
    return "/" in text or text.endswith(_SUFFIXES) or text == "-" or Path(text).is_file()


def locate(
    name_or_path: str, extra_dirs: list[Path] | None = None, problems: list[str] | None = None
) -> TemplateRef:
    """A template by file path (or ``-`` for stdin), else by name; NotFoundError with a hint otherwise."""
    if _looks_like_path(name_or_path):
        if name_or_path != "-" and not Path(name_or_path).exists():
            raise InputError(f"{name_or_path}: no such file or directory")
        docs = read_inputs([name_or_path])
        templates = [obj for _, obj in iter_objects(docs) if is_template(obj)]
        if not templates:
            kinds = sorted({str(obj.get("kind")) for _, obj in iter_objects(docs) if isinstance(obj, dict)})
            raise InputError(
                f"{name_or_path}: holds no template (found kinds: {', '.join(kinds) or 'none'}; expected Template, "
                "VirtualMachineTemplate or JinjaTemplate)"
            )
        path = None if name_or_path == "-" else Path(name_or_path)
        return TemplateRef(templates[0], path, "file", docs[0].text if docs else "", len(docs))
    scratch: list[str] | None = [] if problems is not None else None
    found = _find_by_name(name_or_path, extra_dirs, scratch)
    if found is not None:
        if problems is not None and scratch:
            problems.extend(scratch)
        return found
    refs = list_refs(extra_dirs, problems)
    names = [template_name(r.obj) for r in refs]
    close = difflib.get_close_matches(name_or_path, names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    hint += "see 'vmctl template list'; a file path works too"
    raise NotFoundError(f'template "{name_or_path}" not found', hint=hint)


def find_template(name_or_path: str, extra_dirs: list[Path] | None = None) -> Obj:
    """The template object for a bundled/user template name or a file path."""
    return locate(name_or_path, extra_dirs).obj


def list_templates(extra_dirs: list[Path] | None = None) -> list[Obj]:
    """All visible templates (user folders shadow bundled ones), sorted by name."""
    return [ref.obj for ref in list_refs(extra_dirs)]
