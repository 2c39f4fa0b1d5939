"""``vmctl template list|show|params|process`` through the real entry point."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vmctl.io.yamlio import parse_documents

REPO = Path(__file__).resolve().parents[2]
VMCTL = Path(sys.executable).parent / "vmctl"

MINI = """\
apiVersion: template.openshift.io/v1
kind: Template
metadata:
  name: mini
  annotations:
    description: A tiny test template.
message: made ${NAME}
labels:
  origin: mini
objects:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: ${NAME}
    namespace: dropped
  data:
    size: ${{SIZE}}
    note: ${NOTE}
parameters:
- name: NAME
  description: Object name
  required: true
- name: SIZE
  value: "3"
- name: NOTE
  description: |
    Free text,
    two lines.
  generate: expression
  from: n-[0-9]{3}
"""


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI, encoding="utf-8")
    return path


def test_list_table(vmctl) -> None:
    code, out, err = vmctl("template", "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "KIND/ENGINE", "DESCRIPTION"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert rows == {
        "centos-stream9": "Template/openshift", "cirros": "Template/openshift",
        "fedora-server": "JinjaTemplate/jinja2", "test-guest": "Template/openshift",
        "ubuntu-server": "VirtualMachineTemplate/kubevirt", "windows-2k22": "JinjaTemplate/jinja2",
    }


def test_list_outputs(vmctl, mini: Path) -> None:
    code, out, _ = vmctl("template", "list", "-o", "name", "--template-dir", str(mini.parent))
    assert code == 0
    assert out.splitlines() == [
        "template.template.openshift.io/centos-stream9", "template.template.openshift.io/cirros",
        "jinjatemplate.vmctl.dev/fedora-server", "template.template.openshift.io/mini",
        "template.template.openshift.io/test-guest", "virtualmachinetemplate.template.kubevirt.io/ubuntu-server",
        "jinjatemplate.vmctl.dev/windows-2k22",
    ]
    code, out, _ = vmctl("template", "list", "-o", "json")
    body = json.loads(out)
    assert body["kind"] == "List" and len(body["items"]) == 6


def test_show_prints_the_file(vmctl, mini: Path) -> None:
    code, out, err = vmctl("template", "show", "cirros")
    assert (code, err) == (0, "")
    assert out == (REPO / "templates" / "cirros.yaml").read_text(encoding="utf-8")
    code, out, _ = vmctl("template", "show", str(mini), "-o", "json")
    assert json.loads(out)["metadata"]["name"] == "mini"


def test_params_table(vmctl, mini: Path) -> None:
    code, out, err = vmctl("template", "params", str(mini))
    assert (code, err) == (0, "")
    assert out == (
        "NAME   DESCRIPTION             GENERATOR    VALUE\n"
        "NAME   Object name\n"
        "SIZE                                        3\n"
        "NOTE   Free text, two lines.   expression   n-[0-9]{3}\n"
    )
    code, out, _ = vmctl("template", "params", "ubuntu-server", "-o", "name")
    assert out.split() == ["NAME", "IMAGE", "MEMORY", "RUN_STRATEGY", "CLOUD_USER_PASSWORD"]


def test_process_yaml_with_message_on_stderr(vmctl, mini: Path) -> None:
    code, out, err = vmctl("template", "process", str(mini), "-p", "NAME=cm1", "NOTE=hello", "-l", "team=a,env=dev")
    assert code == 0, err
    assert err == "made cm1\n"
    [doc] = parse_documents(out, "out")
    assert doc.obj == {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cm1", "labels": {"origin": "mini", "team": "a", "env": "dev"}},
        "data": {"size": 3, "note": "hello"},
    }


def test_process_json_is_a_list_and_name_output(vmctl, mini: Path) -> None:
    code, out, _ = vmctl("template", "process", "-f", str(mini), "-p", "NAME=cm1", "-o", "json")
    assert code == 0
    body = json.loads(out)
    assert (body["apiVersion"], body["kind"]) == ("v1", "List")
    assert body["items"][0]["metadata"]["name"] == "cm1"
    assert body["items"][0]["data"]["note"].startswith("n-")
    code, out, _ = vmctl("template", "process", "cirros", "-p", "NAME=c1", "-o", "name")
    assert out == "virtualmachine.kubevirt.io/c1\n"


def test_param_file_and_command_line_precedence(
    vmctl, mini: Path, tmp_path: Path
) -> None:
    env = tmp_path / "p.env"
    env.write_text("# params\nNAME=from-file\nNOTE=\"two\\nlines\"\n", encoding="utf-8")
    code, out, err = vmctl("template", "process", str(mini), "--param-file", str(env))
    assert code == 0
    obj = parse_documents(out, "out")[0].obj
    assert (obj["metadata"]["name"], obj["data"]["note"]) == ("from-file", "two\nlines")
    code, out, err = vmctl("template", "process", str(mini), "--param-file", str(env), "-p", "NAME=cli")
    assert code == 0
    assert parse_documents(out, "out")[0].obj["metadata"]["name"] == "cli"
    assert err == (
        f'warning: parameter "NAME" is set on the command line and in "{env}"; using the command-line value\n'
        "made cli\n"
    )


@pytest.mark.parametrize(
    ("argv", "code", "stderr"),
    [
        (["-p", "NAME"], 2, "error: invalid -p/--param value 'NAME': expected NAME=VALUE (e.g. -p NAME=web1)\n"),
        (["-p", "NAME=a", "-p", "NAME=b"], 2, "error: The following parameters were provided more than once: NAME\n"),
        (["-p", "NAME=a", "-p", "BOGUS=1"], 1, 'error: unknown parameter name "BOGUS"\n'),
        ([], 1, "error: mini: template.parameters[0]: parameter NAME is required and must be specified\n"),
        (["-p", "NAME=a", "-l", "novalue"], 2, "error: invalid -l/--labels value 'novalue': expected key=value[,key=value...]\n"),
    ],
)
def test_process_errors(argv: list[str], code: int, stderr: str, vmctl, mini: Path) -> None:
    got_code, out, err = vmctl("template", "process", str(mini), *argv)
    assert (got_code, out, err) == (code, "", stderr)


def test_ignore_unknown_parameters(vmctl, mini: Path) -> None:
    code, out, _ = vmctl(
        "template", "process", str(mini), "-p", "NAME=a", "-p", "BOGUS=1", "--ignore-unknown-parameters"
    )
    assert code == 0 and parse_documents(out, "o")[0].obj["metadata"]["name"] == "a"


def test_process_from_stdin(vmctl, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(MINI))
    code, out, err = vmctl("template", "process", "-f", "-", "NAME=stdin1")
    assert code == 0, err
    assert parse_documents(out, "o")[0].obj["metadata"]["name"] == "stdin1"


def test_not_found_and_missing_template(vmctl, tmp_path: Path) -> None:
    code, out, err = vmctl("template", "process", "fedora-sever")
    assert (code, out) == (1, "")
    assert err == (
        'error: template "fedora-sever" not found\n'
        "hint: did you mean fedora-server? see 'vmctl template list'; a file path works too\n"
    )
    code, _, err = vmctl("template", "process", "NAME=x")
    assert code == 2 and "give a template name or file" in err
    code, _, err = vmctl("template", "show", str(tmp_path / "nope.yaml"))
    assert (code, err) == (1, f"error: {tmp_path / 'nope.yaml'}: no such file or directory\n")
    vm = tmp_path / "vm.yaml"
    vm.write_text("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: a}\n", encoding="utf-8")
    code, _, err = vmctl("template", "process", str(vm))
    assert code == 1 and "holds no template (found kinds: VirtualMachine" in err


def test_jinja_injection_via_cli_is_refused(vmctl, tmp_path: Path) -> None:
    evil = tmp_path / "evil.yaml"
    evil.write_text(
        "apiVersion: vmctl.dev/v1alpha1\nkind: JinjaTemplate\nmetadata: {name: evil}\n"
        "template: \"{{ cycler.__init__.__globals__.os.system('id') }}\"\n",
        encoding="utf-8",
    )
    code, out, err = vmctl("template", "process", str(evil))
    assert (code, out) == (1, "")
    assert err == (
        "error: evil: template blocked by the sandbox: access to attribute '__init__' of 'type' object is unsafe.\n"
    )


def test_help_has_examples(vmctl) -> None:
    for command in ("list", "show", "params", "process"):
        code, out, _ = vmctl("template", command, "--help")
        assert code == 0 and "Example: vmctl template " + command in out


def test_console_script(tmp_path: Path) -> None:
    if not VMCTL.exists():
        pytest.skip(f"{VMCTL} not installed")
    proc = subprocess.run(
        [str(VMCTL), "template", "process", "test-guest", "-p", "NAME=tg1", "-o", "json"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    vm = json.loads(proc.stdout)["items"][0]
    assert vm["metadata"]["name"] == "tg1"
    assert proc.stderr == "VirtualMachine tg1 boots localhost:5000/vmctl/test-guest:v1; its serial console is ttyS0.\n"


def test_broken_user_file_is_skipped_with_warning(vmctl, tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("kind: [unclosed\n", encoding="utf-8")
    code, out, err = vmctl("template", "process", "cirros", "-p", "NAME=c1", "--template-dir", str(tmp_path))
    assert code == 0
    assert err.startswith(f"warning: skipping {tmp_path / 'broken.yaml'}:2: invalid YAML")
    assert parse_documents(out, "o")[0].obj["metadata"]["name"] == "c1"
    code, _, err = vmctl("template", "list", "--template-dir", str(tmp_path / "absent"))
    assert (code, err) == (1, f"error: --template-dir {tmp_path / 'absent'}: not a directory\n")
