"""Showing stored objects (what ``vmctl get vm|vmi|...`` prints) and helpers shared by the object commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vmctl.cli.backend_flags import BackendFlags
    from vmctl.core.kinds import Kind

Obj = dict[str, Any]


def resolve_kind(text: str, *, what: str = "TYPE") -> Kind:
    """A kubectl resource name (``vm``, ``vmis``, ``virtualmachine``, ``cm``) → its kind, or a usage error."""
    from vmctl.core.kinds import kind_hint, lookup_resource
    from vmctl.errors import UsageError

    kind = lookup_resource(text)
    if kind is None:
        hint = kind_hint(text)
        raise UsageError(
            f"{what} {text!r}: unknown resource type", hint=f"did you mean {hint}?" if hint else None
        )
    return kind


def split_type_name(args: list[str]) -> tuple[Kind, str]:
    """``TYPE NAME`` or ``TYPE/NAME`` → (kind, name)."""
    from vmctl.errors import UsageError

    if len(args) == 1 and "/" in args[0]:
        kind_text, name = args[0].split("/", 1)
    elif len(args) == 2:
        kind_text, name = args
    else:
        raise UsageError("expected TYPE NAME or TYPE/NAME, e.g. 'vm web1' or 'vm/web1'")
    if not name:
        raise UsageError("NAME is empty")
    return resolve_kind(kind_text), name


def split_type_names(args: list[str]) -> list[tuple[Kind, str]]:
    """kubectl's ``TYPE NAME...`` or ``TYPE/NAME...`` (not mixed) → [(kind, name), ...]."""
    from vmctl.errors import UsageError

    slashed = [a for a in args if "/" in a]
    if args and len(slashed) == len(args):
        return [split_type_name([a]) for a in args]
    if slashed:
        raise UsageError("there is no need to specify a resource type as a separate argument when passing "
                         "arguments in resource/name form (e.g. 'vm/a vm/b')")
    if len(args) >= 2:
        return [split_type_name([args[0], name]) for name in args[1:]]
    return [split_type_name(args)]  # the usage error


def human_age(created: str | None, now: datetime | None = None) -> str:
    """kubectl's ``HumanDuration`` of the time since ``created``."""
    if not created:
        return "<unknown>"
    try:
        then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def table(rows: list[list[str]]) -> str:
    """Columns padded like kubectl's tabwriter (3 spaces between columns)."""
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [c.ljust(widths[i] + 3) if i < len(row) - 1 else c for i, c in enumerate(row)]
        lines.append("".join(cells).rstrip() + "\n")
    return "".join(lines)


def _cond(obj: Obj, ctype: str) -> str:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return str(cond.get("status", ""))
    return ""


def _vm_row(o: Obj, now: datetime, wide: bool) -> list[str]:
    st = o.get("status") or {}
    row = [o["metadata"]["name"], human_age(o["metadata"].get("creationTimestamp"), now),
           str(st.get("printableStatus", "")), _cond(o, "Ready") or ("True" if st.get("ready") else "False")]
    if wide:
        spec = o.get("spec") or {}
        from vmctl.core.runstrategy import run_strategy

        rs = run_strategy(o)
        it = (spec.get("instancetype") or {}).get("name", "<none>")
        pref = (spec.get("preference") or {}).get("name", "<none>")
        row += [rs, it, pref]
    return row


def _vmi_row(o: Obj, now: datetime, wide: bool) -> list[str]:
    st = o.get("status") or {}
    ifaces = st.get("interfaces") or []
    ip = next((i.get("ipAddress") for i in ifaces if i.get("ipAddress")), "")
    row = [o["metadata"]["name"], human_age(o["metadata"].get("creationTimestamp"), now), str(st.get("phase", "")),
           ip, str(st.get("nodeName", "")), _cond(o, "Ready")]
    if wide:
        row += [_cond(o, "LiveMigratable"), _cond(o, "Paused")]
    return row


def _replicas_row(o: Obj, now: datetime, wide: bool) -> list[str]:
    """A pool or replica set: KubeVirt's printer columns (desired, current, ready, age; a status count the
    controller has not written is blank, as kubectl shows it), + paused and selector with -o wide."""
    from vmctl.controllers.rollout import desired_replicas, is_paused

    st = o.get("status") or {}
    row = [o["metadata"]["name"], str(desired_replicas(o)), str(st.get("replicas", "")),
           str(st.get("readyReplicas", "")), human_age(o["metadata"].get("creationTimestamp"), now)]
    if wide:
        row += ["true" if is_paused(o) else "false", str(st.get("labelSelector") or "<none>")]
    return row


def _generic_row(kind: Kind, o: Obj, now: datetime, wide: bool) -> list[str]:
    age = human_age(o["metadata"].get("creationTimestamp"), now)
    if kind.kind == "ConfigMap":
        return [o["metadata"]["name"], str(len(o.get("data") or {}) + len(o.get("binaryData") or {})), age]
    if kind.kind == "Secret":
        return [o["metadata"]["name"], str(o.get("type", "Opaque")), str(len(o.get("data") or {})
                                                                         + len(o.get("stringData") or {})), age]
    return [o["metadata"]["name"], age]


