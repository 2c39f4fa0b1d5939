"""Data passed between the local backend's pieces: volume preparation → domain XML → libvirt.

* ``volumes.prepare(vmi, layout) -> DomainInputs`` turns VMI volumes into files (pulled images, overlays,
  cloud-init ISOs, named volumes) — ``backends/local/volumes.py``;
* ``domain.build_domain_xml(vmi, inputs, host) -> str`` maps the VMI to libvirt XML — ``backends/local/domain.py``;
* ``hooks.run_on_define_domain(vmi, xml, scripts) -> str`` chains hook sidecar scripts — ``backends/local/hooks.py``;
* the executor (``backends/local/executor.py``) defines and starts the domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DiskSource:
    """A file backing one VMI volume."""

    path: Path
    format: str = "qcow2"  # "qcow2" or "raw"
    readonly: bool = False
    transient: bool = False  # containerDisk without an overlay: <transient shareBacking='yes'/>


@dataclass(frozen=True)
class HostInfo:
    """What the host can do (detected once per run)."""

    virt_type: str = "qemu"  # "kvm" only where hardware virtualisation really works
    arch: str = "x86_64"
    ovmf_code: Path | None = None
    ovmf_code_secure: Path | None = None
    ovmf_vars: Path | None = None
    hugepages: tuple[str, ...] = ()  # page sizes the host has reserved, e.g. ("2Mi",)


@dataclass
class DomainInputs:
    """Everything outside the VMI spec that the domain XML needs."""

    disks: dict[str, DiskSource] = field(default_factory=dict)  # volume name -> file
    kernel: Path | None = None
    initrd: Path | None = None
    console_log: Path | None = None
    nvram: Path | None = None
    port_forwards: list[tuple[int, int, str]] = field(default_factory=list)  # (host port, guest port, proto)
    networks: dict[str, str] = field(default_factory=dict)  # VMI network name -> libvirt network/bridge
