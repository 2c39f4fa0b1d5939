"""KubeVirt's offline checks of a VMI's pod-level settings: affinity, topology spread constraints and DNS.

KubeVirt validates these with its own copy of Kubernetes' ``pkg/apis/core/validation`` (validate-k8s-utils.go)
and apimachinery's label-selector and name checks; each error becomes a cause whose message is the whole
``field.Error`` text (``<path>: <kind>: <value>: <detail>``). The DNS checks report bare field names
(``nameservers``, ``searchDomains``, ``options``) as KubeVirt does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vmctl.core.gotext import json_text, quote
from vmctl.core.names import label_errors, label_value_errors, qualified_name_errors, size, subdomain_errors
from vmctl.core.netaddr import ip_text, parse_ip_sloppy, sanitize_ip
from vmctl.errors import FieldProblem

Obj = dict[str, Any]

INVALID, REQUIRED, NOT_SUPPORTED = "FieldValueInvalid", "FieldValueRequired", "FieldValueNotSupported"

_SCHEDULE_ACTIONS = ("DoNotSchedule", "ScheduleAnyway")
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None", "")
_MAX_NAMESERVERS, _MAX_SEARCHES, _MAX_SEARCH_CHARS = 3, 6, 256


# --- field.Error texts ------------------------------------------------------------------------------------

def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return quote(value) if isinstance(value, str) else json_text(value)


def _error(path: str, kind: str, detail: str = "", value: Any = None, named: bool = False) -> FieldProblem:
    """A ``field.Error`` as KubeVirt turns it into a cause (always ``FieldValueInvalid``).

    ``named`` values are of a Go named string type, which the error shows as JSON rather than with ``%q``.
    """
    body = kind
    if kind in ("Invalid value", "Unsupported value", "Duplicate value"):
        body += ": " + (json_text(value) if named else _shown(value))
    if detail:
        body += ": " + detail
    return FieldProblem(path, f"{path}: {body}", INVALID)


def _invalid(path: str, value: Any, detail: str, named: bool = False) -> FieldProblem:
    return _error(path, "Invalid value", detail, value, named)


def _required(path: str, detail: str) -> FieldProblem:
    return _error(path, "Required value", detail)


def _forbidden(path: str, detail: str) -> FieldProblem:
    return _error(path, "Forbidden", detail)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _label_name(key: Any, path: str) -> list[FieldProblem]:
    """``ValidateLabelName``."""
    return [_invalid(path, key, m) for m in qualified_name_errors(str(key or ""))]


def label_selector(selector: Any, path: str) -> list[FieldProblem]:
    """``ValidateLabelSelector`` with the default options (known operators, valid label values)."""
    if not isinstance(selector, dict):
        return []
    causes = []
    for key, value in _dict(selector.get("matchLabels")).items():
        causes += _label_name(key, f"{path}.matchLabels")
        causes += [_invalid(f"{path}.matchLabels", value or "", m) for m in label_value_errors(str(value or ""))]
    for i, expr in enumerate(_list(selector.get("matchExpressions"))):
        expr = _dict(expr)
        base = f"{path}.matchExpressions[{i}]"
        values = _list(expr.get("values"))
        causes += _operator_values(expr.get("operator") or "", values, base, numeric=False)
        causes += _label_name(expr.get("key") or "", f"{base}.key")
        for j, value in enumerate(values):
            causes += [_invalid(f"{base}.values[{j}]", value or "", m) for m in label_value_errors(str(value or ""))]
    return causes


# --- affinity (validateAffinity) ----------------------------------------------------------------------------


def _node_requirement(req: Obj, path: str) -> list[FieldProblem]:
    causes = _operator_values(req.get("operator") or "", _list(req.get("values")), path, numeric=True)
    return causes + _label_name(req.get("key") or "", f"{path}.key")


def _operator_values(operator: str, values: list[Any], path: str, *, numeric: bool) -> list[FieldProblem]:
    """A requirement's operator and how many values it takes (``Gt``/``Lt`` only for node selectors)."""
    if operator in ("In", "NotIn"):
        return [] if values else [_required(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'")]
    if operator in ("Exists", "DoesNotExist"):
        return [_forbidden(f"{path}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
                ] if values else []
    if numeric and operator in ("Gt", "Lt"):
        return [] if len(values) == 1 else [
            _required(f"{path}.values", "must be specified single value when `operator` is 'Lt' or 'Gt'")]
    return [_invalid(f"{path}.operator", operator, "not a valid selector operator", named=True)]


def _node_field_requirement(req: Obj, path: str) -> list[FieldProblem]:
    operator, values = req.get("operator") or "", _list(req.get("values"))
    causes = []
    if operator in ("In", "NotIn"):
        if len(values) != 1:
            causes.append(_required(f"{path}.values", "must be only one value when `operator` is 'In' or 'NotIn' for "
                                    "node field selector"))
    else:
        causes.append(_invalid(f"{path}.operator", operator, "not a valid selector operator", named=True))
    key = req.get("key") or ""
    if key != "metadata.name":
        causes.append(_invalid(f"{path}.key", key, "not a valid field selector key"))
    else:
        for i, value in enumerate(values):
            causes += [_invalid(f"{path}.values[{i}]", value or "", m) for m in subdomain_errors(str(value or ""))]
    return causes


def _node_selector_term(term: Any, path: str) -> list[FieldProblem]:
    term = _dict(term)
    causes = []
    for j, req in enumerate(_list(term.get("matchExpressions"))):
        causes += _node_requirement(_dict(req), f"{path}.matchExpressions[{j}]")
    for j, req in enumerate(_list(term.get("matchFields"))):
        causes += _node_field_requirement(_dict(req), f"{path}.matchFields[{j}]")
    return causes


def _weight(weight: Any, path: str) -> list[FieldProblem]:
    weight = weight if isinstance(weight, int) else 0
    return [] if 0 < weight <= 100 else [_invalid(path, weight, "must be in the range 1-100")]


def _node_affinity(affinity: Obj, path: str) -> list[FieldProblem]:
    causes = []
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, dict):
        terms_path = f"{path}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
        terms = _list(required.get("nodeSelectorTerms"))
        if not terms:
            causes.append(_required(terms_path, "must have at least one node selector term"))
        for i, term in enumerate(terms):
            causes += _node_selector_term(term, f"{terms_path}[{i}]")
    return causes + _preferred(affinity, path, "preference", _node_selector_term)


def _pod_affinity_term(term: Any, path: str) -> list[FieldProblem]:
    term = _dict(term)
    causes = label_selector(term.get("labelSelector"), f"{path}.labelSelector")
    causes += label_selector(term.get("namespaceSelector"), f"{path}.namespaceSelector")
    for name in _list(term.get("namespaces")):
        causes += [_invalid(f"{path}.namespace", name or "", m) for m in label_errors(str(name or ""))]
    key = term.get("topologyKey") or ""
    if not key:
        causes.append(_required(f"{path}.topologyKey", "can not be empty"))
    return causes + _label_name(key, f"{path}.topologyKey")


def _pod_affinity(affinity: Obj, path: str) -> list[FieldProblem]:
    """``validatePodAffinity`` and ``validatePodAntiAffinity`` (the same checks)."""
    causes = []
    for i, term in enumerate(_list(affinity.get("requiredDuringSchedulingIgnoredDuringExecution"))):
        causes += _pod_affinity_term(term, f"{path}.requiredDuringSchedulingIgnoredDuringExecution[{i}]")
    return causes + _preferred(affinity, path, "podAffinityTerm", _pod_affinity_term)


def _preferred(affinity: Obj, path: str, key: str, check: Callable[[Any, str], list[FieldProblem]]
               ) -> list[FieldProblem]:
    """The weighted ``preferredDuringSchedulingIgnoredDuringExecution`` terms: weight, then the term."""
    causes = []
    for i, term in enumerate(_list(affinity.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        term = _dict(term)
        base = f"{path}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
        causes += _weight(term.get("weight"), f"{base}.weight")
        causes += check(term.get(key), f"{base}.{key}")
    return causes


def validate_affinity(field: str, spec: Obj) -> list[FieldProblem]:
    """``validateSpecAffinity``: note KubeVirt roots the paths at ``field`` (``spec.nodeAffinity...``), not at
    ``field.affinity``."""
    affinity = spec.get("affinity")
    if not isinstance(affinity, dict):
        return []
    causes = []
    if isinstance(affinity.get("nodeAffinity"), dict):
        causes += _node_affinity(affinity["nodeAffinity"], f"{field}.nodeAffinity")
    if isinstance(affinity.get("podAffinity"), dict):
        causes += _pod_affinity(affinity["podAffinity"], f"{field}.podAffinity")
    if isinstance(affinity.get("podAntiAffinity"), dict):
        causes += _pod_affinity(affinity["podAntiAffinity"], f"{field}.podAntiAffinity")
    return causes


# --- topology spread constraints (validateTopologySpreadConstraints) ------------------------------------------


def validate_topology_spread(field: str, spec: Obj) -> list[FieldProblem]:
    """``validateSpecTopologySpreadConstraints``; the label selectors' paths carry no index, as in KubeVirt."""
    constraints = spec.get("topologySpreadConstraints")
    if not isinstance(constraints, list):
        return []
    path = f"{field}.topologySpreadConstraints"
    causes = []
    items = [_dict(c) for c in constraints]
    for i, constraint in enumerate(items):
        base = f"{path}[{i}]"
        skew = constraint.get("maxSkew")
        skew = skew if isinstance(skew, int) else 0
        if skew <= 0:
            causes.append(_invalid(f"{base}.maxSkew", skew, "must be greater than zero"))
        key = constraint.get("topologyKey") or ""
        if not key:
            causes.append(_required(f"{base}.topologyKey", "can not be empty"))
        else:
            causes += _label_name(key, f"{base}.topologyKey")
        action = constraint.get("whenUnsatisfiable") or ""
        if action not in _SCHEDULE_ACTIONS:
            supported = ", ".join(f'"{a}"' for a in _SCHEDULE_ACTIONS)
            causes.append(_error(f"{base}.whenUnsatisfiable", "Unsupported value", f"supported values: {supported}",
                                 action, named=True))
        causes += label_selector(constraint.get("labelSelector"), f"{path}.labelSelector")
        for other in items[i + 1:]:
            if (other.get("topologyKey") or "") == key and (other.get("whenUnsatisfiable") or "") == action:
                causes.append(_error(f"{base}.{{topologyKey, whenUnsatisfiable}}", "Duplicate value",
                                     value=f"{{{key}, {action}}}"))
                break
    return causes


# --- DNS (validateDNSPolicy, validatePodDNSConfig) ------------------------------------------------------------


def sanitized_ip(text: str) -> str | None:
    """``netutils.ParseIPSloppy(text).String()``; None when it is no IP address."""
    address = parse_ip_sloppy(text)
    return None if address is None else ip_text(address)


def sanitize_nameservers(spec: Any) -> None:
    """What KubeVirt's JSON decoding of a VMI spec does to ``dnsConfig.nameservers``: each IP address is written
    in its canonical form (``010.0.0.1`` → ``10.0.0.1``, ``::ffff:1.2.3.4`` → ``1.2.3.4``); others are kept."""
    config = spec.get("dnsConfig") if isinstance(spec, dict) else None
    servers = config.get("nameservers") if isinstance(config, dict) else None
    if not isinstance(servers, list):
        return
    servers[:] = [sanitize_ip(server) for server in servers]


def validate_dns(field: str, spec: Obj) -> list[FieldProblem]:
    """The DNS policy (when set) and the DNS config, in KubeVirt's order."""
    policy = spec.get("dnsPolicy") or ""
    if not policy and spec.get("dnsConfig") is None:
        return []
    causes = []
    if policy and policy not in _DNS_POLICIES:
        shown = "[" + " ".join(_DNS_POLICIES) + "]"
        causes.append(FieldProblem(f"{field}.dnsPolicy", f"DNSPolicy: {policy} is not supported, valid values: {shown}",
                                   NOT_SUPPORTED))
    config = spec.get("dnsConfig")
    config = config if isinstance(config, dict) else None
    nameservers = [str(n) for n in _list((config or {}).get("nameservers"))]
    if policy == "None":
        if config is None:
            return causes + [FieldProblem(f"{field}.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None",
                                          REQUIRED)]
        if not nameservers:
            return causes + [FieldProblem("nameservers", "must provide at least one DNS nameserver when `dnsPolicy` "
                                          "is None", REQUIRED)]
    if config is None:
        return causes
    if len(nameservers) > _MAX_NAMESERVERS:
        causes.append(FieldProblem("nameservers", f"must not have more than {_MAX_NAMESERVERS} nameservers: "
                                   f"[{' '.join(nameservers)}]", INVALID))
    causes += [FieldProblem("nameservers", f"must be valid IP address: {n}", INVALID) for n in nameservers
               if sanitized_ip(n) is None]
    searches = [str(s) for s in _list(config.get("searches"))]
    if len(searches) > _MAX_SEARCHES:
        causes.append(FieldProblem("searchDomains", f"must not have more than {_MAX_SEARCHES} search paths", INVALID))
    if size(" ".join(searches)) > _MAX_SEARCH_CHARS:
        causes.append(FieldProblem("searchDomains", f"must not have more than {_MAX_SEARCH_CHARS} characters "
                                   "(including spaces) in the search list", INVALID))
    for search in searches:
        causes += [FieldProblem("searchDomains", m, INVALID) for m in subdomain_errors(search)]
    for option in _list(config.get("options")):
        if not _dict(option).get("name"):
            causes.append(FieldProblem("options", "Option.Name must not be empty", INVALID))
    return causes
