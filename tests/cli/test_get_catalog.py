"""``vmctl get`` for catalog kinds, through the real entry point."""

from __future__ import annotations

import json

from vmctl.io.yamlio import parse_documents


def test_list_instancetypes_table(vmctl):
    code, out, err = vmctl("get", "instancetypes")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "NAME             CPUS   MEMORY   CLASS"
    assert len(lines) == 66
    assert "u1.medium        1      4Gi      general.purpose" in lines
    assert "n1.8xlarge       64     128Gi    network" in lines


def test_aliases_list_the_same(vmctl):
    outputs = {vmctl("get", alias)[1] for alias in ("it", "instancetype", "vmcf", "virtualmachineclusterinstancetypes")}
    assert len(outputs) == 1


def test_show_one_instancetype_as_yaml_and_json(vmctl):
    code, out, _ = vmctl("get", "instancetype", "u1.medium", "-o", "json")
    obj = json.loads(out)
    assert code == 0
    assert obj["kind"] == "VirtualMachineClusterInstancetype"
    assert obj["spec"] == {"cpu": {"guest": 1}, "memory": {"guest": "4Gi"}}
    code, out, _ = vmctl("get", "instancetype", "u1.medium", "-o", "yaml")
    assert code == 0
    assert "kind: VirtualMachineClusterInstancetype\n" in out
    assert "  name: u1.medium\n" in out
    assert "    guest: 4Gi\n" in out


def test_type_slash_name_and_name_output(vmctl):
    code, out, _ = vmctl("get", "vmcp/fedora", "-o", "name")
    assert (code, out) == (0, "virtualmachineclusterpreference.instancetype.kubevirt.io/fedora\n")


def test_preferences_table_and_selector(vmctl):
    code, out, _ = vmctl("get", "preferences", "-l", "instancetype.kubevirt.io/os-type=windows")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["NAME", "OS", "TYPE", "ARCH", "MIN", "CPUS", "MIN", "MEMORY", "DISPLAY", "NAME"]
    assert len(lines) == 1 + 20
    fedora = vmctl("get", "preference", "fedora")[1].splitlines()[1].split()
    assert fedora[:5] == ["fedora", "linux", "amd64", "1", "2Gi"]


def test_wide_columns(vmctl):
    code, out, _ = vmctl("get", "instancetypes", "cx1.medium1gi", "-o", "wide")
    assert code == 0
    assert out.splitlines()[1].split() == ["cx1.medium1gi", "1", "2Gi", "compute.exclusive", "1Gi", "true", "bundled"]
    code, out, _ = vmctl("get", "preferences", "windows.2k22", "-o", "wide")
    assert out.splitlines()[1].split()[-4:] == ["sata", "e1000e", "efi-secureboot", "bundled"]


def test_catalog_folder_object_shows_its_source(vmctl, tmp_path):
    folder = tmp_path / "cat"
    folder.mkdir()
    (folder / "mine.yaml").write_text(
        "apiVersion: instancetype.kubevirt.io/v1beta1\nkind: VirtualMachineInstancetype\n"
        "metadata: {name: tiny, namespace: dev}\nspec: {cpu: {guest: 1}, memory: {guest: 64Mi}}\n"
    )
    code, out, err = vmctl("get", "vminstancetypes", "-n", "dev", "--catalog", str(folder), "-o", "wide")
    assert code == 0
    assert out.splitlines()[1].split() == ["tiny", "1", "64Mi", "<none>", "<none>", "false", str(folder)]
    code, out, err = vmctl("get", "vminstancetypes", "--catalog", str(folder))
    assert (code, out, err) == (0, "", "No resources found in default namespace.\n")
    code, out, _ = vmctl("get", "vmf", "-A", "--catalog", str(folder))
    assert out.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert out.splitlines()[1].split()[:2] == ["dev", "tiny"]


def test_not_found_is_an_error_with_hint(vmctl):
    code, out, err = vmctl("get", "instancetype", "u1.mediun")
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == 'error: virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.mediun" not found'
    assert err.splitlines()[1].startswith('hint: did you mean "u1.medium"')


def test_unknown_type_is_a_usage_error(vmctl):
    code, out, err = vmctl("get", "instancetipes")
    assert (code, out) == (2, "")
    assert err == 'error: the server doesn\'t have a resource type "instancetipes"\nhint: did you mean "instancetypes"?\n'


def test_bad_selector_and_bad_output_are_usage_errors(vmctl):
    code, _, err = vmctl("get", "instancetypes", "-l", "a=b=c")
    assert code == 2 and "unable to parse requirement 'a=b=c'" in err
    code, _, err = vmctl("get", "instancetypes", "-o", "table")
    assert code == 2 and "table" in err


def test_presets_from_a_catalog_folder(vmctl, tmp_path):
    folder = tmp_path / "cat"
    folder.mkdir()
    (folder / "p.yaml").write_text(
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstancePreset\nmetadata: {name: small}\n"
        "spec: {selector: {matchLabels: {size: small}}, domain: {cpu: {cores: 1}, devices: {}}}\n"
    )
    code, out, _ = vmctl("get", "presets", "--catalog", str(folder))
    assert (code, out) == (0, "NAME    SELECTOR\nsmall   size=small\n")


def test_listings_print_one_list_in_yaml_and_json(vmctl):
    """As kubectl get: a listing (even of one object) or several names is one List; one name is the object."""
    selector = "instancetype.kubevirt.io/class=general.purpose,instancetype.kubevirt.io/size=2xmedium"
    code, out, _ = vmctl("get", "instancetypes", "-l", selector, "-o", "yaml")
    [listing] = [d.obj for d in parse_documents(out, "<stdout>")]
    assert (code, listing["apiVersion"], listing["kind"]) == (0, "v1", "List")
    assert [i["metadata"]["name"] for i in listing["items"]] == ["u1.2xmedium"]
    code, out, _ = vmctl("get", "instancetypes", "-l", selector, "-o", "json")
    assert (code, json.loads(out)) == (0, listing)
    code, out, _ = vmctl("get", "preferences", "fedora", "centos.stream9", "-o", "json")
    body = json.loads(out)
    assert (code, body["kind"], [i["metadata"]["name"] for i in body["items"]]) == (0, "List", ["fedora", "centos.stream9"])
    code, out, _ = vmctl("get", "preference", "fedora", "-o", "yaml")
    [obj] = [d.obj for d in parse_documents(out, "<stdout>")]
    assert (code, obj["kind"], obj["metadata"]["name"]) == (0, "VirtualMachineClusterPreference", "fedora")


def test_empty_listing_is_an_empty_list_for_machines_and_a_message_for_people(vmctl, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    assert vmctl("get", "vminstancetypes", "--catalog", str(folder), "-o", "json") == (
        0, '{\n  "apiVersion": "v1",\n  "items": [],\n  "kind": "List"\n}\n', "")
    assert vmctl("get", "vminstancetypes", "--catalog", str(folder), "-o", "yaml") == (
        0, "apiVersion: v1\nitems: []\nkind: List\n", "")
    assert vmctl("get", "vminstancetypes", "--catalog", str(folder), "-o", "name") == (0, "", "")
    assert vmctl("get", "vminstancetypes", "--catalog", str(folder)) == (
        0, "", "No resources found in default namespace.\n")


def test_names_and_selector_cannot_be_combined(vmctl):
    code, out, err = vmctl("get", "instancetype", "u1.medium", "-l", "a=b")
    assert (code, out, err) == (2, "", "error: --selector: cannot be combined with names\n")
