"""vmctl: KubeVirt virtual machines, resolved offline and run on a cluster or a local libvirt host."""

__version__ = "0.1.0"

#: The KubeVirt release whose semantics the resolution core reproduces.
KUBEVIRT_VERSION = "v1.9.0"
#: The common-instancetypes release shipped in ``instancetypes/``.
COMMON_INSTANCETYPES_VERSION = "v1.7.0"
