"""Interface preferences: ``model``; ``masquerade`` only for binding-less interfaces on a pod network."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import clone

#: The binding methods of a VMI interface (KubeVirt ``InterfaceBindingMethod``) plus the plugin ``binding``.
BINDINGS = ("bridge", "slirp", "masquerade", "sriov", "macvtap", "passt", "passtBinding", "binding")


def _binding_unset(iface: dict[str, Any]) -> bool:
    return all(iface.get(name) is None for name in BINDINGS)


def _on_pod_network(name: Any, vmi_spec: dict[str, Any]) -> bool:
    for network in vmi_spec.get("networks") or []:
        if network.get("name") == name:
            return network.get("pod") is not None
    return False


def apply(devices: dict[str, Any], vmi_devices: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    for iface in vmi_devices.get("interfaces") or []:
        if devices.get("preferredInterfaceModel") and not iface.get("model"):
            iface["model"] = devices["preferredInterfaceModel"]
        if (devices.get("preferredInterfaceMasquerade") is not None and _binding_unset(iface)
                and _on_pod_network(iface.get("name"), vmi_spec)):
            iface["masquerade"] = clone(devices["preferredInterfaceMasquerade"])
