"""Panic device preference: add one device when there is none, else fill models that are unset."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import ensure


def apply(devices: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    model = devices.get("preferredPanicDeviceModel")
    if model is None:
        return
    vmi_devices = ensure(vmi_spec, "domain", "devices")
    panic_devices = vmi_devices.get("panicDevices") or []
    if not panic_devices:
        vmi_devices["panicDevices"] = [{"model": model}]
        return
    for device in panic_devices:
        if device.get("model") is None:
            device["model"] = model
