"""VirtualMachinePool and VirtualMachineInstanceReplicaSet on real guests (TCG here), with vmctl's background
controller as the control plane: KubeVirt's names, scaling with no orphan domain, a rollout within
maxUnavailable, pause and resume."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.libvirt

_spec = importlib.util.spec_from_file_location("pool_volume_helpers", Path(__file__).with_name("test_volumes_local.py"))
assert _spec is not None and _spec.loader is not None
_volumes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_volumes)
guest_image = _volumes.guest_image

VMCTL = [sys.executable, "-m", "vmctl"]


def vm_template(image: str, app: str) -> dict[str, Any]:
    """The test guest (kernel boot from ``image``) as a pool's virtualMachineTemplate."""
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {"runStrategy": "Always", "template": {"metadata": {"labels": {"app": app}}, "spec": {
            "terminationGracePeriodSeconds": 0,
            "domain": {
                "memory": {"guest": "192Mi"},
                "firmware": {"kernelBoot": {"kernelArgs": "console=ttyS0,115200 quiet panic=-1", "container": {
                    "image": image, "kernelPath": "/boot/vmlinux", "initrdPath": "/boot/initrd.gz"}}},
                "devices": {"autoattachPodInterface": False, "autoattachGraphicsDevice": False},
            },
        }}},
    }


