"""VM and VMI admission checks (vmctl.core.validation), texts and field paths from KubeVirt's admitters
(pkg/virt-api/webhooks/validating-webhook/admitters, pkg/network/admitter, pkg/storage/admitters)."""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.catalog import load_catalog
from vmctl.core.pipeline import MemoSource, resolve
from vmctl.errors import FieldProblem, ObjectRejected

Obj = dict[str, Any]


def vm(domain: Obj | None = None, **spec: Any) -> Obj:
    template_spec = {"domain": {"memory": {"guest": "1Gi"}, **(domain or {})}, **spec.pop("template_spec", {})}
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "v", "namespace": "default"},
            "spec": {"runStrategy": "Always", "template": {"spec": template_spec}, **spec}}


def refusal(obj: Obj) -> ObjectRejected:
    with pytest.raises(ObjectRejected) as info:
        resolve(obj, MemoSource(load_catalog([])), origins=False)
    return info.value


@pytest.mark.parametrize("binding", ["slirp", "passt", "macvtap"])
def test_discontinued_bindings(binding: str) -> None:
    obj = vm({"devices": {"interfaces": [{"name": "default", binding: {}}]}},
             template_spec={"networks": [{"name": "default", "pod": {}}]})
    first = refusal(obj).causes[0]
    # the VM admitter runs this check with the path "spec" on the template spec: KubeVirt's own field path
    assert first.field == f"spec.domain.devices.interfaces[0].{binding}"
    assert first.message.endswith("has been discontinued since v1.3")


def test_no_memory_requested_rejects_the_vmi() -> None:
    obj = vm()
    del obj["spec"]["template"]["spec"]["domain"]["memory"]
    assert refusal(obj).message == (
        "no memory requested, at least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.pageSize' "
        "or 'spec.domain.resources.requests.memory' must be set")


def test_disk_without_volume() -> None:
    assert refusal(vm({"devices": {"disks": [{"name": "x", "disk": {}}]}})).causes == [
        FieldProblem("spec.template.spec.domain.devices.disks[0].name",
                     "spec.template.spec.domain.devices.disks[0].Name 'x' not found.")]


def test_duplicate_disk_and_volume_names() -> None:
    obj = vm({"devices": {"disks": [{"name": "a", "disk": {}}, {"name": "a", "disk": {}}]}},
             template_spec={"volumes": [{"name": "a", "emptyDisk": {"capacity": "1Gi"}},
                                        {"name": "a", "emptyDisk": {"capacity": "1Gi"}}]})
    assert refusal(obj).causes == [
        FieldProblem("spec.template.spec.domain.devices.disks[1].name", "spec.template.spec.domain.devices.disks[1] "
                     "and spec.template.spec.domain.devices.disks[0] must not have the same Name."),
        FieldProblem("spec.template.spec.volumes[1].name",
                     "spec.template.spec.volumes[1] and spec.template.spec.volumes[0] must not have the same Name."),
    ]


def test_interface_without_network() -> None:
    obj = vm({"devices": {"interfaces": [{"name": "nic", "masquerade": {}}]}},
             template_spec={"networks": [{"name": "default", "pod": {}}]})
    assert [c.message for c in refusal(obj).causes] == [
        "Masquerade interface only implemented with pod network",
        "spec.template.spec.networks[0].name 'default' not found.",
        "spec.template.spec.domain.devices.interfaces[0].name 'nic' not found.",
    ]


def test_duplicate_boot_order() -> None:
    obj = vm({"devices": {"disks": [{"name": "a", "bootOrder": 1}, {"name": "b", "bootOrder": 1}]}},
             template_spec={"volumes": [{"name": "a", "emptyDisk": {"capacity": "1Gi"}},
                                        {"name": "b", "emptyDisk": {"capacity": "1Gi"}}]})
    assert refusal(obj).message == ("Boot order for spec.template.spec.domain.devices.disks[1].bootOrder already set "
                                    "for a different device.")


def test_run_strategy() -> None:
    assert refusal(vm(runStrategy="Sometimes")).causes == [
        FieldProblem("spec.runStrategy", "Invalid RunStrategy (Sometimes)")]
    both = vm(running=True)
    assert refusal(both).causes[0].message.startswith("Running and RunStrategy are mutually exclusive.")


def test_invalid_namespace() -> None:
    obj = vm()
    obj["metadata"]["namespace"] = "Bad_NS"
    assert refusal(obj).message.startswith('metadata.namespace: Invalid value: "Bad_NS": a lowercase RFC 1123 label')


def test_secure_boot_needs_smm() -> None:
    obj = vm({"firmware": {"bootloader": {"efi": {}}}})
    assert refusal(obj).message == ("spec.template.spec.domain has EFI SecureBoot enabled. SecureBoot requires SMM, "
                                    "which is currently disabled.")


def test_negative_guest_memory_is_admitted_as_by_kubevirt() -> None:
    # KubeVirt v1.9's webhooks do not check the sign of memory.guest (checked against its code)
    obj = vm({"memory": {"guest": "-1Gi"}})
    assert resolve(obj, MemoSource(load_catalog([])), origins=False).obj["spec"]["domain"]["memory"]["guest"] == "-1Gi"


def test_infer_from_volume_ignore_clears_the_matcher_with_a_warning() -> None:
    obj = vm(instancetype={"inferFromVolume": "root", "inferFromVolumeFailurePolicy": "Ignore"},
             template_spec={"volumes": [{"name": "root", "containerDisk": {"image": "x"}}]})
    result = resolve(obj, MemoSource(load_catalog([])), origins=False)
    assert "kubevirt.io/cluster-instancetype-name" not in result.obj["metadata"]["annotations"]
    assert result.warnings[0].startswith("spec.instancetype: cannot infer from volume 'root' offline")
    obj["spec"]["instancetype"]["inferFromVolumeFailurePolicy"] = "Reject"
    assert "inferFromVolume" in refusal(obj).message


def test_hostname_and_subdomain_follow_dns_rules() -> None:
    # checked against KubeVirt's code: both causes, hostname first
    obj = vm(template_spec={"hostname": "Bad_Host", "subdomain": "Sub_x"})
    causes = refusal(obj).causes
    assert [c.field for c in causes] == ["spec.template.spec.hostname", "spec.template.spec.subdomain"]
    assert causes[0].message.startswith("spec.template.spec.hostname does not conform to the kubernetes DNS_LABEL "
                                        "rules : a lowercase RFC 1123 label must consist of")
    assert causes[1].message.startswith("spec.template.spec.subdomain does not conform to the kubernetes "
                                        "DNS_SUBDOMAIN rules : a lowercase RFC 1123 subdomain must consist of")
