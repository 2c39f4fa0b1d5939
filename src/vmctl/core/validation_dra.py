"""KubeVirt's DRA checks of the VMI spec (pkg/dra/admitter), with its texts and field paths.

``resourceClaims`` entries, then GPUs and host devices: each is either a device-plugin device (``deviceName``)
or a DRA one (a claim request, ``claimName``/``requestName``, and no ``deviceName``). GPUsWithDRA and
HostDevicesWithDRA are beta gates, on in KubeVirt's default configuration, so DRA devices are checked in full;
NetworkDevicesWithDRA is off, so networks take no part in the claim pairs.

In Go the claim request is an embedded pointer: any ``claimName`` or ``requestName`` key allocates it, even an
empty one. An instancetype's devices keep that (they are decoded once); a VM template or VMI goes through the
mutating webhooks' JSON round trip first, which drops empty names (``goshape.drop_omitted``).
"""

from __future__ import annotations

from typing import Any

from vmctl.core.names import label_errors, subdomain_errors
from vmctl.core.validation_devices import devices_of
from vmctl.errors import FieldProblem

Obj = dict[str, Any]
INVALID, REQUIRED, DUPLICATE = "FieldValueInvalid", "FieldValueRequired", "FieldValueDuplicate"
_CLAIM_KEYS = ("claimName", "requestName")
#: (devices key, KubeVirt's type name, whether DRA and non-DRA devices may be mixed)
_KINDS = (("gpus", "GPU", False), ("hostDevices", "HostDevice", True))


def _has_claim(device: Obj) -> bool:
    return any(name in device for name in _CLAIM_KEYS)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def resource_claims(field: str, claims: list[Any]) -> list[FieldProblem]:
    """``validateResourceClaims``: names (present, unique, DNS labels) and exactly one claim source."""
    causes: list[FieldProblem] = []
    seen: set[str] = set()
    for i, claim in enumerate(claims):
        claim = claim if isinstance(claim, dict) else {}
        path, name = f"{field}[{i}]", _text(claim.get("name"))
        if not name:
            causes.append(FieldProblem(f"{path}.name", f"{path}.name is a required field", REQUIRED))
        elif name in seen:
            causes.append(FieldProblem(f"{path}.name", f'duplicate resourceClaims name "{name}"', DUPLICATE))
        else:
            errors = label_errors(name)
            if errors:
                causes.append(FieldProblem(f"{path}.name", f"{path}.name does not conform to the kubernetes "
                                           f"DNS_LABEL rules: {', '.join(errors)}", INVALID))
            seen.add(name)
        sources = [key for key in ("resourceClaimName", "resourceClaimTemplateName") if claim.get(key) is not None]
        if len(sources) == 2:
            causes.append(FieldProblem(path, "at most one of resourceClaimName or resourceClaimTemplateName may be "
                                       "specified", INVALID))
        if not sources:
            causes.append(FieldProblem(path, "must specify one of: resourceClaimName, resourceClaimTemplateName",
                                       INVALID))
        for key in sources:
            causes += [FieldProblem(f"{path}.{key}", detail, INVALID) for detail in subdomain_errors(_text(claim[key]))]
    return causes


def _non_dra(path: str, key: str, kind: str, devices: list[Obj]) -> list[FieldProblem]:
    """``validateNonDRADevices``: a device-plugin device needs its ``deviceName`` and no claim request."""
    causes = []
    for device in devices:
        if not device.get("deviceName"):
            causes.append(FieldProblem(path, f"vmi.spec.domain.devices.{key} contains {kind}s without deviceName or "
                                       f"claimRequest; each {kind} must specify either a deviceName or a "
                                       "claimRequest", REQUIRED))
        elif _has_claim(device):
            causes.append(FieldProblem(path, f"vmi.spec.domain.devices.{key} contains {kind}s with both deviceName "
                                       "and claimRequest", INVALID))
    return causes


def _dra_devices(field: str, key: str, kind: str, mixed_ok: bool, devices: list[Obj]
                 ) -> tuple[list[FieldProblem], set[str], dict[str, int]]:
    """``validateDRADevices`` (gate on): causes, the claim names used, the first index of each claim pair."""
    path = f"{field}.domain.devices.{key}"
    dra = [(i, d) for i, d in enumerate(devices) if not d.get("deviceName") and _has_claim(d)]
    plain = [d for d in devices if d.get("deviceName") or not _has_claim(d)]
    if not mixed_ok and dra and plain:
        return [FieldProblem(path, f"vmi.spec.domain.devices.{key} contains both DRA and non-DRA {kind}s; each "
                             f"{kind} must be either DRA or non-DRA", INVALID)], set(), {}
    causes = _non_dra(path, key, kind, plain)
    names: set[str] = set()
    first: dict[str, int] = {}
    for i, device in dra:
        claim, request = _text(device.get("claimName")), _text(device.get("requestName"))
        if not claim:
            causes.append(FieldProblem(f"{path}[{i}].claimName", f"claimName is required for DRA {kind}", REQUIRED))
        if not request:
            causes.append(FieldProblem(f"{path}[{i}].requestName", f"requestName is required for DRA {kind}",
                                       REQUIRED))
        if not claim or not request:
            continue
        names.add(claim)
        pair = f"{claim}/{request}"
        if pair in first:
            causes.append(FieldProblem(f"{path}[{i}]", f'duplicate claimName/requestName pair "{pair}"', DUPLICATE))
        first.setdefault(pair, i)
    return causes, names, first


def validate_dra(field: str, spec: Obj) -> list[FieldProblem]:
    """``draadmitter.ValidateCreation`` under KubeVirt's default configuration."""
    claims = spec.get("resourceClaims") if isinstance(spec.get("resourceClaims"), list) else []
    devices = devices_of(spec)
    causes = resource_claims(f"{field}.resourceClaims", claims)
    used: set[str] = set()
    pairs: list[tuple[str, dict[str, int]]] = []
    for key, kind, mixed_ok in _KINDS:
        items = [d for d in devices.get(key) or [] if isinstance(d, dict)]
        found, names, first = _dra_devices(field, key, kind, mixed_ok, items)
        causes += found
        used |= names
        pairs.append((key, first))
    owners: dict[str, tuple[str, int]] = {}
    for (key, first), label in zip(pairs, ("GPUs", "HostDevices"), strict=True):
        for pair, idx in first.items():  # KubeVirt walks a map here: several causes come in a random order
            if pair in owners:
                other, at = owners[pair]
                causes.append(FieldProblem(f"{field}.domain.devices.{key}[{idx}]", f'duplicate claimName/requestName '
                                           f'pair "{pair}" between {other}[{at}] and {label}[{idx}]', DUPLICATE))
                continue
            owners[pair] = (label, idx)
    declared = {_text(c.get("name")) for c in claims if isinstance(c, dict)}
    if not used <= declared:
        causes.append(FieldProblem(f"{field}.resourceClaims", "vmi.spec.resourceClaims must specify all claims used "
                                   "in vmi.spec.domain.devices.gpus and vmi.spec.domain.devices.hostDevices", INVALID))
    return causes
