#!/usr/bin/env python3
"""Generate ``src/vmctl/core/gotypes_table.py``: the JSON shape facts of KubeVirt's Go API types.

For every struct reachable from the VirtualMachine, VirtualMachineInstance and preset types it records each
field's Go name, JSON name, Go type (pointer ``*T``, slice ``[]T``, map ``map[K]V``, named types resolved to
their package) and whether it is ``omitempty`` or an inlined embedded struct. vmctl uses the table to write
objects the way Go's ``encoding/json`` does (non-pointer structs always present, zero scalars with
``omitempty`` absent) and to print structs as Go's ``%v`` does.

Usage (pass a checkout or an exported tree of kubevirt/kubevirt, with a ``COMMIT`` file naming its commit when it
is not a git checkout; its files are read, never copied)::

    python3 scripts/generate_go_types.py /path/to/kubevirt > src/vmctl/core/gotypes_table.py
"""

from __future__ import annotations

import pprint
import re
import subprocess
import sys
from pathlib import Path

#: package import path -> (short name used in the table, folder inside a kubevirt checkout)
PACKAGES = {
    "kubevirt.io/api/core/v1": ("v1", "staging/src/kubevirt.io/api/core/v1"),
    "kubevirt.io/api/instancetype/v1beta1": ("instancetype", "staging/src/kubevirt.io/api/instancetype/v1beta1"),
    "k8s.io/api/core/v1": ("corev1", "vendor/k8s.io/api/core/v1"),
    "k8s.io/apimachinery/pkg/apis/meta/v1": ("metav1", "vendor/k8s.io/apimachinery/pkg/apis/meta/v1"),
}
#: types with their own JSON marshalling: written as opaque leaves
OPAQUE = {
    "k8s.io/apimachinery/pkg/api/resource.Quantity": "Quantity",
    "k8s.io/apimachinery/pkg/apis/meta/v1.Time": "Time",
    "k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime": "Time",
    "k8s.io/apimachinery/pkg/apis/meta/v1.Duration": "Duration",
    "k8s.io/apimachinery/pkg/util/intstr.IntOrString": "IntOrString",
    "k8s.io/apimachinery/pkg/types.UID": "string",
    "k8s.io/apimachinery/pkg/runtime.RawExtension": "Raw",
}
ROOTS = ("v1.VirtualMachine", "v1.VirtualMachineInstance", "v1.VirtualMachineInstancePreset",
         "instancetype.VirtualMachineInstancetypeSpec", "instancetype.VirtualMachinePreferenceSpec")
_BUILTIN = {"string", "bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32",
            "uint64", "float32", "float64", "byte", "rune", "any", "interface{}"}

_IMPORT_RE = re.compile(r'^\s*(?:(\w+)\s+)?"([^"]+)"\s*$')
_TYPE_RE = re.compile(r"^type\s+(\w+)\s+(=\s*)?(.+?)\s*$")
_FIELD_RE = re.compile(r"^\s*(?:(\w+)\s+)?(\*?[\w.\[\]*{}]+)\s*(`[^`]*`)?\s*(//.*)?$")
_JSON_TAG_RE = re.compile(r'json:"([^"]*)"')


