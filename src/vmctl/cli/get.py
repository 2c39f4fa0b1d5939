"""``vmctl get``: list or show catalog objects (instancetypes, preferences, presets) and stored objects."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Catalog, Namespace

HELP = """List or show objects.

Instancetypes, preferences and presets come from the catalog (the --catalog folders, VMCTL_CATALOG_PATH, ~/.config/vmctl/catalog/ and the bundled common-instancetypes); VMs, VMIs, pools and the other kinds come from the backend.

Example: vmctl get instancetypes

Example: vmctl get instancetype u1.medium -o yaml

Example: vmctl get preferences -l instancetype.kubevirt.io/os-type=windows -o wide

Example: vmctl get vms -A

Example: vmctl get vm,vmi -n dev
"""


class GetFormat(StrEnum):
    yaml = "yaml"
    json = "json"
    name = "name"
    wide = "wide"


#: Extra spellings kubectl users type for presets.
_ALIASES = {"preset": "vmipreset", "presets": "vmipresets"}
_NONE = "<none>"


def _resolve_type(text: str) -> Any:
    from vmctl.core import kinds
    from vmctl.errors import UsageError

    kind = kinds.lookup_resource(_ALIASES.get(text.lower(), text))
    if kind is None:
        import difflib

        names = sorted({n for k in kinds.ALL for n in (*k.names(), k.kind.lower())} | set(_ALIASES))
        close = difflib.get_close_matches(text.lower(), names, n=1, cutoff=0.6)
        hint = f'did you mean "{close[0]}"?' if close else "'vmctl get --help' lists the examples"
        raise UsageError(f'the server doesn\'t have a resource type "{text}"', hint=hint)
    return kind


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _val(value: Any) -> str:
    if value is None or value == "":
        return _NONE
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _instancetype_row(obj: dict[str, Any], wide: bool, source: str) -> list[str]:
    spec = obj.get("spec") or {}
    cpu, memory = spec.get("cpu") or {}, spec.get("memory") or {}
    row = [_val(cpu.get("guest")), _val(memory.get("guest")), _val(_labels(obj).get("instancetype.kubevirt.io/class"))]
    if wide:
        row += [
            _val((memory.get("hugepages") or {}).get("pageSize")),
            _val(cpu.get("dedicatedCPUPlacement", False)),
            source,
        ]
    return row


def _firmware(spec: dict[str, Any]) -> str:
    firmware = spec.get("firmware") or {}
    efi = firmware.get("preferredEfi")
    if efi is not None or firmware.get("preferredUseEfi"):
        secure = (efi or {}).get("secureBoot", firmware.get("preferredUseSecureBoot"))
        return "efi-secureboot" if secure else "efi"
    return "bios" if firmware.get("preferredUseBios") else _NONE


def _preference_row(obj: dict[str, Any], wide: bool, source: str) -> list[str]:
    spec = obj.get("spec") or {}
    labels = _labels(obj)
    requirements = spec.get("requirements") or {}
    arch = requirements.get("architecture") or spec.get("preferredArchitecture") or labels.get("instancetype.kubevirt.io/arch")
    display = ((obj.get("metadata") or {}).get("annotations") or {}).get("openshift.io/display-name")
    row = [
        _val(labels.get("instancetype.kubevirt.io/os-type")),
        _val(arch),
        _val((requirements.get("cpu") or {}).get("guest")),
        _val((requirements.get("memory") or {}).get("guest")),
        _val(display),
    ]
    if wide:
        devices = spec.get("devices") or {}
        row += [_val(devices.get("preferredDiskBus")), _val(devices.get("preferredInterfaceModel")), _firmware(spec), source]
    return row


def _preset_row(obj: dict[str, Any], wide: bool, source: str) -> list[str]:
    selector = (obj.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        values = ",".join(expr.get("values") or [])
        parts.append(f"{expr.get('key')} {str(expr.get('operator', '')).lower()} ({values})")
    row = [",".join(parts) or _NONE]
    return row + [source] if wide else row


_COLUMNS = {
    "instancetype": (["CPUS", "MEMORY", "CLASS"], ["HUGEPAGES", "DEDICATED", "SOURCE"], _instancetype_row),
    "preference": (
        ["OS TYPE", "ARCH", "MIN CPUS", "MIN MEMORY", "DISPLAY NAME"], ["DISK BUS", "NIC MODEL", "FIRMWARE", "SOURCE"],
        _preference_row,
    ),
    "preset": (["SELECTOR"], ["SOURCE"], _preset_row),
}


def _family(kind: Any) -> str:
    from vmctl.core import kinds

    if kind in (kinds.INSTANCETYPE, kinds.CLUSTER_INSTANCETYPE):
        return "instancetype"
    if kind in (kinds.PREFERENCE, kinds.CLUSTER_PREFERENCE):
        return "preference"
    return "preset"


def show_catalog(
    kind: Any, names: list[str], *, namespace: str | None, all_namespaces: bool, output: GetFormat | None,
    selector: str | None, catalog_dirs: list[Any] | None,
) -> None:
    """List or show catalog objects as a table or ``-o yaml|json|name``."""
    from vmctl.catalog import load_catalog
    from vmctl.core.selectors import parse_selector

    catalog = load_catalog((), catalog_dirs)
    ns = None if all_namespaces or not kind.namespaced else (namespace or "default")
    if names:
        entries = [(catalog.find(kind, name, ns or "default"), _source(catalog, kind, name, ns)) for name in names]
    else:
        entries = catalog.entries(kind, ns)
        if selector:
            match = parse_selector(selector)
            entries = [(obj, src) for obj, src in entries if match(_labels(obj))]
    if output in (GetFormat.yaml, GetFormat.json, GetFormat.name):
        from vmctl.cli.resources import print_objects

        print_objects([obj for obj, _ in entries], output.value, single=len(names) == 1)
        return
    if not entries:
        where = f" in {ns} namespace" if kind.namespaced and ns else ""
        sys.stderr.write(f"No resources found{where}.\n")
        return
    wide = output is GetFormat.wide
    columns, wide_columns, row_of = _COLUMNS[_family(kind)]
    header = ["NAME", *columns, *(wide_columns if wide else [])]
    show_ns = kind.namespaced and ns is None
    rows = [(["NAMESPACE"] if show_ns else []) + header]
    for obj, src in entries:
        meta = obj.get("metadata") or {}
        ns_cell = [meta.get("namespace") or "<any>"] if show_ns else []
        rows.append(ns_cell + [meta.get("name", "")] + row_of(obj, wide, src))
    from vmctl.cli.resources import table

    sys.stdout.write(table(rows))


def _source(catalog: Any, kind: Any, name: str, namespace: str | None) -> str:
    found = catalog.lookup(kind, name, namespace or "default")
    return found[1] if found else ""


def register(app: typer.Typer) -> None:
    @app.command("get", help=HELP)
    @backend_command
    def get(
        resource: Annotated[
            str, typer.Argument(
                help="Type (instancetypes, preferences, presets, vms, vmis, ...), several stored types (vm,vmi) or "
                "TYPE/NAME."
            )
        ],
        names: Annotated[list[str] | None, typer.Argument(help="Names of the objects to show (default: all).")] = None,
        output: Annotated[
            GetFormat | None, typer.Option("--output", "-o", help="yaml, json, name or wide (default: a table).")
        ] = None,
        namespace: Namespace = None,
        all_namespaces: Annotated[
            bool, typer.Option("--all-namespaces", "-A", help="List objects of every namespace.")
        ] = False,
        selector: Annotated[
            str | None, typer.Option("--selector", "-l", help="Label selector, e.g. 'a=b,c!=d,e in (f,g)'.")
        ] = None,
        catalog: Catalog = None,
        chunk_size: Annotated[
            int,
            typer.Option(
                "--chunk-size",
                help="Cluster: list in pages of this many objects (limit/continue, as kubectl); 0 asks for all at "
                "once. No effect on the local backend and the catalog.",
            ),
        ] = 500,
        flags: BackendFlags = NO_FLAGS,
        domain_xml: Annotated[
            bool, typer.Option("--domain-xml", help="For a VMI on the local backend: print its libvirt domain XML.")
        ] = False,
    ) -> None:
        from vmctl.errors import UsageError

        wanted = list(names or [])
        if "/" in resource:
            resource, _, first = resource.partition("/")
            if not first:
                raise UsageError(f"TYPE/NAME: name missing in {resource}/")
            wanted.insert(0, first)
        chosen = [_resolve_type(text) for text in resource.split(",")]  # kubectl's TYPE[,TYPE...]
        kind = chosen[0]
        if chunk_size < 0:
            raise UsageError(f"--chunk-size {chunk_size}: must be 0 or more")
        if wanted and selector:
            raise UsageError("--selector: cannot be combined with names")
        if selector:
            from vmctl.core.selectors import SelectorError, parse_selector

            try:
                parse_selector(selector)
            except SelectorError as exc:
                raise UsageError(f"--selector: {exc.message}") from None
        from vmctl.catalog.sources import CATALOG_KINDS

        if len(chosen) > 1 and any(k.kind in CATALOG_KINDS for k in chosen):
            raise UsageError(f"{resource}: instancetypes, preferences and presets come from the catalog: "
                             "get them one type at a time")
        if kind.kind in CATALOG_KINDS:
            if domain_xml:
                raise UsageError("--domain-xml: only for vms and vmis")
            show_catalog(
                kind, wanted, namespace=namespace, all_namespaces=all_namespaces, output=output,
                selector=selector, catalog_dirs=catalog,
            )
            return
        from vmctl.cli import resources
        from vmctl.cli.output import Format

        fmt = Format(output.value) if output is not None and output is not GetFormat.wide else None
        resources.show(
            chosen, wanted, namespace=namespace, all_namespaces=all_namespaces, output=fmt,
            wide=output is GetFormat.wide, selector=selector, flags=flags, domain_xml=domain_xml,
            chunk_size=chunk_size,
        )
