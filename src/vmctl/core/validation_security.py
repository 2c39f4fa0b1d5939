"""KubeVirt's offline checks of access credentials, launch security, Hyper-V feature dependencies and the
VMI/VM template metadata (reserved labels, feature-gated annotations), with its texts and field paths.

Feature gates are those of a fresh cluster (``ClusterConfig.gate``; ``feature_gates`` adds more): WorkloadEncryptionSEV
is a beta gate and on by default, WorkloadEncryptionTDX, Sidecar and ExperimentalIgnitionSupport are off.
"""

from __future__ import annotations

from typing import Any

from vmctl.core.defaults import ClusterConfig
from vmctl.core.fields import dig
from vmctl.errors import FieldProblem

Obj = dict[str, Any]

INVALID, REQUIRED, NOT_SUPPORTED, FORBIDDEN = ("FieldValueInvalid", "FieldValueRequired", "FieldValueNotSupported",
                                               "FieldValueForbidden")
_RESTRICTED_LABELS = frozenset({"kubevirt.io/created-by", "kubevirt.io/migrationJobUID", "kubevirt.io/nodeName",
                                "kubevirt.io/migrationTargetNodeName", "kubevirt.io/schedulable",
                                "kubevirt.io/install-strategy"})
_IGNITION_ANNOTATION = "kubevirt.io/ignitiondata"
_SIDECAR_ANNOTATION = "hooks.kubevirt.io/hookSidecars"
# --- access credentials (validateAccessCredentials) ----------------------------------------------------------


def _ssh_public_key(base: str, ssh: Obj, no_cloud: bool, config_drive: bool) -> list[FieldProblem]:
    causes = []
    method = dig(ssh, "propagationMethod") or {}
    methods = 0
    if method.get("noCloud") is not None:
        methods += 1
        if not no_cloud:
            causes.append(FieldProblem(f"{base}.sshPublicKey.propagationMethod", f"{base} requires a noCloud volume to "
                                       "exist when the noCloud propagationMethod is in use.", INVALID))
    if method.get("configDrive") is not None:
        methods += 1
        if not config_drive:
            causes.append(FieldProblem(f"{base}.sshPublicKey.propagationMethod", f"{base} requires a configDrive volume "
                                       "to exist when the configDrive propagationMethod is in use.", INVALID))
    agent = method.get("qemuGuestAgent")
    if agent is not None:
        if not (agent or {}).get("users"):
            causes.append(FieldProblem(f"{base}.sshPublicKey.propagationMethod.qemuGuestAgent.users", f"{base} requires "
                                       "at least one user to be present in the users list", INVALID))
        methods += 1
    if dig(ssh, "source", "secret") is None:
        causes.append(FieldProblem(f"{base}.sshPublicKey.source", f"{base} must have exactly one source set", INVALID))
    if methods != 1:
        causes.append(FieldProblem(f"{base}.sshPublicKey.propagationMethod", f"{base} must have exactly one "
                                   "propagationMethod set", INVALID))
    return causes


def _user_password(base: str, password: Obj) -> list[FieldProblem]:
    causes = []
    if dig(password, "source", "secret") is None:
        causes.append(FieldProblem(f"{base}.userPassword.source", f"{base} must have exactly one source set", INVALID))
    if dig(password, "propagationMethod", "qemuGuestAgent") is None:
        causes.append(FieldProblem(f"{base}.userPassword.propagationMethod", f"{base} must have exactly one "
                                   "propagationMethod set", INVALID))
    return causes


