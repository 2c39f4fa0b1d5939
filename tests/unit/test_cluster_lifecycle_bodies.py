"""virtctl's lifecycle bodies: its Go option structs marshalled to JSON (unset fields omitted)."""

from __future__ import annotations

import pytest

from vmctl.backends.cluster import lifecycle
from vmctl.errors import UsageError


def test_start_bodies() -> None:
    assert lifecycle.start_body() == {}
    assert lifecycle.start_body(paused=True) == {"paused": True}
    assert lifecycle.start_body(dry_run=True) == {"dryRun": ["All"]}


def test_stop_and_restart_send_a_grace_period_only_with_force() -> None:
    assert lifecycle.stop_body() == {}
    assert lifecycle.stop_body(force=True, grace_period=0) == {"gracePeriod": 0}
    assert lifecycle.restart_body() == {}
    assert lifecycle.restart_body(force=True, grace_period=0) == {"gracePeriodSeconds": 0}
    assert lifecycle.restart_body(dry_run=True) == {"dryRun": ["All"]}
    for body in (lifecycle.stop_body, lifecycle.restart_body):
        with pytest.raises(UsageError, match=r"^Must both use --force=true and set --grace-period\.$"):
            body(force=True)
        with pytest.raises(UsageError, match="Must both use"):
            body(grace_period=5)


def test_vmi_verbs_and_paths() -> None:
    assert lifecycle.dry_run_body(False) == {}
    assert lifecycle.dry_run_body(True) == {"dryRun": ["All"]}
    assert lifecycle.subresource_path("prod", "virtualmachines", "web", "start") == (
        "/apis/subresources.kubevirt.io/v1/namespaces/prod/virtualmachines/web/start"
    )
