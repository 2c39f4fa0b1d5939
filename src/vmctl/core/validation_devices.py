"""Device, storage, firmware and migration checks of KubeVirt's VMI spec validation, with its texts and paths.

Ports of the parts of ``ValidateVirtualMachineInstanceSpec`` (vmi-create-admitter.go) and the storage admitter
(pkg/storage/admitters) that ``validation.py`` calls at their place in KubeVirt's order: the firmware (ACPI
tables, bootloader, kernel boot), the disk settings of ``ValidateDisks`` (PCI address, serial, cache, I/O mode,
error policy, name, block size), container-disk paths, utility volumes, the eviction strategy, mediated-device
displays with a RAM framebuffer, SCSI persistent reservation and virtiofs on storage volumes. Feature gates are
those of ``ClusterConfig`` (KubeVirt's defaults: all of these gates off).
"""

from __future__ import annotations

import re
from typing import Any

from vmctl.core.defaults import ClusterConfig
from vmctl.core.fields import dig
from vmctl.core.names import label_errors
from vmctl.errors import FieldProblem

Obj = dict[str, Any]
INVALID = "FieldValueInvalid"
_EVICTION_STRATEGIES = frozenset({"LiveMigrate", "LiveMigrateIfPossible", "None", "External"})
#: gates whose refusal is the only check: with the gate on nothing more is looked at
PERSISTENT_RESERVATION_GATE = "PersistentReservation"
VIRTIOFS_STORAGE_GATE = "EnableVirtioFsStorageVolumes"



def devices_of(spec: Obj) -> Obj:
    """``spec.domain.devices`` (an empty mapping when it is not one)."""
    domain = spec.get("domain")
    devices = domain.get("devices") if isinstance(domain, dict) else None
    return devices if isinstance(devices, dict) else {}


def _items(value: Any) -> list[Obj]:
    """A list's entries, non-objects counted as empty objects (indexes stay KubeVirt's)."""
    return [item if isinstance(item, dict) else {} for item in value] if isinstance(value, list) else []


# --- storage admitter: container disks and utility volumes ------------------------------------------------