def _imports(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    block = re.search(r"^import \((.*?)^\)", text, re.S | re.M)
    lines = block.group(1).splitlines() if block else []
    lines += re.findall(r"^import\s+(.+)$", text, re.M)
    for line in lines:
        m = _IMPORT_RE.match(line.strip().split("//")[0])
        if m:
            path = m.group(2)
            found[m.group(1) or path.rsplit("/", 1)[-1]] = path
    return found


def _resolve(expr: str, own: str, imports: dict[str, str]) -> str:
    """A Go type expression with named types written as ``<short>.<Name>`` (or an opaque kind)."""
    if expr.startswith("*"):
        return "*" + _resolve(expr[1:], own, imports)
    if expr.startswith("[]"):
        return "[]" + _resolve(expr[2:], own, imports)
    if expr.startswith("map["):
        depth, i = 0, 3
        for i in range(3, len(expr)):
            depth += {"[": 1, "]": -1}.get(expr[i], 0)
            if depth == 0:
                break
        return f"map[{_resolve(expr[4:i], own, imports)}]{_resolve(expr[i + 1:], own, imports)}"
    if expr in _BUILTIN:
        return "any" if expr == "interface{}" else expr
    if "." in expr:
        alias, name = expr.split(".", 1)
        path = imports.get(alias, alias)
    else:
        path, name = own, expr
    full = f"{path}.{name}"
    if full in OPAQUE:
        return OPAQUE[full]
    if path in PACKAGES:
        return f"{PACKAGES[path][0]}.{name}"
    return f"?{full}"


def parse_package(path: str, folder: Path) -> tuple[dict[str, tuple], dict[str, str]]:
    structs: dict[str, tuple] = {}
    named: dict[str, str] = {}
    short = PACKAGES[path][0]
    for file in sorted(folder.glob("*.go")):
        if file.name.endswith("_test.go") or "generated" in file.name:
            continue
        text = file.read_text()
        imports = _imports(text)
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            m = _TYPE_RE.match(lines[i])
            i += 1
            if not m:
                continue
            name, rhs = m.group(1), m.group(3)
            if rhs == "struct {":
                fields = []
                depth = 1
                while i < len(lines) and depth:
                    line = lines[i].split("//")[0] if "`" not in lines[i] else lines[i]
                    i += 1
                    stripped = line.strip()
                    if stripped == "}":
                        depth -= 1
                        continue
                    if stripped.endswith("struct {"):
                        depth += 1
                        continue
                    if depth != 1 or not stripped or stripped.startswith("//"):
                        continue
                    fm = _FIELD_RE.match(line)
                    if not fm:
                        continue
                    go_name, type_expr, tag = fm.group(1), fm.group(2), fm.group(3) or ""
                    embedded = go_name is None
                    if embedded:
                        go_name = type_expr.lstrip("*").rsplit(".", 1)[-1]
                    tag_m = _JSON_TAG_RE.search(tag)
                    options = (tag_m.group(1) if tag_m else "").split(",")
                    json_name = options[0]
                    if json_name == "-":
                        continue
                    inline = embedded and not json_name
                    if not json_name:
                        json_name = "" if inline else go_name
                    flags = (1 if "omitempty" in options[1:] else 0) | (2 if inline else 0)
                    flags |= 4 if "omitzero" in options[1:] else 0
                    fields.append((go_name, json_name, _resolve(type_expr, path, imports), flags))
                structs[f"{short}.{name}"] = tuple(fields)
            elif rhs.endswith("{") or rhs.startswith("interface"):
                continue
            else:
                named[f"{short}.{name}"] = _resolve(rhs.split("//")[0].strip(), path, imports)
    return structs, named


def _named_in(expr: str) -> list[str]:
    return re.findall(r"(?:v1|instancetype|corev1|metav1)\.\w+", expr)


def main(checkout: str) -> None:
    root = Path(checkout)
    structs: dict[str, tuple] = {}
    named: dict[str, str] = {}
    for path, (_, folder) in PACKAGES.items():
        s, n = parse_package(path, root / folder)
        structs.update(s)
        named.update(n)
    keep_structs: dict[str, tuple] = {}
    keep_named: dict[str, str] = {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep_structs or name in keep_named:
            continue
        if name in structs:
            keep_structs[name] = structs[name]
            for field in structs[name]:
                todo.extend(_named_in(field[2]))
        elif name in named:
            keep_named[name] = named[name]
            todo.extend(_named_in(named[name]))
    # the commit of the checkout: from git, else from a COMMIT file next to an exported tree
    commit = subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not commit and (root / "COMMIT").exists():
        commit = (root / "COMMIT").read_text().strip()
    out = sys.stdout
    out.write('"""The JSON shape of KubeVirt\'s Go API types (generated by scripts/generate_go_types.py; do not edit).\n\n')
    out.write(f"SOURCE: kubevirt/kubevirt commit {commit or 'unknown'} (Apache-2.0): the Go type declarations in\n")
    out.write("staging/src/kubevirt.io/api/{core/v1,instancetype/v1beta1} and the vendored k8s.io/api/core/v1 and\n")
    out.write("k8s.io/apimachinery/pkg/apis/meta/v1 packages. Only facts are kept: per struct, its fields in declaration\n")
    out.write("order as (Go name, JSON name, Go type, flags); flags: 1 = omitempty, 2 = embedded and inlined,\n")
    out.write("4 = omitzero. Named non-struct types map to their underlying type. Quantity, Time, Duration, IntOrString\n")
    out.write('and Raw are types with their own JSON encoding.\n"""\n\n')
    out.write("# fmt: off\n")
    out.write("STRUCTS: dict[str, tuple[tuple[str, str, str, int], ...]] = ")
    out.write(pprint.pformat(dict(sorted(keep_structs.items())), width=110, compact=True))
    out.write("\n\nNAMED: dict[str, str] = ")
    out.write(pprint.pformat(dict(sorted(keep_named.items())), width=110, compact=True))
    out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
