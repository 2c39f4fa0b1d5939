"""KubeVirt's DRA checks of the VMI spec (validation_dra.py) and the JSON round trip the template goes through."""

from __future__ import annotations

from vmctl.core.goshape import drop_omitted
from vmctl.core.validation_dra import validate_dra


def _spec(gpus=None, host_devices=None, claims=None) -> dict:
    devices = {k: v for k, v in (("gpus", gpus), ("hostDevices", host_devices)) if v is not None}
    spec: dict = {"domain": {"devices": devices}}
    if claims is not None:
        spec["resourceClaims"] = claims
    return spec


def _messages(spec: dict) -> list[str]:
    return [c.message for c in validate_dra("spec", spec)]


def test_device_plugin_gpus_need_a_device_name_and_no_claim() -> None:
    assert _messages(_spec([{"name": "g", "deviceName": "d"}])) == []
    assert _messages(_spec([{"name": "g"}])) == [
        "vmi.spec.domain.devices.gpus contains GPUs without deviceName or claimRequest; each GPU must specify "
        "either a deviceName or a claimRequest"]
    assert _messages(_spec([{"name": "g", "deviceName": "d", "claimName": ""}])) == [
        "vmi.spec.domain.devices.gpus contains GPUs with both deviceName and claimRequest"]


def test_gpus_are_all_dra_or_none_host_devices_may_mix() -> None:
    dra, plain = {"name": "a", "claimName": "c", "requestName": "r"}, {"name": "b", "deviceName": "d"}
    claims = [{"name": "c", "resourceClaimName": "x"}]
    assert _messages(_spec([dra, plain], claims=claims)) == [
        "vmi.spec.domain.devices.gpus contains both DRA and non-DRA GPUs; each GPU must be either DRA or non-DRA"]
    assert _messages(_spec(host_devices=[dra, plain], claims=claims)) == []


def test_claims_must_be_declared_and_pairs_unique() -> None:
    dra = {"name": "a", "claimName": "c", "requestName": "r"}
    assert _messages(_spec([dra])) == ["vmi.spec.resourceClaims must specify all claims used in "
                                       "vmi.spec.domain.devices.gpus and vmi.spec.domain.devices.hostDevices"]
    causes = validate_dra("spec", _spec([dra], [dra], [{"name": "c", "resourceClaimName": "x"}]))
    assert [(c.field, c.message) for c in causes] == [
        ("spec.domain.devices.hostDevices[0]", 'duplicate claimName/requestName pair "c/r" between GPUs[0] and '
         "HostDevices[0]")]


def test_resource_claim_entries() -> None:
    claims = [{"name": "", "resourceClaimName": "x"}, {"name": "a"}, {"name": "a", "resourceClaimName": "x",
                                                                       "resourceClaimTemplateName": "y"}]
    assert _messages(_spec(claims=claims)) == [
        "spec.resourceClaims[0].name is a required field",
        "must specify one of: resourceClaimName, resourceClaimTemplateName",
        'duplicate resourceClaims name "a"',
        "at most one of resourceClaimName or resourceClaimTemplateName may be specified"]


def test_drop_omitted_is_the_go_round_trip() -> None:
    spec = {"nodeSelector": {}, "hostname": "", "domain": {"devices": {"hostDevices": [], "gpus": [
        {"name": "g", "deviceName": "d", "claimName": ""}]}, "features": {"acpi": {}}}, "volumes": None}
    drop_omitted(spec, "v1.VirtualMachineInstanceSpec")
    assert spec == {"domain": {"devices": {"gpus": [{"name": "g", "deviceName": "d"}]}, "features": {"acpi": {}}}}
