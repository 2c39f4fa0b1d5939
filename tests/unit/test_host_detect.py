"""Host detection against fake /proc, /sys, /dev and OVMF trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from vmctl.backends.local.host import detect_host, probe_host
from vmctl.errors import InputError

AMD_FLAGS = "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep svm lm\n"
PVM_FLAGS = "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep lm hypervisor\n"


def fake_host(tmp_path: Path, *, flags: str = AMD_FLAGS, kvm_dev: bool = True, pvm: bool = False,
              hugepages: dict[int, int] | None = None) -> dict[str, Path]:
    proc, sys, dev = tmp_path / "proc", tmp_path / "sys", tmp_path / "dev"
    proc.mkdir()
    (proc / "cpuinfo").write_text(f"processor\t: 0\n{flags}\nprocessor\t: 1\n{flags}")
    (sys / "module" / "kvm").mkdir(parents=True)
    if pvm:
        (sys / "module" / "kvm_pvm").mkdir()
    dev.mkdir()
    if kvm_dev:
        (dev / "kvm").write_text("")
    for kib, free in (hugepages or {}).items():
        d = sys / "kernel" / "mm" / "hugepages" / f"hugepages-{kib}kB"
        d.mkdir(parents=True)
        (d / "free_hugepages").write_text(f"{free}\n")
        (d / "nr_hugepages").write_text(f"{free}\n")
    return {"proc": proc, "sys": sys, "dev": dev}


def probe(tmp_path: Path, env: dict[str, str] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    trees = fake_host(tmp_path, **kwargs)  # type: ignore[arg-type]
    return probe_host(**trees, ovmf_dirs=(tmp_path / "ovmf",), bin_path=str(tmp_path / "bin"),
                      env=env or {}, probe_passt=False)


def test_kvm_with_hardware_virt(tmp_path: Path) -> None:
    host = probe(tmp_path)
    assert host.virt_type == "kvm" and host.kvm_reason == ""


def test_kvm_pvm_falls_back_to_tcg(tmp_path: Path) -> None:
    host = probe(tmp_path, flags=AMD_FLAGS, pvm=True)
    assert host.virt_type == "qemu"
    assert host.kvm_reason == "KVM comes from kvm_pvm, where guests do not boot"


def test_no_vmx_or_svm_falls_back_to_tcg(tmp_path: Path) -> None:
    host = probe(tmp_path, flags=PVM_FLAGS)
    assert (host.virt_type, host.kvm_reason) == ("qemu", "the CPU flags show no vmx/svm")


def test_missing_dev_kvm_falls_back_to_tcg(tmp_path: Path) -> None:
    host = probe(tmp_path, kvm_dev=False)
    assert host.virt_type == "qemu" and host.kvm_reason.endswith("kvm does not exist")


def test_env_override(tmp_path: Path) -> None:
    assert probe(tmp_path, env={"VMCTL_VIRT_TYPE": "kvm"}, pvm=True).virt_type == "kvm"


def test_env_override_must_be_kvm_or_qemu(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        probe(tmp_path, env={"VMCTL_VIRT_TYPE": "xen"})
    assert str(err.value) == "VMCTL_VIRT_TYPE: expected kvm or qemu, got 'xen'"


def test_hugepages_with_free_pages_only(tmp_path: Path) -> None:
    host = probe(tmp_path, hugepages={2048: 64, 1048576: 0})
    assert host.hugepages == ("2Mi",)
    (tmp_path / "b").mkdir()
    assert probe(tmp_path / "b", hugepages={2048: 1, 1048576: 2}).hugepages == ("2Mi", "1Gi")


def test_ovmf_and_swtpm_detection(tmp_path: Path) -> None:
    ovmf = tmp_path / "ovmf"
    ovmf.mkdir()
    for name in ("OVMF_CODE_4M.fd", "OVMF_CODE_4M.secboot.fd", "OVMF_VARS_4M.fd", "OVMF_VARS_4M.ms.fd"):
        (ovmf / name).write_bytes(b"\0")
    (tmp_path / "bin").mkdir()
    swtpm = tmp_path / "bin" / "swtpm"
    swtpm.write_text("#!/bin/sh\n")
    swtpm.chmod(0o755)
    host = probe(tmp_path)
    assert host.ovmf_code == ovmf / "OVMF_CODE_4M.fd"
    assert host.ovmf_code_secure == ovmf / "OVMF_CODE_4M.secboot.fd"
    assert host.ovmf_vars == ovmf / "OVMF_VARS_4M.fd"
    assert host.ovmf_vars_secure == ovmf / "OVMF_VARS_4M.ms.fd"
    assert host.swtpm is True


def test_no_ovmf_no_swtpm(tmp_path: Path) -> None:
    host = probe(tmp_path)
    assert (host.ovmf_code, host.ovmf_vars, host.swtpm) == (None, None, False)


def test_detect_host_is_cached_per_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMCTL_VIRT_TYPE", "qemu")
    first = detect_host()
    assert first is detect_host() and first.virt_type == "qemu"
    monkeypatch.setenv("VMCTL_VIRT_TYPE", "kvm")
    assert detect_host().virt_type == "kvm"
