"""docs/commands.md is generated from the CLI's help texts and must match the CLI as it is now."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click

from vmctl.cli.main import COMMANDS, load_module_commands

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "generate_command_docs.py"
DOC = REPO / "docs" / "commands.md"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_command_docs", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _paths() -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))

    for name, module in COMMANDS.items():
        command = load_module_commands(module).get(name)
        assert command is not None, f"vmctl {name} is not registered by vmctl.cli.{module}"
        walk(command, (name,))
    return found


def test_commands_md_is_up_to_date() -> None:
    assert DOC.read_text() == _generator().render(), (
        "docs/commands.md differs from the CLI: run .venv/bin/python scripts/generate_command_docs.py"
    )


def test_check_mode_of_the_script() -> None:
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), str(SCRIPT), "--check"], capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_every_command_has_a_section_with_usage() -> None:
    text = DOC.read_text()
    headings = re.findall(r"^### `vmctl ([^`]+)`$", text, re.M)
    paths = _paths()
    assert headings == [" ".join(p) for p, _ in _grouped(paths)]
    for path, _ in paths:
        assert f"\nUsage: vmctl {' '.join(path)} [OPTIONS]" in text, path


def _grouped(paths: list[tuple[tuple[str, ...], click.Command]]) -> list[tuple[tuple[str, ...], click.Command]]:
    """Paths in the document's order: by group, then as ``vmctl --help`` lists them."""
    order = [name for _, names in _generator().grouped() for name in names]
    assert sorted(order) == sorted(COMMANDS), "every command belongs to exactly one group"
    return sorted(paths, key=lambda item: order.index(item[0][0]))


def test_examples_of_the_help_are_in_the_doc() -> None:
    text = DOC.read_text()
    for path, command in _paths():
        examples = re.findall(r"^(?:Example: |  )(vmctl .+?)\s*$", command.help or "", re.M)
        examples = [e for e in examples if e.startswith(f"vmctl {path[0]}")]
        assert examples, f"vmctl {' '.join(path)} has no example in its help"
        for example in examples:
            assert f"\n{example}\n" in text, example


def test_links_resolve() -> None:
    text = DOC.read_text()
    anchors = {"vmctl-" + "-".join(h.split()) for h in re.findall(r"^### `vmctl ([^`]+)`$", text, re.M)}
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in anchors, target
        else:
            assert (DOC.parent / target).is_file(), f"docs/commands.md links to missing docs/{target}"


def test_groups_are_the_documented_ones() -> None:
    titles = re.findall(r"^## (.+)$", DOC.read_text(), re.M)
    assert titles == ["Offline resolution", "Templates", "Objects", "Lifecycle", "Console & VNC", "Volumes", "Other"]
