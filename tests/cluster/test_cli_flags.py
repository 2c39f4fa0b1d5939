"""kubectl's flags of the object verbs through the real CLI against the real API server: ``apply --dry-run``,
``--force-conflicts`` and the report of a partly refused apply, ``get --chunk-size``, ``delete --cascade``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from vmctl.backends.cluster.connection import Connection

pytestmark = pytest.mark.cluster

VMS = "/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachines"


def vm(name: str, run_strategy: str = "Halted") -> dict[str, Any]:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": name},
        "spec": {
            "runStrategy": run_strategy,
            "template": {"spec": {"domain": {"devices": {}, "memory": {"guest": "128Mi"}}}},
        },
    }


def write(tmp: Path, name: str, *objs: dict[str, Any]) -> str:
    path = tmp / name
    path.write_text(yaml.safe_dump_all(objs))
    return str(path)


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any], Any]]:
    """Every request vmctl sends in this test: (method, path, query, body)."""
    seen: list[tuple[str, str, dict[str, Any], Any]] = []
    real = Connection.request

    def recording(self: Connection, method: str, path: str, **kw: Any) -> Any:
        seen.append((method, path, dict(kw.get("query") or {}), kw.get("body")))
        return real(self, method, path, **kw)

    monkeypatch.setattr(Connection, "request", recording)
    return seen


def names(kubectl: Any, namespace: str) -> list[str]:
    return kubectl("get", "vm", "-n", namespace, "-o", "name").stdout.split()


def apply_as(apiserver: Any, namespace: str, obj: dict[str, Any], manager: str) -> None:
    """Server-side apply ``obj`` with another field manager (the test's admin client, not vmctl)."""
    path = VMS.format(ns=namespace) + f"/{obj['metadata']['name']}?fieldManager={manager}"
    apiserver.admin.request("PATCH", path, obj, content_type="application/apply-patch+yaml")


def writes(requests: list[tuple[str, str, dict[str, Any], Any]]) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _, _ in requests if m != "GET"]


def test_dry_run_server_judges_and_stores_nothing(
    cli: Any, kubectl: Any, namespace: str, requests: list[Any]
) -> None:
    f = write(cli.tmp, "vm.yaml", vm("web"))
    assert cli("apply", "-f", f, "--dry-run=server") == (
        0, "virtualmachine.kubevirt.io/web created (server dry run)\n", "")
    assert [(m, q.get("dryRun"), q.get("fieldManager")) for m, _, q, _ in requests if m == "PATCH"] == [
        ("PATCH", "All", "vmctl")]
    assert names(kubectl, namespace) == []
    assert cli("apply", "-f", f)[:2] == (0, "virtualmachine.kubevirt.io/web created\n")
    changed = write(cli.tmp, "changed.yaml", vm("web", "Always"))
    assert cli("apply", "-f", changed, "--dry-run", "server") == (
        0, "virtualmachine.kubevirt.io/web configured (server dry run)\n", "")
    seen = json.loads(kubectl("get", "vm", "web", "-n", namespace, "-o", "json").stdout)
    assert seen["spec"]["runStrategy"] == "Halted"
    code, out, err = cli("apply", "-f", f, "--dry-run=server", "-o", "name")
    assert (code, out, err) == (0, "virtualmachine.kubevirt.io/web\n", "")


def test_dry_run_client_sends_nothing(cli: Any, kubectl: Any, namespace: str, requests: list[Any]) -> None:
    f = write(cli.tmp, "vms.yaml", vm("a"), vm("b"))
    assert cli("apply", "-f", f, "--dry-run=client") == (
        0, "virtualmachine.kubevirt.io/a created (dry run)\nvirtualmachine.kubevirt.io/b created (dry run)\n", "")
    assert writes(requests) == []  # only reads: nothing was sent to be stored, not even as a dry run
    assert names(kubectl, namespace) == []
    kubectl.server_side_apply(namespace, yaml.safe_dump(vm("a")))
    assert cli("apply", "-f", f, "--dry-run=client") == (
        0, "virtualmachine.kubevirt.io/a configured (dry run)\nvirtualmachine.kubevirt.io/b created (dry run)\n", "")
    assert writes(requests) == [] and names(kubectl, namespace) == ["virtualmachine.kubevirt.io/a"]
    code, out, err = cli("apply", "-f", f, "--dry-run=maybe")
    assert (code, out) == (2, "") and "--dry-run" in err


