"""Write docs/commands.md from the real CLI: every command's help text, usage, examples and options.

Usage: python scripts/generate_command_docs.py [--check]

--check compares instead of writing and exits 1 when docs/commands.md is out of date
(tests/cli/test_command_docs.py does the same, so the reference cannot drift from the CLI).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from vmctl.cli.main import COMMANDS, load_module_commands

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "docs" / "commands.md"


@dataclass(frozen=True)
class Group:
    title: str
    commands: tuple[str, ...]
    topics: tuple[tuple[str, str], ...]  # (link text, docs/ file)


GROUPS: tuple[Group, ...] = (
    Group(
        "Offline resolution", ("create", "expand", "resolve", "validate"),
        (("resolution", "resolution.md"), ("instancetypes and preferences", "instancetypes-and-preferences.md"),
         ("create", "create.md"), ("validate", "validate.md"), ("catalog", "catalog.md")),
    ),
    Group("Templates", ("template",), (("templates", "templates.md"),)),
    Group("Objects", ("get", "describe", "apply", "delete"), (("catalog", "catalog.md"), ("local backend", "local-backend.md"))),
    Group(
        "Lifecycle", ("start", "stop", "restart", "pause", "unpause", "soft-reboot", "reset"),
        (("local backend", "local-backend.md"),),
    ),
    Group("Console & VNC", ("console", "vnc", "port-forward"), (("console and VNC", "console-vnc.md"),)),
    Group("Volumes", ("volume",), (("volumes", "volumes.md"),)),
    Group("Other", (), (("local backend", "local-backend.md"),)),  # every command not listed above
)

INTRO_TOPICS = (("concepts", "concepts.md"), ("exit codes and output conventions", "exit-codes.md"),
                ("architecture", "architecture.md"))

#: Options every command has, or that the CLI framework adds; described once in the intro.
_SKIPPED_OPTIONS = {"--help", "--install-completion", "--show-completion"}


def grouped() -> list[tuple[Group, list[str]]]:
    """Each group with its commands, in the order of ``vmctl --help``; unlisted commands go to the last group."""
    listed = {c for g in GROUPS for c in g.commands}
    out = []
    for group in GROUPS:
        names = [c for c in COMMANDS if c in group.commands] if group.commands else [c for c in COMMANDS if c not in listed]
        out.append((group, names))
    return out


def walk(command: click.Command, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], click.Command]]:
    """The command and its subcommands, depth first, in registration order."""
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += walk(sub, (*path, name))
    return found


def command_of(name: str) -> click.Command:
    command = load_module_commands(COMMANDS[name]).get(name)
    if command is None:
        raise SystemExit(f"vmctl {name}: module vmctl.cli.{COMMANDS[name]} registers no such command")
    return command


# --- markdown ---------------------------------------------------------------------------------------------------


def _escape(text: str, *, table: bool = False) -> str:
    """Escape prose for markdown, leaving `code spans` alone (except pipes inside tables)."""
    parts = re.split(r"(`[^`]*`)", text)
    for i, part in enumerate(parts):
        if i % 2 == 0:
            part = part.replace("\\", "\\\\").replace("<", "&lt;").replace("*", "\\*").replace("_", "\\_")
        if table:
            part = part.replace("|", "\\|")
        parts[i] = part
    return "".join(parts)


def _code(text: str, *, table: bool = False) -> str:
    return "`" + (text.replace("|", "\\|") if table else text) + "`"


@dataclass
class Help:
    prose: list[str]  # paragraphs
    blocks: list[str]  # preformatted paragraphs (click's \b) that are not examples
    examples: list[str]  # command lines, continuation lines included


def parse_help(text: str) -> Help:
    """Split a click help string into prose, preformatted blocks and examples."""
    result = Help([], [], [])
    for para in re.split(r"\n\s*\n", text.strip()):
        preformatted = para.startswith("\b")
        para = para.removeprefix("\b").strip("\n")
        lines = para.splitlines()
        head = lines[0].strip() if lines else ""
        if re.fullmatch(r"Examples?:", head):
            result.examples += _dedent(lines[1:])
        elif head.startswith("Example:"):
            first = head.removeprefix("Example:").strip()
            result.examples += ([first] if first else []) + _dedent(lines[1:])
        elif preformatted:
            result.blocks.append("\n".join(_dedent(lines)))
        else:
            result.prose.append(" ".join(line.strip() for line in lines))
    return result


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:].rstrip() for line in lines]


def _summary(command: click.Command) -> str:
    return parse_help(command.help or "").prose[0] if command.help else ""


def usage(path: tuple[str, ...], command: click.Command) -> str:
    ctx = click.Context(command, info_name=" ".join(("vmctl", *path)))
    return " ".join(["vmctl", *path, *command.collect_usage_pieces(ctx)])


def options(command: click.Command) -> list[tuple[str, str]]:
    """(flags, description) rows, arguments first, as ``--help`` lists them."""
    ctx = click.Context(command, info_name="vmctl")
    rows: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        if any(opt in _SKIPPED_OPTIONS for opt in param.opts):
            continue
        record = param.get_help_record(ctx)
        if record is not None:
            flags, help_text = record
            rows.append((flags, " ".join(help_text.split())))
    return rows


def _anchor(path: tuple[str, ...]) -> str:
    return "vmctl-" + "-".join(path)


def render_command(path: tuple[str, ...], command: click.Command) -> str:
    out = [f"### `vmctl {' '.join(path)}`", ""]
    parsed = parse_help(command.help or "")
    for para in parsed.prose:
        out += [_escape(para), ""]
    for block in parsed.blocks:
        out += ["```text", block, "```", ""]
    out += ["```text", f"Usage: {usage(path, command)}", "```", ""]
    if isinstance(command, click.Group):
        out += ["Subcommands: " + ", ".join(
            f"[`{name}`](#{_anchor((*path, name))})" for name in command.commands
        ) + ".", ""]
    if parsed.examples:
        out += ["Examples:", "", "```sh", *parsed.examples, "```", ""]
    rows = options(command)
    if rows:
        out += ["| Argument / option | Description |", "|---|---|"]
        out += [f"| {_code(flags, table=True)} | {_escape(text, table=True)} |" for flags, text in rows]
        out += [""]
    return "\n".join(out)


def render() -> str:
    """The whole of docs/commands.md."""
    topics = ", ".join(f"[{text}]({file})" for text, file in INTRO_TOPICS)
    out = [
        "# Command reference",
        "",
        "<!-- Generated from the CLI's help texts by scripts/generate_command_docs.py; do not edit by hand. -->",
        "",
        "Every command and subcommand of vmctl, with its usage, examples and options, exactly as `vmctl ... --help`",
        "prints them. All commands take `-h`/`--help`. Results go to stdout (`-o yaml|json|name` where offered),",
        f"diagnostics to stderr; exit codes 0, 1, 2 and 130. See also: {topics}.",
        "",
    ]
    sections = grouped()
    for group, names in sections:
        if not names:
            continue
        out += [f"- **{group.title}**: " + ", ".join(f"[`{n}`](#{_anchor((n,))})" for n in names)]
    out += [""]
    for group, names in sections:
        if not names:
            continue
        out += [f"## {group.title}", ""]
        docs = ", ".join(f"[{text}]({file})" for text, file in group.topics)
        if docs:
            out += [f"Topics: {docs}.", ""]
        out += ["| Command | What it does |", "|---|---|"]
        entries = [(p, c) for name in names for p, c in walk(command_of(name), (name,))]
        out += [f"| [`vmctl {' '.join(p)}`](#{_anchor(p)}) | {_escape(_summary(c), table=True)} |" for p, c in entries]
        out += [""]
        out += [render_command(p, c) for p, c in entries]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.is_file() or TARGET.read_text() != text:
            sys.stderr.write(f"{TARGET.relative_to(REPO)} is out of date: run python scripts/generate_command_docs.py\n")
            return 1
        return 0
    TARGET.write_text(text)
    sys.stderr.write(f"wrote {TARGET.relative_to(REPO)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
