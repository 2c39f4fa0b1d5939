"""Top-level preferences: subdomain, termination grace period, architecture, launch security."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import clone, dig, ensure


def apply_subdomain(preference_spec: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    # An empty preferredSubdomain leaves the omitempty string field empty: nothing to write.
    if not vmi_spec.get("subdomain") and preference_spec.get("preferredSubdomain"):
        vmi_spec["subdomain"] = preference_spec["preferredSubdomain"]


def apply_termination_grace_period(preference_spec: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    seconds = preference_spec.get("preferredTerminationGracePeriodSeconds")
    if seconds is not None and vmi_spec.get("terminationGracePeriodSeconds") is None:
        vmi_spec["terminationGracePeriodSeconds"] = seconds


def apply_architecture(preference_spec: dict[str, Any] | None, vmi_spec: dict[str, Any]) -> None:
    """Also used by the VM mutating webhook to write ``spec.template.spec.architecture``."""
    architecture = (preference_spec or {}).get("preferredArchitecture")
    if architecture and not vmi_spec.get("architecture"):
        vmi_spec["architecture"] = architecture


def apply_launch_security(preference_spec: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    wanted = preference_spec.get("preferredLaunchSecurity")
    if wanted is None or dig(vmi_spec, "domain", "launchSecurity") is not None:
        return
    ensure(vmi_spec, "domain")["launchSecurity"] = clone(wanted)
