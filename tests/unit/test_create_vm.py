"""``vmctl.create.vm.build_vm``: every flag's effect on the VirtualMachine, virtctl's order and error texts."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

from vmctl.create.vm import VMOptions, build_vm, clear_for_instancetype
from vmctl.errors import EXIT_ERROR, EXIT_USAGE, VmctlError

Obj = dict[str, Any]


def build(warnings: list[str] | None = None, base: Obj | None = None, **kwargs: Any) -> Obj:
    sink = warnings if warnings is not None else []
    return build_vm(VMOptions(**kwargs), base=base, warn=sink.append)


def error(**kwargs: Any) -> VmctlError:
    with pytest.raises(VmctlError) as info:
        build(**kwargs)
    return info.value


def tspec(vm: Obj) -> Obj:
    return vm["spec"]["template"]["spec"]


def test_defaults_equal_virtctl() -> None:
    vm = build(name="vm1")
    assert vm == {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": "vm1"},
        "spec": {
            "runStrategy": "Always",
            "template": {
                "metadata": {},
                "spec": {
                    "domain": {"devices": {}, "memory": {"guest": "512Mi"}, "resources": {}},
                    "terminationGracePeriodSeconds": 180,
                },
            },
        },
        "status": {},
    }


def test_default_name_is_random() -> None:
    names = {build()["metadata"]["name"] for _ in range(5)}
    assert len(names) == 5
    for name in names:
        assert re.fullmatch(r"vm-[bcdfghjklmnpqrstvwxz2456789]{5}", name)


def test_namespace_only_when_given() -> None:
    assert "namespace" not in build(name="a")["metadata"]
    assert build(name="a", namespace="dev")["metadata"] == {"name": "a", "namespace": "dev"}


@pytest.mark.parametrize(("given", "expected"), [("always", "Always"), ("HALTED", "Halted"),
                                                 ("rerunonfailure", "RerunOnFailure"), ("Once", "Once"), ("manual", "Manual")])
def test_run_strategy_is_case_insensitive(given: str, expected: str) -> None:
    assert build(run_strategy=given)["spec"]["runStrategy"] == expected


def test_bad_run_strategy() -> None:
    exc = error(run_strategy="sometimes")
    assert exc.message == (
        'failed to parse "--run-strategy" flag: invalid run strategy "sometimes", supported values are: '
        "Always, Manual, Halted, Once, RerunOnFailure"
    )
    assert exc.exit_code == EXIT_USAGE


def test_termination_grace_period_and_memory() -> None:
    vm = build(termination_grace_period=5, memory="2048Mi")
    assert tspec(vm)["terminationGracePeriodSeconds"] == 5
    assert tspec(vm)["domain"]["memory"] == {"guest": "2Gi"}


def test_cpu_sets_cores() -> None:
    assert tspec(build(cpu=4))["domain"]["cpu"] == {"cores": 4}
    assert error(cpu=0).message == 'failed to parse "--cpu" flag: cpu value must be greater than zero'


def test_instancetype_clears_memory_and_keeps_kind() -> None:
    vm = build(instancetype="u1.medium")
    assert vm["spec"]["instancetype"] == {"name": "u1.medium"}
    assert "memory" not in tspec(vm)["domain"]
    vm = build(instancetype="VirtualMachineInstancetype/mine")
    assert vm["spec"]["instancetype"] == {"name": "mine", "kind": "virtualmachineinstancetype"}


def test_instancetype_errors() -> None:
    assert error(instancetype="pod/x").message == (
        'failed to parse "--instancetype" flag: invalid instancetype kind "pod", supported values are: '
        "virtualmachineinstancetype, virtualmachineclusterinstancetype"
    )
    assert error(instancetype="").message == 'failed to parse "--instancetype" flag: name cannot be empty'
    assert error(instancetype="a/b/c").message == (
        'failed to parse "--instancetype" flag: invalid count 2 of slashes in prefix/name'
    )


def test_preference() -> None:
    assert build(preference="fedora")["spec"]["preference"] == {"name": "fedora"}
    assert build(preference="virtualmachinepreference/p")["spec"]["preference"] == {
        "name": "p", "kind": "virtualmachinepreference"}
    assert error(preference="x/p").message == (
        'failed to parse "--preference" flag: invalid preference kind "x", supported values are: '
        "virtualmachinepreference, virtualmachineclusterpreference"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"memory": "1Gi", "instancetype": "u1.small"},
         "if any flags in the group [memory instancetype infer-instancetype infer-instancetype-from] are set none "
         "of the others can be; [instancetype memory] were all set"),
        ({"cpu": 2, "instancetype": "u1.small"},
         "if any flags in the group [cpu instancetype infer-instancetype infer-instancetype-from] are set none "
         "of the others can be; [cpu instancetype] were all set"),
        ({"preference": "fedora", "infer_preference": True},
         "if any flags in the group [preference infer-preference infer-preference-from] are set none of the "
         "others can be; [infer-preference preference] were all set"),
        ({"cloud_init_user_data": "I2Nsb3VkLWNvbmZpZw==", "user": "me", "ssh_key": ["k"]},
         "if any flags in the group [cloud-init-user-data ssh-key] are set none of the others can be; "
         "[cloud-init-user-data ssh-key] were all set"),
        ({"cloud_init_user_data_file": "/x", "user": "me"},
         "if any flags in the group [cloud-init-user-data-file user] are set none of the others can be; "
         "[cloud-init-user-data-file user] were all set"),
        ({"memory": "1Gi", "infer_instancetype": False},
         "if any flags in the group [memory instancetype infer-instancetype infer-instancetype-from] are set none "
         "of the others can be; [infer-instancetype memory] were all set"),
    ],
)
def test_mutual_exclusions(kwargs: Obj, message: str) -> None:
    exc = error(**kwargs)
    assert exc.message == message
    assert exc.exit_code == EXIT_USAGE


def test_containerdisk_defaults_and_names() -> None:
    vm = build(name="web", volume_containerdisk=["src:quay.io/a:1", "src:quay.io/b,name:data"])
    assert tspec(vm)["volumes"] == [
        {"name": "web-containerdisk-0", "containerDisk": {"image": "quay.io/a:1"}},
        {"name": "data", "containerDisk": {"image": "quay.io/b"}},
    ]
    assert "disks" not in tspec(vm)["domain"]["devices"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"volume_containerdisk": ["name:x"]}, 'failed to parse "--volume-containerdisk" flag: src must be specified'),
        ({"volume_containerdisk": ["src:a,name:Bad_Name"]},
         'failed to parse "--volume-containerdisk" flag: invalid name "Bad_Name": a lowercase RFC 1123 label must '
         "consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric "
         "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
        ({"volume_containerdisk": ["src:a,name:d", "src:b,name:d"]},
         'failed to parse "--volume-containerdisk" flag: there is already a volume with name "d"'),
        ({"volume_containerdisk": ["src:a,bootorder:0"]},
         'failed to parse "--volume-containerdisk" flag: bootorder must be greater than 0'),
        ({"volume_containerdisk": ["src:a,bootorder:1"], "volume_pvc": ["src:p,bootorder:1"]},
         'failed to parse "--volume-pvc" flag: bootorder 1 was specified multiple times'),
        ({"volume_pvc": ["src:ns/p"]}, 'failed to parse "--volume-pvc" flag: not allowed to specify namespace of pvc "p"'),
        ({"volume_pvc": ["src:a/b/c"]},
         'failed to parse "--volume-pvc" flag: src invalid: invalid count 2 of slashes in prefix/name'),
        ({"volume_pvc": ["claim"]}, 'failed to parse "--volume-pvc" flag: params need to have at least one colon: claim'),
    ],
)
def test_volume_errors(kwargs: Obj, message: str) -> None:
    assert error(**kwargs).message == message


def test_boot_order_disks_and_processing_order() -> None:
    vm = build(
        name="vm",
        volume_import=["type:blank,size:1Gi,name:scratch"],
        volume_pvc=["src:data,bootorder:2"],
        volume_containerdisk=["src:quay.io/os,name:os,bootorder:1"],
    )
    # volumes follow virtctl's processing order: containerdisk > pvc > imported, whatever the flag order
    assert [v["name"] for v in tspec(vm)["volumes"]] == ["os", "data", "scratch"]
    assert tspec(vm)["domain"]["devices"]["disks"] == [{"name": "os", "bootOrder": 1}, {"name": "data", "bootOrder": 2}]
    assert tspec(vm)["volumes"][1] == {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}


def test_volume_import_types() -> None:
    vm = build(volume_import=[
        "type:ds,src:os-images/fedora,size:30Gi,name:root",
        "type:ds,src:fedora,name:ds2",
        "type:pvc,src:ns/golden,name:clone",
        "type:snapshot,src:ns/snap,name:snap,size:5Gi",
        "type:blank,size:10Gi,name:blank",
        "type:http,url:https://x/img.qcow2,size:10Gi,name:web,extraheaders:A: 1;B: 2,secretref:s",
        "type:registry,url:docker://quay.io/c:1,size:10Gi,name:reg,pullmethod:node",
        "type:registry,imagestream:is,size:1Gi,name:reg2",
        "type:gcs,url:gs://b/o,size:1Gi,name:gcs",
        "type:s3,url:s3://b/o,size:1Gi,name:s3,certconfigmap:cm",
        "type:imageio,url:https://e/api,diskid:123,size:1Gi,name:io",
        "type:vddk,url:https://vc,uuid:u,thumbprint:t,secretref:s,backingfile:[ds] f.vmdk,size:1Gi,name:vd",
    ])
    dvts = {d["metadata"]["name"]: d["spec"] for d in vm["spec"]["dataVolumeTemplates"]}
    assert dvts["root"] == {
        "sourceRef": {"kind": "DataSource", "name": "fedora", "namespace": "os-images"},
        "storage": {"resources": {"requests": {"storage": "30Gi"}}},
    }
    assert dvts["ds2"] == {"sourceRef": {"kind": "DataSource", "name": "fedora"}, "storage": {"resources": {}}}
    assert dvts["clone"] == {"source": {"pvc": {"name": "golden", "namespace": "ns"}}, "storage": {"resources": {}}}
    assert dvts["snap"]["source"] == {"snapshot": {"name": "snap", "namespace": "ns"}}
    assert dvts["blank"]["source"] == {"blank": {}}
    assert dvts["web"]["source"] == {
        "http": {"url": "https://x/img.qcow2", "secretRef": "s", "extraHeaders": ["A: 1", "B: 2"]}}
    assert dvts["reg"]["source"] == {"registry": {"url": "docker://quay.io/c:1", "pullMethod": "node"}}
    assert dvts["reg2"]["source"] == {"registry": {"imageStream": "is"}}
    assert dvts["gcs"]["source"] == {"gcs": {"url": "gs://b/o"}}
    assert dvts["s3"]["source"] == {"s3": {"url": "s3://b/o", "certConfigMap": "cm"}}
    assert dvts["io"]["source"] == {"imageio": {"url": "https://e/api", "diskId": "123"}}
    assert dvts["vd"]["source"] == {"vddk": {"url": "https://vc", "uuid": "u", "thumbprint": "t", "secretRef": "s",
                                             "backingFile": "[ds] f.vmdk"}}
    assert tspec(vm)["volumes"][0] == {"name": "root", "dataVolume": {"name": "root"}}


def test_volume_import_default_name() -> None:
    vm = build(volume_import=["type:blank,size:1Gi"])
    name = vm["spec"]["dataVolumeTemplates"][0]["metadata"]["name"]
    assert re.fullmatch(r"imported-volume-[bcdfghjklmnpqrstvwxz2456789]{5}", name)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("size:1Gi", "type must be specified"),
        ("type:nfs,size:1Gi", 'invalid volume import type "nfs", see help for supported values'),
        ("type:blank", "size must be specified"),
        ("type:http,size:1Gi", "url is required with http volume source"),
        ("type:http,url:u,size:1Gi,bogus:1", "unknown param(s): bogus:1"),
        ("type:pvc,src:golden", 'namespace of pvc "golden" must be specified'),
        ("type:snapshot,src:s", 'namespace of snapshot "s" must be specified'),
        ("type:ds", "src must be specified"),
        ("type:registry,size:1Gi", "exactly one of url or imagestream must be defined"),
        ("type:registry,url:u,imagestream:i,size:1Gi", "exactly one of url or imagestream must be defined"),
        ("type:registry,url:u,pullmethod:pull,size:1Gi", "pullmethod must be set to pod or node"),
        ("type:imageio,url:u,size:1Gi", "url and diskid are both required with imageio volume source"),
        ("type:vddk,url:u,size:1Gi", "uuid is required with vddk volume source"),
        ("type:blank,size:1Gi,name:a.b", 'invalid name "a.b": must not contain dots'),
        ("", "params may not be empty"),
    ],
)
def test_volume_import_errors(value: str, message: str) -> None:
    assert error(volume_import=[value]).message == f'failed to parse "--volume-import" flag: {message}'


def test_sysprep() -> None:
    assert tspec(build(volume_sysprep="src:unattend"))["volumes"] == [
        {"name": "sysprepdisk", "sysprep": {"configMap": {"name": "unattend"}}}]
    assert tspec(build(volume_sysprep="src:unattend,type:Secret"))["volumes"] == [
        {"name": "sysprepdisk", "sysprep": {"secret": {"name": "unattend"}}}]
    assert error(volume_sysprep="src:x,type:file").message == (
        'failed to parse "--volume-sysprep" flag: invalid sysprep source type "file", supported values are: '
        "configmap, secret"
    )
    assert error(volume_sysprep="src:ns/x").message == (
        'failed to parse "--volume-sysprep" flag: not allowed to specify namespace of configmap or secret "x"'
    )


# --- cloud-init --------------------------------------------------------------------------------------------------
def cloud_init(vm: Obj) -> Obj:
    (volume,) = [v for v in tspec(vm).get("volumes", []) if v["name"] == "cloudinitdisk"]
    return volume


def test_generated_cloud_config(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("  s3cret-pw \n")
    warnings: list[str] = []
    vm = build(warnings, user="fedora", password_file=str(secret), ssh_key=["ssh-ed25519 AAAA a@b", "ssh-rsa BBB c"],
               ga_manage_ssh=True)
    assert cloud_init(vm) == {
        "name": "cloudinitdisk",
        "cloudInitNoCloud": {
            "userData": "#cloud-config\nuser: fedora\npassword: s3cret-pw\nchpasswd: { expire: False }\n"
            "ssh_authorized_keys:\n  - ssh-ed25519 AAAA a@b\n  - ssh-rsa BBB c\n"
            "runcmd:\n  - [ setsebool, -P, 'virt_qemu_ga_manage_ssh', 'on' ]"
        },
    }
    assert warnings == ["--password-file: The password is stored in cleartext in the VM definition!"]
    assert all("s3cret" not in w for w in warnings)


def test_ssh_key_accepts_comma_lists() -> None:
    vm = build(ssh_key=["ssh-ed25519 A x,ssh-ed25519 B y"])
    assert cloud_init(vm)["cloudInitNoCloud"]["userData"] == (
        "#cloud-config\nssh_authorized_keys:\n  - ssh-ed25519 A x\n  - ssh-ed25519 B y")


def test_values_that_would_break_yaml_are_quoted() -> None:
    vm = build(user="a: b")
    assert cloud_init(vm)["cloudInitNoCloud"]["userData"] == '#cloud-config\nuser: "a: b"'
    assert error(user="a\nb").message == 'failed to parse "--user" flag: value must be a single line'


def test_configdrive_and_none() -> None:
    vm = build(user="me", cloud_init="ConfigDrive")
    assert cloud_init(vm) == {"name": "cloudinitdisk", "cloudInitConfigDrive": {"userData": "#cloud-config\nuser: me"}}
    warnings: list[str] = []
    vm = build(warnings, ssh_key=["k"], cloud_init="none")
    assert "volumes" not in tspec(vm)
    assert warnings == ["--cloud-init: was set to none, not creating a data source although other cloud-init "
                        "options were set"]
    assert error(cloud_init="iso").message == (
        'failed to parse "--cloud-init" flag: invalid cloud-init data source type "iso", supported values are: '
        "nocloud, configdrive, none"
    )


def test_explicit_cloud_init_adds_header_only_volume() -> None:
    assert cloud_init(build(cloud_init="nocloud")) == {
        "name": "cloudinitdisk", "cloudInitNoCloud": {"userData": "#cloud-config"}}


def test_base64_user_and_network_data() -> None:
    user = base64.b64encode(b"#cloud-config\nuser: x\n").decode()
    net = base64.b64encode(b"version: 2\n").decode()
    vm = build(cloud_init_user_data=user, cloud_init_network_data=net)
    assert cloud_init(vm)["cloudInitNoCloud"] == {"userDataBase64": user, "networkDataBase64": net}
    # network data alone still gets the generated header as user data
    vm = build(cloud_init_network_data=net)
    assert cloud_init(vm)["cloudInitNoCloud"] == {"userData": "#cloud-config", "networkDataBase64": net}


def test_base64_is_validated() -> None:
    assert error(cloud_init_user_data="#cloud-config").message == (
        'failed to parse "--cloud-init-user-data" flag: not valid base64 (it looks like plain text: use '
        "--cloud-init-user-data-file)"
    )
    assert error(cloud_init_network_data="abc").message == 'failed to parse "--cloud-init-network-data" flag: not valid base64'
    big = base64.b64encode(b"x" * 2049).decode()
    assert error(cloud_init_user_data=big).message == (
        'failed to parse "--cloud-init-user-data" flag: user data is 2049 bytes, KubeVirt accepts at most 2048 '
        "bytes inline (put it in a Secret and reference it with secretRef)"
    )


def test_user_data_file(tmp_path: Path) -> None:
    path = tmp_path / "user-data.yaml"
    path.write_text("#cloud-config\npackages: [nginx]\n")
    vm = build(cloud_init_user_data_file=str(path))
    assert cloud_init(vm)["cloudInitNoCloud"] == {"userData": "#cloud-config\npackages: [nginx]\n"}
    path.write_text("x" * 2049)
    exc = error(cloud_init_user_data_file=str(path))
    assert exc.message == (
        f'failed to parse "--cloud-init-user-data-file" flag: {path} is more than 2048 bytes, the most KubeVirt '
        "accepts inline (put it in a Secret and reference it with secretRef)"
    )
    assert exc.exit_code == EXIT_ERROR
    missing = tmp_path / "nope"
    assert error(cloud_init_user_data_file=str(missing)).message == (
        f'failed to parse "--cloud-init-user-data-file" flag: open {missing}: no such file or directory'
    )


def test_missing_password_file(tmp_path: Path) -> None:
    missing = tmp_path / "pw"
    exc = error(password_file=str(missing))
    assert exc.message == f'failed to parse "--password-file" flag: open {missing}: no such file or directory'
    assert exc.exit_code == EXIT_ERROR


# --- access credentials ------------------------------------------------------------------------------------------
def test_access_cred_ssh_ga_enables_ga_manage_ssh() -> None:
    vm = build(user="fedora", access_cred=["src:my-keys"])
    assert tspec(vm)["accessCredentials"] == [{
        "sshPublicKey": {
            "source": {"secret": {"secretName": "my-keys"}},
            "propagationMethod": {"qemuGuestAgent": {"users": ["fedora"]}},
        }
    }]
    assert cloud_init(vm)["cloudInitNoCloud"]["userData"] == (
        "#cloud-config\nuser: fedora\nruncmd:\n  - [ setsebool, -P, 'virt_qemu_ga_manage_ssh', 'on' ]")


def test_access_cred_user_param_and_explicit_ga_off() -> None:
    vm = build(access_cred=["type:ssh,src:k,user:admin"], ga_manage_ssh=False)
    assert tspec(vm)["accessCredentials"][0]["sshPublicKey"]["propagationMethod"] == {
        "qemuGuestAgent": {"users": ["admin"]}}
    # --no-ga-manage-ssh: the generated config would be the bare header, so no cloud-init volume is added
    assert "volumes" not in tspec(vm)


def test_access_cred_nocloud_sets_cloud_init_type() -> None:
    vm = build(access_cred=["src:k,method:configdrive"])
    assert tspec(vm)["accessCredentials"][0]["sshPublicKey"]["propagationMethod"] == {"configDrive": {}}
    assert cloud_init(vm) == {"name": "cloudinitdisk", "cloudInitConfigDrive": {"userData": "#cloud-config"}}


def test_access_cred_password() -> None:
    vm = build(access_cred=["type:password,src:pws"])
    assert tspec(vm)["accessCredentials"] == [{"userPassword": {
        "source": {"secret": {"secretName": "pws"}}, "propagationMethod": {"qemuGuestAgent": {}}}}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"access_cred": ["src:k"]},
         'user must be specified with access credential ssh method ga ("--user" flag or param "user")'),
        ({"access_cred": ["src:k,method:nocloud"], "cloud_init": "configdrive"},
         "method param and value passed to --cloud-init have to match: nocloud vs configdrive"),
        ({"access_cred": ["src:k,method:nocloud,user:u"]},
         "user cannot be specified with selected access credential type and method"),
        ({"access_cred": ["src:k,method:scp"]},
         'invalid access credentials ssh method "scp", supported values are: ga, nocloud, configdrive'),
        ({"access_cred": ["type:password,src:k,method:nocloud"]},
         'invalid access credentials password method "nocloud", supported values are: ga'),
        ({"access_cred": ["type:token,src:k"]},
         'invalid access credential type "token", supported values are: ssh, password'),
        ({"access_cred": ["src:ns/k,user:u"]}, 'not allowed to specify namespace of secret "k"'),
        ({"access_cred": ["type:ssh"]}, "src must be specified"),
    ],
)
def test_access_cred_errors(kwargs: Obj, message: str) -> None:
    assert error(**kwargs).message == f'failed to parse "--access-cred" flag: {message}'


# --- inference ---------------------------------------------------------------------------------------------------
def test_implicit_inference_uses_ignore_policy_and_keeps_memory() -> None:
    vm = build(volume_import=["type:ds,src:os/fedora,name:root"])
    assert vm["spec"]["instancetype"] == {"inferFromVolume": "root", "inferFromVolumeFailurePolicy": "Ignore"}
    assert vm["spec"]["preference"] == {"inferFromVolume": "root", "inferFromVolumeFailurePolicy": "Ignore"}
    assert tspec(vm)["domain"]["memory"] == {"guest": "512Mi"}


def test_implicit_inference_picks_lowest_boot_order() -> None:
    vm = build(volume_pvc=["src:a,bootorder:3", "src:b,bootorder:2"])
    assert vm["spec"]["instancetype"]["inferFromVolume"] == "b"


def test_implicit_inference_failures_are_ignored() -> None:
    vm = build(volume_containerdisk=["src:quay.io/x"])
    assert "instancetype" not in vm["spec"] and "preference" not in vm["spec"]
    vm = build(volume_import=["type:http,url:u,size:1Gi"])
    assert "instancetype" not in vm["spec"]


def test_memory_or_instancetype_stop_instancetype_inference_only() -> None:
    vm = build(memory="1Gi", volume_pvc=["src:disk"])
    assert "instancetype" not in vm["spec"]
    assert vm["spec"]["preference"] == {"inferFromVolume": "disk", "inferFromVolumeFailurePolicy": "Ignore"}
    vm = build(instancetype="u1.small", volume_pvc=["src:disk"])
    assert vm["spec"]["instancetype"] == {"name": "u1.small"}


def test_explicit_inference_clears_memory_and_rejects() -> None:
    vm = build(infer_instancetype=True, infer_preference_from="data",
               volume_pvc=["src:root", "src:data"])
    assert vm["spec"]["instancetype"] == {"inferFromVolume": "root"}
    assert vm["spec"]["preference"] == {"inferFromVolume": "data"}
    assert "memory" not in tspec(vm)["domain"]
    assert error(infer_instancetype=True).message == "at least one volume is needed to infer an instance type or preference"
    assert error(infer_preference_from="x", volume_pvc=["src:a"]).message == 'there is no volume with name "x"'
    assert error(infer_instancetype=True, volume_containerdisk=["src:q"]).message == (
        "inference of instancetype or preference works only with datasources, datavolumes or pvcs")
    assert error(infer_instancetype=True, volume_import=["type:blank,size:1Gi"]).message == (
        "this datavolume is not valid to infer an instancetype or preference from (source needs to be PVC, "
        "Registry or Snapshot, sourceRef needs to be DataSource)"
    )


def test_no_infer_flags_turn_inference_off() -> None:
    vm = build(infer_instancetype=False, infer_preference=False, volume_pvc=["src:a"])
    assert "instancetype" not in vm["spec"] and "preference" not in vm["spec"]


# --- on top of a template's VM -----------------------------------------------------------------------------------
def template_vm() -> Obj:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": "tpl", "labels": {"app": "tpl"}},
        "spec": {
            "running": False,
            "dataVolumeTemplates": [{"metadata": {"name": "root"},
                                     "spec": {"sourceRef": {"kind": "DataSource", "name": "fedora"}}}],
            "template": {
                "spec": {
                    "domain": {
                        "cpu": {"sockets": 1, "cores": 2, "threads": 1, "model": "host-passthrough"},
                        "memory": {"guest": "2Gi"},
                        "resources": {"requests": {"memory": "2Gi", "cpu": "500m"}, "limits": {"cpu": "1"}},
                        "devices": {"disks": [{"name": "root", "disk": {"bus": "virtio"}, "bootOrder": 1},
                                              {"name": "cloudinitdisk", "disk": {"bus": "virtio"}}]},
                    },
                    "volumes": [
                        {"name": "root", "dataVolume": {"name": "root"}},
                        {"name": "cloudinitdisk", "cloudInitNoCloud": {
                            "userData": "#cloud-config\nuser: fedora\nssh_authorized_keys: [old]\n"}},
                    ],
                }
            },
        },
    }


def test_template_vm_kept_without_flags() -> None:
    base = template_vm()
    assert build(base=base) == base
    assert base == template_vm()  # the input is not modified


def test_template_instancetype_removes_conflicting_fields() -> None:
    warnings: list[str] = []
    vm = build(warnings, base=template_vm(), instancetype="u1.medium", preference="fedora", name="web1",
               namespace="dev", run_strategy="halted")
    assert vm["metadata"] == {"name": "web1", "labels": {"app": "tpl"}, "namespace": "dev"}
    assert vm["spec"]["runStrategy"] == "Halted" and "running" not in vm["spec"]
    assert vm["spec"]["instancetype"] == {"name": "u1.medium"}
    domain = tspec(vm)["domain"]
    assert domain["cpu"] == {"model": "host-passthrough"}
    assert "memory" not in domain
    assert domain["resources"] == {}
    assert warnings == [
        "--instancetype: removed spec.template.spec.domain.memory, spec.template.spec.domain.cpu.sockets, "
        "spec.template.spec.domain.cpu.cores, spec.template.spec.domain.cpu.threads, "
        "spec.template.spec.domain.resources.requests.cpu, spec.template.spec.domain.resources.limits.cpu, "
        "spec.template.spec.domain.resources.requests.memory from the template's VM (the instancetype sets them)"
    ]


def test_template_memory_and_cpu_flags() -> None:
    vm = build(base=template_vm(), memory="4Gi", cpu=4)
    domain = tspec(vm)["domain"]
    assert domain["memory"] == {"guest": "4Gi"}
    assert domain["cpu"] == {"cores": 4, "model": "host-passthrough"}
    assert domain["resources"] == {}


def test_template_volumes_added_and_boot_orders_respected() -> None:
    vm = build(base=template_vm(), volume_containerdisk=["src:quay.io/tools,name:tools,bootorder:2"])
    assert [v["name"] for v in tspec(vm)["volumes"]] == ["root", "cloudinitdisk", "tools"]
    assert error(base=template_vm(), volume_pvc=["src:x,bootorder:1"]).message == (
        'failed to parse "--volume-pvc" flag: bootorder 1 was specified multiple times')
    assert error(base=template_vm(), volume_pvc=["src:root"]).message == (
        'failed to parse "--volume-pvc" flag: there is already a volume with name "root"')


def test_template_cloud_init_merged() -> None:
    vm = build(base=template_vm(), user="admin", ssh_key=["new"], ga_manage_ssh=True)
    assert cloud_init(vm) == {"name": "cloudinitdisk", "cloudInitNoCloud": {"userData": (
        "#cloud-config\nruncmd:\n- - setsebool\n  - -P\n  - virt_qemu_ga_manage_ssh\n  - 'on'\n"
        "ssh_authorized_keys:\n- old\n- new\nuser: admin")}}


def test_template_cloud_init_user_data_replaced(tmp_path: Path) -> None:
    path = tmp_path / "ud"
    path.write_text("#!/bin/sh\necho hi\n")
    vm = build(base=template_vm(), cloud_init_user_data_file=str(path), cloud_init="configdrive")
    assert cloud_init(vm) == {"name": "cloudinitdisk", "cloudInitConfigDrive": {"userData": "#!/bin/sh\necho hi\n"}}


def test_template_cloud_init_none_removes_volume_and_disk() -> None:
    vm = build(base=template_vm(), cloud_init="none")
    assert [v["name"] for v in tspec(vm)["volumes"]] == ["root"]
    assert [d["name"] for d in tspec(vm)["domain"]["devices"]["disks"]] == ["root"]


def test_template_script_user_data_cannot_take_generated_flags() -> None:
    base = template_vm()
    base["spec"]["template"]["spec"]["volumes"][1]["cloudInitNoCloud"] = {"userData": "#!/bin/sh\n"}
    assert error(base=base, user="x").message == (
        "the template's cloud-init volume 'cloudinitdisk' has no #cloud-config user data to add "
        "--user/--password-file/--ssh-key/--ga-manage-ssh to; use --cloud-init-user-data-file to replace it"
    )


def test_template_no_implicit_inference_but_explicit_works() -> None:
    assert "instancetype" not in build(base=template_vm())["spec"]
    vm = build(base=template_vm(), infer_instancetype=True, infer_preference=True)
    assert vm["spec"]["instancetype"] == {"inferFromVolume": "root"}
    assert vm["spec"]["preference"] == {"inferFromVolume": "root"}
    assert "memory" not in tspec(vm)["domain"]
    assert tspec(vm)["domain"]["cpu"] == {"model": "host-passthrough"}


def test_clear_for_instancetype_on_plain_vm() -> None:
    vm = {"spec": {"template": {"spec": {"domain": {"devices": {}}}}}}
    assert clear_for_instancetype(vm) == []
