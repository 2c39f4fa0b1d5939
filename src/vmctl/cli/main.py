"""Assemble the vmctl command line and map errors to exit codes.

Each command lives in its own module under ``vmctl.cli`` and exposes ``register(app)``. Command modules
import only typer and the standard library at import time; heavy modules (jinja2, libvirt, kubernetes,
rich) are imported inside the functions that need them, so ``vmctl version`` starts fast.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from vmctl.errors import EXIT_ERROR, VmctlError

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = (
    "create",
    "template",
    "expand",
    "resolve",
    "validate",
    "get",
    "describe",
    "apply",
    "delete",
    "lifecycle",
    "console",
    "vnc",
    "port_forward",
    "volume",
    "controller",
    "version",
)

app = typer.Typer(
    name="vmctl",
    help="Resolve, validate and run KubeVirt virtual machines: offline, on a cluster, or on a local libvirt host.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=True,
)



@app.callback()
def _root() -> None:
    """Resolve, validate and run KubeVirt virtual machines: offline, on a cluster, or on a local libvirt host."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"vmctl.cli.{_name}").register(app)


def report(message: str, hint: str | None = None) -> None:
    """Write one diagnostic line (plus an optional hint line) to stderr."""
    sys.stderr.write(f"error: {message}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, prog_name="vmctl")
    except VmctlError as exc:
        report(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        sys.exit(130)
    except BrokenPipeError:
        # the reader of our stdout went away (e.g. `vmctl ... | head`); not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_ERROR)
