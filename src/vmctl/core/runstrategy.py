"""KubeVirt's runStrategy: its values, how a VM states it, how it is changed (``VirtualMachine.RunStrategy()``).

The one place these rules live: ``create vm`` writes a strategy, the VM controller plans by it, lifecycle
requests change it and listings print it.
"""

from __future__ import annotations

from typing import Any

ALWAYS, HALTED, MANUAL, RERUN, ONCE = "Always", "Halted", "Manual", "RerunOnFailure", "Once"
#: In the order virtctl lists them in its flag help and errors.
RUN_STRATEGIES = (ALWAYS, MANUAL, HALTED, ONCE, RERUN)


def run_strategy(vm: dict[str, Any]) -> str:
    """``spec.runStrategy``, else ``spec.running`` (true → Always), else Halted."""
    spec = vm.get("spec") or {}
    rs = spec.get("runStrategy")
    if isinstance(rs, str) and rs:
        return rs
    return ALWAYS if spec.get("running") is True else HALTED


def set_run_strategy(vm: dict[str, Any], value: str) -> None:
    """Change a VM's strategy in place the way virt-api does: a VM that uses the deprecated ``spec.running``
    keeps using it (Always ↔ true), every other VM gets ``spec.runStrategy``."""
    spec = vm.setdefault("spec", {})
    if "running" in spec and "runStrategy" not in spec:
        spec["running"] = value == ALWAYS
    else:
        spec["runStrategy"] = value


def canonical_run_strategy(text: str) -> str | None:
    """The strategy named by ``text`` in any letter case (virtctl's ``--run-strategy``), or None."""
    return next((rs for rs in RUN_STRATEGIES if rs.lower() == text.lower()), None)
