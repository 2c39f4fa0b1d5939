"""Offline pool and replica set members for ``vmctl expand`` / ``vmctl resolve``: the VM member N of a
VirtualMachinePool gets, the VMI a VirtualMachineInstanceReplicaSet creates — built by the same functions the
planners use (``vmctl.core.pools.member_vm``, ``vmctl.core.replicasets.member_vmi``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

Index = Annotated[
    int,
    typer.Option(
        "--index",
        min=0,
        help="For a VirtualMachinePool: the member to print (<pool>-<index>); for a "
        "VirtualMachineInstanceReplicaSet: which member VMI (its name suffix).",
    ),
]

POOL, REPLICA_SET = "VirtualMachinePool", "VirtualMachineInstanceReplicaSet"


def member_pairs(pairs: list[tuple[Any, Any]], index: int, *, expand: bool) -> list[tuple[Any, Any]]:
    """``pairs`` (document, object) with every pool replaced by its member VM ``index`` and, for resolve,
    every replica set by one member VMI (the API server's random name suffix drawn from a generator seeded
    with the replica set's name and ``index``, so the output is reproducible)."""
    from vmctl.errors import VmctlError

    out = []
    for doc, obj in pairs:
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if kind == POOL:
            from vmctl.core.pools import member_vm

            out.append((doc, member_vm(obj, index)))
        elif kind == REPLICA_SET:
            if expand:
                name = (obj.get("metadata") or {}).get("name", "<no name>")
                raise VmctlError(
                    f"{doc.where} {REPLICA_SET}/{name}: expand takes VirtualMachines and "
                    "VirtualMachinePools; use 'vmctl resolve' for the VMI a replica set creates"
                )
            import random

            from vmctl.core.replicasets import base_name, generate_name, member_vmi

            rng = random.Random(f"{(obj.get('metadata') or {}).get('name', '')}/{index}")
            out.append((doc, member_vmi(obj, generate_name(base_name(obj), rng))))
        else:
            out.append((doc, obj))
    return out
