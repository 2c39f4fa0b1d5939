"""Assemble the vmctl command line and map errors to exit codes.

Each command lives in its own module under ``vmctl.cli`` and exposes ``register(app)``. Modules are imported
only when their command runs (``LazyGroup``), and import only typer and the standard library at import time;
heavy modules (jinja2, libvirt, kubernetes, rich) are imported inside the functions that need them, so
``vmctl version`` starts about as fast as Python can import typer.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping

# Plain click help (kubectl-like, wraps to the terminal) and no rich import on start-up; TYPER_USE_RICH=1 restores it.
os.environ.setdefault("TYPER_USE_RICH", "0")

import click  # noqa: E402
import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

from vmctl.errors import EXIT_ERROR, VmctlError  # noqa: E402

#: Command name -> module under vmctl.cli, in the order commands appear in ``--help``.
COMMANDS: dict[str, str] = {
    "create": "create",
    "template": "template",
    "expand": "expand",
    "resolve": "resolve",
    "validate": "validate",
    "get": "get",
    "describe": "describe",
    "apply": "apply",
    "delete": "delete",
    "start": "lifecycle",
    "stop": "lifecycle",
    "restart": "lifecycle",
    "pause": "lifecycle",
    "unpause": "lifecycle",
    "soft-reboot": "lifecycle",
    "reset": "lifecycle",
    "scale": "scale",
    "rollout": "rollout",
    "console": "console",
    "vnc": "vnc",
    "port-forward": "port_forward",
    "volume": "volume",
    "controller": "controller",
    "completion": "completion",
    "version": "version",
}


def load_module_commands(module: str) -> dict[str, click.Command]:
    """Import one command module and return the click commands it registers, by name."""
    sub = typer.Typer(add_completion=False)
    importlib.import_module(f"vmctl.cli.{module}").register(sub)
    if not sub.registered_commands and not sub.registered_groups:
        return {}
    if len(sub.registered_commands) + len(sub.registered_groups) == 1 and not sub.registered_groups:
        command = typer.main.get_command(sub)
        return {command.name or "": command}
    sub.callback()(lambda: None)  # force a group so every command keeps its own name
    group = typer.main.get_command(sub)
    assert isinstance(group, click.Group)
    return dict(group.commands)


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (the measure cobra suggests commands by)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class UnknownCommand(click.UsageError):
    """An unknown (sub)command, with the closest commands as a hint."""

    def __init__(self, message: str, ctx: click.Context, hint: str | None) -> None:
        super().__init__(message, ctx)
        self.hint = hint


class SuggestingGroup(TyperGroup):
    """A group whose unknown-command error says "did you mean ...", as cobra (kubectl, virtctl) does:
    commands within two edits of what was typed, or starting with it."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            typed = name.lower()
            close = [c for c in self.list_commands(ctx) if _distance(typed, c) <= 2 or c.startswith(typed)]
            hint = ("did you mean " + " or ".join(f'"{c}"' for c in close) + "? " if close else "") + (
                f"see '{ctx.command_path} --help'"
            )
            raise UnknownCommand(f"No such command {name!r}.", ctx, hint)
        return super().resolve_command(ctx, args)


class LazyGroup(SuggestingGroup):
    """A root group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        return load_module_commands(module).get(cmd_name)


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's subcommands by name, each built by typer from its own one-command app when first looked up."""

    def __init__(self, apps: dict[str, typer.Typer]) -> None:
        self._apps: dict[str, typer.Typer | None] = dict(apps)  # None: added as a built command
        self._built: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._built:
            app = self._apps[name]
            assert app is not None
            self._built[name] = typer.main.get_command(app)
        return self._built[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._apps.setdefault(name, None)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._apps[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._apps)

    def __len__(self) -> int:
        return len(self._apps)


def lazy_group(apps: dict[str, typer.Typer]) -> type[TyperGroup]:
    """A group class (``typer.Typer(cls=...)``) whose subcommands are ``apps`` (name -> app with one command
    registered, ``add_completion=False``), built only when used: ``vmctl create vm`` builds no other command."""

    class LazySubGroup(SuggestingGroup):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(**kwargs)  # type: ignore[arg-type]
            lazy = LazyCommands(apps)
            lazy.update(self.commands)
            self.commands = lazy

        def list_commands(self, ctx: click.Context) -> list[str]:
            return list(self.commands)

    return LazySubGroup


app = typer.Typer(
    name="vmctl",
    cls=LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=True,
)


@app.callback(epilog=(
    "\b\nExamples:\n"
    "  vmctl create vm --from-template fedora-server -p NAME=web1 --instancetype u1.medium | kubectl apply -f -\n"
    "  vmctl resolve -f web1.yaml --show-origin\n"
    "  vmctl create vm --from-template test-guest -p NAME=dev1 --instancetype u1.nano | vmctl apply -f -\n"
    "  vmctl console dev1\n"
    "\b\nExit codes: 0 ok, 1 error, 2 usage error. Documentation: docs/commands.md"
))
def _root() -> None:
    """Resolve, validate and run KubeVirt virtual machines: offline, on a cluster, or on a local libvirt host."""


def report(message: str, hint: str | None = None, details: list[str] | None = None) -> None:
    """Write one diagnostic line (then the server's field causes, one per line, and an optional hint line) to
    stderr; line breaks inside a line (a value quoted in it) are escaped, so each stays one line."""
    sys.stderr.write(f"error: {_one_line(message)}\n")
    for line in details or []:
        sys.stderr.write(_one_line(line) + "\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def main(argv: list[str] | None = None, *, prog_name: str = "vmctl") -> None:
    """Console-script entry point: run the command, turn every failure into one line on stderr and an exit code."""
    if argv is None:  # this process's own command line: spare the collector's last pass over every object at exit
        atexit.register(gc.freeze)
    try:
        code = app(args=argv, prog_name=prog_name, standalone_mode=False)
    except click.UsageError as exc:  # bad flags or arguments: kubectl-style one line, exit 2
        command = exc.ctx.command_path if exc.ctx else "vmctl"
        report(exc.format_message(), getattr(exc, "hint", None) or f"see '{command} --help'")
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        report(exc.format_message())
        sys.exit(exc.exit_code)
    except click.Abort:
        sys.stderr.write("\n")
        sys.exit(130)
    except VmctlError as exc:
        report(exc.message, exc.hint, exc.detail_lines())
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        sys.exit(130)
    except BrokenPipeError:
        # the reader of our stdout went away (e.g. `vmctl ... | head`); not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)


def kubectl_main(argv: list[str] | None = None) -> None:
    """``kubectl-vmctl``: vmctl as a kubectl plugin (``kubectl vmctl ...``); a kubeconfig then means the cluster
    backend, as it does for kubectl (``--backend``, ``VMCTL_BACKEND`` and the config file still win)."""
    from vmctl.backends import select

    select.PREFER_CLUSTER = True
    main(argv, prog_name="kubectl vmctl")
