"""Template engines: OpenShift ``Template``, KubeVirt ``VirtualMachineTemplate`` and vmctl's sandboxed
``JinjaTemplate``, plus the template catalog (user folders, then the bundled ``templates/``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmctl.template.catalog import TemplateRef, find_template, list_templates, locate
from vmctl.template.model import JINJA, KUBEVIRT, OPENSHIFT, ProcessResult, engine_of, parameters_of
from vmctl.template.params import combine, parse_param_args, read_param_file

if TYPE_CHECKING:  # the generator (and its regular expressions) loads only when a value is generated
    from vmctl.template.generator import Chooser

__all__ = [
    "JINJA", "KUBEVIRT", "OPENSHIFT", "ProcessResult", "TemplateRef", "combine", "engine_of", "find_template",
    "list_templates", "locate", "parameters_of", "parse_param_args", "process", "read_param_file",
]


def process(
    template: dict[str, Any],
    params: dict[str, str],
    *,
    ignore_unknown: bool = False,
    labels: dict[str, str] | None = None,
    choose: Chooser | None = None,
) -> ProcessResult:
    """Process a template of any engine with parameter values; the input object is not modified.

    ``choose`` picks one character from an alphabet for generated values (default :func:`secrets.choice`).
    """
    engine = engine_of(template)
    if engine == OPENSHIFT:
        from vmctl.template import openshift as module
    elif engine == KUBEVIRT:
        from vmctl.template import kubevirt as module  # type: ignore[no-redef]
    else:
        from vmctl.template import jinja as module  # type: ignore[no-redef]
    return module.process(template, dict(params), ignore_unknown=ignore_unknown, labels=labels, choose=choose)
