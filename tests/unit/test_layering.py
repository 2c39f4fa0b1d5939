"""The import graph follows the layering table of docs/architecture.md (every import, also inside functions)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

# not ``from conftest import REPO``: in a whole-suite run "conftest" may be tests/integration/conftest.py
REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "vmctl"


def layering_table() -> dict[str, set[str]]:
    """unit → what it may import, from the table in docs/architecture.md."""
    table: dict[str, set[str]] = {}
    for line in (REPO / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`[\w.]+`", cells[0]) and cells[1].startswith("`src/vmctl/"):
            table[cells[0].strip("`")] = set(re.findall(r"`([\w.]+)`", cells[3]))
    return table


def unit_of(module: str) -> str:
    """``vmctl.backends.local.store`` → ``backends.local``; ``vmctl.core.pipeline`` → ``core``."""
    parts = module.split(".")[1:]
    if not parts:
        return "vmctl"
    if parts[0] == "backends" and len(parts) > 1:
        return f"backends.{parts[1]}"
    return parts[0]


def module_exists(module: str) -> bool:
    path = SRC.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path) -> set[str]:
    """Every absolute module an import statement in ``path`` names (``from vmctl import x`` → vmctl.x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module in ("vmctl", "vmctl.backends"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if module_exists(sub) else node.module)
            else:
                found.add(node.module)
    return found


def source_modules() -> list[tuple[Path, str]]:
    """(file, module name) of every module under src/vmctl."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        out.append((path, ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)))
    return out


def violations(table: dict[str, set[str]], modules: list[tuple[Path, str]]) -> list[str]:
    out = []
    for path, module in modules:
        unit = unit_of(module)
        found = imports(path)
        if unit in ("vmctl", "backends") and not {n for n in found if n.startswith("vmctl")}:
            continue  # package __init__ files with no vmctl imports
        allowed = table.get(unit)
        if allowed is None:
            out.append(f"{path.name}: unit {unit!r} is missing from docs/architecture.md")
            continue
        for name in sorted(found):
            top = name.split(".")[0]
            if top == "vmctl":
                target = unit_of(name)
                if target != unit and target not in allowed:
                    out.append(f"{module}: {unit} imports {name} ({target} is not allowed)")
            elif top not in sys.stdlib_module_names and not top.startswith("_") and top not in allowed:
                out.append(f"{module}: {unit} imports the package {top}")
    return out


def test_table_is_found() -> None:
    table = layering_table()
    assert {"core", "controllers", "cli", "backends.base", "backends.local"} <= set(table)
    assert "backends.local" not in table["cli"] and "backends.cluster" not in table["cli"]
    assert "cli" not in table["backends.local"] and not table["core"] - {"errors"}


def test_imports_follow_the_layering_table() -> None:
    assert violations(layering_table(), source_modules()) == []


@pytest.mark.parametrize("line, module, target", [
    ("from vmctl.backends.local.store import Store", "vmctl.cli.probe", "backends.local"),
    ("import vmctl.backends.cluster", "vmctl.cli.probe", "backends.cluster"),
    ("from vmctl.cli.output import warn", "vmctl.backends.local.probe", "cli"),
    ("import libvirt", "vmctl.core.probe", "libvirt"),
    ("from vmctl.backends.local import guests", "vmctl.controllers.probe", "backends.local"),
])
def test_a_forbidden_import_would_fail(tmp_path: Path, line: str, module: str, target: str) -> None:
    """The check is not vacuous: a planted import of a forbidden unit, even inside a function, is reported."""
    probe = tmp_path / "probe.py"
    probe.write_text(f"def probe() -> None:\n    {line}\n", encoding="utf-8")
    found = violations(layering_table(), [*source_modules(), (probe, module)])
    assert [v for v in found if v.startswith(module)] and all(target in v for v in found), found
