"""``ApplyReport.lines()`` and the ``ApplyError`` the backends build from it: one line per document."""

from __future__ import annotations

import pytest

from vmctl.backends.base import ApplyError, refusal
from vmctl.backends.cluster import errors
from vmctl.backends.cluster.objects import Applied, ApplyReport, dry_run_mode
from vmctl.errors import InputError


def vm(name: str) -> dict:
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": name}}


def test_a_refusal_with_causes_then_what_was_not_sent() -> None:
    err = errors.from_response(422, (
        '{"kind":"Status","message":"VirtualMachine.kubevirt.io \\"b\\" is invalid: spec.x: Invalid value",'
        '"details":{"causes":[{"field":"spec.x","message":"Invalid value"}]}}'), errors.RequestContext("https://k"))
    report = ApplyReport([Applied(vm("a"), True)], (1, vm("b"), err), [(2, vm("c")), (3, vm("d"))])
    lines = report.lines()
    assert lines == [
        "virtualmachine.kubevirt.io/a created",
        'virtualmachine.kubevirt.io/b not applied (document 2): invalid (422): VirtualMachine.kubevirt.io "b" is invalid',
        "  spec.x: Invalid value",
        "virtualmachine.kubevirt.io/c not applied (document 3): not sent after the failure",
        "virtualmachine.kubevirt.io/d not applied (document 4): not sent after the failure",
    ]
    failure = refusal(lines[1:], [(vm("a"), "created")], err)
    assert isinstance(failure, ApplyError) and failure.message == lines[1] and failure.details == lines[2:]


def test_a_timeout_is_not_called_not_applied() -> None:
    err = errors.TimedOut("timeout: the API server at https://k did not answer within 30 s")
    lines = ApplyReport([], (0, vm("a"), err), [(1, vm("b"))]).lines()
    assert lines[0] == ("virtualmachine.kubevirt.io/a not known to be applied (document 1): timeout: the API server "
                        "at https://k did not answer within 30 s")
    assert lines[1] == "virtualmachine.kubevirt.io/b not applied (document 2): not sent after the failure"


@pytest.mark.parametrize("given, mode", [(True, "server"), (False, "none"), ("client", "client"),
                                         ("server", "server"), ("none", "none")])
def test_dry_run_modes(given: bool | str, mode: str) -> None:
    assert dry_run_mode(given) == mode


def test_an_unknown_dry_run_mode_is_refused() -> None:
    with pytest.raises(InputError, match='invalid dry-run value \\(all\\): must be "none", "server", or "client"'):
        dry_run_mode("all")
