"""Crashes and races: ``kill -9`` in the middle of ``vmctl start``, and two starts at once."""

from __future__ import annotations

import importlib.util
import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.libvirt

_spec = importlib.util.spec_from_file_location("_h7_lifecycle_env", Path(__file__).with_name("test_lifecycle_guest.py"))
assert _spec is not None and _spec.loader is not None
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
Env = _mod.Env
env = _mod.env  # the fixture (checks for orphan domains at teardown)


def _stored_vmi(env: Any) -> bool:
    db = env.tmp / "state" / "state.db"
    if not db.exists():
        return False
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM objects WHERE kind='VirtualMachineInstance'").fetchone()[0] > 0
        finally:
            con.close()
    except sqlite3.Error:
        return False


@pytest.mark.parametrize("when", ["vmi-stored", "domain-defined"])
def test_kill_9_during_start_converges(env: Any, when: str) -> None:
    import libvirt

    env.apply_vm("crash", "Manual")
    proc = env.popen("start", "crash")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if (when == "vmi-stored" and _stored_vmi(env)) or (when == "domain-defined" and env.domain("crash")):
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)

    # any command converges: the half-started VMI is adopted (domain running) or cleaned up (domain removed)
    vm = env.vm("crash")
    status = vm["status"]["printableStatus"]
    assert status in ("Running", "Stopped"), status
    if status == "Stopped":
        assert env.state("crash") is None  # no half-made domain left behind
        assert env.ok("start", "crash", "--wait", "--timeout", "60") == "VM crash was scheduled to start\n"
    else:
        again = env.run("start", "crash")
        assert again.returncode == 1
        assert again.stderr.endswith('"crash": VM is already running\n')
    deadline = time.monotonic() + 30  # an adopted domain may still be "paused (starting up)" for a moment
    while env.state("crash") != libvirt.VIR_DOMAIN_RUNNING and time.monotonic() < deadline:
        time.sleep(0.2)
    assert env.state("crash") == libvirt.VIR_DOMAIN_RUNNING
    assert env.vm("crash")["status"]["printableStatus"] == "Running"
    assert env.ours() == [f"{env.namespace}_crash"]
    env.ok("stop", "crash", "--force", "--grace-period", "0", "--wait", "--timeout", "30")
    assert env.ours() == []


def test_two_concurrent_starts_one_wins(env: Any) -> None:
    import libvirt

    env.apply_vm("race", "Manual")
    procs = [env.popen("start", "race") for _ in range(2)]
    results = [(p.wait(120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, _, err in results if code == 1)
    assert ("VM race is already being started by another vmctl process" in loser
            or loser.endswith('"race": VM is already running\n')), loser
    winner = next(out for code, out, _ in results if code == 0)
    assert winner == "VM race was scheduled to start\n"
    assert env.ours() == [f"{env.namespace}_race"]
    assert env.state("race") == libvirt.VIR_DOMAIN_RUNNING
    vmis = json.loads(env.ok("get", "vmi", "-o", "json"))
    assert vmis["metadata"]["name"] == "race" if "metadata" in vmis else len(vmis["items"]) == 1
    env.ok("stop", "race", "--force", "--grace-period", "0", "--wait", "--timeout", "30")