def test_force_conflicts_takes_over_a_field_of_another_manager(
    cli: Any, apiserver: Any, kubectl: Any, namespace: str, requests: list[Any]
) -> None:
    apply_as(apiserver, namespace, vm("web", "Always"), "other-tool")
    f = write(cli.tmp, "vm.yaml", vm("web", "Halted"))
    code, out, err = cli("apply", "-f", f)
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0].startswith(
        "error: virtualmachine.kubevirt.io/web not applied (document 1): conflict (409): Apply failed with 1 "
        'conflict: conflict with "other-tool"'
    ) and ".spec.runStrategy" in lines[0]
    assert lines[1:] == ["hint: another field manager owns these fields; --force-conflicts takes them over"]
    assert cli("apply", "-f", f, "--force-conflicts") == (0, "virtualmachine.kubevirt.io/web configured\n", "")
    assert [q.get("force") for m, _, q, _ in requests if m == "PATCH"] == [None, True]
    seen = json.loads(
        kubectl("get", "vm", "web", "-n", namespace, "-o", "json", "--show-managed-fields").stdout
    )
    assert seen["spec"]["runStrategy"] == "Halted"
    owners = {m["manager"]: json.dumps(m.get("fieldsV1")) for m in seen["metadata"]["managedFields"]}
    assert "runStrategy" in owners["vmctl"] and "runStrategy" not in owners.get("other-tool", "")


def test_force_conflicts_with_dry_run_server_changes_nothing(
    cli: Any, apiserver: Any, kubectl: Any, namespace: str
) -> None:
    apply_as(apiserver, namespace, vm("web", "Always"), "other-tool")
    f = write(cli.tmp, "vm.yaml", vm("web", "Halted"))
    assert cli("apply", "-f", f, "--force-conflicts", "--dry-run=server") == (
        0, "virtualmachine.kubevirt.io/web configured (server dry run)\n", "")
    seen = json.loads(kubectl("get", "vm", "web", "-n", namespace, "-o", "json").stdout)
    assert seen["spec"]["runStrategy"] == "Always"


def test_a_refusal_partway_names_every_document(
    cli: Any, apiserver: Any, kubectl: Any, namespace: str
) -> None:
    apply_as(apiserver, namespace, vm("m2", "Always"), "other-tool")
    f = write(cli.tmp, "vms.yaml", vm("m1"), vm("m2"), vm("m3"))
    code, out, err = cli("apply", "-f", f)
    assert (code, out) == (1, "virtualmachine.kubevirt.io/m1 created\n")
    lines = err.splitlines()
    assert lines[0].startswith(
        "error: virtualmachine.kubevirt.io/m2 not applied (document 2): conflict (409): Apply failed"
    )
    assert lines[1:] == [
        "virtualmachine.kubevirt.io/m3 not applied (document 3): not sent after the failure",
        "hint: another field manager owns these fields; --force-conflicts takes them over",
    ]
    assert names(kubectl, namespace) == ["virtualmachine.kubevirt.io/m1", "virtualmachine.kubevirt.io/m2"]


def test_a_refused_first_document_names_the_rest(
    cli: Any, apiserver: Any, kubectl: Any, namespace: str
) -> None:
    apply_as(apiserver, namespace, vm("m2", "Always"), "other-tool")
    f = write(cli.tmp, "vms.yaml", vm("m2"), vm("m1"), vm("m3"))
    code, out, err = cli("apply", "-f", f, "--dry-run=server")
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0].startswith(
        "error: virtualmachine.kubevirt.io/m2 not applied (document 1): conflict (409): Apply failed"
    )
    assert lines[1:3] == [
        "virtualmachine.kubevirt.io/m1 not applied (document 2): not sent after the failure",
        "virtualmachine.kubevirt.io/m3 not applied (document 3): not sent after the failure",
    ]
    assert names(kubectl, namespace) == ["virtualmachine.kubevirt.io/m2"]


