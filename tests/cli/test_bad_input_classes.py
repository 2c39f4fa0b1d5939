"""Each class of bad input a demanding new user hits, through the real entry point: the documented exit code, one
``error:`` line on stderr naming the file, field, flag or variable, nothing on stdout, no traceback, nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_bad_input import PLAIN_VM, REQUIRED, assert_one_error, write

TEMPLATE = REQUIRED.replace("  name: req\n", "  name: t\n").replace("  required: true\n", "")

JINJA = """apiVersion: vmctl.dev/v1alpha1
kind: JinjaTemplate
metadata:
  name: jt
parameters:
- name: NAME
template: |
  apiVersion: kubevirt.io/v1
  kind: VirtualMachine
  metadata:
    name: {{ NAME | yaml }}
  {STATEMENT}
  spec: {}
"""

GO_VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: "{{ .VM_NAME }}"
  labels:
    app: {{ .VM_NAME }}-app
spec:
  runStrategy: {{ .RUN_STRATEGY | default "Always" }}
  template:
    spec:
      domain:
        cpu:
          cores: {{ .CPU | default "1" }}
        memory:
          guest: {{ .MEMORY }}
        devices: {}
"""


# --- 1. environment and configuration are input too ------------------------------------------------------------

@pytest.mark.parametrize("value", ["abc", "", "1e6", "0", "-5"])
@pytest.mark.parametrize("args", [["validate", "-f", "-"], ["template", "process", "cirros"], ["get", "instancetypes"]],
                         ids=["validate", "template", "get"])
def test_bad_size_limit_names_the_variable(vmctl, monkeypatch, args: list[str], value: str) -> None:
    monkeypatch.setenv("VMCTL_MAX_INPUT_BYTES", value)
    if args[0] == "get":
        monkeypatch.setenv("VMCTL_CATALOG_PATH", str(Path(__file__).parent))
        args = ["get", "instancetypes", "--catalog", str(Path(__file__).parents[2] / "instancetypes")]
    code, out, err = vmctl(*args)
    assert_one_error(
        code, out, err,
        f"error: VMCTL_MAX_INPUT_BYTES: expected a whole number of bytes from 1 to 1073741824, got {value!r}", exit_code=2,
    )


@pytest.mark.parametrize("value", ["abc", "0", "-1", "nan", "inf"])
def test_template_timeout_cannot_be_switched_off(vmctl, monkeypatch, value: str) -> None:
    monkeypatch.setenv("VMCTL_TEMPLATE_TIMEOUT", value)
    code, out, err = vmctl("template", "process", "fedora-server", "-p", "NAME=a")
    assert_one_error(
        code, out, err, f"error: VMCTL_TEMPLATE_TIMEOUT: expected a number of seconds greater than 0 and at most 86400, got {value!r}",
        exit_code=2,
    )


def test_commands_that_do_not_use_a_bad_variable_still_work(vmctl, monkeypatch) -> None:
    monkeypatch.setenv("VMCTL_MAX_INPUT_BYTES", "abc")
    monkeypatch.setenv("VMCTL_TEMPLATE_TIMEOUT", "abc")
    code, out, _ = vmctl("version")
    assert code == 0 and out.startswith("vmctl ")


