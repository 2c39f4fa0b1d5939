"""The bundled template catalog: every template processes into a schema-valid VirtualMachine; golden outputs;
the real kubevirt/common-templates sample; lookup order for user templates."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from vmctl.cli.main import main
from vmctl.core.fields import dig
from vmctl.errors import NotFoundError
from vmctl.io.yamlio import parse_documents
from vmctl.template import find_template, list_templates, parameters_of, process

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "templates"
BUNDLED = ["centos-stream9", "cirros", "fedora-server", "test-guest", "ubuntu-server", "windows-2k22"]

#: golden name -> (template, fixed parameters; generated ones given explicitly so the output is stable)
CASES: dict[str, tuple[str, list[str]]] = {
    "cirros": ("cirros", ["NAME=cirros-golden"]),
    "centos-stream9": ("centos-stream9", ["NAME=centos-golden", "CLOUD_USER_PASSWORD=abcd-efgh-ijkl",
                                          "SSH_PUBLIC_KEY=ssh-ed25519 AAAAC3Nza golden@example"]),
    "ubuntu-server": ("ubuntu-server", ["NAME=ubuntu-golden", "CLOUD_USER_PASSWORD=abcd-efgh-ijkl"]),
    "fedora-server": ("fedora-server", ["NAME=fedora-golden", "CLOUD_USER_PASSWORD=abcd-efgh-ijkl"]),
    "fedora-server-desktop": ("fedora-server", ["NAME=fedora-desk", "CLOUD_USER_PASSWORD=abcd-efgh-ijkl",
                                                "WORKLOAD=desktop", "SSH_PUBLIC_KEY=ssh-ed25519 AAAAC3Nza golden@example"]),
    "windows-2k22": ("windows-2k22", ["NAME=win-golden"]),
    "windows-2k22-containerdisk": ("windows-2k22", ["NAME=win-cd", "IMAGE=registry.example/win2k22:v1"]),
    "test-guest": ("test-guest", ["NAME=tg-golden"]),
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --- a small OpenAPI (swagger 2.0) walker: unknown fields, types and required fields ---------------------------

_SWAGGER_CACHE: dict[str, Any] = {}


def swagger(shared: Path) -> dict[str, Any]:
    if "defs" not in _SWAGGER_CACHE:
        _SWAGGER_CACHE["defs"] = json.loads((shared / "openapi" / "swagger.json").read_text())["definitions"]
    return _SWAGGER_CACHE["defs"]


def schema_problems(value: Any, schema: dict[str, Any], defs: dict[str, Any], path: str) -> list[str]:
    if "$ref" in schema:
        return schema_problems(value, defs[schema["$ref"].rsplit("/", 1)[1]], defs, path)
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    python = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict, "array": list}
    if types and not any(isinstance(value, python[t]) for t in types if t in python):
        return [f"{path}: expected {'/'.join(types)}, got {type(value).__name__}"]
    problems: list[str] = []
    if isinstance(value, dict):
        props = schema.get("properties")
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}.{key}: required")
        for key, item in value.items():
            if props is not None and key in props:
                problems += schema_problems(item, props[key], defs, f"{path}.{key}")
            elif props is not None and "additionalProperties" not in schema:
                problems.append(f"{path}.{key}: unknown field")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += schema_problems(item, schema["additionalProperties"], defs, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += schema_problems(item, schema["items"], defs, f"{path}[{i}]")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not one of {schema['enum']}")
    return problems


# --- tests -----------------------------------------------------------------------------------------------------


def test_bundled_catalog_lists_every_template() -> None:
    names = [t["metadata"]["name"] for t in list_templates()]
    assert names == BUNDLED
    kinds = {t["metadata"]["name"]: t["kind"] for t in list_templates()}
    assert kinds["fedora-server"] == "JinjaTemplate" and kinds["windows-2k22"] == "JinjaTemplate"
    assert kinds["cirros"] == "Template" and kinds["ubuntu-server"] == "VirtualMachineTemplate"


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_template_conventions(name: str) -> None:
    t = find_template(name)
    labels = t["metadata"]["labels"]
    assert any(k.startswith("os.template.kubevirt.io/") for k in labels)
    assert labels["workload.template.kubevirt.io/server"] == "true"
    assert t["metadata"]["annotations"]["openshift.io/display-name"]
    assert t["metadata"]["annotations"]["description"]
    name_param = next(p for p in parameters_of(t) if p["name"] == "NAME")
    assert name_param.get("generate") == "expression" or name_param.get("required") is True


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_template_yields_one_valid_vm_with_defaults(name: str, shared_kubevirt: Path) -> None:
    result = process(find_template(name), {})
    assert len(result.objects) == 1
    vm = result.objects[0]
    assert (vm["apiVersion"], vm["kind"]) == ("kubevirt.io/v1", "VirtualMachine")
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", vm["metadata"]["name"]), vm["metadata"]["name"]
    assert schema_problems(vm, {"$ref": "#/definitions/v1.VirtualMachine"}, swagger(shared_kubevirt), "") == []
    spec = vm["spec"]["template"]["spec"]
    # memory.guest only (H5 drops it with --instancetype); no cpu topology or resources to conflict
    assert set(spec["domain"].get("memory", {})) == {"guest"}
    assert "cpu" not in spec["domain"] and "resources" not in spec["domain"]
    assert spec["networks"] == [{"name": "default", "pod": {}}]
    assert spec["domain"]["devices"]["interfaces"][0]["masquerade"] == {}
    assert vm["spec"]["runStrategy"] == "Always"
    assert "${" not in json.dumps(vm)
    assert result.message and vm["metadata"]["name"] in result.message


def test_test_guest_shape() -> None:
    vm = process(find_template("test-guest"), {"NAME": "tg"}).objects[0]
    spec = vm["spec"]["template"]["spec"]
    assert spec["domain"]["firmware"]["kernelBoot"] == {
        "container": {"image": "localhost:5000/vmctl/test-guest:v1", "imagePullPolicy": "Always",
                      "kernelPath": "/boot/vmlinux", "initrdPath": "/boot/initrd.gz"},
        "kernelArgs": "console=ttyS0,115200 panic=-1",
    }
    assert spec["domain"]["memory"] == {"guest": "256Mi"}
    assert spec["volumes"][0]["cloudInitNoCloud"]["userData"].startswith("#cloud-config\n")
    custom = process(find_template("test-guest"), {"NAME": "tg", "USER_DATA": "#cloud-config\nx: 1"}).objects[0]
    assert custom["spec"]["template"]["spec"]["volumes"][0]["cloudInitNoCloud"]["userData"] == "#cloud-config\nx: 1"


def test_generated_names_follow_the_expression() -> None:
    assert re.fullmatch(r"cirros-[a-z0-9]{6}", process(find_template("cirros"), {}).objects[0]["metadata"]["name"])
    password = dig(process(find_template("ubuntu-server"), {}).objects[0],
                   "spec", "template", "spec", "volumes", 1, "cloudInitNoCloud", "userData")
    assert re.search(r"^password: [a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$", password, re.M)


def test_fedora_workload_validation() -> None:
    from vmctl.errors import InputError

    with pytest.raises(InputError) as err:
        process(find_template("fedora-server"), {"WORKLOAD": "gaming"})
    assert err.value.message == "fedora-server: template: WORKLOAD must be server or desktop, got gaming"


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_output(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    template, params = CASES[case]
    argv = ["template", "process", template]
    for p in params:
        argv += ["-p", p]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    golden = GOLDEN / f"{case}.yaml"
    if os.environ.get("VMCTL_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert golden.is_file(), f"missing {golden}; run with VMCTL_UPDATE_GOLDEN=1 once and review it"
    assert out == golden.read_text(encoding="utf-8")
    assert err.strip()  # the message went to stderr


def test_common_templates_fedora_server_small(shared_kubevirt: Path) -> None:
    path = shared_kubevirt / "common-templates" / "fedora-server-small.yaml"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    template = find_template(str(path))
    result = process(template, {"NAME": "fedora-web"}, labels={"team": "a"})
    assert result.message is None
    [vm] = result.objects
    assert vm["metadata"]["name"] == "fedora-web"
    assert vm["metadata"]["labels"] == {
        "vm.kubevirt.io/template": "fedora-server-small", "vm.kubevirt.io/template.version": "v0.35.0",
        "vm.kubevirt.io/template.revision": "1", "app": "fedora-web", "team": "a",
    }
    dv = vm["spec"]["dataVolumeTemplates"][0]
    assert dv["metadata"]["name"] == "fedora-web"
    assert dv["spec"]["sourceRef"] == {"kind": "DataSource", "name": "fedora", "namespace": "kubevirt-os-images"}
    tspec = vm["spec"]["template"]
    assert tspec["metadata"]["labels"] == {"kubevirt.io/domain": "fedora-web", "kubevirt.io/size": "small"}
    assert tspec["spec"]["domain"]["memory"] == {"guest": "2Gi"}
    assert tspec["spec"]["volumes"][0] == {"dataVolume": {"name": "fedora-web"}, "name": "rootdisk"}
    user_data = tspec["spec"]["volumes"][1]["cloudInitNoCloud"]["userData"]
    assert re.fullmatch(
        r"#cloud-config\nuser: fedora\npassword: [a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}\nchpasswd: \{ expire: False \}",
        user_data,
    )
    assert vm["spec"]["runStrategy"] == "Halted"
    assert schema_problems(vm, {"$ref": "#/definitions/v1.VirtualMachine"}, swagger(shared_kubevirt), "") == []
    generated = process(template, {}).objects[0]["metadata"]["name"]
    assert re.fullmatch(r"fedora-[a-z0-9]{16}", generated)
    overridden = process(template, {"DATA_SOURCE_NAME": "fedora43", "CLOUD_USER_PASSWORD": "pw"}).objects[0]
    assert overridden["spec"]["dataVolumeTemplates"][0]["spec"]["sourceRef"]["name"] == "fedora43"
    assert "password: pw\n" in overridden["spec"]["template"]["spec"]["volumes"][1]["cloudInitNoCloud"]["userData"]


def test_user_templates_shadow_bundled_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    body = "apiVersion: template.openshift.io/v1\nkind: Template\nmetadata:\n  name: {name}\n  annotations:\n" \
           "    description: {desc}\nobjects: []\n"
    (first / "a.yaml").write_text(body.format(name="cirros", desc="mine"), encoding="utf-8")
    (second / "b.yml").write_text(body.format(name="cirros", desc="env") + "---\n" + body.format(name="extra", desc="x"),
                                  encoding="utf-8")
    (second / "notes.txt").write_text("ignored", encoding="utf-8")
    monkeypatch.setenv("VMCTL_TEMPLATE_PATH", str(second))
    assert find_template("cirros")["metadata"]["annotations"]["description"] == "env"
    assert find_template("cirros", [first])["metadata"]["annotations"]["description"] == "mine"
    names = [t["metadata"]["name"] for t in list_templates([first])]
    assert names == sorted([*BUNDLED, "extra"])
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "vmctl" / "templates"
    config.mkdir(parents=True)
    (config / "c.yaml").write_text(body.format(name="mine-only", desc="cfg"), encoding="utf-8")
    assert find_template("mine-only")["metadata"]["annotations"]["description"] == "cfg"


def test_not_found_has_hint() -> None:
    with pytest.raises(NotFoundError) as err:
        find_template("fedora-srv")
    assert err.value.message == 'template "fedora-srv" not found'
    assert err.value.hint and "did you mean fedora-server?" in err.value.hint


def test_golden_files_parse_as_vms() -> None:
    for case in CASES:
        docs = parse_documents((GOLDEN / f"{case}.yaml").read_text(encoding="utf-8"), case)
        assert [d.obj["kind"] for d in docs] == ["VirtualMachine"]
