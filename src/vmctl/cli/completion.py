"""``vmctl completion SHELL``: print the shell completion script, as ``kubectl completion`` does."""

from __future__ import annotations

import typer

SHELLS = ("bash", "zsh", "fish", "powershell")


def register(app: typer.Typer) -> None:
    @app.command(
        "completion",
        help=(
            "Print the completion script for a shell (bash, zsh, fish or powershell).\n\n"
            "Example: source <(vmctl completion bash)\n\n"
            "Example: vmctl completion zsh > \"${fpath[1]}/_vmctl\""
        ),
    )
    def completion(shell: str = typer.Argument(..., metavar="SHELL", help="bash, zsh, fish or powershell")) -> None:
        from typer._completion_shared import get_completion_script

        from vmctl.errors import UsageError

        if shell not in SHELLS:
            raise UsageError(f"SHELL: unsupported shell {shell!r} (expected one of: {', '.join(SHELLS)})")
        typer.echo(get_completion_script(prog_name="vmctl", complete_var="_VMCTL_COMPLETE", shell=shell))
