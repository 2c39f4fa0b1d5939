"""``vmctl apply -f FILE...``: store objects (all validated first, then one transaction) and reconcile VMs."""

from __future__ import annotations

from collections.abc import Callable
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


def register(app: typer.Typer) -> None:
    @app.command(
        "apply",
        help=(
            "Create or update objects from files (VMs, VMIs, instancetypes, preferences, presets, ConfigMaps, "
            "Secrets). Every object is validated first; nothing is stored unless all are valid. VMs are then "
            "reconciled (runStrategy Always starts them). With --wait, wait until every applied VM is where its "
            "runStrategy heads it (Ready for Always, RerunOnFailure and Once; Stopped for Halted; Manual as it "
            "is) and every VMI is Ready.\n\n"
            "Example: vmctl apply -f web1.yaml\n\nExample: vmctl create vm --name web1 | vmctl apply -f - --wait "
            "--timeout 120"
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
                             cluster=be.cluster_config, default_namespace=be.default_namespace)
        if not batch:
            raise UsageError("no objects passed to apply")
        failure: ApplyError | None = None
        try:
            results = be.apply(batch, namespace=namespace)
        except ApplyError as exc:
            results, failure = exc.results, exc
        if output is None:
            sys.stdout.write("".join(f"{object_name(obj)} {action}\n" for obj, action in results))
        else:
            sys.stdout.write(render([o for o, _ in results], output))
        if failure is not None:
            raise failure
        if wait:
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