def validate_access_credentials(field: str, spec: Obj) -> list[FieldProblem]:
    """``validateAccessCredentials``: one type per credential, one source and one propagation method each, and
    the cloud-init volume a noCloud/configDrive propagation needs."""
    credentials = spec.get("accessCredentials")
    if not credentials:
        return []
    volumes = [v for v in spec.get("volumes") or [] if isinstance(v, dict)]
    no_cloud = any(v.get("cloudInitNoCloud") is not None for v in volumes)
    config_drive = any(v.get("cloudInitConfigDrive") is not None for v in volumes)
    causes = []
    for idx, credential in enumerate(credentials if isinstance(credentials, list) else []):
        credential = credential if isinstance(credential, dict) else {}
        base = f"{field}.accessCredentials[{idx}]"
        kinds = 0
        if isinstance(credential.get("sshPublicKey"), dict):
            kinds += 1
            causes += _ssh_public_key(base, credential["sshPublicKey"], no_cloud, config_drive)
        if isinstance(credential.get("userPassword"), dict):
            kinds += 1
            causes += _user_password(base, credential["userPassword"])
        if kinds != 1:
            causes.append(FieldProblem(base, f"{base} must have exactly one access credential type set", INVALID))
    return causes


# --- launch security (validateLaunchSecurity, ValidateLaunchSecurityAmd64) --------------------------------------


def _launch_security_amd64(field: str, spec: Obj, security: Obj, cluster: ClusterConfig) -> list[FieldProblem]:
    path = f"{field}.launchSecurity"
    sev, snp, tdx = (security.get(k) is not None for k in ("sev", "snp", "tdx"))
    selected = [name for name, on in (("SEV", sev), ("SNP", snp), ("TDX", tdx)) if on]
    if len(selected) != 1:
        return [FieldProblem(path, "One and only one launchSecurity type can be set", FORBIDDEN)]
    kind = selected[0]
    gate = "WorkloadEncryptionTDX" if tdx else "WorkloadEncryptionSEV"
    if not cluster.gate(gate):
        return [FieldProblem(path, f"{gate} feature gate is not enabled in kubevirt-config", INVALID)]
    causes = []
    domain = spec.get("domain") or {}
    smm = dig(domain, "features", "smm")
    if tdx and isinstance(smm, dict) and smm.get("enabled") is not False:
        causes.append(FieldProblem(path, "TDX does not work along with SMM", INVALID))
    efi = dig(domain, "firmware", "bootloader", "efi")
    if not isinstance(efi, dict):
        causes.append(FieldProblem(path, f"{kind} requires OVMF (UEFI)", INVALID))
    else:
        if (sev or snp) and efi.get("secureBoot") is not False:
            causes.append(FieldProblem(path, f"{kind} does not work along with SecureBoot", INVALID))
        if (snp or tdx) and efi.get("persistent") is True:
            causes.append(FieldProblem(path, f"{kind} does not work along with Persistent EFI variables", INVALID))
    if sev and spec.get("startStrategy") != "Paused" and dig(security, "sev", "attestation") is not None:
        causes.append(FieldProblem(path, "SEV attestation requires VMI StartStrategy 'Paused'", INVALID))
    for iface in dig(domain, "devices", "interfaces") or []:
        if isinstance(iface, dict) and iface.get("bootOrder") is not None:
            causes.append(FieldProblem(path, f"{kind} does not work with bootable NICs: {iface.get('name', '')}",
                                       INVALID))
    return causes


def validate_launch_security(field: str, spec: Obj, cluster: ClusterConfig) -> list[FieldProblem]:
    """``validateLaunchSecurity``: SEV, SEV-SNP and TDX on amd64 (note the path ``<field>.launchSecurity``)."""
    security = dig(spec, "domain", "launchSecurity")
    if not isinstance(security, dict):
        return []
    arch = spec.get("architecture") or ""
    if arch == "amd64":
        return _launch_security_amd64(field, spec, security, cluster)
    if arch == "s390x":
        return []
    return [FieldProblem(f"{field}.architecture", f"No launchSecurity support for architecture: {arch}", INVALID)]


# --- Hyper-V (ValidateVirtualMachineInstanceHyperv; VMI create admitter only) ------------------------------------


def _enabled(state: Any) -> bool:
    return isinstance(state, dict) and state.get("enabled") is True


