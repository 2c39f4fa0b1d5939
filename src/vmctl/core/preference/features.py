"""Feature preferences: ``acpi`` always overwritten (a non-pointer VMI field), others only when unset,
Hyper-V merged per sub-feature."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import clone, ensure

#: preferredHyperv sub-features, in KubeVirt's order
HYPERV = ("evmcs", "frequencies", "ipi", "reenlightenment", "relaxed", "reset", "runtime", "spinlocks",
          "synic", "synictimer", "tlbflush", "vapic", "vpindex", "vendorid")


def apply(preference_spec: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    preferred = preference_spec.get("features")
    if not isinstance(preferred, dict):
        return
    features = ensure(vmi_spec, "domain", "features")
    if preferred.get("preferredAcpi") is not None:
        features["acpi"] = clone(preferred["preferredAcpi"])
    if preferred.get("preferredApic") is not None and features.get("apic") is None:
        features["apic"] = clone(preferred["preferredApic"])
    hyperv = preferred.get("preferredHyperv")
    if hyperv is not None:
        target = ensure(features, "hyperv")
        for name in HYPERV:
            if hyperv.get(name) is not None and target.get(name) is None:
                target[name] = clone(hyperv[name])
    for name, key in (("preferredKvm", "kvm"), ("preferredPvspinlock", "pvspinlock"), ("preferredSmm", "smm")):
        if preferred.get(name) is not None and features.get(key) is None:
            features[key] = clone(preferred[name])
