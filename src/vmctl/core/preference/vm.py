"""What the VM mutating webhook writes into the stored VM from its preference (before any VMI exists):
``preferredArchitecture``, ``machine.preferredMachineType`` and ``volumes.preferredStorageClassName``."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import dig, ensure
from vmctl.core.preference.misc import apply_architecture


def mutate_vm(preference_spec: dict[str, Any] | None, vm: dict[str, Any]) -> None:
    """Apply the preference's VM-level defaults to ``vm`` in place (KubeVirt's VM mutator order)."""
    if preference_spec is None:
        return
    template_spec = dig(vm, "spec", "template", "spec")
    if isinstance(template_spec, dict):
        apply_architecture(preference_spec, template_spec)
        machine_type = dig(preference_spec, "machine", "preferredMachineType")
        if machine_type and not dig(template_spec, "domain", "machine", "type"):
            ensure(template_spec, "domain", "machine")["type"] = machine_type
    storage_class = dig(preference_spec, "volumes", "preferredStorageClassName")
    if not storage_class:
        return
    for template in dig(vm, "spec", "dataVolumeTemplates", default=None) or []:
        for kind in ("pvc", "storage"):
            claim = dig(template, "spec", kind)
            if isinstance(claim, dict) and claim.get("storageClassName") is None:
                claim["storageClassName"] = storage_class
