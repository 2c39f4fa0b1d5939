"""``vmctl create vm`` through the real entry point: stdout manifests, stderr diagnostics, exit codes."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from vmctl.io.yamlio import parse_documents

REPO = Path(__file__).resolve().parents[2]
VMCTL = Path(sys.executable).parent / "vmctl"


def yaml_docs(text: str) -> list[Any]:
    return [d.obj for d in parse_documents(text, "<stdout>")]


def test_default_yaml_output(vmctl) -> None:
    code, out, err = vmctl("create", "vm", "--name", "vm1")
    assert (code, err) == (0, "")
    assert out == (
        "apiVersion: kubevirt.io/v1\n"
        "kind: VirtualMachine\n"
        "metadata:\n"
        "  name: vm1\n"
        "spec:\n"
        "  runStrategy: Always\n"
        "  template:\n"
        "    metadata: {}\n"
        "    spec:\n"
        "      domain:\n"
        "        devices: {}\n"
        "        memory:\n"
        "          guest: 512Mi\n"
        "        resources: {}\n"
        "      terminationGracePeriodSeconds: 180\n"
        "status: {}\n"
    )


def test_json_and_name_output(vmctl) -> None:
    code, out, _ = vmctl("create", "vm", "--name", "vm1", "-n", "dev", "--cpu", "2", "-o", "json")
    assert code == 0
    vm = json.loads(out)
    assert vm["metadata"] == {"name": "vm1", "namespace": "dev"}
    assert vm["spec"]["template"]["spec"]["domain"]["cpu"] == {"cores": 2}
    code, out, _ = vmctl("create", "vm", "--name", "vm1", "-o", "name")
    assert (code, out) == (0, "virtualmachine.kubevirt.io/vm1\n")


def test_full_example(vmctl) -> None:
    code, out, err = vmctl(
        "create", "vm", "--name", "web1", "--instancetype", "u1.medium", "--preference", "fedora",
        "--volume-containerdisk", "src:quay.io/containerdisks/fedora:41,name:root",
        "--volume-import", "type:blank,size:10Gi,name:data,bootorder:2",
        "--user", "fedora", "--ssh-key", "ssh-ed25519 AAAAC3 me@host", "--run-strategy", "halted",
        "--termination-grace-period", "30",
    )
    assert (code, err) == (0, "")
    (vm,) = yaml_docs(out)
    assert vm["spec"]["runStrategy"] == "Halted"
    assert vm["spec"]["instancetype"] == {"name": "u1.medium"}
    assert vm["spec"]["preference"] == {"name": "fedora"}
    assert vm["spec"]["dataVolumeTemplates"] == [{"metadata": {"name": "data"}, "spec": {
        "source": {"blank": {}}, "storage": {"resources": {"requests": {"storage": "10Gi"}}}}}]
    spec = vm["spec"]["template"]["spec"]
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["domain"] == {"devices": {"disks": [{"name": "data", "bootOrder": 2}]}, "resources": {}}
    assert spec["volumes"] == [
        {"name": "root", "containerDisk": {"image": "quay.io/containerdisks/fedora:41"}},
        {"name": "data", "dataVolume": {"name": "data"}},
        {"name": "cloudinitdisk", "cloudInitNoCloud": {
            "userData": "#cloud-config\nuser: fedora\nssh_authorized_keys:\n  - ssh-ed25519 AAAAC3 me@host"}},
    ]


def test_repeated_ssh_keys(vmctl) -> None:
    code, out, _ = vmctl("create", "vm", "--ssh-key", "k1 a", "--ssh-key", "k2 b", "-o", "json")
    assert code == 0
    volumes = json.loads(out)["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["cloudInitNoCloud"]["userData"] == "#cloud-config\nssh_authorized_keys:\n  - k1 a\n  - k2 b"


def test_password_file_warns_and_never_leaks(tmp_path: Path, vmctl) -> None:
    secret = tmp_path / "password"
    secret.write_text("hunter2-pw\n")
    code, out, err = vmctl("create", "vm", "--user", "me", "--password-file", str(secret), "-o", "json")
    assert code == 0
    assert err == "warning: --password-file: The password is stored in cleartext in the VM definition!\n"
    user_data = json.loads(out)["spec"]["template"]["spec"]["volumes"][0]["cloudInitNoCloud"]["userData"]
    assert user_data == "#cloud-config\nuser: me\npassword: hunter2-pw\nchpasswd: { expire: False }"


def test_user_data_file_and_base64(tmp_path: Path, vmctl) -> None:
    path = tmp_path / "user-data"
    path.write_text("#cloud-config\nruncmd: [[touch, /ok]]\n")
    code, out, _ = vmctl("create", "vm", "--cloud-init-user-data-file", str(path), "--cloud-init", "configdrive",
                         "-o", "json")
    assert code == 0
    volume = json.loads(out)["spec"]["template"]["spec"]["volumes"][0]
    assert volume == {"name": "cloudinitdisk",
                      "cloudInitConfigDrive": {"userData": "#cloud-config\nruncmd: [[touch, /ok]]\n"}}
    encoded = base64.b64encode(path.read_bytes()).decode()
    code, out, _ = vmctl("create", "vm", "--cloud-init-user-data", encoded, "-o", "json")
    assert json.loads(out)["spec"]["template"]["spec"]["volumes"][0]["cloudInitNoCloud"] == {"userDataBase64": encoded}


@pytest.mark.parametrize(
    ("argv", "message", "exit_code"),
    [
        (["--volume-import", "type:http,url:x,size:1Gi,k:v"],
         'failed to parse "--volume-import" flag: unknown param(s): k:v', 2),
        (["--volume-containerdisk", ""], 'failed to parse "--volume-containerdisk" flag: params may not be empty', 2),
        (["--volume-pvc", "disk"], 'failed to parse "--volume-pvc" flag: params need to have at least one colon: disk', 2),
        (["--volume-pvc", "src:d,bootorder:first"],
         'failed to parse "--volume-pvc" flag: failed to parse param "bootorder": strconv.ParseUint: parsing '
         '"first": invalid syntax', 2),
        (["--memory", "1Gi", "--instancetype", "u1.small"],
         "if any flags in the group [memory instancetype infer-instancetype infer-instancetype-from] are set none "
         "of the others can be; [instancetype memory] were all set", 2),
        (["--cpu", "2", "--instancetype", "u1.small"],
         "if any flags in the group [cpu instancetype infer-instancetype infer-instancetype-from] are set none of "
         "the others can be; [cpu instancetype] were all set", 2),
        (["--cloud-init-user-data", "#cloud-config"],
         'failed to parse "--cloud-init-user-data" flag: not valid base64 (it looks like plain text: use '
         "--cloud-init-user-data-file)", 2),
        (["--password-file", "/nonexistent/pw"],
         'failed to parse "--password-file" flag: open /nonexistent/pw: no such file or directory', 1),
        (["-p", "NAME=x"], "-p/--param, --param-file, --ignore-unknown-parameters and --template-dir need --from-template", 2),
    ],
)
def test_errors_are_one_line_on_stderr(
    vmctl, argv: list[str], message: str, exit_code: int
) -> None:
    code, out, err = vmctl("create", "vm", *argv)
    assert (code, out) == (exit_code, "")
    assert err == f"error: {message}\n"


def test_infer_flags_negated(vmctl) -> None:
    code, out, _ = vmctl("create", "vm", "--volume-pvc", "src:disk", "--no-infer-preference", "-o", "json")
    assert code == 0
    spec = json.loads(out)["spec"]
    assert spec["instancetype"] == {"inferFromVolume": "disk", "inferFromVolumeFailurePolicy": "Ignore"}
    assert "preference" not in spec


# --- --from-template ---------------------------------------------------------------------------------------------
def test_from_template_with_flags(vmctl) -> None:
    code, out, err = vmctl(
        "create", "vm", "--from-template", "cirros", "-p", "NAME=c1", "--instancetype", "u1.nano",
        "--preference", "cirros", "--run-strategy", "Halted", "-n", "lab",
        "--volume-containerdisk", "src:quay.io/tools:1,name:tools", "-o", "json",
    )
    assert code == 0
    vm = json.loads(out)
    assert vm["metadata"]["name"] == "c1" and vm["metadata"]["namespace"] == "lab"
    assert vm["spec"]["instancetype"] == {"name": "u1.nano"}
    assert vm["spec"]["preference"] == {"name": "cirros"}
    assert vm["spec"]["runStrategy"] == "Halted"
    spec = vm["spec"]["template"]["spec"]
    assert "memory" not in spec["domain"]
    assert [v["name"] for v in spec["volumes"]] == ["containerdisk", "cloudinitdisk", "tools"]
    assert err == (
        "warning: --instancetype: removed spec.template.spec.domain.memory from the template's VM (the "
        "instancetype sets them)\n"
        "VirtualMachine c1 (cirros template).\nAttach to its serial console with: vmctl console c1\n"
    )


def test_from_template_name_fills_name_param(vmctl) -> None:
    code, out, _ = vmctl("create", "vm", "--from-template", "cirros", "--name", "web7", "-o", "json")
    assert code == 0
    vm = json.loads(out)
    assert vm["metadata"]["name"] == "web7"
    assert vm["metadata"]["labels"]["app"] == "web7"  # the template's own use of ${NAME}
    assert vm["spec"]["template"]["metadata"]["labels"]["kubevirt.io/domain"] == "web7"


def test_from_template_replaces_cloud_init_user_data(tmp_path: Path, vmctl) -> None:
    path = tmp_path / "ud"
    path.write_text("#cloud-config\nuser: me\n")
    code, out, _ = vmctl("create", "vm", "--from-template", "cirros", "-p", "NAME=c1",
                         "--cloud-init-user-data-file", str(path), "-o", "json")
    assert code == 0
    volumes = json.loads(out)["spec"]["template"]["spec"]["volumes"]
    assert volumes[1] == {"name": "cloudinitdisk", "cloudInitNoCloud": {"userData": "#cloud-config\nuser: me\n"}}


def test_from_template_merges_cloud_config(vmctl) -> None:
    code, out, _ = vmctl("create", "vm", "--from-template", "fedora-server", "-p", "NAME=f1",
                         "-p", "CLOUD_USER_PASSWORD=abc-def-ghi", "--ssh-key", "ssh-ed25519 KEY me", "-o", "json")
    assert code == 0
    volumes = json.loads(out)["spec"]["template"]["spec"]["volumes"]
    (cloud_init,) = [v for v in volumes if v["name"] == "cloudinitdisk"]
    config = parse_documents(cloud_init["cloudInitNoCloud"]["userData"], "ud")[0].obj
    assert config["user"] == "fedora"
    assert config["password"] == "abc-def-ghi"
    assert "ssh-ed25519 KEY me" in config["ssh_authorized_keys"]
    assert cloud_init["cloudInitNoCloud"]["userData"].startswith("#cloud-config\n")


def test_from_template_errors(vmctl) -> None:
    code, out, err = vmctl("create", "vm", "--from-template", "cirros", "-p", "NAME")
    assert (code, out) == (2, "")
    assert err.startswith("error: invalid -p/--param value 'NAME': expected NAME=VALUE")
    code, out, err = vmctl("create", "vm", "--from-template", "no-such-template")
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == 'error: template "no-such-template" not found'


def test_from_template_file_and_param_file(tmp_path: Path, vmctl) -> None:
    params = tmp_path / "params.env"
    params.write_text("NAME=from-file\nMEMORY=256Mi\n")
    code, out, _ = vmctl("create", "vm", "--from-template", str(REPO / "templates" / "cirros.yaml"),
                         "--param-file", str(params), "-o", "json")
    assert code == 0
    vm = json.loads(out)
    assert vm["metadata"]["name"] == "from-file"
    assert vm["spec"]["template"]["spec"]["domain"]["memory"] == {"guest": "256Mi"}


def test_pipe_into_yaml_consumer_via_console_script(tmp_path: Path) -> None:
    """The installed ``vmctl`` prints one YAML document that a consumer can read back."""
    proc = subprocess.run(
        [str(VMCTL), "create", "vm", "--name", "piped", "--instancetype", "u1.small",
         "--volume-containerdisk", "src:quay.io/x:1"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    (vm,) = yaml_docs(proc.stdout)
    assert vm["metadata"]["name"] == "piped"
    assert vm["spec"]["template"]["spec"]["volumes"] == [
        {"name": "piped-containerdisk-0", "containerDisk": {"image": "quay.io/x:1"}}]


def test_help_has_examples(vmctl) -> None:
    code, out, _ = vmctl("create", "vm", "--help")
    assert code == 0
    assert "Examples:" in out
    assert "--from-template fedora-server -p NAME=web1" in out
