"""Guests that fall back to TCG get a one-line notice through the backend's reporter, once per process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from vmctl.backends.base import SilentReporter
from vmctl.backends.local import executor


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "_TCG_NOTICED", False)


def test_tcg_notice_once() -> None:
    host = SimpleNamespace(virt_type="qemu", kvm_reason="/dev/kvm does not exist")
    reporter = SilentReporter()
    executor.notice_tcg(reporter, host, "web1")
    executor.notice_tcg(reporter, host, "web2")
    assert reporter.messages == [
        "notice: KVM is not usable here (/dev/kvm does not exist); VMI web1 runs with TCG software emulation "
        "(slower; VMCTL_VIRT_TYPE=qemu silences this)"
    ]


@pytest.mark.parametrize("host", [SimpleNamespace(virt_type="kvm", kvm_reason=""),
                                  SimpleNamespace(virt_type="qemu", kvm_reason="VMCTL_VIRT_TYPE=qemu")])
def test_no_notice_with_kvm_or_when_chosen(host: SimpleNamespace) -> None:
    reporter = SilentReporter()
    executor.notice_tcg(reporter, host, "web1")
    assert reporter.messages == []
