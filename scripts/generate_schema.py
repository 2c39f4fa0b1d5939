#!/usr/bin/env python3
"""Derive ``src/vmctl/schema/data/kubevirt-schema.json`` from KubeVirt's ``api/openapi-spec/swagger.json``.

Keeps only the definitions reachable from the KubeVirt kinds vmctl validates, and only the keys the validator
reads (type, format, properties, required, items, additionalProperties, enum, $ref, nullable); descriptions,
defaults and the ``x-kubernetes-*`` extensions are dropped.

Usage: scripts/generate_schema.py [--swagger FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

#: kind -> swagger definition (every served version of a kind has the same fields).
ROOTS = {
    "VirtualMachine": "v1.VirtualMachine",
    "VirtualMachineInstance": "v1.VirtualMachineInstance",
    "VirtualMachineInstanceReplicaSet": "v1.VirtualMachineInstanceReplicaSet",
    "VirtualMachineInstancePreset": "v1.VirtualMachineInstancePreset",
    "VirtualMachinePool": "v1beta1.VirtualMachinePool",
    "VirtualMachineInstancetype": "v1beta1.VirtualMachineInstancetype",
    "VirtualMachineClusterInstancetype": "v1beta1.VirtualMachineClusterInstancetype",
    "VirtualMachinePreference": "v1beta1.VirtualMachinePreference",
    "VirtualMachineClusterPreference": "v1beta1.VirtualMachineClusterPreference",
    "VirtualMachineInstanceMigration": "v1.VirtualMachineInstanceMigration",
    "KubeVirt": "v1.KubeVirt",
    "VirtualMachineSnapshot": "v1beta1.VirtualMachineSnapshot",
    "VirtualMachineSnapshotContent": "v1beta1.VirtualMachineSnapshotContent",
    "VirtualMachineRestore": "v1beta1.VirtualMachineRestore",
    "VirtualMachineExport": "v1.VirtualMachineExport",
    "VirtualMachineBackup": "v1alpha1.VirtualMachineBackup",
    "MigrationPolicy": "v1alpha1.MigrationPolicy",
    "VirtualMachineClone": "v1beta1.VirtualMachineClone",
}
KEEP = ("type", "format", "properties", "required", "items", "additionalProperties", "enum", "$ref", "nullable")
PREFIX = "#/definitions/"


def strip(schema: Any) -> Any:
    """The schema with only the kept keys, recursively."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key in KEEP:
        if key not in schema:
            continue
        value = schema[key]
        if key == "properties":
            value = {name: strip(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            value = strip(value)
        out[key] = value
    return out


def refs(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX):
            found.add(ref[len(PREFIX):])
        for value in schema.values():
            found |= refs(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= refs(value)
    return found


def reachable(definitions: dict[str, Any], roots: list[str]) -> dict[str, Any]:
    todo, kept = list(roots), {}
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        if name not in definitions:
            raise SystemExit(f"definition {name} is referenced but missing from the swagger file")
        kept[name] = strip(definitions[name])
        todo.extend(refs(kept[name]) - kept.keys())
    return dict(sorted(kept.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swagger", type=Path, default=REPO.parent / "shared" / "kubevirt" / "openapi" / "swagger.json")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "vmctl" / "schema" / "data" / "kubevirt-schema.json")
    args = parser.parse_args(argv)
    raw = args.swagger.read_bytes()
    swagger = json.loads(raw)
    definitions = reachable(swagger["definitions"], list(ROOTS.values()))
    data = {
        "source": {
            "repository": "https://github.com/kubevirt/kubevirt",
            "path": "api/openapi-spec/swagger.json",
            "commit": "d923fdb815cd2016ddaebdaaa51db04133576d72",
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
        "roots": ROOTS,
        "definitions": definitions,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {len(definitions)} of {len(swagger['definitions'])} definitions to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
