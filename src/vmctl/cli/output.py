"""Printing results: ``-o yaml|json|name`` on stdout, warnings on stderr."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Any

from vmctl.core import kinds


class Format(StrEnum):
    yaml = "yaml"
    json = "json"
    name = "name"


def object_name(obj: dict[str, Any]) -> str:
    """kubectl's ``-o name`` form: ``virtualmachine.kubevirt.io/web1``."""
    kind_text = obj.get("kind") if isinstance(obj.get("kind"), str) else str(obj.get("kind") or "")
    kind = kinds.BY_KIND.get(kind_text)
    meta = obj.get("metadata")
    name = meta.get("name", "") if isinstance(meta, dict) else ""
    if kind is None:  # a kind vmctl does not know: the group comes from apiVersion, as kubectl does
        api_version = str(obj.get("apiVersion") or "")
        group = api_version.split("/", 1)[0] if "/" in api_version else ""
        singular = kind_text.lower()
        return f"{singular}.{group}/{name}" if group else f"{singular}/{name}"
    prefix = f"{kind.singular}.{kind.group}" if kind.group else kind.singular
    return f"{prefix}/{name}"


def render(objs: list[dict[str, Any]], fmt: Format | str, *, as_list: bool = False) -> str:
    """Render one object as itself, several as YAML documents, a JSON ``List`` or name lines.

    ``as_list``: the result of a listing (not of named objects), so JSON is a ``List`` even for 0 or 1 item,
    as ``kubectl get -o json`` prints it and ``jq '.items[]'`` expects.
    """
    fmt = Format(fmt)
    if fmt is Format.name:
        return "".join(object_name(o) + "\n" for o in objs)
    if fmt is Format.json:
        single = len(objs) == 1 and not as_list
        body: Any = objs[0] if single else {"apiVersion": "v1", "kind": "List", "items": objs}
        return json.dumps(body, indent=2, sort_keys=True) + "\n"
    from vmctl.io.yamlio import dump_yaml

    return "---\n".join(dump_yaml(o) for o in objs)


def emit(objs: list[dict[str, Any]] | dict[str, Any], fmt: Format | str = Format.yaml, *, as_list: bool = False) -> None:
    """Print objects on stdout (see ``render``)."""
    if isinstance(objs, dict):
        objs = [objs]
    sys.stdout.write(render(objs, fmt, as_list=as_list))
    sys.stdout.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")


def info(message: str) -> None:
    sys.stderr.write(f"{message}\n")
