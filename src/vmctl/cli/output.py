"""Printing results: ``-o yaml|json|name`` on stdout, warnings on stderr."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Any

from vmctl.core import kinds


class Format(str, Enum):
    yaml = "yaml"
    json = "json"
    name = "name"


def object_name(obj: dict[str, Any]) -> str:
    """kubectl's ``-o name`` form: ``virtualmachine.kubevirt.io/web1``."""
    kind = kinds.BY_KIND.get(obj.get("kind", ""))
    name = (obj.get("metadata") or {}).get("name", "")
    if kind is None:
        return f"{str(obj.get('kind', '')).lower()}/{name}"
    prefix = f"{kind.singular}.{kind.group}" if kind.group else kind.singular
    return f"{prefix}/{name}"


def render(objs: list[dict[str, Any]], fmt: Format | str) -> str:
    """Render one object as itself, several as YAML documents, a JSON ``List`` or name lines."""
    fmt = Format(fmt)
    if fmt is Format.name:
        return "".join(object_name(o) + "\n" for o in objs)
    if fmt is Format.json:
        body: Any = objs[0] if len(objs) == 1 else {"apiVersion": "v1", "kind": "List", "items": objs}
        return json.dumps(body, indent=2, sort_keys=True) + "\n"
    from vmctl.io.yamlio import dump_yaml

    return "---\n".join(dump_yaml(o) for o in objs)


def emit(objs: list[dict[str, Any]] | dict[str, Any], fmt: Format | str = Format.yaml) -> None:
    if isinstance(objs, dict):
        objs = [objs]
    sys.stdout.write(render(objs, fmt))
    sys.stdout.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")


def info(message: str) -> None:
    sys.stderr.write(f"{message}\n")
