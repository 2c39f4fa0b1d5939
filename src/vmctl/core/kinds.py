"""The API kinds vmctl knows: groups, versions, plurals, short names, scope (KubeVirt crds.go)."""

from __future__ import annotations

import difflib
from typing import NamedTuple


class Kind(NamedTuple):  # immutable; a NamedTuple is much quicker to define than a frozen dataclass
    kind: str
    group: str
    versions: tuple[str, ...]  # served versions, preferred (storage) first
    plural: str
    short: tuple[str, ...] = ()
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.versions[0]}" if self.group else self.versions[0]

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def resource(self) -> str:
        """``plural.group`` as kubectl prints it in ``-o name``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def names(self) -> tuple[str, ...]:
        return (self.singular, self.plural, *self.short)


VM = Kind("VirtualMachine", "kubevirt.io", ("v1", "v1alpha3"), "virtualmachines", ("vm", "vms"))
VMI = Kind("VirtualMachineInstance", "kubevirt.io", ("v1", "v1alpha3"), "virtualmachineinstances", ("vmi", "vmis"))
VMIRS = Kind(
    "VirtualMachineInstanceReplicaSet", "kubevirt.io", ("v1", "v1alpha3"),
    "virtualmachineinstancereplicasets", ("vmirs", "vmirss"),
)
PRESET = Kind(
    "VirtualMachineInstancePreset", "kubevirt.io", ("v1", "v1alpha3"),
    "virtualmachineinstancepresets", ("vmipreset", "vmipresets"),
)
POOL = Kind(
    "VirtualMachinePool", "pool.kubevirt.io", ("v1beta1", "v1alpha1"), "virtualmachinepools",
    ("vmpool", "vmpools", "pool", "pools"),  # pool/pools: vmctl's own short names
)
INSTANCETYPE = Kind(
    "VirtualMachineInstancetype", "instancetype.kubevirt.io", ("v1beta1",), "virtualmachineinstancetypes",
    ("vminstancetype", "vminstancetypes", "vmf", "vmfs"),
)
CLUSTER_INSTANCETYPE = Kind(
    "VirtualMachineClusterInstancetype", "instancetype.kubevirt.io", ("v1beta1",),
    "virtualmachineclusterinstancetypes",
    ("vmclusterinstancetype", "vmclusterinstancetypes", "vmcf", "vmcfs", "instancetype", "instancetypes", "it"),
    namespaced=False,
)
PREFERENCE = Kind(
    "VirtualMachinePreference", "instancetype.kubevirt.io", ("v1beta1",), "virtualmachinepreferences",
    ("vmpref", "vmprefs", "vmp", "vmps"),
)
CLUSTER_PREFERENCE = Kind(
    "VirtualMachineClusterPreference", "instancetype.kubevirt.io", ("v1beta1",),
    "virtualmachineclusterpreferences", ("vmcp", "vmcps", "preference", "preferences", "pref"),
    namespaced=False,
)
TEMPLATE = Kind("Template", "template.openshift.io", ("v1",), "templates", ("template",))
VM_TEMPLATE = Kind(
    "VirtualMachineTemplate", "template.kubevirt.io", ("v1beta1", "v1alpha1"), "virtualmachinetemplates", ("vmt",)
)
CONFIGMAP = Kind("ConfigMap", "", ("v1",), "configmaps", ("cm",))
SECRET = Kind("Secret", "", ("v1",), "secrets")
CONTROLLER_REVISION = Kind("ControllerRevision", "apps", ("v1",), "controllerrevisions")

ALL: tuple[Kind, ...] = (
    VM, VMI, VMIRS, PRESET, POOL, INSTANCETYPE, CLUSTER_INSTANCETYPE, PREFERENCE, CLUSTER_PREFERENCE,
    TEMPLATE, VM_TEMPLATE, CONFIGMAP, SECRET, CONTROLLER_REVISION,
)
BY_KIND: dict[str, Kind] = {k.kind: k for k in ALL}
_BY_NAME: dict[str, Kind] = {}
for _k in ALL:
    for _n in (*_k.names(), _k.kind.lower()):
        _BY_NAME.setdefault(_n, _k)
    _BY_NAME.setdefault(f"{_k.plural}.{_k.group}", _k)

#: The other kinds KubeVirt's API defines (virt-operator crds.go): known to ``validate``, not resolved or stored.
OTHER_KUBEVIRT: tuple[Kind, ...] = (
    Kind("VirtualMachineInstanceMigration", "kubevirt.io", ("v1", "v1alpha3"), "virtualmachineinstancemigrations",
         ("vmim", "vmims")),
    Kind("KubeVirt", "kubevirt.io", ("v1", "v1alpha3"), "kubevirts", ("kv", "kvs")),
    Kind("VirtualMachineSnapshot", "snapshot.kubevirt.io", ("v1beta1", "v1alpha1"), "virtualmachinesnapshots",
         ("vmsnapshot", "vmsnapshots")),
    Kind("VirtualMachineSnapshotContent", "snapshot.kubevirt.io", ("v1beta1", "v1alpha1"),
         "virtualmachinesnapshotcontents", ("vmsnapshotcontent", "vmsnapshotcontents")),
    Kind("VirtualMachineRestore", "snapshot.kubevirt.io", ("v1beta1", "v1alpha1"), "virtualmachinerestores",
         ("vmrestore", "vmrestores")),
    Kind("VirtualMachineExport", "export.kubevirt.io", ("v1", "v1beta1"), "virtualmachineexports",
         ("vmexport", "vmexports")),
    Kind("VirtualMachineBackup", "backup.kubevirt.io", ("v1alpha1",), "virtualmachinebackups",
         ("vmbackup", "vmbackups")),
    Kind("VirtualMachineBackupTracker", "backup.kubevirt.io", ("v1alpha1",), "virtualmachinebackuptrackers",
         ("vmbackuptracker", "vmbackuptrackers")),
    Kind("MigrationPolicy", "migrations.kubevirt.io", ("v1alpha1",), "migrationpolicies", namespaced=False),
    Kind("VirtualMachineClone", "clone.kubevirt.io", ("v1beta1", "v1alpha1"), "virtualmachineclones",
         ("vmclone", "vmclones")),
    Kind("Plugin", "plugin.kubevirt.io", ("v1alpha1",), "plugins", namespaced=False),
)
OTHER_BY_KIND: dict[str, Kind] = {k.kind: k for k in OTHER_KUBEVIRT}

#: Spellings people write that are not KubeVirt kinds, with the kind they meant.
MISSPELLED_KINDS = {
    "VirtualMachineInstanceType": "VirtualMachineInstancetype",
    "VirtualMachineClusterInstanceType": "VirtualMachineClusterInstancetype",
    "VirtualMachineInstanceTypes": "VirtualMachineInstancetype",
    "VirtualMachineInstancePreference": "VirtualMachinePreference",
    "VirtualMachinePreferences": "VirtualMachinePreference",
    "VirtualMachineClusterPreferences": "VirtualMachineClusterPreference",
    "VirtualMachineInstancePresets": "VirtualMachineInstancePreset",
    "VirtualMachinePreset": "VirtualMachineInstancePreset",
    "VirtualMachineInstanceReplicaset": "VirtualMachineInstanceReplicaSet",
    "VirtualMachineReplicaSet": "VirtualMachineInstanceReplicaSet",
    "VMPool": "VirtualMachinePool",
}


def kind_hint(kind: str, group: str | None = None) -> str | None:
    """A "did you mean" for an unknown kind, or None; with ``group``, only kinds of that API group are offered."""
    if kind in MISSPELLED_KINDS and (group is None or BY_KIND[MISSPELLED_KINDS[kind]].group == group):
        return MISSPELLED_KINDS[kind]
    candidates = [k.kind for k in (*ALL, *OTHER_KUBEVIRT) if group is None or k.group == group]
    for known in candidates:
        if known.lower() == kind.lower():
            return known
    close = difflib.get_close_matches(kind, candidates, n=1, cutoff=0.8)
    return close[0] if close else None


def lookup_resource(name: str) -> Kind | None:
    """Resolve a kubectl-style resource name (``vm``, ``vms``, ``virtualmachine``, ``vmpool``) to its kind."""
    return _BY_NAME.get(name.lower())
