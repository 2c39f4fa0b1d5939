"""``vmctl create vm --from-template``: process a template and pick the VirtualMachine it produces."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from vmctl.errors import InputError

Obj = dict[str, Any]


class TemplateVM(NamedTuple):  # a NamedTuple is much quicker to define than a dataclass (start-up time)
    """All objects a template produced, which of them is the VirtualMachine, and the template's message."""

    objects: list[Obj]
    index: int
    message: str | None
    warnings: list[str]

    @property
    def vm(self) -> Obj:
        return self.objects[self.index]


def params_from_args(args: list[str], files: list[str]) -> tuple[dict[str, str], list[str]]:
    """``-p K=V`` values over ``--param-file`` values (later files win), plus warnings for overridden ones."""
    from vmctl.template import combine, parse_param_args, read_param_file

    cli = parse_param_args(args)
    return combine(cli, [(f, read_param_file(f)) for f in files])


def vm_from_template(
    name_or_path: str,
    params: dict[str, str],
    *,
    ignore_unknown: bool = False,
    template_dirs: list[Path] | None = None,
    vm_name: str | None = None,
) -> TemplateVM:
    """Process the template; ``vm_name`` fills a ``NAME`` parameter the user did not set."""
    from vmctl.template import check_names, locate, parameters_of, process

    ref = locate(name_or_path, template_dirs)
    template = ref.obj
    values = dict(params)
    declared = {p.get("name") for p in parameters_of(template) if isinstance(p, dict)}
    if vm_name and "NAME" in declared and "NAME" not in values:
        values["NAME"] = vm_name
    result = process(template, values, ignore_unknown=ignore_unknown, origin=ref)
    check_names(template, values, result.objects)
    found = [i for i, obj in enumerate(result.objects) if isinstance(obj, dict) and obj.get("kind") == "VirtualMachine"]
    where = name_or_path
    if not found:
        from vmctl.io.inputs import describe_objects

        raise InputError(
            f"template {where!r} produced no VirtualMachine ({describe_objects(result.objects)}); "
            "vmctl create vm needs exactly one"
        )
    if len(found) > 1:
        names = ", ".join(str((result.objects[i].get("metadata") or {}).get("name")) for i in found)
        raise InputError(
            f"template {where!r} produced {len(found)} VirtualMachines ({names}); vmctl create vm needs exactly one"
        )
    return TemplateVM(list(result.objects), found[0], result.message, list(result.warnings))
