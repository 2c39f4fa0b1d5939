"""Disk preferences: bus, block size, cache, io, dedicated IO thread (virtio only), cdrom and lun buses."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import clone


def apply(devices: dict[str, Any], vmi_devices: dict[str, Any]) -> None:
    for disk in vmi_devices.get("disks") or []:
        if disk.get("disk") is None and disk.get("cdrom") is None and disk.get("lun") is None:
            disk["disk"] = {}
        if disk.get("disk") is not None:
            target = disk["disk"]
            if devices.get("preferredDiskBus") and not target.get("bus"):
                target["bus"] = devices["preferredDiskBus"]
            if devices.get("preferredDiskBlockSize") is not None and disk.get("blockSize") is None:
                disk["blockSize"] = clone(devices["preferredDiskBlockSize"])
            if devices.get("preferredDiskCache") and not disk.get("cache"):
                disk["cache"] = devices["preferredDiskCache"]
            if devices.get("preferredDiskIO") and not disk.get("io"):
                disk["io"] = devices["preferredDiskIO"]
            if (devices.get("preferredDiskDedicatedIoThread") is not None and disk.get("dedicatedIOThread") is None
                    and target.get("bus") == "virtio"):
                disk["dedicatedIOThread"] = bool(devices["preferredDiskDedicatedIoThread"])
        elif disk.get("cdrom") is not None:
            if devices.get("preferredCdromBus") and not disk["cdrom"].get("bus"):
                disk["cdrom"]["bus"] = devices["preferredCdromBus"]
        elif devices.get("preferredLunBus") and not disk["lun"].get("bus"):
            disk["lun"]["bus"] = devices["preferredLunBus"]
