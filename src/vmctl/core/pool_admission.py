"""Admission of VirtualMachinePools and VirtualMachineInstanceReplicaSets with KubeVirt's error texts
(``pkg/virt-api/webhooks/validating-webhook/admitters/vmpool-admitter.go``: ``ValidateVMPoolSpec``;
``vmirs-admitter.go``: ``ValidateVMIRSSpec``), plus vmctl's hints for fields KubeVirt does not have.

The template is checked the way vmctl checks a VM (pool) or a VMI (replica set), with the field paths moved
under ``spec.virtualMachineTemplate.spec`` / ``spec.template.spec``. Pure.
"""

from __future__ import annotations

import re
from typing import Any

from vmctl.core.api import ObjectSource
from vmctl.core.defaults import DEFAULT_CLUSTER, ClusterConfig
from vmctl.core.gotext import quote
from vmctl.core.pools import MAX_SURGE_ANNOTATION, semantic
from vmctl.core.selectors import SelectorError, compile_selector
from vmctl.errors import FieldProblem

Obj = dict[str, Any]

#: the reason of a ``FieldProblem`` that is advice, not an error
HINT = "Hint"
_STRATEGIES = ("unmanaged", "opportunistic", "proactive")
_GO_INT = re.compile(r"[+-]?[0-9]+")
MAX_SURGE_HINT = (
    "KubeVirt's VirtualMachinePool has no maxSurge (nor rollingUpdate): the field is dropped. "
    "Limit disruption with spec.maxUnavailable (an int or a percentage) and choose the rollout with "
    "spec.updateStrategy.proactive|opportunistic|unmanaged; on vmctl's local backend the annotation "
    f"{MAX_SURGE_ANNOTATION} (an int or a percentage) starts extra members before retiring old ones"
)


def _selector_problems(spec: Obj, template_labels: Any) -> list[FieldProblem]:
    try:
        selector = compile_selector(spec.get("selector"))
    except SelectorError as exc:
        return [FieldProblem("spec.selector", exc.message)]
    if not selector(template_labels if isinstance(template_labels, dict) else {}):
        return [FieldProblem("spec.selector", "selector does not match labels.")]
    return []


def _max_unavailable_problems(value: Any) -> list[FieldProblem]:
    field = "spec.maxUnavailable"
    if isinstance(value, str):
        if not value.endswith("%"):
            return [FieldProblem(field, "maxUnavailable percentage must end with %")]
        digits = value[:-1]
        if not _GO_INT.fullmatch(digits):
            return [
                FieldProblem(
                    field,
                    f"maxUnavailable percentage value {quote(digits)} is invalid: "
                    f"strconv.Atoi: parsing {quote(digits)}: invalid syntax",
                )
            ]
        pct = int(digits)
        if pct <= 0 or pct > 100:
            return [FieldProblem(field, f"maxUnavailable percentage value {pct} must be between 1 and 100")]
    elif isinstance(value, int) and not isinstance(value, bool) and value <= 0:
        return [FieldProblem(field, "maxUnavailable must be greater than 0")]
    return []


def _one_strategy(spec: Obj, name: str) -> list[FieldProblem]:
    """``validateMutualExclusivity`` (KubeVirt lists the strategies in Go map order; vmctl in a fixed one)."""
    strategy = spec.get(name)
    if not isinstance(strategy, dict):
        return []
    found = [s for s in _STRATEGIES if strategy.get(s) is not None]
    if len(found) > 1:
        return [
            FieldProblem(
                f"spec.{name}",
                f"only one strategy can be configured at a time: but found {', '.join(found)} strategies",
            )
        ]
    return []


def _moved(problems: list[FieldProblem], prefix: str) -> list[FieldProblem]:
    """Problems of the template object, with ``spec.…`` paths moved under ``prefix``."""
    out = []
    for p in problems:
        if p.field == "spec" or p.field.startswith("spec."):
            field = prefix + p.field[len("spec") :]
        else:
            field = p.field or prefix
        out.append(FieldProblem(field, p.message, p.reason))
    return out


def _template_object(kind: str, owner: Obj, template: Obj) -> Obj:
    """The VM (pool) or VMI (replica set) a template describes, named after the template or its owner, in the
    owner's namespace: what the template's checks run on."""
    owner_meta = owner.get("metadata") or {}
    meta = dict(template.get("metadata") if isinstance(template.get("metadata"), dict) else {})
    meta["name"] = meta.get("name") or owner_meta.get("name", "")
    if owner_meta.get("namespace"):
        meta["namespace"] = owner_meta["namespace"]
    spec = template.get("spec")
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": kind,
        "metadata": meta,
        "spec": spec if isinstance(spec, dict) else {},
    }


