"""Contracts between the pieces of the resolution core (pure functions, no I/O).

Implementations live in ``core/instancetype/``, ``core/preference/``, ``core/requirements.py``,
``core/matchers.py`` (the appliers) and ``core/pipeline.py`` (the VM → VMI pipeline). This module only
names the shared data types so that each piece can be written and tested on its own.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

Obj = dict[str, Any]


class Conflict(NamedTuple):  # immutable; a NamedTuple is much quicker to define than a frozen dataclass
    """A field the VM sets that the instancetype wants to set too (KubeVirt ``conflict.Conflict``)."""

    path: str  # full dotted path, e.g. "spec.template.spec.domain.cpu.sockets"

    def message(self) -> str:
        return f"VM field(s) {self.path} conflicts with selected instance type"


class Resolved(NamedTuple):
    """The result of the pipeline: the object plus, per dotted leaf path, which source set it."""

    obj: Obj
    origins: dict[str, str]  # "spec.domain.cpu.sockets" -> "instancetype/u1.medium"
    warnings: list[str]


class ObjectSource(Protocol):
    """Where instancetypes, preferences and presets are looked up (input documents first, then catalogs)."""

    def find_instancetype(self, name: str, kind: str, namespace: str) -> Obj:
        """Return the object (with ``kind``/``metadata``/``spec``) or raise ``NotFoundError`` with KubeVirt's text."""

    def find_preference(self, name: str, kind: str, namespace: str) -> Obj:
        """As ``find_instancetype`` for preferences."""

    def presets(self, namespace: str) -> list[Obj]:
        """All VirtualMachineInstancePresets of a namespace, in a stable order (by name)."""
