"""``scale``, ``rollout`` and ``get pools`` on the local backend: what the verbs change and say. The pool's
members are Halted (the background controller makes them but never boots them here); the controller acting on
real guests is tested in tests/integration/test_pool_local.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NODE = """<node><cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets>
<cores>2</cores><threads>1</threads></cpu><memory>8388608</memory></node>"""

POOL = """apiVersion: pool.kubevirt.io/v1beta1
kind: VirtualMachinePool
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  virtualMachineTemplate:
    metadata:
      labels: {app: web}
    spec:
      runStrategy: Halted
      template:
        spec:
          domain:
            devices: {}
            resources:
              requests:
                memory: 128Mi
"""

REVISION = """apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: web-{n}
revision: {n}
data:
  replicas: 2
  virtualMachineTemplate:
    metadata:
      labels: {{app: web}}
    spec:
      runStrategy: {rs}
"""


@pytest.fixture
def env(tmp_path: Path, vmctl, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "node.xml").write_text(NODE)
    monkeypatch.setattr("vmctl.backends.local.executor._TCG_NOTICED", True)
    flags = ["--state-dir", str(tmp_path / "state"), "--libvirt-uri", f"test://{tmp_path}/node.xml"]

    def run(*args: str) -> tuple[int, str, str]:
        return vmctl(*args, *flags)

    (tmp_path / "pool.yaml").write_text(POOL)
    assert run("apply", "-f", str(tmp_path / "pool.yaml"))[:2] == (
        0, "virtualmachinepool.pool.kubevirt.io/web created\n")
    yield run
    vmctl("controller", "stop", *flags[:4])  # applying a pool started the state folder's controller


def test_applying_a_pool_starts_the_controller(env) -> None:
    code, out, _ = env("controller", "status")
    assert code == 0 and out.startswith("controller: running (pid ")


def test_get_pools_table(env) -> None:
    code, out, _ = env("get", "pools")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]  # KubeVirt's printer columns
    assert lines[1].split()[:2] == ["web", "2"]
    wide = env("get", "pools", "-o", "wide")[1].splitlines()
    assert wide[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "PAUSED", "SELECTOR"]
    assert wide[1][wide[0].index("PAUSED"):].split()[0] == "false"
    assert env("get", "vmpool", "web", "-o", "name")[1] == "virtualmachinepool.pool.kubevirt.io/web\n"


def test_scale_sets_replicas_with_kubectl_grammar(env) -> None:
    assert env("scale", "pool", "web", "--replicas", "5")[:2] == (0, "virtualmachinepool.pool.kubevirt.io/web scaled\n")
    assert json.loads(env("get", "pool", "web", "-o", "json")[1])["spec"]["replicas"] == 5
    assert env("scale", "vmpool/web", "--replicas", "3", "--current-replicas", "5", "-o", "name")[:2] == (
        0, "virtualmachinepool.pool.kubevirt.io/web\n")
    code, out, err = env("scale", "pool/web", "--replicas", "1", "--current-replicas", "5")
    assert (code, out, err) == (1, "", "error: Expected replicas to be 5, was 3\n")
    assert json.loads(env("get", "pool", "web", "-o", "json")[1])["spec"]["replicas"] == 3


@pytest.mark.parametrize("args, code, message", [
    (["scale", "pool", "nope", "--replicas", "1"], 1,
     'error: virtualmachinepools.pool.kubevirt.io "nope" not found\n'),
    (["scale", "pool", "web", "--replicas", "-1"], 2, "error: --replicas -1: must be 0 or more\n"),
    (["scale", "vm", "web", "--replicas", "1"], 2, None),
    (["scale", "pool", "web", "--replicas", "1", "--timeout", "soon"], 2, None),
])
def test_scale_bad_input(env, args: list[str], code: int, message: str | None) -> None:
    got, out, err = env(*args)
    assert (got, out) == (code, "")
    assert err.startswith("error: ") and (message is None or err == message)


def test_rollout_pause_resume_restart(env) -> None:
    assert env("rollout", "pause", "pool/web")[:2] == (0, "virtualmachinepool.pool.kubevirt.io/web paused\n")
    assert env("rollout", "pause", "pool/web")[1:] == (
        "", 'error: virtualmachinepools.pool.kubevirt.io "web" is already paused\n')
    code, out, _ = env("get", "pools", "-o", "wide")
    header, row = out.splitlines()[:2]
    assert row[header.index("PAUSED"):].split()[0] == "true"
    assert env("rollout", "resume", "pool", "web")[:2] == (0, "virtualmachinepool.pool.kubevirt.io/web resumed\n")
    assert env("rollout", "resume", "pool/web")[0] == 1
    assert env("rollout", "restart", "pool/web")[:2] == (0, "virtualmachinepool.pool.kubevirt.io/web restarted\n")
    pool = json.loads(env("get", "pool", "web", "-o", "json")[1])
    annotations = pool["spec"]["virtualMachineTemplate"]["spec"]["template"]["metadata"]["annotations"]
    assert list(annotations) == ["kubectl.kubernetes.io/restartedAt"]


def test_rollout_status_is_not_complete_while_members_are_not_ready(env) -> None:
    code, out, _ = env("rollout", "status", "pool/web")
    assert code == 1
    assert out.splitlines()[0].startswith('Waiting for virtualmachinepool "web" rollout to finish: ')
    code, out, _ = env("rollout", "status", "pool/web", "-o", "json")
    assert code == 1 and json.loads(out)["desired"] == 2 and json.loads(out)["complete"] is False


def test_rollout_history_and_undo(env, tmp_path: Path) -> None:
    for n, rs in ((1, "Manual"), (2, "Halted")):
        (tmp_path / f"rev{n}.yaml").write_text(REVISION.format(n=n, rs=rs))
        assert env("apply", "-f", str(tmp_path / f"rev{n}.yaml"))[0] == 0
    code, out, _ = env("rollout", "history", "pool/web")
    assert code == 0
    assert [line.split()[:3] for line in out.splitlines()[1:]] == [
        ["REVISION", "CHANGE-CAUSE", "CHANGED"], ["1", "<none>", "<initial>"], ["2", "<none>", "spec.runStrategy"]]
    code, out, _ = env("rollout", "history", "pool/web", "--revision", "1")
    assert code == 0 and "runStrategy: Manual" in out
    assert env("rollout", "undo", "pool/web", "--to-revision", "1")[:2] == (
        0, "virtualmachinepool.pool.kubevirt.io/web rolled back\n")
    pool = json.loads(env("get", "pool", "web", "-o", "json")[1])
    assert pool["spec"]["virtualMachineTemplate"]["spec"] == {"runStrategy": "Manual"}
    assert env("rollout", "undo", "pool/web", "--to-revision", "9")[2] == (
        "error: unable to find the specified revision 9\n")


def test_describe_pool_lists_its_events(env) -> None:
    import time

    deadline = time.monotonic() + 30
    while True:  # the background controller creates the (Halted) members and records it
        code, out, _ = env("describe", "pool", "web")
        if "SuccessfulCreate" in out or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert code == 0
    events = out[out.index("Events:"):].splitlines()
    assert events[1].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert any(line.split()[:2] == ["Normal", "SuccessfulCreate"] and line.endswith("Created VM default/web-0")
               for line in events[3:])


def test_apply_runs_pool_admission_and_stores_nothing_bad(env, tmp_path: Path) -> None:
    bad = POOL.replace("name: web\n", "name: bad\n", 1).replace("matchLabels: {app: web}", "matchLabels: {app: db}")
    (tmp_path / "bad.yaml").write_text(bad)
    code, out, err = env("apply", "-f", str(tmp_path / "bad.yaml"))
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {tmp_path / 'bad.yaml'}:") and err.endswith(
        "VirtualMachinePool bad is invalid: spec.selector: selector does not match labels.\n")
    assert env("get", "pool", "bad")[0] == 1  # nothing stored
    moved = POOL.replace("matchLabels: {app: web}", "matchLabels: {app: web, tier: x}").replace(
        "labels: {app: web}", "labels: {app: web, tier: x}")
    (tmp_path / "moved.yaml").write_text(moved)
    code, _, err = env("apply", "-f", str(tmp_path / "moved.yaml"))
    assert code == 1 and err.endswith("spec.selector: selector is immutable after creation.\n")


def test_two_scales_at_once_the_last_one_wins_and_nothing_is_lost(env, tmp_path: Path) -> None:
    import subprocess
    import sys

    flags = ["--state-dir", str(tmp_path / "state"), "--libvirt-uri", f"test://{tmp_path}/node.xml"]
    procs = [subprocess.Popen([sys.executable, "-m", "vmctl", "scale", "pool", "web", "--replicas", str(n), *flags],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (3, 5)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    pool = json.loads(env("get", "pool", "web", "-o", "json")[1])
    assert pool["spec"]["replicas"] in (3, 5)
    assert pool["metadata"]["generation"] >= 3  # both changes were written, one after the other


def test_a_member_that_fails_to_start_is_healed(env, tmp_path: Path) -> None:
    """``autohealing``: a member whose VMI fails to start (here: a hostDisk that does not exist) is deleted after
    ``startUpFailureThreshold`` failures and created again."""
    import time

    broken = (POOL.replace("name: web\n", "name: heal\n", 1).replace("{app: web}", "{app: heal}")
              .replace("runStrategy: Halted", "runStrategy: Always")
              .replace("  replicas: 2\n", "  replicas: 1\n  autohealing: {startUpFailureThreshold: 1}\n")
              .replace("            devices: {}\n", "            devices:\n              disks: [{name: root}]\n")
              .replace("                memory: 128Mi\n", "                memory: 128Mi\n          volumes:\n"
                       "          - {name: root, hostDisk: {path: /nonexistent/vmctl-root.img, type: Disk}}\n"))
    (tmp_path / "heal.yaml").write_text(broken)
    assert env("apply", "-f", str(tmp_path / "heal.yaml"))[0] == 0
    deadline = time.monotonic() + 90
    out = ""
    while time.monotonic() < deadline:
        out = env("describe", "pool", "heal")[1]
        if "Deleted VM default/heal-0" in out and "(x2 over" in out:
            break
        time.sleep(1)
    events = out[out.index("Events:"):]
    assert "Deleted VM default/heal-0 with uid" in events  # healed ...
    assert re.search(r"SuccessfulCreate +\S+ \(x2 over", events), events  # ... and made again


def test_delete_pool_cascade_orphan_leaves_the_members(env) -> None:
    import time

    deadline = time.monotonic() + 30
    while env("get", "vm", "-o", "name")[1].split() != ["virtualmachine.kubevirt.io/web-0",
                                                        "virtualmachine.kubevirt.io/web-1"]:
        assert time.monotonic() < deadline, "the background controller did not make both members"
        time.sleep(0.2)
    assert env("delete", "pool", "web", "--cascade=orphan") == (
        0, 'virtualmachinepool.pool.kubevirt.io "web" deleted\n', "")
    assert env("get", "pool", "-o", "name")[:2] == (0, "")
    time.sleep(1)  # the background controller had its chance to (wrongly) remove them
    members = json.loads(env("get", "vm", "-o", "json")[1])["items"]
    assert [m["metadata"]["name"] for m in members] == ["web-0", "web-1"]
    for member in members:
        assert "ownerReferences" not in member["metadata"] and "deletionTimestamp" not in member["metadata"]
        assert "pool.kubevirt.io/finalizer" not in (member["metadata"].get("finalizers") or [])
