"""VM ``spec.instancetype`` / ``spec.preference`` matchers: kind scope, admission checks, VMI annotations."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import dig
from vmctl.errors import FieldProblem, ObjectRejected

_KINDS = {
    # which: (matcher type name, namespaced kinds, cluster kinds)
    "instancetype": ("InstancetypeMatcher",
                     ("virtualmachineinstancetype", "virtualmachineinstancetypes"),
                     ("", "virtualmachineclusterinstancetype", "virtualmachineclusterinstancetypes")),
    "preference": ("PreferenceMatcher",
                   ("virtualmachinepreference", "virtualmachinepreferences"),
                   ("", "virtualmachineclusterpreference", "virtualmachineclusterpreferences")),
}
_ANNOTATIONS = {
    "instancetype": ("kubevirt.io/instancetype-name", "kubevirt.io/cluster-instancetype-name"),
    "preference": ("kubevirt.io/preference-name", "kubevirt.io/cluster-preference-name"),
}
FAILURE_POLICIES = ("Reject", "Ignore")


def is_cluster_kind(kind: str | None, which: str) -> bool:
    """True for the cluster-scoped kind (also when ``kind`` is empty), False for the namespaced one.

    ``which`` is ``instancetype`` or ``preference``; any other kind raises ``ObjectRejected`` with KubeVirt's text.
    """
    matcher, namespaced, cluster = _KINDS[which]
    lowered = (kind or "").lower()
    if lowered in namespaced:
        return False
    if lowered in cluster:
        return True
    raise ObjectRejected(f"got unexpected kind in {matcher}: {kind}")


def _matcher_problems(which: str, matcher: dict[str, Any]) -> list[FieldProblem]:
    type_name = _KINDS[which][0]
    base = f"spec.{which}"
    problems: list[FieldProblem] = []
    if not matcher.get("name") and not matcher.get("inferFromVolume"):
        problems.append(FieldProblem(
            base, f"Either Name or InferFromVolume should be provided within the {type_name}", "FieldValueNotFound"))
    if matcher.get("inferFromVolume"):
        if matcher.get("name"):
            problems.append(FieldProblem(f"{base}.name", "Name already set, should be cleared before setting "
                                         "inferFromVolume", "FieldValueNotSupported"))
        if matcher.get("kind"):
            problems.append(FieldProblem(f"{base}.kind", "Kind already set, should be cleared before setting "
                                         "inferFromVolume", "FieldValueNotSupported"))
    policy = matcher.get("inferFromVolumeFailurePolicy")
    if policy is not None and policy not in FAILURE_POLICIES:
        problems.append(FieldProblem(f"{base}.inferFromVolumeFailurePolicy",
                                     f"Invalid value '{policy}' for InferFromVolumeFailurePolicy"))
    return problems


def _update_problem(which: str, new: Any, old: Any) -> FieldProblem | None:
    if not isinstance(new, dict) or not isinstance(old, dict):
        return None  # adding or removing a matcher is allowed
    if not new.get("revisionName") or new == old:
        return None
    if old.get("name") != new.get("name") and old.get("revisionName") == new.get("revisionName"):
        return FieldProblem(f"spec.{which}.revisionName",
                            "the Matcher Name has been updated without updating the RevisionName")
    return None


def validate_matchers(vm: dict[str, Any], old: dict[str, Any] | None = None) -> list[FieldProblem]:
    """Problems of a VM's matchers, as KubeVirt's VM mutating webhook reports them (first failing group only).

    ``old`` is the stored VM on an update: renaming a matcher while keeping its ``revisionName`` is refused.
    """
    if old is not None:
        for which in ("instancetype", "preference"):
            problem = _update_problem(which, dig(vm, "spec", which), dig(old, "spec", which))
            if problem is not None:
                return [problem]
    for which in ("instancetype", "preference"):
        matcher = dig(vm, "spec", which)
        if isinstance(matcher, dict):
            problems = _matcher_problems(which, matcher)
            if problems:
                return problems
    return []


def annotations_for(vm: dict[str, Any]) -> dict[str, str]:
    """The ``kubevirt.io/[cluster-]instancetype-name`` / ``[cluster-]preference-name`` VMI annotations of a VM.

    A matcher with an unknown kind gets no annotation (KubeVirt skips it there and fails the lookup instead).
    """
    result: dict[str, str] = {}
    for which, (namespaced_key, cluster_key) in _ANNOTATIONS.items():
        matcher = dig(vm, "spec", which)
        if not isinstance(matcher, dict):
            continue
        try:
            cluster = is_cluster_kind(matcher.get("kind"), which)
        except ObjectRejected:
            continue
        result[cluster_key if cluster else namespaced_key] = matcher.get("name") or ""
    return result
