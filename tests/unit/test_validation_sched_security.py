"""Affinity, topology spread, DNS, access credentials, launch security, Hyper-V and metadata checks
(vmctl.core.validation_scheduling, vmctl.core.validation_security): KubeVirt's texts, paths and order."""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.catalog import load_catalog
from vmctl.core.defaults import LOCAL_CLUSTER
from vmctl.core.pipeline import MemoSource, resolve
from vmctl.core.validation_scheduling import sanitized_ip
from vmctl.errors import FieldProblem, ObjectRejected

Obj = dict[str, Any]


def vmi(metadata: Obj | None = None, **spec: Any) -> Obj:
    domain = {"memory": {"guest": "1Gi"}, "devices": {}, **spec.pop("domain", {})}
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
            "metadata": {"name": "v", "namespace": "default", **(metadata or {})}, "spec": {"domain": domain, **spec}}


def refusal(obj: Obj) -> ObjectRejected:
    with pytest.raises(ObjectRejected) as info:
        resolve(obj, MemoSource(load_catalog([])), origins=False)
    return info.value


@pytest.mark.parametrize(("text", "canonical"), [
    ("10.0.0.1", "10.0.0.1"), ("010.0.0.1", "10.0.0.1"), ("::ffff:1.2.3.4", "1.2.3.4"),
    ("2001:DB8:0:0::1", "2001:db8::1"), ("1.2.3", None), ("fe80::1%eth0", None), ("dns.example.com", None)])
def test_nameservers_as_go_parses_them(text: str, canonical: str | None) -> None:
    assert sanitized_ip(text) == canonical


def test_nameservers_are_canonical_in_the_vmi() -> None:
    obj = vmi(dnsConfig={"nameservers": ["010.0.0.1", "::ffff:1.2.3.4"]})
    spec = resolve(obj, MemoSource(load_catalog([])), origins=False).obj["spec"]
    assert spec["dnsConfig"]["nameservers"] == ["10.0.0.1", "1.2.3.4"]


def test_affinity_errors_are_rooted_at_the_spec() -> None:
    affinity = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 0, "preference": {}}]}}
    path = "spec.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight"
    assert refusal(vmi(affinity=affinity)).causes == [
        FieldProblem(path, f"{path}: Invalid value: 0: must be in the range 1-100")]


def test_spread_constraints_in_kubevirt_order() -> None:
    constraints = [{"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"},
                   {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchExpressions": [{"key": "app", "operator": "Bad"}]}}]
    assert [c.message for c in refusal(vmi(topologySpreadConstraints=constraints)).causes] == [
        "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
        'spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}"',
        'spec.topologySpreadConstraints.labelSelector.matchExpressions[0].operator: Invalid value: "Bad": not a valid '
        "selector operator"]


def test_dns_none_needs_nameservers() -> None:
    assert refusal(vmi(dnsPolicy="None", dnsConfig={})).causes == [
        FieldProblem("nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None",
                     "FieldValueRequired")]


def test_access_credential_needs_its_cloud_init_volume() -> None:
    creds = [{"sshPublicKey": {"source": {"secret": {"secretName": "k"}}, "propagationMethod": {"noCloud": {}}}}]
    assert refusal(vmi(accessCredentials=creds)).message == (
        "spec.accessCredentials[0] requires a noCloud volume to exist when the noCloud propagationMethod is in use.")


def test_launch_security_needs_uefi_and_tdx_a_gate() -> None:
    assert refusal(vmi(domain={"launchSecurity": {"sev": {}}})).message == "SEV requires OVMF (UEFI)"
    assert refusal(vmi(domain={"launchSecurity": {"tdx": {}}})).message == (
        "WorkloadEncryptionTDX feature gate is not enabled in kubevirt-config")


def test_hyperv_dependency_disabled_on_purpose() -> None:
    hyperv = {"synic": {}, "vpindex": {"enabled": False}}
    base = "spec.domain.features.hyperv.domain.features.hyperv"  # KubeVirt's own (doubled) path
    assert refusal(vmi(domain={"features": {"hyperv": hyperv}})).causes == [
        FieldProblem(f"{base}.synic", f"'{base}.synic' requires '{base}.vpindex', which was disabled.")]


def test_template_metadata_of_a_vm() -> None:
    obj = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "v"},
           "spec": {"runStrategy": "Always", "template": {
               "metadata": {"labels": {"kubevirt.io/nodeName": "n"}, "annotations": {"kubevirt.io/ignitiondata": "{}"}},
               "spec": {"domain": {"memory": {"guest": "1Gi"}}}}}}
    assert refusal(obj).causes == [
        FieldProblem("spec.template.metadata.labels", "creation of the following reserved kubevirt.io/ labels on a "
                     "VMI object is prohibited", "FieldValueNotSupported"),
        FieldProblem("spec.template.metadata.annotations", "ExperimentalIgnitionSupport feature gate is not enabled in "
                     "kubevirt-config, invalid entry spec.template.metadata.annotations.kubevirt.io/ignitiondata")]


def test_hook_sidecars_need_the_sidecar_gate_the_local_backend_has() -> None:
    obj = vmi({"annotations": {"hooks.kubevirt.io/hookSidecars": "[]"}})
    assert refusal(obj).message == ("sidecar feature gate is not enabled in kubevirt-config, invalid entry "
                                    "metadata.annotations.hooks.kubevirt.io/hookSidecars")
    assert resolve(obj, MemoSource(load_catalog([])), origins=False, cluster=LOCAL_CLUSTER).obj