def test_missing_catalog_folder_warns(vmctl, monkeypatch, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    monkeypatch.setenv("VMCTL_CATALOG_PATH", str(missing))
    code, out, err = vmctl("get", "instancetype", "u1.nano", "-o", "name")
    assert (code, out) == (0, "virtualmachineclusterinstancetype.instancetype.kubevirt.io/u1.nano\n")
    assert err == f"warning: VMCTL_CATALOG_PATH: {missing}: no such directory, ignored\n"


# --- 2. what vmctl prints is valid ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["a\nb", "{{ x }}", "[a-", "Bad_Name"])
@pytest.mark.parametrize("command", [["template", "process"], ["create", "vm", "--from-template"]],
                         ids=["process", "create"])
def test_parameter_making_an_invalid_name_is_named(vmctl, tmp_path: Path, command: list[str], value: str) -> None:
    path = write(tmp_path, "t.yaml", TEMPLATE)
    code, out, err = vmctl(*command, str(path), "-p", f"NAME={value}")
    quoted = json.dumps(value).replace("\n", "\\n")
    assert (code, out) == (2, ""), err
    assert err.startswith(f"error: t: parameter NAME: value {quoted} makes an invalid VirtualMachine metadata.name: ")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("command", [["template", "params"], ["template", "process"], ["create", "vm", "--from-template"]],
                         ids=["params", "process", "create"])
def test_nameless_parameter_is_rejected_when_loaded(vmctl, tmp_path: Path, command: list[str]) -> None:
    path = write(tmp_path, "t.yaml", TEMPLATE.replace("- name: NAME\n", "- name: NAME\n- description: no name\n"))
    assert_one_error(*vmctl(*command, str(path)), 'error: t: parameters[1].name: Invalid value: "": parameter name is empty')


# --- 3. YAML the way Kubernetes reads it: List items ------------------------------------------------------------

@pytest.mark.parametrize("command", ["validate", "resolve", "expand"])
@pytest.mark.parametrize("items", ["3", "web1", "{a: 1}"])
def test_list_items_must_be_a_list(vmctl, tmp_path: Path, command: str, items: str) -> None:
    path = write(tmp_path, "list.yaml", f"apiVersion: v1\nkind: List\nitems: {items}\n")
    got = {"3": "int", "web1": "str", "{a: 1}": "dict"}[items]
    assert_one_error(*vmctl(command, "-f", str(path)),
                     f"error: {path}:3: document 1 (List): items: expected a list of objects, got {got}")


# --- 4. empty input ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n---\n"], ids=["empty", "comment", "separators"])
def test_validate_empty_file_fails(vmctl, tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "empty.yaml", text)
    assert_one_error(*vmctl("validate", "-f", str(path)), f"error: {path}: no Kubernetes objects (the input is empty)")


def test_validate_empty_stdin_fails(vmctl, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert_one_error(*vmctl("validate", "-f", "-"), "error: <stdin>: no Kubernetes objects (the input is empty)")


def test_validate_empty_file_among_good_ones_fails(vmctl, tmp_path: Path) -> None:
    good, empty = write(tmp_path, "vm.yaml", PLAIN_VM), write(tmp_path, "empty.yaml", "")
    code, out, err = vmctl("validate", "-f", str(good), "-f", str(empty))
    assert (code, out) == (1, "")  # the good file is still checked; the empty one fails the run
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        f"error: {empty}: no Kubernetes objects (the input is empty)"]
    assert "Traceback" not in err


# --- 5. suggestions everywhere ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "hint"),
    [(["creat"], "did you mean \"create\"? see 'vmctl --help'"),
     (["valdiate"], "did you mean \"validate\"? see 'vmctl --help'"),
     (["create", "mv"], "did you mean \"vm\"? see 'vmctl create --help'"),
     (["template", "proces"], "did you mean \"process\"? see 'vmctl template --help'")],
    ids=["creat", "valdiate", "create-mv", "template-proces"],
)
def test_mistyped_command_gets_did_you_mean(vmctl, args: list[str], hint: str) -> None:
    code, out, err = vmctl(*args)
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"error: No such command {args[-1]!r}.", f"hint: {hint}"]


@pytest.mark.parametrize("content", ["root:*:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n", "a: 1\n",
                                     "just some text\n"], ids=["shadow", "mapping", "text"])
def test_non_manifest_says_what_it_holds(vmctl, tmp_path: Path, content: str) -> None:
    path = write(tmp_path, "shadow", content)
    assert_one_error(*vmctl("template", "params", str(path)),
                     f"error: {path}: holds no template (no Kubernetes objects; expected Template, "
                     "VirtualMachineTemplate, JinjaTemplate or a manifest with {{ .NAME }} placeholders)")
    assert_one_error(*vmctl("validate", "-f", str(path)),
                     f"error: {path}: no Kubernetes objects (expected YAML or JSON documents with apiVersion and kind)")


# --- 7. Jinja templates -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("statement", "problem"),
    [("{% include 'other.yaml' %}", "{% include %} is not supported: a template is self-contained (no other files "
                                    "can be loaded)"),
     ("{% import 'macros' as m %}", "{% import %} is not supported: a template is self-contained (no other files "
                                   "can be loaded)"),
     ("{% if %}", "template syntax error: Expected an expression, got 'end of statement block'"),
     ("{{ NAME | nosuchfilter }}", "template syntax error: No filter named 'nosuchfilter'.")],
    ids=["include", "import", "syntax", "filter"],
)
def test_jinja_errors_name_file_and_line(vmctl, tmp_path: Path, statement: str, problem: str) -> None:
    path = write(tmp_path, "jt.yaml", JINJA.replace("{STATEMENT}", statement))
    assert_one_error(*vmctl("template", "process", str(path), "-p", "NAME=a"), f"error: {path}:12: jt: template: {problem}")


# --- 8. the seed's template dialect: Go-template placeholders ---------------------------------------------------

