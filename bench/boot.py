"""Boot time to the test guest's console marker: vmctl's path vs plain libvirt-python, same run, same XML.

    .venv/bin/python bench/boot.py [--runs N]

* ``vmctl``: ``LocalBackend.apply`` of a kernelBoot VMI (containerDisk image ``localhost:5000/vmctl/test-guest:v1``:
  pull/extract, resolve, convert, define, start) until ``VMCTL-TEST-GUEST-BOOTED`` is in the serial log;
* ``plain``: ``defineXML`` + ``create`` of the XML vmctl produced (renamed), until the same marker.

Both wait by polling the serial ``<log file>`` so they are measured the same way. Prints medians; no
assertions. Needs libvirtd (tests/vm/setup_libvirt.sh) and, for the vmctl path, the local registry
(tests/vm/setup_registry.sh).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

MARKER = b"VMCTL-TEST-GUEST-BOOTED"
URI = "qemu:///system"
IMAGE = "localhost:5000/vmctl/test-guest:v1"
TIMEOUT = 120.0


def wait_marker(log: Path, started: float) -> float:
    while time.monotonic() - started < TIMEOUT:
        try:
            if MARKER in log.read_bytes():
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{MARKER.decode()} not in {log} after {TIMEOUT:.0f} s")


def serial_log(xml: str) -> Path:
    node = ET.fromstring(xml).find("./devices/serial/log")
    if node is None:
        raise RuntimeError("the domain has no serial <log file>")
    return Path(node.get("file", ""))


def vmi(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "domain": {
                "cpu": {"cores": 1}, "memory": {"guest": "256Mi"},
                "firmware": {"kernelBoot": {
                    "kernelArgs": "console=ttyS0,115200 quiet panic=-1 vmctl.seedwait=0",
                    "container": {"image": IMAGE, "kernelPath": "/boot/vmlinux", "initrdPath": "/boot/initrd.gz"}}},
                "devices": {"autoattachGraphicsDevice": False, "autoattachMemBalloon": False},
            },
        },
    }


def vmctl_boot(state: Path, n: int) -> tuple[float, str]:
    from vmctl.admission import Admitted
    from vmctl.backends.base import Ref
    from vmctl.backends.local.backend import LocalBackend

    backend = LocalBackend(state, URI)
    name = f"bench-{n}"
    started = time.monotonic()
    backend.apply([Admitted(vmi(name))], namespace="default")
    backend.reconcile("default", start=True)
    dom = backend.ctx.conn.lookupByName(f"default_{name}")
    xml = dom.XMLDesc(0)
    took = wait_marker(serial_log(xml), started)
    inactive = dom.XMLDesc(2)  # VIR_DOMAIN_XML_INACTIVE
    backend.delete(Ref("VirtualMachineInstance", name, "default"), wait=True, timeout=60)
    backend.close()
    return took, inactive


def plain_boot(conn: Any, xml: str, log: Path, n: int) -> float:
    import libvirt

    name = f"vmctl-bench-plain-{n}"
    xml = re.sub(r"<name>[^<]*</name>", f"<name>{name}</name>", xml, count=1)
    xml = re.sub(r"<uuid>[^<]*</uuid>", "", xml, count=1)
    xml = re.sub(r"(<log file=['\"])[^'\"]*", rf"\g<1>{log}", xml, count=1)
    started = time.monotonic()
    dom = conn.defineXML(xml)
    try:
        dom.create()
        return wait_marker(log, started)
    finally:
        with contextlib.suppress(libvirt.libvirtError):
            dom.destroy()
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    try:
        import libvirt
    except ImportError:
        print("libvirt-python is not installed; skipped")
        return 0
    if not Path("/run/libvirt/libvirt-sock").exists():
        print("libvirtd is not running (bash tests/vm/setup_libvirt.sh); skipped")
        return 0
    conn = libvirt.open(URI)
    vm_times: list[float] = []
    plain_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="vmctl-bench-boot-") as tmp:
        for n in range(args.runs):  # alternate the two paths so drift hits both alike
            try:
                took, xml = vmctl_boot(Path(tmp) / "state", n)
            except Exception as exc:  # figures, not assertions: report and stop
                print(f"vmctl path failed: {exc}")
                break
            vm_times.append(took)
            plain_times.append(plain_boot(conn, xml, Path(tmp) / f"plain-{n}.log", n))
    conn.close()
    for label, times in (("vmctl apply → marker", vm_times), ("plain define+create → marker", plain_times)):
        if times:
            print(f"{label:32s} median {statistics.median(times):6.2f} s  "
                  f"(min {min(times):.2f}, max {max(times):.2f}, n={len(times)})")
    if vm_times and plain_times:
        print(f"{'vmctl overhead':32s} median {statistics.median(vm_times) - statistics.median(plain_times):+6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
