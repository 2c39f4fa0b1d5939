"""Finding templates: a file path, or a name looked up in user template folders, then the bundled ``templates/``.

Search order for names: ``--template-dir`` folders (in the order given), ``VMCTL_TEMPLATE_PATH``
(``os.pathsep``-separated), ``~/.config/vmctl/templates``, then the templates shipped with vmctl. The first
folder holding a template of that ``metadata.name`` wins, so user templates shadow bundled ones.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import NamedTuple

from vmctl import paths
from vmctl.errors import InputError, NotFoundError
from vmctl.io.inputs import describe_objects, folder_error, read_inputs, read_text
from vmctl.io.yamlio import iter_objects, parse_documents
from vmctl.settings import env_dirs
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
    dirs += [(d, "user") for d in env_dirs("VMCTL_TEMPLATE_PATH")]
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
    try:
        paths = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in _SUFFIXES)
    except OSError as exc:
        raise folder_error(exc, directory) from None
    for path in paths:
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
        return _locate_file(name_or_path)
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


def _locate_file(source: str) -> TemplateRef:
    """The first template in a file (or stdin), or the file itself when it is a manifest with Go-template
    placeholders (``{{ .NAME }}``)."""
    from vmctl.template import gotemplate

    text = read_text(source)
    label = "<stdin>" if source == "-" else source
    path = None if source == "-" else Path(source)
    try:
        docs = parse_documents(text, label)
    except InputError:
        if not gotemplate.is_go_template(text):
            raise
        docs = []  # placeholders outside quotes are no YAML until substituted
    templates = [obj for _, obj in iter_objects(docs) if is_template(obj)]
    if templates:
        return TemplateRef(templates[0], path, "file", text, len(docs))
    wrapped = gotemplate.wrap(text, label)
    if wrapped is not None:
        return TemplateRef(wrapped, path, "file", text, 1)
    raise InputError(
        f"{label}: holds no template ({describe_objects(obj for _, obj in iter_objects(docs))}; expected Template, "
        "VirtualMachineTemplate, JinjaTemplate or a manifest with {{ .NAME }} placeholders)"
    )


def find_template(name_or_path: str, extra_dirs: list[Path] | None = None) -> Obj:
    """The template object for a bundled/user template name or a file path."""
    return locate(name_or_path, extra_dirs).obj


def list_templates(extra_dirs: list[Path] | None = None) -> list[Obj]:
    """All visible templates (user folders shadow bundled ones), sorted by name."""
    return [ref.obj for ref in list_refs(extra_dirs)]
