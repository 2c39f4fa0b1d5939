"""Template engines: OpenShift ``Template``, KubeVirt ``VirtualMachineTemplate`` and vmctl's sandboxed
``JinjaTemplate``, plus the template catalog (user folders, then the bundled ``templates/``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from vmctl.template.catalog import TemplateRef, find_template, list_templates, locate
from vmctl.template.model import (
    GO,
    JINJA,
    KUBEVIRT,
    OPENSHIFT,
    ProcessResult,
    TemplateLineError,
    engine_of,
    parameters_of,
    template_name,
)
from vmctl.template.params import combine, parse_param_args, read_param_file

if TYPE_CHECKING:  # the generator (and its regular expressions) loads only when a value is generated
    from vmctl.template.generator import Chooser

__all__ = [
    "GO", "JINJA", "KUBEVIRT", "OPENSHIFT", "ProcessResult", "TemplateRef", "combine", "engine_of", "find_template",
    "check_names", "list_templates", "locate", "parameters_of", "parse_param_args", "process", "read_param_file",
]


def process(
    template: dict[str, Any],
    params: dict[str, str],
    *,
    ignore_unknown: bool = False,
    labels: dict[str, str] | None = None,
    choose: Chooser | None = None,
    origin: TemplateRef | None = None,
) -> ProcessResult:
    """Process a template of any engine with parameter values; the input object is not modified.

    ``choose`` picks one character from an alphabet for generated values (default :func:`secrets.choice`).
    ``origin`` (where the template was read) lets errors in a template's text name the file and line.
    Like ``oc process``, this does not check the objects (see ``check_names``).
    """
    engine = engine_of(template)
    if engine == OPENSHIFT:
        from vmctl.template import openshift as module
    elif engine == KUBEVIRT:
        from vmctl.template import kubevirt as module  # type: ignore[no-redef]
    elif engine == GO:
        from vmctl.template import gotemplate as module  # type: ignore[no-redef]
    else:
        from vmctl.template import jinja as module  # type: ignore[no-redef]
    try:
        result = module.process(template, dict(params), ignore_unknown=ignore_unknown, labels=labels, choose=choose)
    except TemplateLineError as exc:
        raise exc.located(origin) from None
    return result


def check_names(template: dict[str, Any], supplied: dict[str, str], objects: list[dict[str, Any]]) -> None:
    """Refuse objects the API server would refuse for their name, as ``create vm`` does: a usage error naming
    the supplied parameter whose value made the name, else an error naming the object."""
    from vmctl.errors import InputError, UsageError
    from vmctl.schema.validator import name_problems

    for i, obj in enumerate(objects):
        problems = name_problems(obj)
        if not problems:
            continue
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        name = str(meta.get("name") or "")
        culprits = sorted((k for k, v in supplied.items() if v and v in name), key=lambda k: -len(supplied[k]))
        what = f"{obj.get('kind') or 'object'} metadata.name"
        if culprits:
            value = json.dumps(supplied[culprits[0]], ensure_ascii=False)
            raise UsageError(
                f"{template_name(template)}: parameter {culprits[0]}: value {value} makes an invalid {what}: "
                f"{problems[0].message}"
            )
        raise InputError(f"{template_name(template)}: objects[{i}]: {what}: {problems[0].message}")