def test_go_placeholders_are_a_template(vmctl, tmp_path: Path) -> None:
    path = write(tmp_path, "vm.yaml", GO_VM)
    code, out, err = vmctl("template", "params", str(path), "-o", "json")
    assert code == 0, err
    assert json.loads(out) == [
        {"name": "VM_NAME", "required": True}, {"name": "RUN_STRATEGY", "value": "Always"},
        {"name": "CPU", "value": "1"}, {"name": "MEMORY", "required": True},
    ]
    code, out, err = vmctl("create", "vm", "--from-template", str(path), "--param", "VM_NAME=my-vm", "-p", "MEMORY=1Gi",
                           "-p", "CPU=2", "-o", "json")
    assert code == 0, err
    vm = json.loads(out)
    assert vm["metadata"] == {"name": "my-vm", "labels": {"app": "my-vm-app"}}
    assert vm["spec"]["runStrategy"] == "Always"
    assert vm["spec"]["template"]["spec"]["domain"]["cpu"] == {"cores": 2}
    assert vm["spec"]["template"]["spec"]["domain"]["memory"] == {"guest": "1Gi"}


def test_go_placeholder_values_cannot_add_keys_or_documents(vmctl, tmp_path: Path) -> None:
    path = write(tmp_path, "vm.yaml", GO_VM)
    code, out, err = vmctl("template", "process", str(path), "-p", "VM_NAME=web1", "-p",
                           "MEMORY=1Gi\nkind: Secret\n---\nkind: Secret", "-o", "json")
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {path}: objects[0] (VirtualMachine): spec.template.spec.domain.memory.guest: "
                          'Invalid value: "1Gi\\nkind: Secret\\n---\\nkind: Secret"')


@pytest.mark.parametrize(
    ("params", "expected"),
    [([], "parameters[0]: parameter VM_NAME is required and must be specified"),
     (["VM_NAME=a", "MEMORY=1Gi", "NOPE=1"], 'unknown parameter name "NOPE"'),
     (["VM_NAME=a", "MEMORY=1Gi", "CPU=two"], "objects[0] (VirtualMachine): spec.template.spec.domain.cpu.cores: "
                                              'Invalid value: "string": spec.template.spec.domain.cpu.cores in body '
                                              'must be of type integer: "string"')],
    ids=["required", "unknown", "schema"],
)
def test_go_template_errors(vmctl, tmp_path: Path, params: list[str], expected: str) -> None:
    path = write(tmp_path, "vm.yaml", GO_VM)
    args = [a for p in params for a in ("-p", p)]
    code, out, err = vmctl("template", "process", str(path), *args)
    prefix = "" if expected.startswith("unknown") else f"{path}: "
    assert_one_error(code, out, err, f"error: {prefix}{expected}")


def test_go_template_refuses_other_actions(vmctl, tmp_path: Path) -> None:
    path = write(tmp_path, "vm.yaml", GO_VM.replace("devices: {}", "devices: {{ range .DISKS }}"))
    assert_one_error(*vmctl("template", "params", str(path)),
                     f"error: {path}:16: unsupported Go-template action '{{{{ range .DISKS }}}}': only {{{{ .NAME }}}} "
                     'and {{ .NAME | default "value" }} are supported')


# --- 9. create vm as a drop-in for virtctl's --------------------------------------------------------------------

def test_exclusion_error_names_virtctl_group(vmctl) -> None:
    assert_one_error(
        *vmctl("create", "vm", "--instancetype", "u1.small", "--infer-instancetype"),
        "error: if any flags in the group [memory instancetype infer-instancetype infer-instancetype-from] are set "
        "none of the others can be; [infer-instancetype instancetype] were all set", exit_code=2,
    )


def _user_data(out: str) -> str:
    volumes = json.loads(out)["spec"]["template"]["spec"]["volumes"]
    return next(v for v in volumes if v["name"] == "cloudinitdisk")["cloudInitNoCloud"]["userData"]


def test_ssh_key_values_are_csv(vmctl) -> None:
    code, out, err = vmctl("create", "vm", "--ssh-key", '"ssh-ed25519 AAAA me@a,b",ssh-rsa BBBB x', "--ssh-key", "k3",
                           "-o", "json")
    assert code == 0, err
    assert _user_data(out).splitlines()[2:] == ["  - ssh-ed25519 AAAA me@a,b", "  - ssh-rsa BBBB x", "  - k3"]
    assert_one_error(*vmctl("create", "vm", "--ssh-key", 'a"b'),
                     'error: invalid argument "a\\"b" for "--ssh-key" flag: parse error on line 1, column 2: '
                     'bare " in non-quoted-field', exit_code=2)


@pytest.mark.parametrize(("value", "inferred"), [("false", False), ("0", False), ("F", False), ("true", True),
                                                 ("1", True), ("True", True)])
