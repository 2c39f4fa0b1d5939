"""``vmctl apply`` / ``get`` / ``describe`` / ``delete`` on the local backend (SQLite + libvirt test driver)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from vmctl.cli.main import main

NODE = """<node><cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets>
<cores>2</cores><threads>1</threads></cpu><memory>8388608</memory></node>"""

VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: {name}
  labels: {{app: {app}}}
spec:
  runStrategy: {rs}
  template:
    spec:
      domain:
        devices: {{}}
        resources:
          requests:
            memory: 128Mi
"""


@pytest.fixture
def env(tmp_path: Path):
    (tmp_path / "node.xml").write_text(NODE)
    flags = ["--state-dir", str(tmp_path / "state"), "--libvirt-uri", f"test://{tmp_path}/node.xml"]

    def run(*args: str) -> int:
        try:
            main([*args, *flags])
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    run.tmp = tmp_path  # type: ignore[attr-defined]
    return run


def write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


def test_apply_created_unchanged_configured(env, capsys) -> None:
    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Halted"))
    assert env("apply", "-f", f) == 0
    assert capsys.readouterr().out == "virtualmachine.kubevirt.io/web1 created\n"
    assert env("apply", "-f", f) == 0
    assert capsys.readouterr().out == "virtualmachine.kubevirt.io/web1 unchanged\n"
    f2 = write(env.tmp, "vm2.yaml", VM.format(name="web1", app="web", rs="Manual"))
    assert env("apply", "-f", f2) == 0
    assert capsys.readouterr().out == "virtualmachine.kubevirt.io/web1 configured\n"
    assert env("get", "vm", "web1", "-o", "json") == 0
    vm = json.loads(capsys.readouterr().out)
    assert vm["spec"]["runStrategy"] == "Manual"
    assert vm["metadata"]["generation"] == 2
    assert vm["status"]["printableStatus"] == "Stopped"


def test_apply_always_starts_the_vm(env, capsys) -> None:
    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Always"))
    assert env("apply", "-f", f) == 0
    capsys.readouterr()
    assert env("get", "vm") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["NAME", "AGE", "STATUS", "READY"]
    assert out[1].split()[0::2] == ["web1", "Running"] and out[1].split()[3] == "True"
    assert env("get", "vmi", "web1", "-o", "json") == 0
    vmi = json.loads(capsys.readouterr().out)
    assert vmi["status"]["phase"] == "Running"
    assert vmi["metadata"]["ownerReferences"][0]["kind"] == "VirtualMachine"
    assert env("get", "vmi", "web1", "--domain-xml") == 0
    xml = capsys.readouterr().out
    assert "<name>default_web1</name>" in xml
    assert "https://vmctl.dev/xmlns/runtime/v1" in xml


def test_invalid_object_means_nothing_applied(env, capsys) -> None:
    good = VM.format(name="good", app="web", rs="Halted")
    bad = "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceType\nmetadata: {name: x}\nspec: {}\n"
    f = write(env.tmp, "mixed.yaml", good + "---\n" + bad)
    assert env("apply", "-f", f) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"error: {f}[1]: kind 'VirtualMachineInstanceType' is unknown"
    assert "did you mean VirtualMachineInstancetype?" in err
    db = sqlite3.connect(env.tmp / "state" / "state.db")
    assert db.execute("SELECT count(*) FROM objects").fetchone()[0] == 0


def test_missing_name_is_reported(env, capsys) -> None:
    f = write(env.tmp, "noname.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\ndata: {a: b}\n")
    assert env("apply", "-f", f) == 1
    assert capsys.readouterr().err == f"error: {f}[0]: metadata.name: required field is missing\n"


def test_namespace_mismatch(env, capsys) -> None:
    f = write(env.tmp, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {}\n")
    assert env("apply", "-f", f, "-n", "y") == 1
    assert "the namespace from the provided object 'x' does not match the namespace 'y'" in capsys.readouterr().err


def test_get_selector_and_all_namespaces(env, capsys) -> None:
    f = write(env.tmp, "a.yaml", VM.format(name="a", app="web", rs="Halted") + "---\n"
              + VM.format(name="b", app="db", rs="Halted"))
    assert env("apply", "-f", f) == 0
    f2 = write(env.tmp, "c.yaml", VM.format(name="c", app="web", rs="Halted"))
    assert env("apply", "-f", f2, "-n", "other") == 0
    capsys.readouterr()
    assert env("get", "vm", "-o", "name", "-l", "app=web", "-A") == 0
    assert capsys.readouterr().out == "virtualmachine.kubevirt.io/a\nvirtualmachine.kubevirt.io/c\n"
    assert env("get", "vm", "-A") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["NAMESPACE", "NAME"], ["default", "a"], ["default", "b"],
                                                    ["other", "c"]]


def test_get_missing_and_empty(env, capsys) -> None:
    assert env("get", "vm", "nope") == 1
    assert capsys.readouterr().err == 'error: virtualmachines.kubevirt.io "nope" not found\n'
    assert env("get", "vmi") == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "No resources found in default namespace.\n"


def test_describe_and_delete_configmap(env, capsys) -> None:
    f = write(env.tmp, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, labels: {a: b}}\n"
              "data: {key: value}\n")
    assert env("apply", "-f", f) == 0
    capsys.readouterr()
    assert env("describe", "configmap/app-config") == 0
    out = capsys.readouterr().out
    assert out.startswith("Name:         app-config\nNamespace:    default\nLabels:       a=b\n")
    assert "Data:\n  Key: value\n" in out
    assert env("delete", "cm", "app-config") == 0
    assert capsys.readouterr().out == 'configmap "app-config" deleted\n'
    assert env("delete", "cm", "app-config") == 1
    assert capsys.readouterr().err == 'error: configmaps "app-config" not found\n'


def test_delete_running_vm_removes_vmi_and_domain(env, capsys) -> None:
    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Always"))
    assert env("apply", "-f", f) == 0
    assert env("delete", "vm/web1", "--wait", "--timeout", "10") == 0
    assert capsys.readouterr().out.endswith('virtualmachine.kubevirt.io "web1" deleted\n')
    assert env("get", "vmi", "-o", "name") == 0
    assert capsys.readouterr().out == ""
    from vmctl.backends.local.runtime import open_connection

    conn = open_connection(f"test://{env.tmp}/node.xml")
    assert [d.name() for d in conn.listAllDomains(0) if d.name().startswith("default_")] == []


def test_unknown_type_is_a_usage_error(env, capsys) -> None:
    assert env("delete", "vmz", "x") == 2
    assert "TYPE 'vmz': unknown resource type" in capsys.readouterr().err


def test_cluster_backend_is_not_available(env, capsys) -> None:
    assert env("get", "vm", "--backend", "cluster") == 1
    assert capsys.readouterr().err == (
        "error: the cluster backend is not available in this vmctl version; use --backend local\n"
    )
