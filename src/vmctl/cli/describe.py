"""``vmctl describe TYPE NAME``: a kubectl-like text view of a stored object (metadata, spec, status)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Namespace

_SKIP_META = ("name", "namespace", "labels", "annotations", "managedFields")


def title(key: str) -> str:
    """``printableStatus`` → ``Printable Status`` (kubectl's generic describer)."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key).replace("_", " ").split(" ")
    return " ".join(w[:1].upper() + w[1:] for w in words if w)


def _scalar(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _walk(value: Any, indent: int, out: list[str]) -> None:
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return
        width = max(len(title(k)) for k in value) + 2
        for key in value:
            item = value[key]
            label = f"{title(key)}:"
            if isinstance(item, dict) and item or isinstance(item, list) and item:
                out.append(f"{pad}{label}")
                _walk(item, indent + 1, out)
            elif isinstance(item, (dict, list)):
                out.append(f"{pad}{label}")
            else:
                out.append(f"{pad}{label.ljust(width)}{_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                inner: list[str] = []
                _walk(item, indent + 1, inner)
                if inner:
                    first = inner[0]
                    inner[0] = pad + "  " + first.lstrip()
                    out.extend(inner)
            else:
                out.append(f"{pad}{_scalar(item)}")


def _map(name: str, values: dict[str, str] | None) -> list[str]:
    if not values:
        return [f"{name + ':':<14}<none>"]
    lines = []
    for i, (k, v) in enumerate(sorted(values.items())):
        lines.append(f"{(name + ':') if i == 0 else '':<14}{k}={v}")
    return lines


def _conditions(conds: list[dict[str, Any]]) -> list[str]:
    from vmctl.cli.resources import table

    rows = [["Type", "Status", "Reason", "Message", "Last Transition Time"]]
    for c in conds:
        rows.append([str(c.get("type", "")), str(c.get("status", "")), str(c.get("reason", "")),
                     str(c.get("message", "")), str(c.get("lastTransitionTime") or "")])
    return ["    " + line for line in table(rows).splitlines()]


def _events(events: list[dict[str, Any]], now: datetime | None = None) -> list[str]:
    """kubectl's events table: Type, Reason, Age (with the count when repeated), From, Message."""
    from vmctl.cli.resources import human_age, table

    if not events:
        return ["Events:       <none>"]
    rows = [["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]]
    for ev in events:
        age = human_age(ev.get("lastTimestamp"), now)
        if int(ev.get("count", 1)) > 1:
            age = f"{age} (x{ev['count']} over {human_age(ev.get('firstTimestamp'), now)})"
        rows.append([str(ev.get("type", "")), str(ev.get("reason", "")), age,
                     str((ev.get("source") or {}).get("component", "")), str(ev.get("message", ""))])
    return ["Events:", *("  " + line for line in table(rows).splitlines())]


def describe_text(obj: dict[str, Any], events: list[dict[str, Any]] | None = None) -> str:
    meta = obj.get("metadata") or {}
    lines = [f"{'Name:':<14}{meta.get('name', '')}"]
    if meta.get("namespace"):
        lines.append(f"{'Namespace:':<14}{meta['namespace']}")
    lines += _map("Labels", meta.get("labels"))
    lines += _map("Annotations", meta.get("annotations"))
    lines.append(f"{'API Version:':<14}{obj.get('apiVersion', '')}")
    lines.append(f"{'Kind:':<14}{obj.get('kind', '')}")
    rest = {k: v for k, v in meta.items() if k not in _SKIP_META}
    if rest:
        lines.append("Metadata:")
        _walk(rest, 1, lines)
    for key, value in obj.items():
        if key in ("apiVersion", "kind", "metadata", "status"):
            continue
        lines.append(f"{title(key)}:")
        _walk(value, 1, lines)
    status = obj.get("status")
    if isinstance(status, dict) and status:
        lines.append("Status:")
        plain = {k: v for k, v in status.items() if k != "conditions"}
        _walk(plain, 1, lines)
        if status.get("conditions"):
            lines.append("  Conditions:")
            lines += _conditions(status["conditions"])
    lines += _events(events or [])
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    @app.command(
        "describe",
        help=(
            "Show an object in readable text: metadata, spec, status and conditions (TYPE NAME or TYPE/NAME).\n\n"
            "Example: vmctl describe vm web1\n\nExample: vmctl describe vmi/web1"
        ),
    )
    @backend_command
    def describe(
        args: Annotated[list[str], typer.Argument(help="TYPE NAME or TYPE/NAME", metavar="TYPE NAME")],
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        import sys

        from vmctl.backends.base import Ref
        from vmctl.cli.backend_flags import open_backend
        from vmctl.cli.resources import split_type_name

        kind, name = split_type_name(args)
        be = open_backend(flags)
        ref = Ref(kind.kind, name, namespace or be.default_namespace)
        obj = be.get(ref)
        sys.stdout.write(describe_text(obj, be.events(ref)))
