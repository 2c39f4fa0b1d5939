"""``vmctl apply`` / ``get`` / ``describe`` / ``delete`` on the local backend (SQLite + libvirt test driver)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

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
def env(tmp_path: Path, vmctl, monkeypatch: pytest.MonkeyPatch):
    """``env(*args)``: ``vmctl ARGS`` on a fresh local backend (SQLite state + libvirt test driver)."""
    (tmp_path / "node.xml").write_text(NODE)
    # the once-per-process TCG notice would land in whichever test boots first
    monkeypatch.setattr("vmctl.backends.local.executor._TCG_NOTICED", True)
    flags = ["--state-dir", str(tmp_path / "state"), "--libvirt-uri", f"test://{tmp_path}/node.xml"]

    def run(*args: str) -> tuple[int, str, str]:
        return vmctl(*args, *flags)

    run.tmp = tmp_path  # type: ignore[attr-defined]
    return run


def write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


def test_apply_created_unchanged_configured(env) -> None:
    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Halted"))
    assert env("apply", "-f", f)[:2] == (0, "virtualmachine.kubevirt.io/web1 created\n")
    assert env("apply", "-f", f)[:2] == (0, "virtualmachine.kubevirt.io/web1 unchanged\n")
    f2 = write(env.tmp, "vm2.yaml", VM.format(name="web1", app="web", rs="Manual"))
    assert env("apply", "-f", f2)[:2] == (0, "virtualmachine.kubevirt.io/web1 configured\n")
    code, out, _ = env("get", "vm", "web1", "-o", "json")
    vm = json.loads(out)
    assert code == 0
    assert vm["spec"]["runStrategy"] == "Manual"
    assert vm["metadata"]["generation"] == 2
    assert vm["status"]["printableStatus"] == "Stopped"


def test_apply_always_starts_the_vm(env) -> None:
    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Always"))
    assert env("apply", "-f", f)[0] == 0
    code, out, _ = env("get", "vm")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["NAME", "AGE", "STATUS", "READY"]
    assert lines[1].split()[0::2] == ["web1", "Running"] and lines[1].split()[3] == "True"
    code, out, _ = env("get", "vmi", "web1", "-o", "json")
    vmi = json.loads(out)
    assert code == 0
    assert vmi["status"]["phase"] == "Running"
    assert vmi["metadata"]["ownerReferences"][0]["kind"] == "VirtualMachine"
    code, xml, _ = env("get", "vmi", "web1", "--domain-xml")
    assert code == 0
    assert "<name>default_web1</name>" in xml
    assert "https://vmctl.dev/xmlns/domain/v1" in xml and 'store="' in xml  # one owner record


def test_invalid_object_means_nothing_applied(env) -> None:
    good = VM.format(name="good", app="web", rs="Halted")
    bad = "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceType\nmetadata: {name: x}\nspec: {}\n"
    f = write(env.tmp, "mixed.yaml", good + "---\n" + bad)
    code, _, err = env("apply", "-f", f)
    assert code == 1
    assert err.splitlines()[0] == f"error: {f}[1]: kind 'VirtualMachineInstanceType' is unknown"
    assert "did you mean VirtualMachineInstancetype?" in err
    db = sqlite3.connect(env.tmp / "state" / "state.db")
    assert db.execute("SELECT count(*) FROM objects").fetchone()[0] == 0


def test_missing_name_is_reported(env) -> None:
    f = write(env.tmp, "noname.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\ndata: {a: b}\n")
    assert env("apply", "-f", f) == (1, "", f"error: {f}[0]: metadata.name: required field is missing\n")


def test_namespace_mismatch(env) -> None:
    f = write(env.tmp, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {}\n")
    code, _, err = env("apply", "-f", f, "-n", "y")
    assert code == 1
    assert "the namespace from the provided object 'x' does not match the namespace 'y'" in err


def test_get_selector_and_all_namespaces(env) -> None:
    f = write(env.tmp, "a.yaml", VM.format(name="a", app="web", rs="Halted") + "---\n"
              + VM.format(name="b", app="db", rs="Halted"))
    assert env("apply", "-f", f)[0] == 0
    f2 = write(env.tmp, "c.yaml", VM.format(name="c", app="web", rs="Halted"))
    assert env("apply", "-f", f2, "-n", "other")[0] == 0
    assert env("get", "vm", "-o", "name", "-l", "app=web", "-A") == (
        0, "virtualmachine.kubevirt.io/a\nvirtualmachine.kubevirt.io/c\n", "")
    code, out, _ = env("get", "vm", "-A")
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()] == [
        ["NAMESPACE", "NAME"], ["default", "a"], ["default", "b"], ["other", "c"]]
    # as kubectl: what exists is printed, then each missing name is an error line (exit 1)
    code, out, err = env("get", "vm", "a", "nope", "b", "gone")
    assert code == 1 and [line.split()[0] for line in out.splitlines()] == ["NAME", "a", "b"]
    assert err == ('error: virtualmachines.kubevirt.io "nope" not found\n'
                   'error: virtualmachines.kubevirt.io "gone" not found\n')
    assert env("get", "vm", "a", "nope", "-o", "name")[:2] == (1, "virtualmachine.kubevirt.io/a\n")


def test_get_missing_and_empty(env) -> None:
    assert env("get", "vm", "nope") == (1, "", 'error: virtualmachines.kubevirt.io "nope" not found\n')
    assert env("get", "vmi") == (0, "", "No resources found in default namespace.\n")


def test_describe_and_delete_configmap(env) -> None:
    f = write(env.tmp, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, labels: {a: b}}\n"
              "data: {key: value}\n")
    assert env("apply", "-f", f)[0] == 0
    code, out, _ = env("describe", "configmap/app-config")
    assert code == 0
    assert out.startswith("Name:         app-config\nNamespace:    default\nLabels:       a=b\n")
    assert "Data:\n  Key: value\n" in out
    assert env("delete", "cm", "app-config") == (0, 'configmap "app-config" deleted\n', "")
    assert env("delete", "cm", "app-config") == (1, "", 'error: configmaps "app-config" not found\n')


def test_delete_running_vm_removes_vmi_and_domain(env) -> None:
    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Always"))
    assert env("apply", "-f", f)[0] == 0
    code, out, _ = env("delete", "vm/web1", "--wait", "--timeout", "10")
    assert code == 0
    assert out.endswith('virtualmachine.kubevirt.io "web1" deleted\n')
    assert env("get", "vmi", "-o", "name")[:2] == (0, "")
    from vmctl.backends.local.libvirt_conn import open_connection

    conn = open_connection(f"test://{env.tmp}/node.xml")
    assert [d.name() for d in conn.listAllDomains(0) if d.name().startswith("default_")] == []


def test_unknown_type_is_a_usage_error(env) -> None:
    code, _, err = env("delete", "vmz", "x")
    assert code == 2
    assert "TYPE 'vmz': unknown resource type" in err


def test_cluster_backend_needs_a_kubeconfig(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(env.tmp / "absent"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert env("get", "vm", "--backend", "cluster") == (
        1, "", f"error: no kubeconfig found (looked at {env.tmp / 'absent'}) and not running inside a cluster\n"
        "hint: pass --kubeconfig, set KUBECONFIG, or use --backend local\n"
    )


def test_a_usable_kubeconfig_means_the_cluster_with_no_silent_fallback(env, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kc = env.tmp / "kc"
    kc.write_text(f"apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                  f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
                  "users: [{name: c, user: {token: secret-token}}]\n"
                  "contexts: [{name: c, context: {cluster: c, user: c}}]\n")
    monkeypatch.setenv("KUBECONFIG", str(kc))
    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Halted"))
    code, out, err = env("apply", "-f", f)
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == f"error: cannot reach the API server at https://127.0.0.1:{port}: connection refused"
    assert "secret-token" not in err
    assert env("get", "vm", "-o", "name", "--backend", "local") == (0, "", "")  # nothing went to the local store
    assert env("apply", "-f", f, "--backend", "local") == (0, "virtualmachine.kubevirt.io/web1 created\n", "")
    monkeypatch.setenv("VMCTL_BACKEND", "local")
    assert env("get", "vm", "web1", "-o", "name") == (0, "virtualmachine.kubevirt.io/web1\n", "")
    monkeypatch.delenv("VMCTL_BACKEND")
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "vmctl" / "config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("backend: local\n")
    assert env("get", "vm", "web1", "-o", "name") == (0, "virtualmachine.kubevirt.io/web1\n", "")


def test_unreachable_libvirt_fails_before_storing(tmp_path: Path, vmctl) -> None:
    f = write(tmp_path, "vm.yaml", VM.format(name="web1", app="web", rs="Always"))
    state = tmp_path / "state"
    bad = ["--state-dir", str(state), "--libvirt-uri", "qemu+unix:///system?socket=/nonexistent/libvirt-sock"]
    assert vmctl("apply", "-f", f, *bad) == (
        1, "", "error: libvirtd is not running: start it with 'libvirtd -d' (or 'systemctl start libvirtd')\n"
    )
    db = sqlite3.connect(state / "state.db")
    assert db.execute("SELECT count(*) FROM objects").fetchone()[0] == 0
    cm = write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")
    assert vmctl("apply", "-f", cm, *bad) == (0, "configmap/c created\n", "")  # needs no libvirt


def test_apply_wait_until_every_vm_is_where_its_run_strategy_heads_it(env) -> None:
    f = write(env.tmp, "vms.yaml", VM.format(name="a", app="web", rs="Always") + "---\n"
              + VM.format(name="b", app="web", rs="Halted") + "---\n" + VM.format(name="c", app="web", rs="Once"))
    code, out, err = env("apply", "-f", f, "--wait", "--timeout", "20")
    assert (code, err) == (0, "")
    assert out == ("virtualmachine.kubevirt.io/a created\nvirtualmachine.kubevirt.io/b created\n"
                   "virtualmachine.kubevirt.io/c created\n")
    code, out, _ = env("get", "vm")
    assert [line.split()[:4:2] + line.split()[3:4] for line in out.splitlines()[1:]] == [
        ["a", "Running", "True"], ["b", "Stopped", "False"], ["c", "Running", "True"]]


def test_apply_wait_times_out_naming_the_vm_and_its_state(env) -> None:
    from vmctl.backends.local.libvirt_conn import open_connection

    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Always"))
    assert env("apply", "-f", f)[0] == 0
    conn = open_connection(f"test://{env.tmp}/node.xml")  # the test driver's state lives in this process
    conn.lookupByName("default_web1").suspend()  # paused behind vmctl's back: never Ready
    code, out, err = env("apply", "-f", f, "--wait", "--timeout", "1")
    assert (code, out) == (1, "virtualmachine.kubevirt.io/web1 unchanged\n")
    assert err == "error: timed out after 1s waiting for VirtualMachine web1 to be Ready (it is Paused)\n"


PRESET = """apiVersion: kubevirt.io/v1
kind: VirtualMachineInstancePreset
metadata: {{name: {name}}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  domain: {{devices: {{}}, cpu: {{cores: 2}}}}
"""


def test_apply_deprecated_kind_warns_once_and_stores(env) -> None:
    f = write(env.tmp, "presets.yaml", PRESET.format(name="p1") + "---\n" + PRESET.format(name="p2"))
    code, out, err = env("apply", "-f", f)
    assert code == 0
    assert out == ("virtualmachineinstancepreset.kubevirt.io/p1 created\n"
                   "virtualmachineinstancepreset.kubevirt.io/p2 created\n")
    assert err == "warning: kubevirt.io/v1 VirtualMachineInstancePresets is now deprecated and will be removed in v2.\n"


def test_apply_unknown_field_fails_like_kubectl_strict_validation(env) -> None:
    text = VM.format(name="web1", app="web", rs="Halted").replace("  runStrategy:", "  bogus: 1\n  runStrategy:")
    code, out, err = env("apply", "-f", write(env.tmp, "vm.yaml", text))
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and 'spec.bogus: unknown field "spec.bogus"' in err
    assert env("get", "vm", "web1")[0] == 1  # nothing stored


VMI = """apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {{name: {name}}}
spec:
  domain:
    devices: {{}}
    resources:
      requests:
        memory: {memory}
"""

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{a: b}}\n"


def domains(env) -> list[str]:
    from vmctl.backends.local.libvirt_conn import open_connection

    conn = open_connection(f"test://{env.tmp}/node.xml")
    return sorted(d.name() for d in conn.listAllDomains(0) if d.name().startswith("default_"))


@pytest.mark.parametrize("mode, suffix", [("server", " (server dry run)"), ("client", " (dry run)")])
def test_dry_run_stores_nothing_and_defines_no_domain(env, mode: str, suffix: str) -> None:
    f = write(env.tmp, "vms.yaml", VM.format(name="a", app="web", rs="Always") + "---\n" + VMI.format(
        name="b", memory="128Mi") + "---\n" + CM.format(name="c"))
    assert env("apply", "-f", f, f"--dry-run={mode}") == (0, (
        f"virtualmachine.kubevirt.io/a created{suffix}\nvirtualmachineinstance.kubevirt.io/b created{suffix}\n"
        f"configmap/c created{suffix}\n"), "")
    db = sqlite3.connect(env.tmp / "state" / "state.db")
    assert db.execute("SELECT count(*) FROM objects").fetchone()[0] == 0
    assert domains(env) == []
    assert env("apply", "-f", f)[0] == 0
    assert domains(env) == ["default_a", "default_b"]
    changed = write(env.tmp, "changed.yaml", VM.format(name="a", app="db", rs="Always") + "---\n"
                    + CM.format(name="c"))
    assert env("apply", "-f", changed, "--dry-run", mode) == (
        0, f"virtualmachine.kubevirt.io/a configured{suffix}\nconfigmap/c unchanged{suffix}\n", "")
    assert json.loads(env("get", "vm", "a", "-o", "json")[1])["metadata"]["labels"] == {"app": "web"}
    code, out, _ = env("apply", "-f", changed, "--dry-run", mode, "-o", "name", "--wait")
    assert (code, out) == (0, "virtualmachine.kubevirt.io/a\nconfigmap/c\n")  # nothing to wait for


def test_force_conflicts_is_accepted_and_changes_nothing_locally(env) -> None:
    f = write(env.tmp, "cm.yaml", CM.format(name="c"))
    assert env("apply", "-f", f, "--force-conflicts") == (0, "configmap/c created\n", "")
    assert env("apply", "-f", f, "--force-conflicts", "--dry-run=server") == (
        0, "configmap/c unchanged (server dry run)\n", "")
    code, out, err = env("apply", "-f", f, "--dry-run=yes")
    assert (code, out) == (2, "") and "--dry-run" in err


def test_a_refused_document_names_every_document_and_stores_none(env) -> None:
    assert env("apply", "-f", write(env.tmp, "vmi.yaml", VMI.format(name="v", memory="128Mi")))[0] == 0
    f = write(env.tmp, "batch.yaml", CM.format(name="first") + "---\n" + VMI.format(name="v", memory="256Mi")
              + "---\n" + CM.format(name="third"))
    for extra in ((), ("--dry-run=server",)):
        code, out, err = env("apply", "-f", f, *extra)
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            'error: virtualmachineinstance.kubevirt.io/v not applied (document 2): virtualmachineinstances.kubevirt.io '
            '"v": the spec of a running VMI cannot be changed; delete it and apply again',
            "configmap/first not applied (document 1): rolled back after the failure (all or nothing on the local "
            "backend)",
            "configmap/third not applied (document 3): not sent after the failure",
        ]
    assert env("get", "cm", "-o", "name") == (0, "", "")


def test_get_chunk_size_is_accepted_locally(env) -> None:
    f = write(env.tmp, "cms.yaml", CM.format(name="a") + "---\n" + CM.format(name="b"))
    assert env("apply", "-f", f)[0] == 0
    assert env("get", "cm", "-o", "name", "--chunk-size", "1") == (0, "configmap/a\nconfigmap/b\n", "")
    assert env("get", "cm", "-o", "name", "--chunk-size", "0") == (0, "configmap/a\nconfigmap/b\n", "")
    assert env("get", "cm", "--chunk-size", "-5") == (2, "", "error: --chunk-size -5: must be 0 or more\n")


def test_delete_cascade_locally(env) -> None:
    f = write(env.tmp, "all.yaml", CM.format(name="a") + "---\n" + CM.format(name="b") + "---\n"
              + VM.format(name="web1", app="web", rs="Halted"))
    assert env("apply", "-f", f)[0] == 0
    assert env("delete", "cm", "a", "--cascade=foreground") == (0, 'configmap "a" deleted\n', "")
    assert env("delete", "cm", "b", "--cascade=false") == (0, 'configmap "b" deleted\n', (
        "warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.\n"))
    assert env("delete", "vm", "web1", "--cascade=orphan") == (2, "", (
        "error: --cascade=orphan: not supported by the local backend for a VirtualMachine (its VMI and domain "
        "are deleted with it)\n"))
    code, out, err = env("delete", "vm", "web1", "--cascade=later")
    assert (code, out) == (2, "")
    assert err == 'error: invalid cascade value (later). Must be "background", "foreground", or "orphan".\n'
    assert env("delete", "vm", "web1", "--cascade=background")[:2] == (
        0, 'virtualmachine.kubevirt.io "web1" deleted\n')


def test_a_new_vm_gets_its_own_firmware_identity_and_keeps_it(env) -> None:
    """As KubeVirt's VM mutator: a random firmware UUID and serial on create, kept by later applies; so VMs
    named alike in two namespaces run side by side (libvirt refuses a second domain with one UUID)."""
    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Always"))
    identities = []
    for ns in ("a", "b"):
        assert env("apply", "-f", f, "-n", ns)[:2] == (0, "virtualmachine.kubevirt.io/web1 created\n")
        vm = json.loads(env("get", "vm", "web1", "-n", ns, "-o", "json")[1])
        firmware = vm["spec"]["template"]["spec"]["domain"]["firmware"]
        vmi = json.loads(env("get", "vmi", "web1", "-n", ns, "-o", "json")[1])
        assert vmi["spec"]["domain"]["firmware"] == firmware and vmi["status"]["phase"] == "Running"
        identities.append((firmware["uuid"], firmware["serial"]))
    assert len({*identities[0], *identities[1]}) == 4
    assert env("apply", "-f", f, "-n", "a")[:2] == (0, "virtualmachine.kubevirt.io/web1 unchanged\n")
    f2 = write(env.tmp, "vm2.yaml", VM.format(name="web1", app="web2", rs="Always"))
    assert env("apply", "-f", f2, "-n", "a")[:2] == (0, "virtualmachine.kubevirt.io/web1 configured\n")
    vm = json.loads(env("get", "vm", "web1", "-n", "a", "-o", "json")[1])
    firmware = vm["spec"]["template"]["spec"]["domain"]["firmware"]
    assert (firmware["uuid"], firmware["serial"]) == identities[0]


def test_a_firmware_uuid_given_is_kept(env) -> None:
    text = VM.format(name="web1", app="web", rs="Halted").replace(
        "        devices: {}\n", "        devices: {}\n        firmware: {uuid: 8d0a2f1e-43a9-5d1c-9b3e-0c5a7e2f9d11}\n")
    assert env("apply", "-f", write(env.tmp, "vm.yaml", text))[0] == 0
    vm = json.loads(env("get", "vm", "web1", "-o", "json")[1])
    firmware = vm["spec"]["template"]["spec"]["domain"]["firmware"]
    assert firmware["uuid"] == "8d0a2f1e-43a9-5d1c-9b3e-0c5a7e2f9d11" and firmware["serial"]


def test_get_several_kinds_as_kubectl(env) -> None:
    """``get vm,vmi``: one table per kind with kind-qualified names, one List for -o json, -o name for all."""
    f = write(env.tmp, "vm.yaml", VM.format(name="web1", app="web", rs="Always"))
    assert env("apply", "-f", f)[0] == 0
    code, out, _ = env("get", "vm,vmi")
    tables = out.split("\n\n")
    assert code == 0 and len(tables) == 2
    assert tables[0].splitlines()[1].split()[0] == "virtualmachine.kubevirt.io/web1"
    assert tables[1].splitlines()[0].split()[:3] == ["NAME", "AGE", "PHASE"]
    assert tables[1].splitlines()[1].split()[0] == "virtualmachineinstance.kubevirt.io/web1"
    assert env("get", "vm,vmi,pool", "-o", "name") == (
        0, "virtualmachine.kubevirt.io/web1\nvirtualmachineinstance.kubevirt.io/web1\n", "")
    code, out, _ = env("get", "vm,vmi", "web1", "-o", "json")
    assert [i["kind"] for i in json.loads(out)["items"]] == ["VirtualMachine", "VirtualMachineInstance"]
    assert env("get", "pool,vmirs") == (0, "", "No resources found in default namespace.\n")
    code, _, err = env("get", "vm,instancetypes")
    assert (code, err.splitlines()[0]) == (2, "error: vm,instancetypes: instancetypes, preferences and presets come "
                                              "from the catalog: get them one type at a time")
