"""What this host can run: virt type (KVM or TCG), OVMF firmware, hugepages, swtpm, passt.

Pure detection from /proc, /sys, /dev and /usr/share (plus one in-process libvirt parser probe for passt),
cached per process. ``VMCTL_VIRT_TYPE=kvm|qemu`` overrides the virt type.

KVM is chosen only when ``/dev/kvm`` is usable **and** the CPU flags show vmx/svm **and** the KVM module is not
``kvm_pvm``: libvirt's capabilities report KVM as usable under kvm_pvm, where guests do not boot
(docs/local-domain.md).
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vmctl.backends.local.contracts import HostInfo
from vmctl.errors import InputError

OVMF_DIRS = (Path("/usr/share/OVMF"), Path("/usr/share/ovmf"), Path("/usr/share/edk2/ovmf"))
#: (code, secure-boot code, vars, vars with Microsoft keys enrolled), most preferred first.
OVMF_NAMES = (
    ("OVMF_CODE_4M.fd", "OVMF_CODE_4M.secboot.fd", "OVMF_VARS_4M.fd", "OVMF_VARS_4M.ms.fd"),
    ("OVMF_CODE.fd", "OVMF_CODE.secboot.fd", "OVMF_VARS.fd", "OVMF_VARS.ms.fd"),
)


@dataclass(frozen=True)
class LocalHost(HostInfo):
    """``HostInfo`` plus what only the local backend needs."""

    ovmf_vars_secure: Path | None = None  # vars template with Secure Boot keys enrolled
    swtpm: bool = False  # swtpm is installed (needed for an emulated TPM)
    passt: bool = False  # libvirt accepts <backend type='passt'/> on user-mode interfaces
    root: bool = False  # QEMU runs as root (then images are not relabelled, see domain.py)
    kvm_reason: str = ""  # why KVM is not used, for `vmctl` diagnostics


def _cpu_has_hw_virt(cpuinfo: str) -> bool:
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            if flags & {"vmx", "svm"}:
                return True
    return False


def _kvm(proc: Path, sys: Path, dev: Path) -> tuple[bool, str]:
    kvm = dev / "kvm"
    if not kvm.exists():
        return False, f"{kvm} does not exist"
    if not os.access(kvm, os.R_OK | os.W_OK):
        return False, f"{kvm} is not readable and writable"
    try:
        cpuinfo = (proc / "cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    if not _cpu_has_hw_virt(cpuinfo):
        return False, "the CPU flags show no vmx/svm"
    if (sys / "module" / "kvm_pvm").exists():
        return False, "KVM comes from kvm_pvm, where guests do not boot"
    return True, ""


def _size_name(kib: int) -> str:
    for unit, factor in (("Gi", 1024 * 1024), ("Mi", 1024)):
        if kib % factor == 0:
            return f"{kib // factor}{unit}"
    return f"{kib}Ki"


def _hugepages(sys: Path) -> tuple[str, ...]:
    """Page sizes with free pages, e.g. ("2Mi",)."""
    base = sys / "kernel" / "mm" / "hugepages"
    sizes: list[tuple[int, str]] = []
    if not base.is_dir():
        return ()
    for entry in base.iterdir():
        if not (entry.name.startswith("hugepages-") and entry.name.endswith("kB")):
            continue
        try:
            kib = int(entry.name[len("hugepages-"):-2])
            free = int((entry / "free_hugepages").read_text().strip() or 0)
        except (OSError, ValueError):
            continue
        if free > 0:
            sizes.append((kib, _size_name(kib)))
    return tuple(name for _, name in sorted(sizes))


def _ovmf(dirs: tuple[Path, ...]) -> tuple[Path | None, Path | None, Path | None, Path | None]:
    for d in dirs:
        for names in OVMF_NAMES:
            found = [d / n if (d / n).is_file() else None for n in names]
            if found[0] is not None and found[2] is not None:
                return found[0], found[1], found[2], found[3]
    return None, None, None, None


def libvirt_supports_passt() -> bool:
    """Whether this libvirt parses ``<backend type='passt'/>`` (Debian 12's 9.0 does not).

    Probed with libvirt's in-process test driver: no daemon, about a millisecond. Leaves a silent libvirt
    error handler installed (vmctl reports libvirt errors itself, in one line).
    """
    try:
        import libvirt
    except ImportError:
        return False
    xml = ("<domain type='test'><name>vmctl-passt-probe</name><memory>65536</memory>"
           "<os><type>hvm</type></os><devices><interface type='user'><backend type='passt'/>"
           "</interface></devices></domain>")
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    try:
        conn = libvirt.open("test:///default")
    except libvirt.libvirtError:
        return False
    try:
        dom = conn.defineXML(xml)
        dom.undefine()
        return True
    except libvirt.libvirtError:
        return False
    finally:
        conn.close()


def probe_host(
    *,
    proc: Path = Path("/proc"),
    sys: Path = Path("/sys"),
    dev: Path = Path("/dev"),
    ovmf_dirs: tuple[Path, ...] = OVMF_DIRS,
    bin_path: str | None = None,
    env: Mapping[str, str] | None = None,
    probe_passt: bool = True,
) -> LocalHost:
    """Detect the host from the given trees (the parameters exist for tests with fake trees)."""
    env = os.environ if env is None else env
    kvm_ok, reason = _kvm(proc, sys, dev)
    override = env.get("VMCTL_VIRT_TYPE", "").strip()
    if override:
        if override not in ("kvm", "qemu"):
            raise InputError(f"VMCTL_VIRT_TYPE: expected kvm or qemu, got {override!r}")
        virt_type = override
        reason = "" if override == "kvm" else "VMCTL_VIRT_TYPE=qemu"
    else:
        virt_type = "kvm" if kvm_ok else "qemu"
    code, code_secure, vars_, vars_secure = _ovmf(ovmf_dirs)
    return LocalHost(
        virt_type=virt_type,
        arch="x86_64",
        ovmf_code=code,
        ovmf_code_secure=code_secure,
        ovmf_vars=vars_,
        ovmf_vars_secure=vars_secure,
        hugepages=_hugepages(sys),
        swtpm=shutil.which("swtpm", path=bin_path) is not None,
        passt=probe_passt and libvirt_supports_passt(),
        root=os.geteuid() == 0,
        kvm_reason=reason,
    )


@functools.cache
def _cached(override: str) -> LocalHost:
    return probe_host()


def detect_host() -> HostInfo:
    """The running host's capabilities (cached per process and ``VMCTL_VIRT_TYPE`` value)."""
    return _cached(os.environ.get("VMCTL_VIRT_TYPE", ""))
