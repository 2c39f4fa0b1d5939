"""``vmctl rollout``: status, pause, resume, restart, history and undo of a VirtualMachinePool (and status,
pause and resume of a VirtualMachineInstanceReplicaSet), in kubectl's words."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Namespace

if TYPE_CHECKING:
    from vmctl.backends.base import Backend, Ref
    from vmctl.controllers.rollout import Revision, RolloutStatus
    from vmctl.core.kinds import Kind

HELP = """Manage the rollout of a VirtualMachinePool (pool/NAME) or VirtualMachineInstanceReplicaSet (vmirs/NAME).

A pool rolls a changed template out to its VMs within its maxUnavailable; pause stops that (and scaling),
resume lets it go on, restart makes it restart every VM's VMI, history lists its revisions and undo puts an
earlier template back.

Example: vmctl rollout status pool/web --watch

Example: vmctl rollout pause pool/web
"""

Target = Annotated[list[str], typer.Argument(help="TYPE/NAME or TYPE NAME", metavar="TYPE/NAME")]
DurationTimeout = Annotated[
    str, typer.Option("--timeout", help="How long --watch waits: seconds or a duration (90s, 5m, 1h).")
]


class StatusFormat(StrEnum):
    json = "json"


def _open(args: list[str], namespace: str | None, flags: BackendFlags) -> tuple[Backend, Kind, Ref]:
    from vmctl.backends.base import Ref
    from vmctl.cli.backend_flags import open_backend
    from vmctl.cli.replicated import replicated_target

    kind, ref = replicated_target(args, namespace, what="rollout")  # usage errors before connecting
    be = open_backend(flags)
    return be, kind, Ref(ref.kind, ref.name, namespace or be.default_namespace)


def _refused(exc: Exception) -> Exception:
    from vmctl.errors import VmctlError

    return VmctlError(str(exc))


def _status(be: Backend, ref: Ref) -> RolloutStatus:
    from vmctl.cli.replicated import members
    from vmctl.controllers.rollout import rollout_status

    owner = be.get(ref)
    if owner.get("kind") != "VirtualMachinePool":
        return rollout_status(owner, members(be, owner))
    ns = ref.namespace
    return rollout_status(owner, members(be, owner), be.list("VirtualMachineInstance", ns),
                          be.list("ControllerRevision", ns))


def _table(state: RolloutStatus) -> str:
    from vmctl.cli.resources import table

    rows = [["NAME", "REVISION", "UPDATED", "READY"]]
    rows += [[m.name, m.revision or "<none>", "yes" if m.updated else "no", "yes" if m.ready else "no"]
             for m in state.members]
    head = (f"desired {state.desired}, current {state.current}, updated {state.updated}, ready {state.ready}, "
            f"available {state.available}" + (", paused" if state.paused else ""))
    return head + "\n" + table(rows)


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=HELP, no_args_is_help=True)
    app.add_typer(sub, name="rollout")

    @sub.command("status", help="Show the rollout: updated, ready and available replicas of the desired number, and "
                 "every member's revision. Exit 0 when it is complete, 1 when it is not (with --watch: when the "
                 "timeout passes first). --watch follows it: a live table on a terminal, otherwise one line per "
                 "change.\n\nExample: vmctl rollout status pool/web --watch --timeout 10m")
    @backend_command
    def status(
        target: Target,
        watch: Annotated[bool, typer.Option("--watch", "-w", help="Follow the rollout until it is complete.")] = False,
        timeout: DurationTimeout = "0",
        output: Annotated[StatusFormat | None, typer.Option("--output", "-o", help="json: the status as JSON.")] = None,
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        import json
        import time

        from vmctl.cli.replicated import parse_duration

        seconds = parse_duration(timeout)
        be, kind, ref = _open(target, namespace, flags)
        state = _status(be, ref)
        deadline = time.monotonic() + seconds if seconds else None
        if watch and output is None and sys.stdout.isatty():
            state = _watch_live(be, ref, state, deadline)
        elif watch:
            last = ""
            while True:
                line = json.dumps(state.as_dict(), sort_keys=True) if output else state.line(kind.kind, ref.name)
                if line != last:
                    typer.echo(line)
                    last = line
                if state.complete or (deadline is not None and time.monotonic() >= deadline):
                    break
                time.sleep(1)
                state = _status(be, ref)
        elif output is StatusFormat.json:
            typer.echo(json.dumps(state.as_dict(), indent=2, sort_keys=True))
        else:
            typer.echo(state.line(kind.kind, ref.name))
            sys.stdout.write(_table(state))
        if not state.complete:
            raise typer.Exit(1)

    def _verb(name: str, text: str, example: str) -> None:
        @sub.command(name, help=f"{text}\n\nExample: {example}")
        @backend_command
        def command(target: Target, namespace: Namespace = None, flags: BackendFlags = NO_FLAGS) -> None:
            from datetime import UTC, datetime

            from vmctl.cli.replicated import qualified_name, resource_name
            from vmctl.controllers import rollout

            be, kind, ref = _open(target, namespace, flags)
            obj = be.get(ref)
            try:
                if name == "pause":
                    patch = rollout.pause_patch(obj, resource_name(kind, ref.name))
                elif name == "resume":
                    patch = rollout.resume_patch(obj, resource_name(kind, ref.name))
                else:
                    patch = rollout.restart_patch(obj, datetime.now(UTC))
            except rollout.RolloutRefused as exc:
                raise _refused(exc) from None
            be.patch(ref, patch)
            done = {"pause": "paused", "resume": "resumed", "restart": "restarted"}[name]
            typer.echo(f"{qualified_name(kind, ref.name)} {done}")

    _verb("pause", "Pause the rollout (and scaling): the pool changes no member until resumed.",
          "vmctl rollout pause pool/web")
    _verb("resume", "Resume a paused rollout.", "vmctl rollout resume pool/web")
    _verb("restart", "Restart every VM's VMI, within the pool's maxUnavailable (a restartedAt annotation on the "
          "VMI template, as kubectl does).", "vmctl rollout restart pool/web")

    @sub.command("history", help="List the pool's revisions (ControllerRevisions) and what each changed; with "
                 "--revision N show that revision's template.\n\nExample: vmctl rollout history pool/web --revision 2")
    @backend_command
    def history(
        target: Target,
        revision: Annotated[int | None, typer.Option("--revision", help="Show this revision's VM template.")] = None,
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        from vmctl.cli.replicated import qualified_name
        from vmctl.controllers.rollout import changed_paths
        from vmctl.errors import VmctlError

        be, kind, ref = _open(target, namespace, flags)
        history = _history(be, kind, ref)
        if revision is not None:
            found = [r for r in history if r.number == revision]
            if not found:
                raise VmctlError(f"unable to find the specified revision {revision}")
            from vmctl.io.yamlio import dump_yaml

            typer.echo(f"{qualified_name(kind, ref.name)} with revision #{revision}")
            sys.stdout.write(dump_yaml(found[0].template))
            return
        from vmctl.cli.resources import table

        rows = [["REVISION", "CHANGE-CAUSE", "CHANGED"]]
        previous = None
        for rev in history:
            changed = "<initial>" if previous is None else (", ".join(changed_paths(previous, rev.template)[:4])
                                                          or "<none>")
            rows.append([str(rev.number), rev.cause or "<none>", changed])
            previous = rev.template
        typer.echo(qualified_name(kind, ref.name))
        sys.stdout.write(table(rows))

    @sub.command("undo", help="Roll back to an earlier revision's template (default: the previous one).\n\n"
                 "Example: vmctl rollout undo pool/web --to-revision 2")
    @backend_command
    def undo(
        target: Target,
        to_revision: Annotated[int | None, typer.Option("--to-revision", help="The revision to go back to.")] = None,
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        from vmctl.cli.replicated import qualified_name
        from vmctl.controllers import rollout

        be, kind, ref = _open(target, namespace, flags)
        history = _history(be, kind, ref)
        try:
            patch, _target = rollout.undo_patch(be.get(ref), history, to_revision)
        except rollout.RolloutRefused as exc:
            raise _refused(exc) from None
        be.patch(ref, patch)
        typer.echo(f"{qualified_name(kind, ref.name)} rolled back")


def _history(be: Backend, kind: Kind, ref: Ref) -> list[Revision]:
    from vmctl.controllers.rollout import revisions
    from vmctl.errors import UsageError

    if kind.kind != "VirtualMachinePool":
        raise UsageError("rollout history and undo: only VirtualMachinePools keep revisions")
    pool = be.get(ref)
    return revisions(pool, be.list("ControllerRevision", ref.namespace))


def _watch_live(be: Backend, ref: Ref, state: RolloutStatus, deadline: float | None) -> RolloutStatus:
    """A live table (rich) until the rollout completes or the deadline passes."""
    import time

    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    with Live(Text(_table(state)), console=Console(), refresh_per_second=4, transient=False) as live:
        while not state.complete and (deadline is None or time.monotonic() < deadline):
            time.sleep(1)
            state = _status(be, ref)
            live.update(Text(_table(state)))
    return state