def test_go_style_booleans(vmctl, value: str, inferred: bool) -> None:
    code, out, err = vmctl("create", "vm", "--name", "a", "--volume-pvc", "src:root",
                           f"--infer-instancetype={value}", "--infer-preference=false", "-o", "json")
    assert code == 0, err
    spec = json.loads(out)["spec"]
    assert ("instancetype" in spec) is inferred and "preference" not in spec


def test_go_style_boolean_refuses_other_values(vmctl) -> None:
    assert_one_error(*vmctl("create", "vm", "--infer-instancetype=maybe"),
                     'error: invalid argument "maybe" for "--infer-instancetype" flag: strconv.ParseBool: parsing '
                     '"maybe": invalid syntax', exit_code=2)


def test_deprecated_volume_flags_alias_volume_import(vmctl) -> None:
    args = ["create", "vm", "--name", "a", "-o", "json"]
    code, out, err = vmctl(*args, "--volume-blank", "size:1Gi,name:b1", "--volume-blank", "size:2Gi,name:b2",
                           "--volume-datasource", "src:ns/ds,name:d1", "--volume-clone-pvc", "src:ns/p,name:c1",
                           "--volume-import", "type:blank,size:3Gi,name:i1")
    assert code == 0, err
    assert err.splitlines() == [
        f"warning: Flag --{flag} has been deprecated, use flag --volume-import instead"
        for flag in ("volume-datasource", "volume-clone-pvc", "volume-blank")
    ]
    expected = vmctl(*args, "--volume-import", "type:blank,size:2Gi,name:b2", "--volume-import", "type:blank,size:1Gi,name:b1",
                     "--volume-import", "type:pvc,src:ns/p,name:c1", "--volume-import", "type:ds,src:ns/ds,name:d1",
                     "--volume-import", "type:blank,size:3Gi,name:i1")
    assert json.loads(out) == json.loads(expected[1])
    assert_one_error(*vmctl(*args, "--volume-blank", ""),
                     'error: failed to parse "--volume-import" flag: params may not be empty', exit_code=2)


def test_import_without_size_has_empty_resources(vmctl) -> None:
    code, out, err = vmctl("create", "vm", "--volume-import", "type:ds,src:os/fedora,name:root", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["spec"]["dataVolumeTemplates"][0]["spec"]["storage"] == {"resources": {}}


# --- backend commands: environment, empty input, the user's order -----------------------------------------------

def local(tmp_path: Path) -> list[str]:
    """Backend flags for a throw-away state folder and libvirt's in-process test driver (no real libvirt)."""
    return ["--backend", "local", "--state-dir", str(tmp_path / "state"), "--libvirt-uri", "test:///default"]


def test_bad_backend_variable_is_named(vmctl, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VMCTL_BACKEND", "bogus")
    assert_one_error(*vmctl("get", "vms", "--state-dir", str(tmp_path)),
                     "error: VMCTL_BACKEND: expected 'local' or 'cluster', got 'bogus'", exit_code=2)
    monkeypatch.delenv("VMCTL_BACKEND")
    assert_one_error(*vmctl("get", "vms", "--backend", "bogus", "--state-dir", str(tmp_path)),
                     "error: --backend: expected 'local' or 'cluster', got 'bogus'", exit_code=2)


@pytest.mark.parametrize("name", ["VMCTL_HOOK_TIMEOUT", "VMCTL_PULL_TIMEOUT", "VMCTL_CONSOLE_DRAIN"])
def test_backend_timeouts_are_parsed_when_used(monkeypatch, name: str) -> None:
    """Read at use (not import): the modules import with a bad value; using the value is one usage error."""
    import os
    import subprocess
    import sys

    from vmctl import settings
    from vmctl.errors import UsageError

    modules = "vmctl.backends.local.hooks, vmctl.backends.local.images, vmctl.backends.local.console"
    proc = subprocess.run([sys.executable, "-c", f"import {modules}"], env={**os.environ, name: "abc"},
                          capture_output=True, text=True, timeout=60, check=False)
    assert (proc.returncode, proc.stderr) == (0, "")
    monkeypatch.setenv(name, "abc")
    read = {"VMCTL_HOOK_TIMEOUT": settings.hook_timeout, "VMCTL_PULL_TIMEOUT": settings.pull_timeout,
            "VMCTL_CONSOLE_DRAIN": settings.console_drain}[name]
    with pytest.raises(UsageError, match=rf"^{name}: expected a number of seconds greater than 0 and at most "):
        read()


def test_bad_config_file_is_one_error(vmctl, monkeypatch, tmp_path: Path) -> None:
    config = tmp_path / "config" / "vmctl" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_bytes(b"\x80backend: local\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert_one_error(*vmctl("get", "vms", "--state-dir", str(tmp_path / "state")), f"error: {config}: not UTF-8 text")


@pytest.mark.parametrize("text", ["", "# nothing\n", "just text\n"], ids=["empty", "comment", "text"])
def test_apply_of_empty_input_names_it(vmctl, tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "empty.yaml", text)
    why = "the input is empty" if text != "just text\n" else "expected YAML or JSON documents with apiVersion and kind"
    assert_one_error(*vmctl("apply", "-f", str(path), *local(tmp_path)),
                     f"error: {path}: no Kubernetes objects ({why})")
    assert not (tmp_path / "state").exists()  # nothing written: the backend was not even opened


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["soft-reboot", "nope"], 'Error soft rebooting VirtualMachineInstance nope: virtualmachineinstance.kubevirt.io '
                               '"nope" not found'),
     (["vnc", "nope"], 'virtualmachineinstances.kubevirt.io "nope" not found')],
    ids=["soft-reboot", "vnc"],
)
def test_missing_object_is_reported_first(vmctl, monkeypatch, tmp_path: Path, args: list[str], expected: str) -> None:
    """Not "no viewer installed" (the PATH has none) nor "libvirt-python is missing" (it is made unimportable)."""
    import sys

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "libvirt", None)
    assert_one_error(*vmctl(*args, *local(tmp_path)), f"error: {expected}")


