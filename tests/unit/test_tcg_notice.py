"""Guests that fall back to TCG get a one-line notice, once per process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from vmctl.backends.local import runtime


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_TCG_NOTICED", False)


def test_tcg_notice_once(capsys: pytest.CaptureFixture[str]) -> None:
    host = SimpleNamespace(virt_type="qemu", kvm_reason="/dev/kvm does not exist")
    runtime._notice_tcg(host, "web1")
    runtime._notice_tcg(host, "web2")
    assert capsys.readouterr().err == (
        "notice: KVM is not usable here (/dev/kvm does not exist); VMI web1 runs with TCG software emulation "
        "(slower; VMCTL_VIRT_TYPE=qemu silences this)\n"
    )


@pytest.mark.parametrize("host", [SimpleNamespace(virt_type="kvm", kvm_reason=""),
                                  SimpleNamespace(virt_type="qemu", kvm_reason="VMCTL_VIRT_TYPE=qemu")])
def test_no_notice_with_kvm_or_when_chosen(capsys: pytest.CaptureFixture[str], host: SimpleNamespace) -> None:
    runtime._notice_tcg(host, "web1")
    assert capsys.readouterr().err == ""