def validate_hyperv(spec: Obj) -> list[FieldProblem]:
    """Feature dependencies (KubeVirt's defaults enable a missing requirement; one disabled explicitly is refused
    here), the EVMCS ``vmx`` CPU feature, and Hyper-V next to Hyper-V passthrough.

    KubeVirt passes ``spec.domain.features.hyperv`` as the root and appends ``domain.features.hyperv`` again, so the
    dependency paths repeat it."""
    features = dig(spec, "domain", "features") or {}
    hyperv = features.get("hyperv")
    root = "spec.domain.features.hyperv"
    causes = []
    if isinstance(hyperv, dict):
        base = f"{root}.domain.features.hyperv"
        copies = {key: {"enabled": hyperv[key].get("enabled")} if isinstance(hyperv.get(key), dict) else None
                  for key in ("synictimer", "tlbflush")}
        rules = (("evmcs", hyperv.get("evmcs"), "vapic"), ("ipi", hyperv.get("ipi"), "vpindex"),
                 ("tlbflush", copies["tlbflush"], "vpindex"),
                 ("synictimer", copies["synictimer"] or {}, "synic"), ("synic", hyperv.get("synic"), "vpindex"))
        for name, state, required in rules:
            if _enabled(state) and not _enabled(hyperv.get(required)):
                causes.append(FieldProblem(f"{base}.{name}", f"'{base}.{name}' requires '{base}.{required}', which was "
                                           "disabled.", INVALID))
        evmcs = hyperv.get("evmcs")
        if isinstance(evmcs, dict) and evmcs.get("enabled") is not False:
            cpu_features = dig(spec, "domain", "cpu", "features") or []
            if not cpu_features:
                causes.append(FieldProblem("spec.domain.cpu.features", "vmx cpu feature is required when evmcs is set",
                                           REQUIRED))
            for i, feature in enumerate(cpu_features):
                feature = feature if isinstance(feature, dict) else {}
                if feature.get("name") == "vmx" and feature.get("policy", "") != "require":
                    causes.append(FieldProblem(f"spec.domain.cpu.features[{i}].policy", "vmx cpu feature has to be set "
                                               "to require policy", INVALID))
        if features.get("hypervPassthrough") is not None:
            causes.append(FieldProblem(root, "Cannot explicitly set hyperV features if HypervPassthrough is being used. "
                                       "Please use either HyperV or HypervPassthrough.", INVALID))
    return causes


# --- metadata (ValidateVirtualMachineInstanceMetadata) ---------------------------------------------------------


def validate_metadata(field: str, metadata: Any, cluster: ClusterConfig) -> list[FieldProblem]:
    """Reserved ``kubevirt.io/`` labels (as for a user, not KubeVirt's service accounts), then the ignition and
    hook-sidecar annotations, which need feature gates that are off by default."""
    metadata = metadata if isinstance(metadata, dict) else {}
    labels = metadata.get("labels") if isinstance(metadata.get("labels"), dict) else {}
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    causes = []
    if not _RESTRICTED_LABELS.isdisjoint(labels):
        causes.append(FieldProblem(f"{field}.labels", "creation of the following reserved kubevirt.io/ labels on a VMI "
                                   "object is prohibited", NOT_SUPPORTED))
    for annotation, gate, text in (
            (_IGNITION_ANNOTATION, "ExperimentalIgnitionSupport", "ExperimentalIgnitionSupport feature gate"),
            (_SIDECAR_ANNOTATION, "Sidecar", "sidecar feature gate")):
        if annotations.get(annotation) and not cluster.gate(gate):
            causes.append(FieldProblem(f"{field}.annotations", f"{text} is not enabled in kubevirt-config, invalid "
                                       f"entry {field}.annotations.{annotation}", INVALID))
    return causes


def metadata_key(metadata: Any) -> tuple[Any, ...]:
    """What ``validate_metadata`` reads, for remembering a VMI admission that passed."""
    metadata = metadata if isinstance(metadata, dict) else {}
    labels = metadata.get("labels") if isinstance(metadata.get("labels"), dict) else {}
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    return (tuple(sorted(_RESTRICTED_LABELS.intersection(labels))),
            bool(annotations.get(_IGNITION_ANNOTATION)), bool(annotations.get(_SIDECAR_ANNOTATION)))
