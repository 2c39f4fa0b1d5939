"""``vmctl version``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("version", help="Print the vmctl version and the KubeVirt semantics it follows.\n\nExample: vmctl version")
    def version() -> None:
        from vmctl import COMMON_INSTANCETYPES_VERSION, KUBEVIRT_VERSION, __version__

        typer.echo(f"vmctl {__version__} (KubeVirt {KUBEVIRT_VERSION} semantics, common-instancetypes {COMMON_INSTANCETYPES_VERSION})")
