"""Run one differential case through vmctl and compare it with KubeVirt's recorded outcome.

An outcome is ``{"object": ...}`` or ``{"error": {"message": ..., "causes": [...]}}`` (the shape the golden
data uses). Comparison is exact, except that the order of preset annotations and of presets named in a
conflict is free (KubeVirt lists presets in a random order) and Go pointer addresses are not compared.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from vmctl.catalog import load_catalog
from vmctl.catalog.store import Catalog, Layer
from vmctl.core.pipeline import MemoSource, expand_vm, resolve
from vmctl.errors import ObjectRejected, VmctlError

Obj = dict[str, Any]
_POINTER = re.compile(r"0x[0-9a-f]+")


def source_for(case: Obj) -> MemoSource:
    """The case's objects; for ``"catalog": true`` cases, the bundled catalog too (as ``vmctl`` looks them up)."""
    objects = list(case.get("objects") or [])
    if case.get("catalog"):
        return _bundled() if not objects else MemoSource(load_catalog(objects))
    return MemoSource(Catalog([Layer("input", lambda: objects)]))


@functools.cache
def _bundled() -> MemoSource:
    return MemoSource(load_catalog([]))


def _failure(exc: VmctlError) -> Obj:
    error: Obj = {"message": exc.message}
    if isinstance(exc, ObjectRejected) and exc.causes:
        error["causes"] = [{"field": c.field, "message": c.message} for c in exc.causes]
    return {"error": error}


def vmctl_expand(case: Obj) -> Obj:
    try:
        return {"object": expand_vm(case["vm"], source_for(case), namespace=case["namespace"], origins=False).obj}
    except VmctlError as exc:
        return _failure(exc)


def vmctl_resolve(case: Obj) -> Obj:
    obj = case.get("vm") or case.get("vmi")
    try:
        return {"object": resolve(obj, source_for(case), namespace=case["namespace"], origins=False).obj}
    except VmctlError as exc:
        return _failure(exc)


_PAIR = re.compile(r"presets '([^']*)' and '([^']*)' conflict: (\[.*?\]|[^\[].*?)(?=, presets '|\]?$)")


def _pair(match: re.Match[str]) -> str:
    """One preset pair in a canonical order: names sorted, each ``a != b`` detail turned round with them."""
    first, second, details = match.groups()
    if first <= second:
        return f"presets {first}|{second} conflict: {details}"
    swapped = re.sub(r"(: )(.*?) != (.*?)(?=, spec\.|\]?$)", lambda m: f"{m[1]}{m[3]} != {m[2]}", details)
    return f"presets {second}|{first} conflict: {swapped}"


_PAIR_LIST = re.compile(r"(conflicts: \[)(presets .*)(\])$")


def _pair_list(match: re.Match[str]) -> str:
    """Several conflicting pairs in a canonical order (KubeVirt lists them in a random one)."""
    return match[1] + ", ".join(sorted(re.split(r", (?=presets )", match[2]))) + match[3]


def _normal_error(error: Obj) -> tuple[str, list[tuple[str, str]]]:
    message = _POINTER.sub("0x", str(error.get("message", "")))
    message = _PAIR_LIST.sub(_pair_list, _PAIR.sub(_pair, message))
    causes = sorted((str(c.get("field", "")), _POINTER.sub("0x", str(c.get("message", ""))))
                    for c in error.get("causes") or [])
    return message, causes


def _normal_object(obj: Obj) -> Obj:
    return obj


def difference(kubevirt: Obj, vmctl: Obj) -> str | None:
    """None when vmctl agrees with KubeVirt, else a short description of the first difference."""
    if "error" in kubevirt or "error" in vmctl:
        if "error" not in vmctl:
            return f"KubeVirt rejects: {kubevirt['error'].get('message')!r}; vmctl accepts"
        if "error" not in kubevirt:
            return f"KubeVirt accepts; vmctl rejects: {vmctl['error'].get('message')!r}"
        want, got = _normal_error(kubevirt["error"]), _normal_error(vmctl["error"])
        if want[0] != got[0]:
            return f"message: KubeVirt {want[0]!r} != vmctl {got[0]!r}"
        if want[1] and got[1] and want[1] != got[1]:
            return f"causes: KubeVirt {want[1]!r} != vmctl {got[1]!r}"
        return None
    return _diff_value(kubevirt["object"], vmctl["object"], "")


def _diff_value(want: Any, got: Any, path: str) -> str | None:
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(set(want) | set(got)):
            if key not in got:
                return f"{path}.{key}: missing in vmctl (KubeVirt: {want[key]!r})"
            if key not in want:
                return f"{path}.{key}: only in vmctl ({got[key]!r})"
            found = _diff_value(want[key], got[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return f"{path}: {len(want)} items in KubeVirt, {len(got)} in vmctl ({want!r} vs {got!r})"
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            found = _diff_value(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if want != got or type(want) is not type(got) and not (isinstance(want, (int, float)) and isinstance(got, (int, float))):
        return f"{path}: KubeVirt {want!r} != vmctl {got!r}"
    return None