def test_get_lists_in_chunks(cli: Any, kubectl: Any, namespace: str, requests: list[Any]) -> None:
    items = [vm(f"vm-{i}") for i in range(7)]
    kubectl("create", "--validate=false", "-n", namespace, "-f", "-",
            stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    expected = "".join(f"virtualmachine.kubevirt.io/vm-{i}\n" for i in range(7))
    listing = VMS.format(ns=namespace)

    def pages() -> list[dict[str, Any]]:
        found = [q for m, p, q, _ in requests if m == "GET" and p == listing]
        requests.clear()
        return found

    assert cli("get", "vms", "-o", "name", "--chunk-size", "3") == (0, expected, "")
    got = pages()
    assert [q["limit"] for q in got] == [3, 3, 3]
    assert got[0]["continue"] is None and got[1]["continue"] and got[2]["continue"]
    assert cli("get", "vms", "-o", "name", "--chunk-size", "0") == (0, expected, "")
    assert [(q["limit"], q["continue"]) for q in pages()] == [(None, None)]
    assert cli("get", "vms", "-o", "name") == (0, expected, "")
    assert [q["limit"] for q in pages()] == [500]  # kubectl's default
    code, out, err = cli("get", "vms", "--chunk-size", "-1")
    assert (code, out, err) == (2, "", "error: --chunk-size -1: must be 0 or more\n")


def test_delete_cascade_sends_the_propagation_policy(
    cli: Any, kubectl: Any, namespace: str, requests: list[Any]
) -> None:
    f = write(cli.tmp, "vms.yaml", vm("bg"), vm("fg"), vm("orphan"))
    assert cli("apply", "-f", f)[0] == 0
    requests.clear()
    assert cli("delete", "vm", "bg") == (0, 'virtualmachine.kubevirt.io "bg" deleted\n', "")
    assert cli("delete", "vm", "fg", "--cascade=foreground") == (0, 'virtualmachine.kubevirt.io "fg" deleted\n', "")
    assert cli("delete", "vm/orphan", "--cascade", "orphan") == (
        0, 'virtualmachine.kubevirt.io "orphan" deleted\n', "")
    assert [(p.rsplit("/", 1)[1], b["propagationPolicy"]) for m, p, _, b in requests if m == "DELETE"] == [
        ("bg", "Background"), ("fg", "Foreground"), ("orphan", "Orphan")]
    # no garbage collector runs here, so the policy's finalizer stays on the object: what the server was told
    seen = {o["metadata"]["name"]: o["metadata"].get("finalizers")
            for o in json.loads(kubectl("get", "vm", "-n", namespace, "-o", "json").stdout)["items"]}
    assert seen == {"fg": ["foregroundDeletion"], "orphan": ["orphan"]}
    code, out, err = cli("delete", "vm", "fg", "--cascade=sideways")
    assert (code, out) == (2, "")
    assert err.startswith('error: invalid cascade value (sideways). Must be "background", "foreground", or "orphan".')


def test_apply_reads_what_admission_needs_once(cli: Any, namespace: str, requests: list[Any]) -> None:
    """The namespace's presets are listed once for the whole batch, not once per VM."""
    f = write(cli.tmp, "vms.yaml", vm("a"), vm("b"), vm("c"))
    assert cli("apply", "-f", f)[0] == 0
    preset_lists = [p for m, p, _, _ in requests if m == "GET" and p.endswith("/virtualmachineinstancepresets")]
    assert len(preset_lists) == 1
    assert [m for m, *_ in requests].count("PATCH") == 3
