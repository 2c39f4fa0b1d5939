"""``vmctl template list|show|params|process``: the template catalog and the template engines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from vmctl.cli.output import Format

OptOutput = Annotated[
    Format | None, typer.Option("--output", "-o", help="Output format: yaml, json or name (default: a table).")
]
TemplateDirs = Annotated[
    list[Path] | None,
    typer.Option(
        "--template-dir",
        help="Folder of user templates, searched before VMCTL_TEMPLATE_PATH, ~/.config/vmctl/templates and the "
        "bundled templates. Repeatable.",
    ),
]
TemplateArg = Annotated[str, typer.Argument(help="Template name (see 'vmctl template list') or a template file.")]


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["   ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *rows]]
    return "\n".join(lines) + "\n"


def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())


def _shorten(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def _labels(text: str | None) -> dict[str, str]:
    from vmctl.errors import UsageError

    labels: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"invalid -l/--labels value {part!r}: expected key=value[,key=value...]")
        labels[key.strip()] = value.strip()
    return labels


def _warn_all(messages: list[str]) -> None:
    from vmctl.cli.output import warn

    for message in messages:
        warn(message)


def _write_json(body: Any) -> None:
    import json

    sys.stdout.write(json.dumps(body, indent=2, sort_keys=True) + "\n")


def register(app: typer.Typer) -> None:
    from vmctl.cli.main import SuggestingGroup

    sub = typer.Typer(
        cls=SuggestingGroup,
        help="List, inspect and process VM templates (OpenShift Template, KubeVirt VirtualMachineTemplate, "
        "vmctl JinjaTemplate).\n\nExample: vmctl template process fedora-server -p NAME=web1 | vmctl apply -f -",
        no_args_is_help=True,
    )
    app.add_typer(sub, name="template")

    @sub.command(
        "list",
        help="List the bundled and user templates.\n\n"
        "Example: vmctl template list\n\nExample: vmctl template list --template-dir ./my-templates -o name",
    )
    def list_cmd(output: OptOutput = None, template_dir: TemplateDirs = None) -> None:
        from vmctl.cli.output import emit
        from vmctl.template import engine_of
        from vmctl.template.catalog import list_refs
        from vmctl.template.model import description_of, template_name

        problems: list[str] = []
        refs = list_refs(template_dir, problems)
        _warn_all(problems)
        if output is Format.json:
            _write_json({"apiVersion": "v1", "kind": "List", "items": [r.obj for r in refs]})
            return
        if output is not None:
            emit([r.obj for r in refs], output)
            return
        rows = [
            [template_name(r.obj), f"{r.obj.get('kind')}/{engine_of(r.obj)}", _shorten(description_of(r.obj))]
            for r in refs
        ]
        sys.stdout.write(_table(rows, ["NAME", "KIND/ENGINE", "DESCRIPTION"]))

    @sub.command(
        "show",
        help="Print a template as written (its whole source file).\n\n"
        "Example: vmctl template show cirros\n\nExample: vmctl template show ./my-template.yaml -o json",
    )
    def show_cmd(template: TemplateArg, output: OptOutput = None, template_dir: TemplateDirs = None) -> None:
        from vmctl.cli.output import emit
        from vmctl.template import locate

        problems: list[str] = []
        ref = locate(template, template_dir, problems)
        _warn_all(problems)
        if output is None and ref.text and ref.documents == 1:
            sys.stdout.write(ref.text if ref.text.endswith("\n") else ref.text + "\n")
            return
        emit(ref.obj, output or Format.yaml)

    @sub.command(
        "params",
        help="Print a template's parameters: NAME, DESCRIPTION, GENERATOR, VALUE (the 'from' expression for "
        "generated ones), like 'oc process --parameters'.\n\nExample: vmctl template params fedora-server",
    )
    def params_cmd(template: TemplateArg, output: OptOutput = None, template_dir: TemplateDirs = None) -> None:
        from vmctl.template import locate, parameters_of

        problems: list[str] = []
        params = parameters_of(locate(template, template_dir, problems).obj)
        _warn_all(problems)
        if output is Format.name:
            sys.stdout.write("".join(f"{p.get('name', '')}\n" for p in params))
            return
        if output is Format.json:
            _write_json(params)
            return
        if output is Format.yaml:
            from vmctl.io.yamlio import dump_yaml

            sys.stdout.write(dump_yaml(params))
            return
        rows = []
        for p in params:
            generator = _one_line(p.get("generate"))
            value = _one_line(p.get("from") if generator and not p.get("value") else p.get("value"))
            rows.append([str(p.get("name", "")), _one_line(p.get("description")), generator, value])
        sys.stdout.write(_table(rows, ["NAME", "DESCRIPTION", "GENERATOR", "VALUE"]))

    @sub.command(
        "process",
        help="Process a template into objects (YAML documents by default, a v1 List with -o json); the template's "
        "message goes to stderr. Arguments after the template may be NAME=VALUE parameters.\n\n"
        "Example: vmctl template process fedora-server -p NAME=web1 -p WORKLOAD=desktop\n\n"
        "Example: vmctl template process -f my-template.yaml --param-file params.env -l team=a -o json\n\n"
        "Example: vmctl template process cirros NAME=c1 | vmctl apply -f -",
    )
    def process_cmd(
        args: Annotated[
            list[str] | None,
            typer.Argument(
                metavar="[TEMPLATE] [NAME=VALUE]...",
                help="Template name or file (unless -f is given), then NAME=VALUE parameters.",
            ),
        ] = None,
        filename: Annotated[
            str | None, typer.Option("--filename", "-f", help="Template file, or '-' for stdin.")
        ] = None,
        param: Annotated[
            list[str] | None, typer.Option("--param", "-p", help="Parameter NAME=VALUE. Repeatable.")
        ] = None,
        param_file: Annotated[
            list[Path] | None,
            typer.Option("--param-file", help="File of KEY=VALUE lines ('#' comments). Repeatable; -p wins."),
        ] = None,
        ignore_unknown: Annotated[
            bool,
            typer.Option("--ignore-unknown-parameters", help="Ignore parameters the template does not define."),
        ] = False,
        labels: Annotated[
            str | None, typer.Option("--labels", "-l", help="Labels k=v[,k=v] added to every object.")
        ] = None,
        output: Annotated[Format, typer.Option("--output", "-o", help="Output format: yaml, json or name.")] = Format.yaml,
        template_dir: TemplateDirs = None,
    ) -> None:
        from vmctl.cli.output import info, render, warn
        from vmctl.errors import UsageError
        from vmctl.template import check_names, combine, locate, parse_param_args, process, read_param_file

        positional = list(args or [])
        source = filename
        if source is None:
            if not positional or "=" in positional[0]:
                raise UsageError("give a template name or file, or -f FILE (see 'vmctl template list')")
            source = positional.pop(0)
        extra = [a for a in positional if "=" not in a]
        if extra:
            raise UsageError(
                f"unexpected argument {extra[0]!r}: parameters are NAME=VALUE"
                + (" (the template is already given with -f)" if filename else "")
            )
        cli_values = parse_param_args([*(param or []), *positional])
        files = [(str(p), read_param_file(p)) for p in param_file or []]
        values, warnings = combine(cli_values, files)
        problems: list[str] = []
        ref = locate(source, template_dir, problems)
        _warn_all(problems)
        result = process(ref.obj, values, ignore_unknown=ignore_unknown, labels=_labels(labels), origin=ref)
        check_names(ref.obj, values, result.objects)
        for text in [*warnings, *result.warnings]:
            warn(text)
        if output is Format.json:
            _write_json({"apiVersion": "v1", "kind": "List", "items": result.objects})
        else:
            sys.stdout.write(render(result.objects, output))
        sys.stdout.flush()
        if result.message:
            info(result.message)
