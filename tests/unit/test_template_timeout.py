"""A Jinja2 template that would render for ever is stopped after VMCTL_TEMPLATE_TIMEOUT seconds."""

from __future__ import annotations

import time

import pytest

from vmctl.errors import InputError
from vmctl.template.jinja import render

SLOW = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


def test_endless_loop_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMCTL_TEMPLATE_TIMEOUT", "0.5")
    start = time.monotonic()
    with pytest.raises(InputError) as err:
        render(SLOW, {}, "slow", "template")
    assert time.monotonic() - start < 5
    assert str(err.value) == "slow: template: rendering took longer than 0.5 s (VMCTL_TEMPLATE_TIMEOUT)"


def test_fast_template_and_timer_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    monkeypatch.setenv("VMCTL_TEMPLATE_TIMEOUT", "5")
    before = signal.getsignal(signal.SIGALRM)
    assert render("{{ a }}-{{ b }}", {"a": 1, "b": "x"}, "t", "template") == "1-x"
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
