"""What a VirtualMachineInstanceReplicaSet member is: KubeVirt's VMI naming, labels and owner
(``pkg/virt-controller/watch/replicaset/replicaset.go``: ``getVirtualMachineBaseName``, ``scale``,
``OwnerRef``) and the API server's ``generateName`` (``k8s.io/apiserver`` ``names.SimpleNameGenerator``).

Pure: the random suffix comes from a ``random.Random`` passed in.
"""

from __future__ import annotations

import random
from collections.abc import Container
from typing import Any

from vmctl.core.fields import controller_reference

Obj = dict[str, Any]

API_VERSION = "kubevirt.io/v1"
KIND = "VirtualMachineInstanceReplicaSet"
#: ``k8s.io/apimachinery/pkg/util/rand``: the characters of generated names (no vowels, no 0/1/3).
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
RANDOM_LENGTH = 5
MAX_GENERATED_BASE = 63 - RANDOM_LENGTH


def template_of(rs: Obj) -> Obj:
    template = (rs.get("spec") or {}).get("template")
    return template if isinstance(template, dict) else {}


def replicas(rs: Obj) -> int:
    """``spec.replicas``; nil means 1."""
    value = (rs.get("spec") or {}).get("replicas")
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def base_name(rs: Obj) -> str:
    """``getVirtualMachineBaseName``: template ``metadata.name``, else its ``generateName``, else the replica
    set's name, used as ``generateName`` as it is: no dash is added."""
    meta = template_of(rs).get("metadata") or {}
    return str(meta.get("name") or meta.get("generateName") or (rs.get("metadata") or {}).get("name") or "")


def generate_name(base: str, rng: random.Random, taken: Container[str] = ()) -> str:
    """The API server's ``generateName``: the base (cut to 58 characters) and 5 random characters; a name
    already taken is drawn again (the API server retries on a conflict)."""
    base = base[:MAX_GENERATED_BASE]
    while True:
        name = base + "".join(rng.choice(NAME_ALPHABET) for _ in range(RANDOM_LENGTH))
        if name not in taken:
            return name


def owner_reference(rs: Obj) -> Obj:
    """The controller ownerReference a replica set puts on its VMIs."""
    return controller_reference(rs, API_VERSION, KIND)


def member_vmi(rs: Obj, name: str) -> Obj:
    """The VMI the replica set creates: the template's metadata (its name dropped, ``generateName`` set to the
    base name), the template labels, the replica set as controller owner, the template spec."""
    template = template_of(rs)
    meta: Obj = {k: v for k, v in (template.get("metadata") or {}).items() if k != "name"}
    meta["name"] = name
    meta["generateName"] = base_name(rs)
    namespace = (rs.get("metadata") or {}).get("namespace")
    if namespace:
        meta["namespace"] = namespace
    labels = (template.get("metadata") or {}).get("labels")
    if labels:
        meta["labels"] = dict(labels)
    else:
        meta.pop("labels", None)
    meta["ownerReferences"] = [owner_reference(rs)]
    spec = template.get("spec")
    return {
        "apiVersion": API_VERSION,
        "kind": "VirtualMachineInstance",
        "metadata": meta,
        "spec": spec if isinstance(spec, dict) else {},
    }
