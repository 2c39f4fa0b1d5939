"""``vmctl validate`` through the real entry point: lines, line numbers, -o json, --strict, exit codes."""

from __future__ import annotations

import json

VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web1
spec:
  runStrategy: Always
  instancetype:
    name: u1.medium
  template:
    spec:
      domain:
        devices: {}
"""


def test_valid_file(vmctl, tmp_path):
    path = tmp_path / "vm.yaml"
    path.write_text(VM)
    assert vmctl("validate", "-f", str(path)) == (0, "", "1 object valid\n")


def test_errors_with_file_line_document_kind_and_field(vmctl, tmp_path):
    path = tmp_path / "vm.yaml"
    path.write_text(VM.replace("  runStrategy: Always\n", "  runStrategy: Always\n  running: 'no'\n")
                    + "---\n" + VM.replace("web1", "web2").replace("  instancetype:\n", "  instanceType:\n"))
    code, out, err = vmctl("validate", "-f", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f'error: {path}:7: document 1 (VirtualMachine/web1): spec.running: Invalid value: "string": '
        'spec.running in body must be of type boolean: "string"',
        f'warning: {path}:21: document 2 (VirtualMachine/web2): spec.instanceType: unknown field "spec.instanceType"; '
        'did you mean "spec.instancetype"?',
        # without its instancetype the VM has no memory: KubeVirt stores it, but refuses its VMI
        f"warning: {path}:15: document 2 (VirtualMachine/web2): its VMI would be refused: no memory requested, at "
        "least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.pageSize' or "
        "'spec.domain.resources.requests.memory' must be set",
        "2 objects checked, 1 invalid: 1 error, 2 warnings",
    ]


def test_strict_turns_unknown_fields_into_errors(vmctl, tmp_path):
    path = tmp_path / "vm.yaml"
    path.write_text(VM.replace("  runStrategy", "  preferences: {name: fedora}\n  runStrategy"))
    code, _, err = vmctl("validate", "-f", str(path))
    assert code == 0 and err.startswith("warning: ") and err.endswith("1 object valid, 1 warning\n")
    code, _, err = vmctl("validate", "-f", str(path), "--strict")
    assert code == 1
    assert err.splitlines()[0] == (
        f'error: {path}:6: document 1 (VirtualMachine/web1): spec.preferences: unknown field "spec.preferences"; '
        'did you mean "spec.preference"?'
    )


def test_json_output(vmctl, tmp_path):
    path = tmp_path / "it.yaml"
    path.write_text(
        "apiVersion: instancetype.kubevirt.io/v1beta1\nkind: VirtualMachineInstanceType\nmetadata: {name: big}\n"
        "spec: {cpu: {guest: 2}, memory: {guest: 2Gi}}\n"
    )
    code, out, err = vmctl("validate", "-f", str(path), "-o", "json")
    assert (code, err) == (1, "")
    assert json.loads(out) == [{
        "file": str(path), "document": 1, "line": 2, "kind": "VirtualMachineInstanceType", "name": "big",
        "field": "kind", "severity": "error",
        "message": 'no matches for kind "VirtualMachineInstanceType" in version "instancetype.kubevirt.io/v1beta1"; '
                   'did you mean "VirtualMachineInstancetype"?',
    }]


def test_list_items_and_json_input(vmctl, tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": "a"},
         "spec": {"domain": {"devices": {}, "memory": {"guest": "2GB"}}}},
    ]}, indent=1))
    code, out, _ = vmctl("validate", str(path), "-o", "json")
    (finding,) = json.loads(out)
    assert code == 1
    assert finding["field"] == "items[0].spec.domain.memory.guest"
    assert finding["line"] == 15
    assert finding["message"].startswith('Invalid value: "2GB": spec.domain.memory.guest in body should match')


def test_unknown_kind_is_a_warning_and_other_known_kinds_pass(vmctl, tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n")
    code, out, err = vmctl("validate", "-f", str(path))
    assert (code, out) == (0, "")
    assert err == (f'warning: {path}:6: document 2 (Deployment/d): kind: unknown kind "Deployment" in version '
                   '"apps/v1": not a KubeVirt kind, not validated\n2 objects valid, 1 warning\n')


def test_bad_yaml_and_missing_input(vmctl, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("kind: [\n")
    code, out, err = vmctl("validate", "-f", str(path))
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {path}:2: invalid YAML")
    code, _, err = vmctl("validate")
    assert code == 2 and "no input" in err


def test_admission_problems_from_resolution_and_spec_checks(vmctl, tmp_path):
    path = tmp_path / "vm.yaml"
    path.write_text(
        VM.replace("        devices: {}\n", "        cpu: {sockets: 2}\n        devices: {}\n")
        + "---\napiVersion: instancetype.kubevirt.io/v1beta1\nkind: VirtualMachineInstancetype\nmetadata: {name: oc}\n"
        "spec: {cpu: {guest: 1}, memory: {guest: 1Gi, overcommitPercent: 150}}\n"
    )
    code, out, err = vmctl("validate", "-f", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"error: {path}:12: document 1 (VirtualMachine/web1): spec.template.spec.domain.cpu.sockets: "
        "VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type",
        f"error: {path}:18: document 2 (VirtualMachineInstancetype/oc): spec.memory.overcommitPercent: "
        "spec.memory.overcommitPercent '150': must be in range between 0 and 100.",
        "2 objects checked, 2 invalid: 2 errors",
    ]


def test_references_resolve_against_input_documents_first(vmctl, tmp_path):
    path = tmp_path / "vm.yaml"
    path.write_text(
        VM.replace("u1.medium", "mine")
        + "---\napiVersion: instancetype.kubevirt.io/v1beta1\nkind: VirtualMachineClusterInstancetype\n"
        "metadata: {name: mine}\nspec: {cpu: {guest: 1}, memory: {guest: 1Gi}}\n"
    )
    assert vmctl("validate", "-f", str(path)) == (0, "", "2 objects valid\n")
    path.write_text(VM.replace("u1.medium", "mine"))
    code, _, err = vmctl("validate", "-f", str(path))
    assert code == 0  # admitted by KubeVirt's VM webhooks; a warning says it cannot start
    assert 'warning:' in err and 'virtualmachineclusterinstancetypes.instancetype.kubevirt.io "mine" not found' in err


def test_a_bad_file_in_a_folder_is_one_line_and_the_others_are_checked(vmctl, tmp_path):
    (tmp_path / "a-bad.yaml").write_text("a: [\n")
    (tmp_path / "b-vm.yaml").write_text(VM)
    code, out, err = vmctl("validate", "-f", str(tmp_path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"error: {tmp_path / 'a-bad.yaml'}:2: invalid YAML: did not find expected node content",
        "1 object checked, 1 invalid: 1 error",
    ]


def test_every_kubevirt_kind_is_known(vmctl, tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\nmetadata: {name: m}\nspec: {vmiName: x}\n"
        "---\napiVersion: snapshot.kubevirt.io/v1beta1\nkind: VirtualMachineSnapShot\nmetadata: {name: s}\n"
        "---\napiVersion: migrations.kubevirt.io/v1alpha1\nkind: MigrationPolicy\nmetadata: {name: p}\n"
        "spec: {selectors: {}, allowAutoConverge: 'yes'}\n"
    )
    code, _, err = vmctl("validate", "-f", str(path))
    assert code == 1
    assert err.splitlines() == [
        f'error: {path}:7: document 2 (VirtualMachineSnapShot/s): kind: no matches for kind "VirtualMachineSnapShot" '
        'in version "snapshot.kubevirt.io/v1beta1"; did you mean "VirtualMachineSnapshot"?',
        f'error: {path}:13: document 3 (MigrationPolicy/p): spec.allowAutoConverge: Invalid value: "string": '
        'spec.allowAutoConverge in body must be of type boolean: "string"',
        "3 objects checked, 2 invalid: 2 errors",
    ]


TEMPLATE = """apiVersion: template.openshift.io/v1
kind: Template
metadata: {name: t}
parameters:
- name: NAME
  required: true
- name: MEM
  value: 2Gi
objects:
- apiVersion: kubevirt.io/v1
  kind: VirtualMachine
  metadata: {name: "${NAME}"}
  spec:
    runStrategy: Sometimes
    template:
      spec:
        domain:
          memory: {guest: "${MEM}"}
          devices: {}
"""


def test_a_templates_objects_are_checked_with_its_defaults(vmctl, tmp_path):
    path = tmp_path / "tpl.yaml"
    path.write_text(TEMPLATE)
    code, _, err = vmctl("validate", "-f", str(path))
    assert code == 1
    assert err.splitlines() == [
        f'warning: {path}:4: document 1 (Template/t): parameters: parameter NAME is required and has no value: the '
        'objects were checked with "placeholder-name"',
        f"error: {path}:14: document 1 (VirtualMachine/placeholder-name): objects[0].spec.runStrategy: "
        "Invalid RunStrategy (Sometimes)",
        "2 objects checked, 1 invalid: 1 error, 1 warning",
    ]