def headers(kind: Kind, wide: bool) -> list[str]:
    if kind.kind == "VirtualMachine":
        return ["NAME", "AGE", "STATUS", "READY"] + (["RUNSTRATEGY", "INSTANCETYPE", "PREFERENCE"] if wide else [])
    if kind.kind == "VirtualMachineInstance":
        return ["NAME", "AGE", "PHASE", "IP", "NODENAME", "READY"] + (["LIVE-MIGRATABLE", "PAUSED"] if wide else [])
    if kind.kind in ("VirtualMachinePool", "VirtualMachineInstanceReplicaSet"):
        return ["NAME", "DESIRED", "CURRENT", "READY", "AGE"] + (["PAUSED", "SELECTOR"] if wide else [])
    if kind.kind == "ConfigMap":
        return ["NAME", "DATA", "AGE"]
    if kind.kind == "Secret":
        return ["NAME", "TYPE", "DATA", "AGE"]
    return ["NAME", "AGE"]


def render_table(kind: Kind, objs: list[Obj], *, wide: bool = False, all_namespaces: bool = False,
                 now: datetime | None = None, qualified: bool = False) -> str:
    """``kubectl get``'s table of ``objs``; ``qualified``: names as ``kind.group/name`` (a listing of several
    kinds)."""
    from vmctl.cli.output import object_name

    now = now or datetime.now(UTC)
    rows = [(["NAMESPACE"] if all_namespaces and kind.namespaced else []) + headers(kind, wide)]
    name_column = rows[0].index("NAME")
    for o in objs:
        if kind.kind == "VirtualMachine":
            row = _vm_row(o, now, wide)
        elif kind.kind == "VirtualMachineInstance":
            row = _vmi_row(o, now, wide)
        elif kind.kind in ("VirtualMachinePool", "VirtualMachineInstanceReplicaSet"):
            row = _replicas_row(o, now, wide)
        else:
            row = _generic_row(kind, o, now, wide)
        if all_namespaces and kind.namespaced:
            row = [o["metadata"].get("namespace", "")] + row
        if qualified:
            row[name_column] = object_name(o)
        rows.append(row)
    return table(rows)


def print_objects(objs: list[Obj], fmt: str, *, single: bool) -> None:
    """``-o yaml|json|name`` as ``kubectl get`` prints it: one named object as itself, anything else (a listing,
    several names) as one ``List``, also when it holds 0 or 1 items (scripts read ``.items[]``)."""
    from vmctl.cli.output import emit

    if fmt == "yaml" and not single:  # the JSON List comes from emit's as_list; the YAML one looks the same
        objs = [{"apiVersion": "v1", "kind": "List", "items": objs}]
    emit(objs, fmt, as_list=not single)


def show(several: Sequence[Kind], names: Sequence[str] = (), *, namespace: str | None = None,
         all_namespaces: bool = False, output: Any = None, wide: bool = False, selector: str | None = None,
         flags: BackendFlags | None = None, domain_xml: bool = False, chunk_size: int = 500) -> None:
    """What ``vmctl get <kind>[,<kind>...] [NAME...]`` (``several`` kinds: one or more) prints for stored kinds: a table (one per kind, names
    qualified by kind when there are several, as kubectl), ``-o yaml|json|name`` (one List), or domain XML."""
    from vmctl.backends.base import Ref, require_local
    from vmctl.cli.backend_flags import BackendFlags, open_backend
    from vmctl.errors import NotFoundError, UsageError

    fmt = getattr(output, "value", output)
    if fmt == "wide":
        fmt, wide = None, True
    be = open_backend(flags or BackendFlags())
    ns = None if all_namespaces else (namespace or be.default_namespace)
    if domain_xml:
        if len(several) != 1 or several[0].kind not in ("VirtualMachineInstance", "VirtualMachine"):
            raise UsageError("--domain-xml: only for vmi (or vm) NAME")
        if len(names) != 1:
            raise UsageError("--domain-xml needs one NAME")
        text = require_local(be, "--domain-xml").domain_xml(Ref(several[0].kind, names[0], ns or be.default_namespace))
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    if fmt not in (None, "", "yaml", "json", "name"):
        raise UsageError(f"--output {fmt!r}: expected yaml, json, name or wide")
    missing: list[NotFoundError] = []
    found: list[tuple[Kind, list[Obj]]] = []
    for each in several:
        if names:
            objs = []
            for name in names:  # as kubectl: what exists is printed, then each missing name is an error
                try:
                    objs.append(be.get(Ref(each.kind, name, ns or be.default_namespace)))
                except NotFoundError as exc:
                    missing.append(exc)
        else:
            objs = be.list(each.kind, ns, selector, chunk_size=chunk_size)
        found.append((each, objs))
    everything = [o for _, objs in found for o in objs]
    if fmt in ("yaml", "json", "name"):
        if everything or not missing:  # an empty listing is an empty List
            print_objects(everything, fmt, single=len(names) == 1 and len(several) == 1)
    elif everything:
        tables = []
        for each, objs in found:
            if objs:
                tables.append(render_table(each, objs, wide=wide, all_namespaces=all_namespaces,
                                           qualified=len(several) > 1))
        sys.stdout.write("\n".join(tables))
    elif not missing:
        namespaced = any(each.namespaced for each in several)
        where = "" if all_namespaces or not namespaced else f" in {ns} namespace"
        sys.stderr.write(f"No resources found{where}.\n")
    if missing:
        sys.stdout.flush()
        for exc in missing[:-1]:
            sys.stderr.write(f"error: {exc.message}\n")
        raise missing[-1]

