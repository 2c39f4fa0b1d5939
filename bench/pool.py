"""Pools on real guests: vmctl as the controller vs the same work done by hand with libvirt-python, same run.

    .venv/bin/python bench/pool.py [--members N] [--max-unavailable K]

* scale-out 0→N: ``vmctl scale pool --replicas N --wait`` until every member's serial log shows the test guest's
  boot marker, vs ``defineXML`` + ``create`` of N copies of the domain XML vmctl made, until the same markers;
* rollout: a template change with ``maxUnavailable: K`` until every member runs a new guest (``vmctl rollout
  status --watch``, then the markers), vs the same by hand: K at a time destroy + undefine, define + create, wait
  for their markers;
* scale-out after an ``Online`` scale-in: the members come back from their managed save (memory kept) instead of
  booting; per member, until every one of them runs again.

Goal (issue 8): vmctl within 1.2× of the hand-made sequence. Prints figures; no assertions. Needs libvirtd
(tests/vm/setup_libvirt.sh) and the local registry with the test guest (tests/vm/setup_registry.sh).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

URI = "qemu:///system"
IMAGE = "localhost:5000/vmctl/test-guest:v1"
MARKER = b"VMCTL-TEST-GUEST-BOOTED"
TIMEOUT = 600.0
NAMESPACE = "vmctl-bench-pool"


def template(revision: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": "bench"}},
        "spec": {"runStrategy": "Always", "template": {
            "metadata": {"labels": {"app": "bench"}, "annotations": {"bench/revision": revision}},
            "spec": {"terminationGracePeriodSeconds": 0, "domain": {
                "cpu": {"cores": 1}, "memory": {"guest": "192Mi"},
                "firmware": {"kernelBoot": {
                    "kernelArgs": "console=ttyS0,115200 quiet panic=-1 vmctl.seedwait=0",
                    "container": {"image": IMAGE, "kernelPath": "/boot/vmlinux", "initrdPath": "/boot/initrd.gz"}}},
                "devices": {"autoattachPodInterface": False, "autoattachGraphicsDevice": False,
                            "autoattachMemBalloon": False},
            }}}},
    }


def pool(replicas: int, max_unavailable: int, revision: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "pool.kubevirt.io/v1beta1", "kind": "VirtualMachinePool",
            "metadata": {"name": "bench", "namespace": NAMESPACE},
            "spec": {"replicas": replicas, "maxUnavailable": max_unavailable,
                     "selector": {"matchLabels": {"app": "bench"}}, "virtualMachineTemplate": template(revision),
                     **spec}}


class Vmctl:
    def __init__(self, state: Path, tmp: Path) -> None:
        self.flags = ["--state-dir", str(state), "--libvirt-uri", URI]
        self.tmp = tmp

    def __call__(self, *args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "vmctl", *args, *self.flags], capture_output=True, text=True,
                              timeout=TIMEOUT, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"vmctl {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def apply(self, obj: dict[str, Any]) -> None:
        path = self.tmp / f"pool-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(obj))
        self("apply", "-f", str(path))


def serial_log(xml: str) -> Path:
    node = ET.fromstring(xml).find("./devices/serial/log")
    if node is None:
        raise RuntimeError("the domain has no serial <log file>")
    return Path(node.get("file", ""))


def wait_markers(logs: list[Path], started: float) -> float:
    pending = list(logs)
    while pending:
        pending = [log for log in pending if not (log.is_file() and MARKER in log.read_bytes())]
        if time.monotonic() - started > TIMEOUT:
            raise TimeoutError(f"{len(pending)} guests did not boot within {TIMEOUT:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - started


def members(conn: Any) -> dict[str, Any]:
    prefix = f"{NAMESPACE}_bench-"
    return {d.name(): d for d in conn.listAllDomains(0) if d.name().startswith(prefix) and d.isActive()}


def member_logs(conn: Any) -> list[Path]:
    """The serial logs of the running members (asked again when one was replaced while being read)."""
    import libvirt

    for _ in range(50):
        try:
            return [serial_log(d.XMLDesc(0)) for d in members(conn).values()]
        except libvirt.libvirtError:
            time.sleep(0.1)
    raise RuntimeError("the pool's members keep changing")


def plain_xml(xml: str, name: str, log: Path) -> str:
    xml = re.sub(r"<name>[^<]*</name>", f"<name>{name}</name>", xml, count=1)
    xml = re.sub(r"<uuid>[^<]*</uuid>", "", xml, count=1)
    xml = re.sub(r"<entry name=['\"]uuid['\"]>[^<]*</entry>", "", xml)  # the SMBIOS uuid would be the domain's
    xml = re.sub(r"<metadata>.*?</metadata>", "", xml, count=1, flags=re.S)
    return re.sub(r"(<log file=['\"])[^'\"]*", rf"\g<1>{log}", xml, count=1)


def plain_start(conn: Any, xml: str, name: str, log: Path) -> Any:
    log.unlink(missing_ok=True)
    dom = conn.defineXML(plain_xml(xml, name, log))
    dom.create()
    return dom


def plain_remove(dom: Any) -> None:
    import libvirt

    with contextlib.suppress(libvirt.libvirtError):
        dom.destroy()
    with contextlib.suppress(libvirt.libvirtError):
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)


def _scale_to_zero(vmctl: Vmctl, conn: Any) -> None:
    vmctl("scale", "pool", "bench", "--replicas", "0", "-n", NAMESPACE)
    deadline = time.monotonic() + TIMEOUT
    while members(conn) and time.monotonic() < deadline:
        time.sleep(0.1)


def ratio(label: str, ours: float, plain: float, goal: float = 1.2) -> None:
    print(f"{label:44s} vmctl {ours:6.2f} s   by hand {plain:6.2f} s   ratio {ours / plain:4.2f}×  (goal ≤ {goal}×)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--max-unavailable", type=int, default=2)
    args = parser.parse_args()
    try:
        import libvirt
    except ImportError:
        print("libvirt-python is not installed; skipped")
        return 0
    if not Path("/run/libvirt/libvirt-sock").exists():
        print("libvirtd is not running (bash tests/vm/setup_libvirt.sh); skipped")
        return 0
    try:
        request = urllib.request.Request("http://localhost:5000/v2/vmctl/test-guest/manifests/v1",
                                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        urllib.request.urlopen(request, timeout=2).close()  # noqa: S310 - a fixed loopback URL
    except OSError:
        print("the local registry has no test guest (bash tests/vm/setup_registry.sh); skipped")
        return 0
    n, k = args.members, args.max_unavailable
    conn = libvirt.open(URI)
    with tempfile.TemporaryDirectory(prefix="vmctl-bench-pool-") as tmp_text:
        tmp = Path(tmp_text)
        vmctl = Vmctl(tmp / "state", tmp)
        plain: list[Any] = []
        try:
            # the domain XML vmctl makes for a member, for the hand-made copies
            vmctl.apply(pool(1, k, "1"))
            vmctl("scale", "pool", "bench", "--replicas", "1", "--wait", "--timeout", "10m", "-n", NAMESPACE)
            xml = next(iter(members(conn).values())).XMLDesc(2)  # inactive
            _scale_to_zero(vmctl, conn)

            # scale-out 0 → n, each side alone on the host
            started = time.monotonic()
            logs = [tmp / f"plain-{i}.log" for i in range(n)]
            plain = [plain_start(conn, xml, f"vmctl-bench-plain-{i}-a", logs[i]) for i in range(n)]
            by_hand_scale = wait_markers(logs, started)
            for dom in plain:
                plain_remove(dom)
            started = time.monotonic()
            vmctl("scale", "pool", "bench", "--replicas", str(n), "--wait", "--timeout", "10m", "-n", NAMESPACE)
            ours_scale = wait_markers(member_logs(conn), started)
            ratio(f"scale-out 0→{n} to all booted", ours_scale, by_hand_scale)

            # rollout of n members, maxUnavailable k (vmctl's first, then the hand-made one alone)
            before = {name: d.ID() for name, d in members(conn).items()}
            started = time.monotonic()
            vmctl.apply(pool(n, k, "2"))
            vmctl("rollout", "status", "pool/bench", "--watch", "--timeout", "10m", "-n", NAMESPACE)
            while True:
                now = members(conn)
                if len(now) == n and all(now[name].ID() != before.get(name) for name in now):
                    break
                time.sleep(0.05)
            ours_rollout = wait_markers(member_logs(conn), started)
            _scale_to_zero(vmctl, conn)
            plain = [plain_start(conn, xml, f"vmctl-bench-plain-{i}-b", logs[i]) for i in range(n)]
            wait_markers(logs, time.monotonic())
            started = time.monotonic()
            for batch in range(0, n, k):
                fresh = []
                for i in range(batch, min(batch + k, n)):
                    plain_remove(plain[i])
                    plain[i] = plain_start(conn, xml, f"vmctl-bench-plain-{i}-c", logs[i])
                    fresh.append(logs[i])
                wait_markers(fresh, time.monotonic())
            by_hand_rollout = time.monotonic() - started
            ratio(f"rollout of {n} members, maxUnavailable {k}", ours_rollout, by_hand_rollout)
            for dom in plain:
                plain_remove(dom)
            plain = []

            # scale-out after an Online scale-in: members resume from their managed save
            online = {"proactive": {"selectionPolicy": {"sortPolicy": "DescendingOrder"},
                                    "statePreservation": "Online"}}
            kept = max(1, n // 2)
            vmctl.apply(pool(n, k, "2", scaleInStrategy=online))
            vmctl("scale", "pool", "bench", "--replicas", str(n), "--wait", "--timeout", "10m", "-n", NAMESPACE)
            vmctl("scale", "pool", "bench", "--replicas", str(kept), "--wait", "--timeout", "10m", "-n", NAMESPACE)
            while len(members(conn)) > kept:
                time.sleep(0.05)
            started = time.monotonic()
            vmctl("scale", "pool", "bench", "--replicas", str(n), "--wait", "--timeout", "10m", "-n", NAMESPACE)
            resumed = time.monotonic() - started
            print(f"{'scale-out after an Online scale-in':44s} {n - kept} members back in {resumed:5.2f} s "
                  f"({resumed / (n - kept):4.2f} s per member, their guests resumed, not booted)")
        except Exception as exc:  # figures, not assertions: report and stop
            print(f"pool benchmark failed: {exc}")
        finally:
            for dom in plain:
                plain_remove(dom)
            with contextlib.suppress(Exception):
                vmctl("delete", "pool", "bench", "-n", NAMESPACE)
            with contextlib.suppress(Exception):
                vmctl("controller", "stop")
            for name, dom in members(conn).items():
                if name.startswith(f"{NAMESPACE}_"):
                    plain_remove(dom)
    conn.close()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("VMCTL_BACKEND", "local")
    sys.exit(main())
