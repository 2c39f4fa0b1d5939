"""``vmctl validate``: not written yet."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Register this module's commands (filled in by its owner)."""
