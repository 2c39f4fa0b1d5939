"""VirtualMachineInstancePresets (deprecated), as KubeVirt's VMI mutating webhook applies them on create.

Only these domain sections are merged, each only when the VMI leaves it unset: ``resources.requests``
(only if the VMI has no requests at all), ``cpu``, ``firmware``, ``clock`` (offset, then ``timer``),
``features``, ``devices.watchdog`` and ``ioThreadsPolicy``. Anything else in a preset is ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any, NamedTuple

from vmctl.core.fields import clone
from vmctl.errors import ObjectRejected

Obj = dict[str, Any]

EXCLUDE_ANNOTATION = "virtualmachineinstancepresets.admission.kubevirt.io/exclude"
ANNOTATION_PREFIX = "virtualmachinepreset.kubevirt.io/"
ANNOTATION_VALUE = "kubevirt.io/v1"
DEPRECATION_WARNING = "kubevirt.io/v1 VirtualMachineInstancePresets is now deprecated and will be removed in v2."


class PresetResult(NamedTuple):  # a NamedTuple is much quicker to define than a dataclass (start-up time)
    """Names of the presets that were applied (annotated) and the warnings KubeVirt would log."""

    applied: list[str]
    warnings: list[str]


# --- Go-compatible rendering of resource.Quantity values (used in conflict texts) -------------------

_QTY_RE = r"^([+-]?)(\d*)(?:\.(\d*))?(.*)$"  # compiled by ``re`` on first use, not on import
_DECIMAL_SUFFIX = {"": 0, "n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIX = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}


def _go_quantity(text: Any) -> tuple[tuple[int, int], str, str, Fraction] | None:
    """(int64Amount, cached string, format, exact value) as Go's ``ParseQuantity`` stores them."""
    s = str(text).strip()
    if s == "0":
        return (0, 0), "0", "DecimalSI", Fraction(0)
    m = re.match(_QTY_RE, s)
    if not s or not m or (not m.group(2) and not m.group(3)):
        return None
    sign, num, denom, suffix = m.group(1), m.group(2).lstrip("0") or "0", m.group(3) or "", m.group(4)
    if suffix in _DECIMAL_SUFFIX:
        base, exponent, fmt = 10, _DECIMAL_SUFFIX[suffix], "DecimalSI"
    elif suffix in _BINARY_SUFFIX:
        base, exponent, fmt = 2, _BINARY_SUFFIX[suffix], "BinarySI"
    elif re.fullmatch(r"[eE][+-]?\d+", suffix):
        base, exponent, fmt = 10, int(suffix[1:]), "DecimalExponent"
    else:
        return None
    mantissa = Fraction(int(num + denom or "0"), 10 ** len(denom))
    exact = mantissa * (Fraction(10) ** exponent if base == 10 else 2**exponent) * (-1 if sign == "-" else 1)
    if fmt == "BinarySI":
        scale = 0
        if exponent >= 0 and not denom:
            factor = 1 << exponent
            precision = 15 - len(num) - int(exponent * 3 / 10) - 1
        else:
            factor, precision = 1, -1
    else:
        scale, factor, precision = exponent, 1, 18 - (len(num) + len(denom))
    if precision >= 0:
        scale -= len(denom)
        if scale >= -9:
            shifted = num + denom
            value = int(shifted)
            result = value * factor
            if -(2**63) <= result < 2**63:
                result = -result if sign == "-" else result
                cached = ""
                if fmt == "BinarySI":
                    if exponent % 10 == 0 and value & 0x07:
                        cached = s
                elif scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0":
                    cached = s
                return (result, scale), cached, fmt, exact
    return (0, 0), "", fmt, exact


def go_quantity_repr(text: Any) -> str:
    """Go's ``%v`` of a ``resource.Quantity`` value, e.g. ``{{2 0} {<nil>} 2 DecimalSI}``."""
    parsed = _go_quantity(text)
    if parsed is None:
        return str(text)
    (value, scale), cached, fmt, exact = parsed
    if value == 0 and scale == 0 and exact != 0:  # stored as inf.Dec: Go prints a pointer
        return f"{{{{0 0}} {{{exact}}} {cached} {fmt}}}"
    return f"{{{{{value} {scale}}} {{<nil>}} {cached} {fmt}}}"


def _go_identical(a: Any, b: Any) -> bool:
    """Go ``!=`` on two Quantity structs (representation, not value)."""
    pa, pb = _go_quantity(a), _go_quantity(b)
    if pa is None or pb is None:
        return str(a) == str(b)
    return pa[:3] == pb[:3] and (pa[0] != (0, 0) or pa[3] == pb[3])


def _qvalue(text: Any) -> Fraction | None:
    parsed = _go_quantity(text)
    return parsed[3] if parsed else None


# --- semantic equality ------------------------------------------------------------------------------


