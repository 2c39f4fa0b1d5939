"""``vmctl apply -f FILE...``: store objects (all validated first, then one transaction) and reconcile VMs."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import AllowHooks, Files, Namespace, Wait
from vmctl.cli.output import Format

if TYPE_CHECKING:
    from vmctl.backends.base import Backend

ApplyTimeout = Annotated[int, typer.Option("--timeout", help="Seconds to wait with --wait (for all objects together).")]
ApplyOutput = Annotated[
    Format | None,
    typer.Option("--output", "-o", help="Print the stored objects: yaml, json or name (default: one line each)."),
]




class DryRun(StrEnum):
    none = "none"
    client = "client"
    server = "server"


ApplyDryRun = Annotated[
    DryRun,
    typer.Option(
        "--dry-run",
        help="none (apply), client (validate and admit every object, send nothing: say what would be created or "
        "configured) or server (also have the backend judge each object, store nothing). Lines end in "
        "'(dry run)' or '(server dry run)'.",
    ),
]
ForceConflicts = Annotated[
    bool,
    typer.Option(
        "--force-conflicts",
        help="Server-side apply: take over fields another field manager owns instead of failing with a conflict "
        "(no effect on the local backend, which has no field managers).",
    ),
]
#: What kubectl appends to each line of a dry run.
SUFFIX = {DryRun.none: "", DryRun.client: " (dry run)", DryRun.server: " (server dry run)"}


def register(app: typer.Typer) -> None:
    @app.command(
        "apply",
        help=(
            "Create or update objects from files (VMs, VMIs, instancetypes, preferences, presets, ConfigMaps, "
            "Secrets). Every object is validated first; nothing is stored unless all are valid. VMs are then "
            "reconciled (runStrategy Always starts them). With --wait, wait until every applied VM is where its "
            "runStrategy heads it (Ready for Always, RerunOnFailure and Once; Stopped for Halted; Manual as it "
            "is) and every VMI is Ready.\n\n"
            "A document the backend refuses stops the apply: the error names it and every document that was "
            "not applied (on a cluster, the ones before it stay applied; the local backend applies all or "
            "nothing). --dry-run=client|server applies nothing; --force-conflicts takes over fields another "
            "server-side apply field manager owns.\n\n"
            "Example: vmctl apply -f web1.yaml\n\nExample: vmctl create vm --name web1 | vmctl apply -f - --wait "
            "--timeout 120\n\nExample: vmctl apply -f pool.yaml --dry-run=server"
        ),
    )
    @backend_command
    def apply(
        filename: Files,
        namespace: Namespace = None,
        output: ApplyOutput = None,
        allow_hooks: AllowHooks = False,
        wait: Wait = False,
        timeout: ApplyTimeout = 300,
        dry_run: ApplyDryRun = DryRun.none,
        force_conflicts: ForceConflicts = False,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        import sys

        from vmctl.admission import admit_batch
        from vmctl.backends.base import ApplyError
        from vmctl.cli.backend_flags import open_backend
        from vmctl.cli.output import object_name, render, warn
        from vmctl.errors import UsageError
        from vmctl.io.inputs import read_objects

        if not filename:
            raise UsageError("-f/--filename is required")
        if timeout < 0:
            raise UsageError("--timeout: must be zero or more seconds")
        docs = read_objects(filename)  # an input with no objects is an error naming it, before the backend opens
        be = open_backend(flags, allow_hooks=allow_hooks or None)
        batch = admit_batch(docs, namespace, be.stored_kinds, be.lookup_source(), warn, stored=_stored(be),
                             cluster=be.cluster_config, default_namespace=be.default_namespace,
                             server_defaults=be.server_defaults)
        if not batch:
            raise UsageError("no objects passed to apply")
        failure: ApplyError | None = None
        try:
            results = be.apply(batch, namespace=namespace, dry_run=dry_run.value, force=force_conflicts)
        except ApplyError as exc:
            results, failure = exc.results, exc
        if output is None:
            suffix = SUFFIX[dry_run]
            sys.stdout.write("".join(f"{object_name(obj)} {action}{suffix}\n" for obj, action in results))
        else:
            sys.stdout.write(render([o for o, _ in results], output))
        if failure is not None:
            raise failure
        if wait and dry_run is DryRun.none:  # a dry run has nothing to wait for (as kubectl)
            _wait(be, results, timeout)


def _stored(be: Backend) -> Callable[[str, str, str], dict[str, Any] | None]:
    """What an update would replace (or None), for admission checks that compare old and new."""

    def get(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        from vmctl.backends.base import Ref
        from vmctl.errors import NotFoundError

        try:
            return be.get(Ref(kind, name, namespace))
        except NotFoundError:
            return None

    return get


def _wait(be: Backend, results: list[tuple[dict[str, Any], str]], timeout: int) -> None:
    """``--wait``: every applied VM where its runStrategy heads it, every VMI Ready."""
    from vmctl.backends.base import Ref

    refs = [Ref(o["kind"], o["metadata"]["name"], o["metadata"].get("namespace") or be.default_namespace)
            for o, _ in results if o["kind"] in ("VirtualMachine", "VirtualMachineInstance")]
    if refs:
        be.wait_desired(refs, timeout)
