"""Hook sidecar scripts on real guests: onDefineDomain changes the live domain, preCloudInitIso changes the
seed the guest reads, and a failing hook leaves no domain behind."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.libvirt

_spec = importlib.util.spec_from_file_location("h8_console_helpers", Path(__file__).with_name("test_console_local.py"))
assert _spec is not None and _spec.loader is not None
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
env = helpers.env

ON_DEFINE = """#!/usr/bin/env python3
# onDefineDomain --vmi <json> --domain <xml>: add a description and give the guest 512 MiB
import sys
import xml.etree.ElementTree as ET
assert sys.argv[1] == "--vmi" and sys.argv[3] == "--domain"
root = ET.fromstring(sys.argv[4])
desc = ET.Element("description")
desc.text = "hooked by vmctl test"
root.insert(1, desc)
for tag in ("memory", "currentMemory"):
    el = root.find(tag)
    if el is not None:
        el.set("unit", "KiB")
        el.text = "524288"
sys.stdout.write(ET.tostring(root, encoding="unicode"))
"""
PRE_CLOUD_INIT = """#!/usr/bin/env python3
import json, sys
data = json.loads(sys.argv[4])
vmi = json.loads(sys.argv[2])
data["UserData"] += "hooked-for: " + vmi["metadata"]["name"] + "\\n"
print(json.dumps(data))
"""
FAILING = "#!/bin/sh\necho 'refusing this domain: policy H8' >&2\nexit 3\n"


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def sidecars(*entries: tuple[str, str, str]) -> dict[str, str]:
    value = [{"args": ["--version", "v1alpha2"], "configMap": {"name": cm, "key": key, "hookPath": f"/usr/bin/{point}"}}
             for cm, key, point in entries]
    return {"hooks.kubevirt.io/hookSidecars": json.dumps(value)}


def test_hooks_change_the_domain_and_the_seed(env: Any, libvirt_conn: Any) -> None:
    vm = helpers.guest_vm("hook1", "#cloud-config\n", annotations=sidecars(
        ("hooks", "define.sh", "onDefineDomain"), ("hooks", "seed.py", "preCloudInitIso")))
    refused = env.apply(configmap("hooks", **{"define.sh": ON_DEFINE, "seed.py": PRE_CLOUD_INIT}), vm)
    assert refused.returncode == 1
    assert b"--allow-hooks" in refused.stderr
    applied = env.apply(configmap("hooks", **{"define.sh": ON_DEFINE, "seed.py": PRE_CLOUD_INIT}), vm,
                        extra=("--allow-hooks",))
    assert applied.returncode == 0, applied.stderr.decode()
    xml = libvirt_conn.lookupByName(f"{env.namespace}_hook1").XMLDesc(0)
    assert "<description>hooked by vmctl test</description>" in xml
    assert "<memory unit='KiB'>524288</memory>" in xml
    proc = env.popen("console", "hook1")
    try:
        seen = helpers.read_until(proc, b"hooked-for: hook1")
        assert b"VMCTL-BEGIN cidata/user-data" in seen
    finally:
        proc.kill()


def test_failing_hook_leaves_no_domain(env: Any, libvirt_conn: Any) -> None:
    vm = helpers.guest_vm("hook2", "#cloud-config\n", annotations=sidecars(("bad", "fail.sh", "onDefineDomain")))
    done = env.apply(configmap("bad", **{"fail.sh": FAILING}), vm, extra=("--allow-hooks",))
    names = [d.name() for d in libvirt_conn.listAllDomains(0)]
    assert f"{env.namespace}_hook2" not in names
    vmi = json.loads(env.run("get", "vmi", "hook2", "-o", "json").stdout or b"{}")
    message = (done.stderr.decode() + json.dumps(vmi))
    assert "refusing this domain: policy H8" in message
    assert "onDefineDomain exited with status 3" in message