def _norm(value: Any) -> Any:
    """Drop nulls and empty lists (nil and empty slices are equal to ``equality.Semantic``)."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _requests_equal(a: Obj, b: Obj) -> bool:
    if set(a) != set(b):
        return False
    return all(_qvalue(a[k]) == _qvalue(b[k]) and _qvalue(a[k]) is not None for k in a)


def _offset(clock: Obj) -> Obj:
    return {k: v for k, v in clock.items() if k != "timer"}


def _section(domain: Obj, key: str) -> Any:
    if key == "watchdog":
        return (domain.get("devices") or {}).get("watchdog")
    return domain.get(key)


#: the sections checkMergeConflicts compares, with their Go types and the names its messages use
_SECTIONS = (("cpu", "*v1.CPU", "spec.cpu"), ("firmware", "*v1.Firmware", "spec.firmware"))
_LATE_SECTIONS = (("features", "*v1.Features", "spec.features"),
                  ("watchdog", "*v1.Watchdog", "spec.devices.watchdog"),
                  ("ioThreadsPolicy", "*v1.IOThreadsPolicy", "spec.ioThreadsPolicy"))


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _differ(a: Any, b: Any, type_name: str) -> bool:
    """``!equality.Semantic.DeepEqual`` of the two values decoded into ``type_name``."""
    from vmctl.core.goshape import go_json

    return _norm(go_json(a, type_name)) != _norm(go_json(b, type_name))


def _conflict_text(label: str, a: Any, b: Any, type_name: str) -> tuple[str, str]:
    """KubeVirt's ``<label>: %v != %v`` and vmctl's readable JSON form of the same pair."""
    from vmctl.core.goshape import go_value_text

    text = f"{label}: {go_value_text(a, type_name)} != {go_value_text(b, type_name)}"
    return text, f"{label}: {_show(a)} != {_show(b)}"


# --- KubeVirt checkMergeConflicts / mergeDomainSpec ------------------------------------------------


def merge_conflicts(preset_domain: Obj, vmi_domain: Obj) -> list[str]:
    """Sections both set differently, rendered as KubeVirt's ``checkMergeConflicts`` details."""
    return [text for text, _readable in _merge_conflicts(preset_domain, vmi_domain)]


def _merge_conflicts(preset_domain: Obj, vmi_domain: Obj) -> list[tuple[str, str]]:
    """(KubeVirt's text, readable JSON text) of every conflicting section, in KubeVirt's order."""
    errors: list[tuple[str, str]] = []
    preset_req = (preset_domain.get("resources") or {}).get("requests") or {}
    vmi_req = (vmi_domain.get("resources") or {}).get("requests") or {}
    for key in sorted(preset_req):
        if key in vmi_req and not _go_identical(preset_req[key], vmi_req[key]):
            text = (f"spec.resources.requests[{key}]: {go_quantity_repr(preset_req[key])} != "
                    f"{go_quantity_repr(vmi_req[key])}")
            errors.append((text, text))
    for key, type_name, label in _SECTIONS:
        a, b = preset_domain.get(key), vmi_domain.get(key)
        if a is not None and b is not None and _differ(a, b, type_name):
            errors.append(_conflict_text(label, a, b, type_name))
    pclock, vclock = preset_domain.get("clock"), vmi_domain.get("clock")
    if isinstance(pclock, dict) and isinstance(vclock, dict):
        if _differ(_offset(pclock), _offset(vclock), "v1.ClockOffset"):
            errors.append(_conflict_text("spec.clock.clockoffset", _offset(pclock), _offset(vclock), "v1.ClockOffset"))
        ptimer, vtimer = pclock.get("timer"), vclock.get("timer")
        if ptimer is not None and vtimer is not None and _differ(ptimer, vtimer, "*v1.Timer"):
            errors.append(_conflict_text("spec.clock.timer", ptimer, vtimer, "*v1.Timer"))
    for key, type_name, label in _LATE_SECTIONS:
        a, b = _section(preset_domain, key), _section(vmi_domain, key)
        if a is not None and b is not None and _differ(a, b, type_name):
            errors.append(_conflict_text(label, a, b, type_name))
    return errors


def _aggregate(errors: list[str]) -> str:
    """``utilerrors.NewAggregate(...).Error()``: one message as is, several as ``[a, b]`` (deduplicated)."""
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


#: the sections mergeDomainSpec copies whole when the VMI leaves them unset, with their Go types
_MERGED = (("cpu", "*v1.CPU"), ("firmware", "*v1.Firmware"), ("features", "*v1.Features"),
           ("ioThreadsPolicy", "*v1.IOThreadsPolicy"))


