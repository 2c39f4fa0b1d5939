"""``vmctl create instancetype`` / ``vmctl create preference`` through the real entry point."""

from __future__ import annotations

import json


def test_instancetype_yaml(vmctl) -> None:
    code, out, err = vmctl("create", "instancetype", "--name", "small-2c", "--cpu", "2", "--memory", "4Gi")
    assert (code, err) == (0, "")
    assert out == (
        "apiVersion: instancetype.kubevirt.io/v1beta1\n"
        "kind: VirtualMachineClusterInstancetype\n"
        "metadata:\n"
        "  name: small-2c\n"
        "spec:\n"
        "  cpu:\n"
        "    guest: 2\n"
        "  memory:\n"
        "    guest: 4Gi\n"
    )


def test_namespaced_instancetype_json(vmctl) -> None:
    code, out, _ = vmctl("create", "instancetype", "--name", "gpu", "--cpu", "8", "--memory", "32Gi", "-n", "ml",
                         "--gpu", "name:gpu1,devicename:nvidia.com/A10", "--gpu", "name:gpu2,devicename:nvidia.com/A10",
                         "--iothreadspolicy", "shared", "-o", "json")
    assert code == 0
    obj = json.loads(out)
    assert obj["kind"] == "VirtualMachineInstancetype"
    assert obj["metadata"] == {"name": "gpu", "namespace": "ml"}
    assert obj["spec"]["gpus"] == [{"name": "gpu1", "deviceName": "nvidia.com/A10"},
                                   {"name": "gpu2", "deviceName": "nvidia.com/A10"}]
    assert obj["spec"]["ioThreadsPolicy"] == "shared"


def test_instancetype_errors(vmctl) -> None:
    code, out, err = vmctl("create", "instancetype", "--memory", "1Gi")
    assert (code, out, err) == (2, "", 'error: required flag(s) "cpu" not set\n')
    code, out, err = vmctl("create", "instancetype", "--cpu", "1", "--memory", "1Gi", "--hostdevice", "name:x")
    assert (code, out, err) == (2, "", 'error: failed to parse "--hostdevice" flag: deviceName must be specified\n')


def test_preference(vmctl) -> None:
    code, out, _ = vmctl("create", "preference", "--name", "my-linux", "--cpu-topology", "cores",
                         "--machine-type", "q35", "--namespaced", "-o", "json")
    assert code == 0
    assert json.loads(out) == {
        "apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachinePreference",
        "metadata": {"name": "my-linux"},
        "spec": {"cpu": {"preferredCPUTopology": "cores"}, "machine": {"preferredMachineType": "q35"}},
    }
    code, out, err = vmctl("create", "preference", "--cpu-topology", "numa")
    assert (code, out) == (2, "")
    assert err == ('error: failed to parse "--cpu-topology" flag: CPU topology must have a value of sockets, cores, '
                   "threads or spread\n")


def test_help_examples(vmctl) -> None:
    for command in ("instancetype", "preference"):
        code, out, _ = vmctl("create", command, "--help")
        assert code == 0
        assert f"vmctl create {command} " in out