class Env:
    """A private state folder and namespace; the controller is stopped and every domain checked at the end."""

    def __init__(self, tmp: Path, uri: str, conn: Any) -> None:
        self.tmp, self.uri, self.conn = tmp, uri, conn
        self.namespace = f"vmctl-test-{os.getpid()}-{tmp.name[-10:].lower().replace('_', '-')}".rstrip("-")
        self.state = ["--state-dir", str(tmp / "state"), "--libvirt-uri", uri]

    def run(self, *args: str, namespaced: bool = True, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        ns = ["-n", self.namespace] if namespaced else []
        return subprocess.run([*VMCTL, *args, *self.state, *ns], capture_output=True, text=True, timeout=timeout,
                              check=False)

    def ok(self, *args: str, **kwargs: Any) -> str:
        proc = self.run(*args, **kwargs)
        assert proc.returncode == 0, f"vmctl {' '.join(args)}: {proc.stdout}{proc.stderr}"
        return proc.stdout

    def apply(self, obj: dict[str, Any]) -> str:
        path = self.tmp / f"{obj['metadata']['name']}-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(obj))
        return self.ok("apply", "-f", str(path))

    def running(self) -> dict[str, int]:
        """Names (without namespace) of this test's running domains → their libvirt ids."""
        prefix = f"{self.namespace}_"
        return {d.name()[len(prefix):]: d.ID() for d in self.conn.listAllDomains(0)
                if d.name().startswith(prefix) and d.isActive()}

    def domains(self) -> list[str]:
        prefix = f"{self.namespace}_"
        return sorted(d.name()[len(prefix):] for d in self.conn.listAllDomains(0) if d.name().startswith(prefix))

    def get(self, *args: str) -> Any:
        return json.loads(self.ok("get", *args, "-o", "json"))


@pytest.fixture
def env(tmp_path: Path, libvirt_uri: str, libvirt_conn: Any, test_guest: Any) -> Iterator[Env]:
    e = Env(tmp_path, libvirt_uri, libvirt_conn)
    yield e
    e.run("controller", "stop", namespaced=False)
    for dom in libvirt_conn.listAllDomains(0):
        if dom.name().startswith(f"{e.namespace}_"):
            if dom.isActive():
                dom.destroy()
            dom.undefine()


def wait_for(check: Callable[[], bool], timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def pool(image: str, replicas: int, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "pool.kubevirt.io/v1beta1", "kind": "VirtualMachinePool", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "virtualMachineTemplate": vm_template(image, "web"), **spec}}


def test_pool_scales_with_kubevirt_names_and_leaves_no_orphan(env: Env, guest_image: str) -> None:
    descending = {"proactive": {"selectionPolicy": {"sortPolicy": "DescendingOrder"}}}
    assert env.apply(pool(guest_image, 0, scaleInStrategy=descending)) == (
        "virtualmachinepool.pool.kubevirt.io/web created\n")
    status = env.ok("controller", "status", namespaced=False)
    assert status.startswith("controller: running")  # applying a pool started the controller by itself

    assert env.ok("scale", "pool", "web", "--replicas", "3", "--wait", "--timeout", "4m") == (
        "virtualmachinepool.pool.kubevirt.io/web scaled\n")
    assert sorted(env.running()) == ["web-0", "web-1", "web-2"]
    vm = env.get("vm", "web-1")
    assert vm["metadata"]["labels"]["kubevirt.io/vm-pool-revision-name"].startswith("web-")
    assert vm["metadata"]["ownerReferences"][0]["kind"] == "VirtualMachinePool"
    assert "pool.kubevirt.io/finalizer" in vm["metadata"]["finalizers"]
    table = env.ok("get", "pools").splitlines()
    assert table[1].split()[:4] == ["web", "3", "3", "3"]  # KubeVirt's columns: desired, current, ready, age

    env.ok("scale", "pool/web", "--replicas", "5", "--wait", "--timeout", "4m")
    assert sorted(env.running()) == [f"web-{i}" for i in range(5)]
    env.ok("scale", "pool/web", "--replicas", "1", "--current-replicas", "5", "--wait", "--timeout", "4m")
    wait_for(lambda: env.domains() == ["web-0"], what="the scaled-in domains to go")  # highest indices first
    assert [v["metadata"]["name"] for v in env.get("vms")["items"]] == ["web-0"]
    described = env.ok("describe", "pool", "web")
    assert re.search(r"SuccessfulDelete .*Deleted VM .*/web-4 with uid", described)

    assert "error: Expected replicas to be 5, was 1" in env.run("scale", "pool/web", "--replicas", "2",
                                                                 "--current-replicas", "5").stderr
    env.ok("delete", "pool", "web")
    wait_for(lambda: env.domains() == [], what="the pool's domains to go")
    assert env.get("vms")["items"] == []


def test_rollout_keeps_max_unavailable_pauses_and_resumes(env: Env, guest_image: str) -> None:
    env.apply(pool(guest_image, 3, maxUnavailable=1))
    env.ok("scale", "pool/web", "--replicas", "3", "--wait", "--timeout", "4m")
    before = env.running()
    assert sorted(before) == ["web-0", "web-1", "web-2"]

    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:  # how many members have a running guest, as fast as libvirt answers
        while not stop.is_set():
            samples.append(len(env.running()))
            time.sleep(0.05)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    changed = pool(guest_image, 3, maxUnavailable=1)
    changed["spec"]["virtualMachineTemplate"]["spec"]["template"]["metadata"]["annotations"] = {"demo/rev": "2"}
    env.apply(changed)

    def progress() -> dict[str, Any]:
        return json.loads(env.run("rollout", "status", "pool/web", "-o", "json").stdout)

    wait_for(lambda: progress()["updated"] >= 1, what="the rollout to begin")
    assert env.ok("rollout", "pause", "pool/web") == "virtualmachinepool.pool.kubevirt.io/web paused\n"
    time.sleep(4)  # a restart already under way finishes: the VM controller, not the pool, starts its VMI
    frozen = env.running()
    held = progress()
    time.sleep(8)
    assert env.running() == frozen, "a paused pool changed its members"
    assert progress()["updated"] == held["updated"] < 3
    assert "ReplicaPaused" in env.ok("describe", "pool", "web")

    assert env.ok("rollout", "resume", "pool/web") == "virtualmachinepool.pool.kubevirt.io/web resumed\n"
    done = env.run("rollout", "status", "pool/web", "--watch", "--timeout", "4m")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == 'virtualmachinepool "web" successfully rolled out'
    stop.set()
    watcher.join()
    after = env.running()
    assert sorted(after) == ["web-0", "web-1", "web-2"]
    assert all(after[name] != before[name] for name in after), "every member's guest was restarted"
    assert samples and min(samples) >= 2, f"more than maxUnavailable=1 members were down at once: {min(samples)}"


def test_replicaset_scales_with_generated_names(env: Env, guest_image: str) -> None:
    template = vm_template(guest_image, "rs")["spec"]["template"]
    rs = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceReplicaSet", "metadata": {"name": "batch"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "rs"}}, "template": template}}
    env.apply(rs)
    wait_for(lambda: len(env.running()) == 2, what="two replica set VMIs")
    names = sorted(env.running())
    assert all(re.fullmatch(r"batch[a-z0-9]{5}", n) for n in names), names  # generateName without a dash
    env.ok("scale", "vmirs", "batch", "--replicas", "1", "--wait", "--timeout", "2m")
    wait_for(lambda: len(env.domains()) == 1, what="the scaled-in VMI's domain to go")
    assert env.ok("get", "vmirs").splitlines()[1].split()[:4] == ["batch", "1", "1", "1"]
    env.ok("delete", "vmirs", "batch")
    wait_for(lambda: env.domains() == [], what="the replica set's domains to go")


def test_max_surge_keeps_capacity_during_a_rollout(env: Env, guest_image: str) -> None:
    """vmctl's ``pool.vmctl.io/max-surge``: new members come up first, old ones go once they are Ready."""
    surged = pool(guest_image, 2)
    surged["metadata"]["annotations"] = {"pool.vmctl.io/max-surge": "1"}
    env.apply(surged)
    env.ok("scale", "pool/web", "--replicas", "2", "--wait", "--timeout", "4m")
    first = set(env.running())

    ready: list[int] = []
    stop = threading.Event()

    def sample() -> None:  # Ready members, as the pool's own status reports them
        while not stop.is_set():
            listed = env.run("get", "vmis", "-o", "json")
            if listed.returncode != 0:  # a listing can race a member's deletion: take the next sample
                continue
            vmis = json.loads(listed.stdout)["items"]
            ready.append(sum(any(c.get("type") == "Ready" and c.get("status") == "True"
                                 for c in (v.get("status") or {}).get("conditions") or []) for v in vmis))
            time.sleep(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    changed = json.loads(json.dumps(surged))
    changed["spec"]["virtualMachineTemplate"]["spec"]["template"]["metadata"]["annotations"] = {"demo/rev": "2"}
    env.apply(changed)
    done = env.run("rollout", "status", "pool/web", "--watch", "--timeout", "4m")
    wait_for(lambda: len(env.domains()) == 2, what="the surge members to be retired")
    stop.set()
    watcher.join()
    assert done.returncode == 0, done.stdout + done.stderr
    assert ready and min(ready) >= 2, f"Ready members dropped below replicas during the rollout: {min(ready)}"
    assert set(env.running()) != first  # members were replaced, not restarted in place


def _console(env: Env, name: str, command: str, expect: str, tries: int = 20) -> str:
    """Run a shell command on a member's serial console (pipe mode) until its output shows ``expect``."""
    out = ""
    for _ in range(tries):
        proc = subprocess.run([*VMCTL, "console", name, "--timeout", "1", *env.state, "-n", env.namespace],
                              input=f"{command}\n", capture_output=True, text=True, timeout=90, check=False)
        out = proc.stdout
        if expect in out:
            return out
        time.sleep(1)  # the guest's shell is not up yet
    raise AssertionError(f"{expect!r} never appeared on {name}'s console: {out[-400:]}")


def test_online_scale_in_keeps_memory_and_scale_out_resumes_it(env: Env, guest_image: str) -> None:
    online = {"proactive": {"selectionPolicy": {"sortPolicy": "DescendingOrder"}, "statePreservation": "Online"}}
    env.apply(pool(guest_image, 2, scaleInStrategy=online))
    env.ok("scale", "pool/web", "--replicas", "2", "--wait", "--timeout", "4m")
    _console(env, "web-1", "echo remembered-$((40+2)) > /tmp/vmctl-mark; cat /tmp/vmctl-mark", "remembered-42")

    env.ok("scale", "pool/web", "--replicas", "1", "--wait", "--timeout", "4m")
    wait_for(lambda: "web-1" not in env.running(), what="web-1 to be saved")
    saved = env.conn.lookupByName(f"{env.namespace}_web-1")
    assert saved.hasManagedSaveImage(0) == 1  # its memory is on disk, the domain kept
    assert [v["metadata"]["name"] for v in env.get("vms")["items"]] == ["web-0"]

    started = time.monotonic()
    env.ok("scale", "pool/web", "--replicas", "2", "--wait", "--timeout", "4m")
    resumed_in = time.monotonic() - started
    out = _console(env, "web-1", "cat /tmp/vmctl-mark", "remembered-42")  # the guest runs from RAM: the file survived, so did its memory
    assert "remembered-42" in out
    assert resumed_in < 30, f"scale-out after an Online scale-in took {resumed_in:.1f} s"

    env.ok("scale", "pool/web", "--replicas", "1", "--wait", "--timeout", "4m")
    wait_for(lambda: "web-1" not in env.running(), what="web-1 to be saved again")
    env.ok("delete", "pool", "web")
    wait_for(lambda: env.domains() == [], what="the pool's domains, the saved one included, to go")


def test_kill_9_of_the_controller_mid_rollout_then_any_command_converges(env: Env, guest_image: str) -> None:
    import signal

    env.apply(pool(guest_image, 2, maxUnavailable=1))
    env.ok("scale", "pool/web", "--replicas", "2", "--wait", "--timeout", "4m")
    changed = pool(guest_image, 2, maxUnavailable=1)
    changed["spec"]["virtualMachineTemplate"]["spec"]["template"]["metadata"]["annotations"] = {"demo/rev": "3"}
    env.apply(changed)
    pid = json.loads(env.ok("controller", "status", "-o", "json", namespaced=False))["pid"]
    os.kill(pid, signal.SIGKILL)  # the control plane dies in the middle of the rollout
    wait_for(lambda: env.run("controller", "status", namespaced=False).returncode == 1, what="the controller to die")
    env.ok("get", "pools")  # any command that reads workloads brings the controller back
    assert env.ok("controller", "status", namespaced=False).startswith("controller: running")
    done = env.run("rollout", "status", "pool/web", "--watch", "--timeout", "4m")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(env.running()) == ["web-0", "web-1"]
    env.ok("delete", "pool", "web")
    wait_for(lambda: env.domains() == [], what="no orphan domain")


def _restart_libvirtd() -> None:
    """Stop libvirtd and start it again (its guests keep running: QEMU does not depend on it)."""
    import signal

    pids = [int(p) for p in subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True, text=True,
                                           check=False).stdout.split()]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True, check=False).stdout,
             timeout=30, what="libvirtd to stop")
    subprocess.run(["libvirtd", "-d"], check=True)
    wait_for(lambda: Path("/run/libvirt/libvirt-sock").exists(), timeout=30, what="libvirtd to start")


