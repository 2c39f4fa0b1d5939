"""Input device preferences: ``bus`` and ``type`` where empty."""

from __future__ import annotations

from typing import Any


def apply(devices: dict[str, Any], vmi_devices: dict[str, Any]) -> None:
    for device in vmi_devices.get("inputs") or []:
        if devices.get("preferredInputBus") and not device.get("bus"):
            device["bus"] = devices["preferredInputBus"]
        if devices.get("preferredInputType") and not device.get("type"):
            device["type"] = devices["preferredInputType"]