_MISSING_TEMPLATE = FieldProblem("spec.template", "missing virtual machine template.", "FieldValueRequired")


def _template_problems(
    owner: Obj, key: str, kind: str, source: ObjectSource, advisory: bool, cluster: ClusterConfig
) -> list[FieldProblem] | None:
    """The template at ``spec.<key>`` checked as a ``kind`` (paths moved under ``spec.<key>.spec``) and the
    selector against its labels; None when there is no template. ``advisory``: also what KubeVirt admits but
    could not run (reason ``Advisory``: a missing instancetype, a VMI its webhook would refuse)."""
    from vmctl.core.pipeline import ADVISORY, problems  # the VM / VMI pipeline is only needed here

    spec = owner.get("spec") if isinstance(owner.get("spec"), dict) else {}
    template = spec.get(key)
    if not isinstance(template, dict):
        return None
    obj = _template_object(kind, owner, template)
    found = [p for p in problems(obj, source, cluster=cluster) if advisory or p.reason != ADVISORY]
    return _moved(found, f"spec.{key}.spec") + _selector_problems(spec, obj["metadata"].get("labels"))


def pool_problems(
    pool: Obj, source: ObjectSource, *, old: Obj | None = None, advisory: bool = False,
    cluster: ClusterConfig = DEFAULT_CLUSTER,
) -> list[FieldProblem]:
    """``ValidateVMPoolSpec``: every reason KubeVirt would refuse the pool (``old``: the stored pool, for an
    update; ``advisory``: with what it admits but its members could not run)."""
    found = _template_problems(pool, "virtualMachineTemplate", "VirtualMachine", source, advisory, cluster)
    if found is None:
        return [_MISSING_TEMPLATE]
    spec = pool["spec"]
    if spec.get("maxUnavailable") is not None:
        found += _max_unavailable_problems(spec["maxUnavailable"])
    found += _one_strategy(spec, "updateStrategy")
    found += _one_strategy(spec, "scaleInStrategy")
    if old is not None and semantic((old.get("spec") or {}).get("selector")) != semantic(
        spec.get("selector")
    ):
        found.append(FieldProblem("spec.selector", "selector is immutable after creation."))
    return found


def replicaset_problems(
    rs: Obj, source: ObjectSource, *, advisory: bool = False, cluster: ClusterConfig = DEFAULT_CLUSTER
) -> list[FieldProblem]:
    """``ValidateVMIRSSpec``: every reason KubeVirt would refuse the replica set."""
    found = _template_problems(rs, "template", "VirtualMachineInstance", source, advisory, cluster)
    return [_MISSING_TEMPLATE] if found is None else found


def pool_hints(pool: Obj) -> list[FieldProblem]:
    """Advice (reason ``Hint``) for fields people write that KubeVirt pools do not have, and for vmctl's
    max-surge annotation when vmctl cannot read it."""
    spec = pool.get("spec") if isinstance(pool.get("spec"), dict) else {}
    hints = []
    strategy = spec.get("updateStrategy")
    rolling = strategy.get("rollingUpdate") if isinstance(strategy, dict) else None
    if isinstance(rolling, dict) and "maxSurge" in rolling:
        hints.append(FieldProblem("spec.updateStrategy.rollingUpdate.maxSurge", MAX_SURGE_HINT, HINT))
    elif rolling is not None:
        hints.append(FieldProblem("spec.updateStrategy.rollingUpdate", MAX_SURGE_HINT, HINT))
    if "maxSurge" in spec:
        hints.append(FieldProblem("spec.maxSurge", MAX_SURGE_HINT, HINT))
    annotations = (pool.get("metadata") or {}).get("annotations") or {}
    if MAX_SURGE_ANNOTATION in annotations:
        text = str(annotations[MAX_SURGE_ANNOTATION]).strip()
        digits = text[:-1] if text.endswith("%") else text
        if not re.fullmatch(r"[0-9]+", digits):
            hints.append(
                FieldProblem(
                    f"metadata.annotations[{MAX_SURGE_ANNOTATION}]",
                    f"{quote(text)} is neither an integer nor a percentage: vmctl ignores it "
                    "(use e.g. 1 or 25%)",
                    HINT,
                )
            )
    return hints