def test_a_rollout_survives_a_libvirtd_restart(env: Env, guest_image: str) -> None:
    if not subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True, check=False).stdout:
        pytest.skip("libvirtd is not a process this test can restart (e.g. socket-activated)")
    env.apply(pool(guest_image, 2, maxUnavailable=1))
    env.ok("scale", "pool/web", "--replicas", "2", "--wait", "--timeout", "4m")
    changed = pool(guest_image, 2, maxUnavailable=1)
    changed["spec"]["virtualMachineTemplate"]["spec"]["template"]["metadata"]["annotations"] = {"demo/rev": "4"}
    env.apply(changed)
    _restart_libvirtd()  # mid-rollout; env.conn (the session's) opens itself again
    done = env.run("rollout", "status", "pool/web", "--watch", "--timeout", "4m")
    assert done.returncode == 0, done.stdout + done.stderr
    wait_for(lambda: sorted(env.running()) == ["web-0", "web-1"], what="both members running")
    env.ok("delete", "pool", "web")
    wait_for(lambda: env.domains() == [], what="no orphan domain")


def test_same_names_in_two_namespaces_run_side_by_side(env: Env, guest_image: str) -> None:
    """Members of two pools named alike in two namespaces have the same names: each VM gets its own random
    firmware UUID and serial on create (KubeVirt's VM mutator), so libvirt runs both domains."""
    other = f"{env.namespace}-b"
    try:
        env.apply(pool(guest_image, 1))
        path = env.tmp / "pool-b.json"
        path.write_text(json.dumps(pool(guest_image, 1)))
        env.ok("apply", "-f", str(path), "-n", other, namespaced=False)
        for ns in (env.namespace, other):
            env.ok("scale", "pool/web", "--replicas", "1", "--wait", "--timeout", "4m", "-n", ns, namespaced=False)
        identities = []
        for ns in (env.namespace, other):
            vm = json.loads(env.ok("get", "vm", "web-0", "-n", ns, "-o", "json", namespaced=False))
            firmware = vm["spec"]["template"]["spec"]["domain"]["firmware"]
            assert env.conn.lookupByName(f"{ns}_web-0").UUIDString() == firmware["uuid"]
            identities.append((firmware["uuid"], firmware["serial"]))
        assert len({*identities[0], *identities[1]}) == 4
        env.apply(pool(guest_image, 1))  # applying again keeps the members (and their identity)
        vm = env.get("vm", "web-0")
        assert vm["spec"]["template"]["spec"]["domain"]["firmware"]["uuid"] == identities[0][0]
    finally:
        env.run("delete", "pool", "web", "-n", other, "--wait", namespaced=False)
        for dom in env.conn.listAllDomains(0):
            if dom.name().startswith(f"{other}_"):
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