def clean_rooted(path: str) -> str:
    """Go's ``filepath.Join("/", path)``: the lexically cleaned absolute path."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def _path_problems(field: str, path: str) -> list[FieldProblem]:
    """``ValidatePath``: not the root, absolute, no relative components."""
    if path == "/":
        return [FieldProblem(field, f"{field} must not point to root", INVALID)]
    provided = path[:-1] if path.endswith("/") else path
    if clean_rooted(path) != provided:
        return [FieldProblem(field, f"{field} must be an absolute path to a file without relative components",
                             INVALID)]
    return []


def container_disk_paths(field: str, spec: Obj) -> list[FieldProblem]:
    """``ValidateContainerDisks``: the ``path`` of each container disk."""
    causes = []
    for idx, volume in enumerate(_items(spec.get("volumes"))):
        disk = volume.get("containerDisk")
        path = disk.get("path") if isinstance(disk, dict) else None
        if isinstance(path, str) and path:
            causes += _path_problems(f"{field}.volumes[{idx}].containerDisk", path)
    return causes


def utility_volumes(field: str, spec: Obj) -> list[FieldProblem]:
    """``ValidateUtilityVolumesNotPresentOnCreation`` (an empty list is dropped on the way, as in Go)."""
    if not spec.get("utilityVolumes"):
        return []
    return [FieldProblem(f"{field}.utilityVolumes", "cannot create VMI with utility volumes in spec, utility volumes "
                         "can only be added via hotplug", INVALID)]


def storage_checks(field: str, spec: Obj) -> list[FieldProblem]:
    """The two storage checks ``ValidateVirtualMachineInstanceSpec`` makes right after the volumes."""
    return container_disk_paths(field, spec) + utility_volumes(field, spec)


# --- storage admitter: the disk settings ``ValidateDisks`` checks ----------------------------------------------

#: ``hwutil.PCI_ADDRESS_PATTERN``
PCI_ADDRESS = re.compile(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]")
_SERIAL = re.compile(r"[A-Za-z0-9_.+-]+")
_SERIAL_MAX = 256
_CACHE_MODES = frozenset({"none", "writethrough", "writeback"})
_IO_MODES = frozenset({"native", "threads"})
_ERROR_POLICIES = frozenset({"stop", "ignore", "report", "enospace"})
_BLOCK_MIN, _BLOCK_MAX = 512, 2 * 1024 * 1024


def disk_pci_address(field: str, idx: int, disk: Obj) -> list[FieldProblem]:
    """``validatePciAddress`` (KubeVirt's field path repeats the disks path, as here)."""
    target = disk.get("disk")
    address = target.get("pciAddress") if isinstance(target, dict) else None
    if not isinstance(address, str) or not address:
        return []
    base = f"{field}.domain.devices.disks.disk[{idx}]"
    causes = []
    if target.get("bus") != "virtio":
        causes.append(FieldProblem(f"{base}.pciAddress", f"disk {base}.name - setting a PCI address is only possible "
                                   "with bus type virtio.", INVALID))
    if not PCI_ADDRESS.fullmatch(address):
        causes.append(FieldProblem(f"{base}.pciAddress", f"disk {base}.name has malformed PCI address ({address}).",
                                   INVALID))
    return causes


def disk_settings(field: str, idx: int, disk: Obj) -> list[FieldProblem]:
    """The checks ``ValidateDisks`` makes after the bus: serial, cache, I/O mode, error policy, the name as a
    container name (apimachinery's ``IsDNS1123Label``) and the block size."""
    causes = []
    base = f"{field}[{idx}]"
    serial = disk.get("serial")
    if isinstance(serial, str) and serial:
        if not _SERIAL.fullmatch(serial):
            causes.append(FieldProblem(f"{base}.serial", f"{base} must be made up of the following characters "
                                       "[A-Za-z0-9_.+-], if specified", INVALID))
        if len(serial) > _SERIAL_MAX:
            causes.append(FieldProblem(f"{base}.serial", f"{base} must be less than or equal to {_SERIAL_MAX} in "
                                       "length, if specified", INVALID))
    cache = disk.get("cache")
    if cache and cache not in _CACHE_MODES:
        causes.append(FieldProblem(f"{base}.cache", f"{base}.cache has invalid value {cache}", INVALID))
    io = disk.get("io")
    if io and io not in _IO_MODES:
        causes.append(FieldProblem(f"{field}.domain.devices.disks[{idx}].io", f"Disk IO mode for {field} is not "
                                   "supported. Supported modes are: native, threads.", "FieldValueNotSupported"))
    policy = disk.get("errorPolicy")
    if policy is not None and policy not in _ERROR_POLICIES:
        causes.append(FieldProblem(f"{base}.errorPolicy", f'{base}.errorPolicy has invalid value "{policy}"', INVALID))
    name = disk.get("name")
    causes += [FieldProblem(f"{field}.domain.devices.disks[{idx}].name", message, INVALID)
               for message in label_errors(name if isinstance(name, str) else "")]
    return causes + _block_size(base, disk)


def _custom_size(path: str, size: int) -> list[FieldProblem]:
    """``validateCustomBlockSize``."""
    if size < _BLOCK_MIN:
        return [FieldProblem(path, f"Provided size of {size} is less than the supported minimum size of {_BLOCK_MIN}",
                             INVALID)]
    if size > _BLOCK_MAX:
        return [FieldProblem(path, f"Provided size of {size} is greater than the supported maximum size of "
                             f"{_BLOCK_MAX}", INVALID)]
    if size & (size - 1):
        return [FieldProblem(path, f"Provided size of {size} is not a power of 2", INVALID)]
    return []


def _block_size(base: str, disk: Obj) -> list[FieldProblem]:
    """``validateBlockSize``: a custom block size (and not together with volume matching)."""
    block = disk.get("blockSize")
    custom = block.get("custom") if isinstance(block, dict) else None
    if not isinstance(custom, dict):
        return []
    if block.get("matchVolume") is not None and _enabled(block["matchVolume"]):
        return [FieldProblem(f"{base}.blockSize", "Block size matching can't be enabled together with a custom value",
                             INVALID)]
    logical, physical = int(custom.get("logical") or 0), int(custom.get("physical") or 0)
    granularity = custom.get("discardGranularity")
    path = f"{base}.blockSize.custom"
    if logical > physical:
        return [FieldProblem(f"{path}.logical", f"Logical size {logical} must be the same or less than the physical "
                             f"size of {physical}", INVALID)]
    if _bus(disk) == "sata" and logical != _BLOCK_MIN:
        return [FieldProblem(f"{path}.logical", f"Logical size {logical} must be {_BLOCK_MIN} for SATA devices",
                             INVALID)]
    if isinstance(granularity, int) and logical and granularity % logical:
        return [FieldProblem(f"{path}.discardGranularity", f"Discard granularity {granularity} must be multiples of "
                             f"logical size {logical}", INVALID)]
    return _custom_size(f"{path}.logical", logical) + _custom_size(f"{path}.physical", physical)


def _bus(disk: Obj) -> str:
    for key in ("disk", "lun", "cdrom"):
        if isinstance(disk.get(key), dict):
            return str(disk[key].get("bus") or "")
    return ""


# --- firmware ---------------------------------------------------------------------------------------------


def firmware_acpi(field: str, spec: Obj) -> list[FieldProblem]:
    """``validateFirmwareACPI``: ACPI tables come from a named secret volume (reported at ``<spec>.acpi``)."""
    firmware = dig(spec, "domain", "firmware")
    acpi = firmware.get("acpi") if isinstance(firmware, dict) else None
    if not isinstance(acpi, dict):
        return []
    path = f"{field}.acpi"
    if not acpi.get("slicNameRef") and not acpi.get("msdmNameRef"):
        return [FieldProblem(path, "ACPI was set but no SLIC nor MSDM volume reference was set", INVALID)]
    causes = []
    volumes = _items(spec.get("volumes"))
    for key in ("slicNameRef", "msdmNameRef"):
        ref = acpi.get(key)
        if not ref:
            continue
        volume = next((v for v in volumes if v.get("name") == ref), None)
        if volume is None:
            causes.append(FieldProblem(f"{path}.{key}", f"{path} does not have a matching Volume.", INVALID))
        elif volume.get("secret") is None:
            causes.append(FieldProblem(f"{path}.{key}", f"{path} refers to Volume of unsupported type.", INVALID))
    return causes


def _kernel_boot(path: str, kernel_boot: Any) -> list[FieldProblem]:
    """``validateKernelBoot``: kernel arguments need a kernel; the container needs an image and a path."""
    if not isinstance(kernel_boot, dict):
        return []
    container = kernel_boot.get("container")
    if not isinstance(container, dict):
        if kernel_boot.get("kernelArgs"):
            return [FieldProblem(f"{path}.kernelArgs", "kernel arguments cannot be provided without an external "
                                 "kernel", INVALID)]
        return []
    where = f"{path}.container"
    causes = []
    if not container.get("image"):
        causes.append(FieldProblem(f"{where}.image", f"{where} must be defined with an image", "FieldValueRequired"))
    if not container.get("initrdPath") and not container.get("kernelPath"):
        causes.append(FieldProblem(where, f"{where} must be defined with at least one of the following: kernelPath, "
                                   "initrdPath", "FieldValueRequired"))
    for key in ("kernelPath", "initrdPath"):
        value = container.get(key)
        if isinstance(value, str) and value:
            causes += _path_problems(f"{where}.{key}", value)
    return causes


def firmware(path: str, domain: Obj) -> list[FieldProblem]:
    """``validateFirmware`` of the domain at ``path``: EFI and BIOS exclusive, then the kernel boot."""
    firmware = domain.get("firmware")
    if not isinstance(firmware, dict):
        return []
    causes = []
    bootloader = firmware.get("bootloader")
    if isinstance(bootloader, dict) and bootloader.get("efi") is not None and bootloader.get("bios") is not None:
        where = f"{path}.firmware.bootloader"
        causes.append(FieldProblem(where, f"{where} has both EFI and BIOS configured, but they are mutually "
                                   "exclusive.", INVALID))
    return causes + _kernel_boot(f"{path}.firmware.kernelBoot", firmware.get("kernelBoot"))


# --- live migration and displays --------------------------------------------------------------------------


def live_migration(field: str, spec: Obj, cluster: ClusterConfig) -> list[FieldProblem]:
    """``validateLiveMigration``: the eviction strategy (the VMI's, else the cluster's) must be a known one."""
    strategy = spec.get("evictionStrategy")
    effective = cluster.eviction_strategy if strategy is None else strategy
    if effective is None or effective in _EVICTION_STRATEGIES:
        return []
    path = f"{field}.evictionStrategy"
    return [FieldProblem(path, f"{path} is set with an unrecognized option: {strategy}", INVALID)]


def _enabled(state: Any) -> bool:
    """An unset feature state or ``enabled`` counts as on."""
    return not isinstance(state, dict) or state.get("enabled") is not False


def mdev_ramfb(field: str, spec: Obj) -> list[FieldProblem]:
    """``validateMDEVRamFB``: at most one GPU display with a RAM framebuffer."""
    count = 0
    for gpu in _items(devices_of(spec).get("gpus")):
        options = gpu.get("virtualGPUOptions")
        display = options.get("display") if isinstance(options, dict) else None
        if isinstance(display, dict) and display.get("enabled") is not False and _enabled(display.get("ramFB")):
            count += 1
    if count > 1:
        return [FieldProblem(f"{field}.GPUs", "configuring multiple displays with ramfb is not valid ", INVALID)]
    return []


def migration_and_displays(field: str, spec: Obj, cluster: ClusterConfig) -> list[FieldProblem]:
    """The eviction strategy, then the GPU displays (KubeVirt checks them right before the host devices)."""
    return live_migration(field, spec, cluster) + mdev_ramfb(field, spec)


# --- feature gates ------------------------------------------------------------------------------------------


def persistent_reservation(field: str, spec: Obj, cluster: ClusterConfig) -> list[FieldProblem]:
    """``validatePersistentReservation``: a LUN with ``reservation`` needs the PersistentReservation gate."""
    if cluster.gate(PERSISTENT_RESERVATION_GATE):
        return []
    for disk in _items(devices_of(spec).get("disks")):
        lun = disk.get("lun")
        if isinstance(lun, dict) and lun.get("reservation") is True:
            return [FieldProblem(f"{field}.domain.devices.disks.luns.reservation", "persistent reservation is not "
                                 "enabled in kubevirt config", INVALID)]
    return []


def virtiofs(field: str, spec: Obj, cluster: ClusterConfig) -> list[FieldProblem]:
    """``validateFilesystemsWithVirtIOFSEnabled``: a filesystem on a PVC or DataVolume needs its gate."""
    if cluster.gate(VIRTIOFS_STORAGE_GATE):
        return []
    volumes = {}
    for volume in _items(spec.get("volumes")):
        volumes[volume.get("name", "")] = volume  # the last of a name wins, as in KubeVirt's map
    causes = []
    for filesystem in _items(devices_of(spec).get("filesystems")):
        volume = volumes.get(filesystem.get("name", ""))
        if volume is not None and (volume.get("persistentVolumeClaim") is not None
                                   or volume.get("dataVolume") is not None):
            causes.append(FieldProblem(f"{field}.domain.devices.filesystems", "virtiofs is not allowed: virtiofs "
                                       "feature gate is not enabled for PVC", INVALID))
    return causes