def merge_domain(preset_domain: Obj, vmi_domain: Obj) -> tuple[bool, list[str]]:
    """Merge one preset into the VMI domain in place; (applied, conflicts with the VMI as readable text).

    A section counts as applied when it equals the VMI's once both are decoded into their Go types, so
    ``features: {}`` and ``features: {acpi: {}}`` are the same (``acpi`` is a struct, not a pointer)."""
    conflicts = [readable for _text, readable in _merge_conflicts(preset_domain, vmi_domain)]
    applied = False
    preset_req = (preset_domain.get("resources") or {}).get("requests") or {}
    if preset_req:
        resources = vmi_domain.setdefault("resources", {})
        if not resources.get("requests"):
            resources["requests"] = dict(preset_req)
        if _requests_equal(resources["requests"], preset_req):
            applied = True
    for key, type_name in _MERGED:
        value = preset_domain.get(key)
        if value is None:
            continue
        if vmi_domain.get(key) is None:
            vmi_domain[key] = clone(value)
        if not _differ(vmi_domain[key], value, type_name):
            applied = True
    pclock = preset_domain.get("clock")
    if isinstance(pclock, dict):
        vclock = vmi_domain.get("clock")
        if not isinstance(vclock, dict):
            vclock = vmi_domain["clock"] = clone(_offset(pclock))
        if not _differ(vclock, pclock, "*v1.Clock"):
            applied = True
        if pclock.get("timer") is not None:
            if vclock.get("timer") is None:
                vclock["timer"] = clone(pclock["timer"])
            if not _differ(vclock["timer"], pclock["timer"], "*v1.Timer"):
                applied = True
    watchdog = (preset_domain.get("devices") or {}).get("watchdog")
    if watchdog is not None:
        devices = vmi_domain.setdefault("devices", {})
        if devices.get("watchdog") is None:
            devices["watchdog"] = clone(watchdog)
        if not _differ(devices["watchdog"], watchdog, "*v1.Watchdog"):
            applied = True
    return applied, conflicts


def _name(preset: Obj) -> str:
    return str((preset.get("metadata") or {}).get("name", ""))


def _domain(preset: Obj) -> Obj:
    domain = (preset.get("spec") or {}).get("domain")
    return domain if isinstance(domain, dict) else {}


def is_excluded(vmi: Obj) -> bool:
    annotations = (vmi.get("metadata") or {}).get("annotations") or {}
    return annotations.get(EXCLUDE_ANNOTATION) == "true"


def matching_presets(vmi: Obj, presets: Iterable[Obj]) -> list[Obj]:
    """Presets whose selector matches the VMI labels; an invalid selector rejects the VMI. A preset's selector
    is a struct, not a pointer, in KubeVirt: a missing one is empty and selects every VMI (the CRD requires it)."""
    from vmctl.core.selectors import SelectorError, compile_selector  # only needed when there are presets

    labels = (vmi.get("metadata") or {}).get("labels") or {}
    matched = []
    for preset in presets:
        try:
            selector = compile_selector((preset.get("spec") or {}).get("selector") or {})
        except SelectorError as exc:
            raise ObjectRejected(exc.message) from None
        if selector(labels):
            matched.append(preset)
    return matched


def check_preset_conflicts(presets: list[Obj]) -> None:
    """Reject when two matching presets set a section differently (KubeVirt's exact text; the readable JSON
    form of the sections follows as the hint)."""
    errors, readable = [], []
    for i, preset in enumerate(presets):
        for visited in presets[:i]:
            details = _merge_conflicts(_domain(preset), _domain(visited))
            if details:
                pair = f"presets '{_name(preset)}' and '{_name(visited)}' conflict: "
                errors.append(pair + _aggregate([text for text, _ in details]))
                readable.append(pair + _aggregate([text for _, text in details]))
    if errors:
        hint = None if readable == errors else "as JSON: " + _aggregate(readable)
        raise ObjectRejected(f"VirtualMachinePresets cannot be applied due to conflicts: {_aggregate(errors)}",
                             hint=hint)


def apply_presets(
    vmi: Obj, presets: Iterable[Obj], after_each: Callable[[str], None] | None = None
) -> PresetResult:
    """Apply the matching presets to ``vmi`` in place (KubeVirt ``applyPresets``)."""
    result = PresetResult([], [])
    if is_excluded(vmi):
        return result
    matched = matching_presets(vmi, presets)
    if not matched:
        return result
    check_preset_conflicts(matched)
    domain = vmi.setdefault("spec", {}).setdefault("domain", {})
    for preset in matched:
        name = _name(preset)
        applied, conflicts = merge_domain(_domain(preset), domain)
        if applied:
            if conflicts:
                result.warnings.append(
                    f"Some settings were not applied for VirtualMachineInstancePreset '{name}': {_aggregate(conflicts)}"
                )
            metadata = vmi.setdefault("metadata", {})
            annotations = metadata.get("annotations")
            if not isinstance(annotations, dict):
                annotations = metadata["annotations"] = {}
            annotations[ANNOTATION_PREFIX + name] = ANNOTATION_VALUE
            result.applied.append(name)
        elif conflicts:
            result.warnings.append(f"Unable to apply VirtualMachineInstancePreset '{name}': {_aggregate(conflicts)}")
        else:
            result.warnings.append(
                f"VirtualMachineInstancePreset '{name}' matches but sets nothing a preset can set "
                "(only resources.requests, cpu, firmware, clock, features, devices.watchdog and ioThreadsPolicy apply)"
            )
        if after_each is not None:
            after_each(name)
    return result


def deprecation_warnings(vmi: Obj) -> list[str]:
    """The webhook's deprecation warning, sent when any VMI annotation mentions ``virtualmachinepreset``."""
    annotations = (vmi.get("metadata") or {}).get("annotations") or {}
    return [DEPRECATION_WARNING] if any("virtualmachinepreset" in k for k in annotations) else []