def test_delete_several_objects(vmctl, tmp_path: Path) -> None:
    maps = write(tmp_path, "cm.yaml", "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\ndata:\n  k: v\n" for n in "abc"))
    assert vmctl("apply", "-f", str(maps), *local(tmp_path))[0] == 0
    assert vmctl("delete", "configmap", "a", "b", *local(tmp_path)) == (
        0, 'configmap "a" deleted\nconfigmap "b" deleted\n', "")
    code, out, err = vmctl("delete", "configmap/c", "configmap/nope", *local(tmp_path))
    assert (code, out, err) == (1, 'configmap "c" deleted\n', 'error: configmaps "nope" not found\n')
    assert_one_error(*vmctl("delete", "configmap/a", "b", *local(tmp_path)),
                     "error: there is no need to specify a resource type as a separate argument when passing "
                     "arguments in resource/name form (e.g. 'vm/a vm/b')", exit_code=2)


@pytest.mark.parametrize("content", [b"hello\n", b"", b"x" * 1000], ids=["text", "empty", "unaligned"])
def test_volume_import_refuses_what_is_no_disk_image(vmctl, tmp_path: Path, content: bytes) -> None:
    import shutil

    if shutil.which("qemu-img") is None:
        pytest.skip("qemu-img is not installed")
    path = write(tmp_path, "notes.txt", content)
    assert_one_error(
        *vmctl("volume", "import", "v1", "--from", str(path), "--state-dir", str(tmp_path / "state")),
        f"error: --from {path}: not a disk image: qemu-img finds no image format, and its {len(content)} bytes are "
        "not a raw disk (a whole, non-zero number of 512-byte sectors)",
    )
    assert not list((tmp_path / "state").rglob("*.qcow2"))


@pytest.mark.parametrize("args", [["validate", "-f", "{d}"], ["get", "instancetypes", "--catalog", "{d}"],
                                  ["template", "list", "--template-dir", "{d}"],
                                  ["volume", "list", "-A", "--state-dir", "{s}"]],
                         ids=["validate", "catalog", "template-dir", "volume-list"])
def test_unreadable_folder_says_permission_denied(vmctl, monkeypatch, tmp_path: Path, args: list[str]) -> None:
    """chmod cannot show this to root (the tests may run as root), so the folder's listing is refused instead."""
    import os

    folder, state = tmp_path / "locked", tmp_path / "state"
    (folder / "sub").mkdir(parents=True)
    (state / "volumes" / "default").mkdir(parents=True)
    denied = str(state / "volumes") if "volume" in args else str(folder)
    real_scandir, real_listdir = os.scandir, os.listdir

    def refuse(real):  # noqa: ANN001, ANN202
        def call(path="."):  # noqa: ANN001, ANN202
            if os.fspath(path).rstrip("/") == denied:
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real(path)
        return call

    monkeypatch.setattr(os, "scandir", refuse(real_scandir))
    monkeypatch.setattr(os, "listdir", refuse(real_listdir))
    argv = [a.format(d=folder, s=state) for a in args]
    assert_one_error(*vmctl(*argv), f"error: {denied}: cannot read folder: permission denied")
