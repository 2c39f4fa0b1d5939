"""``vmctl resolve``: the VMI KubeVirt would create for each VM (or admit for each VMI) of the inputs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, cluster_command
from vmctl.cli.members import Index
from vmctl.cli.options import Catalog, Files, Namespace, Output, Strict
from vmctl.cli.output import Format

HELP = """Resolve VMs into the exact VMI KubeVirt would create, offline.

Runs KubeVirt's pipeline: VM admission (matchers, preferred architecture/machine type, conflicts, requirements), the VM controller (firmware UUID, default disks, autoattach preferences, default pod network, instancetype and preference), then VMI admission (presets, defaults). VMIs in the input get presets and defaults. A VirtualMachinePool resolves to the VMI of its member --index N (default 0), a VirtualMachineInstanceReplicaSet to the VMI it creates. Instancetypes, preferences and presets are taken from the input documents first, then the catalog. Other kinds are only used for lookups and not printed.

--show-origin adds, per field, the stage that set it: vm, instancetype/NAME, preference/NAME, preset/NAME or default.

Example: vmctl resolve -f vm.yaml

Example: vmctl resolve -f vm.yaml --show-origin

Example: cat vm.yaml | vmctl resolve -f - -o json --show-origin

Example: vmctl resolve -f manifests/ --catalog ./my-instancetypes -n dev

Example: vmctl resolve -f pool.yaml --index 2

Example: vmctl resolve vm/web -n prod --from-cluster
"""

ShowOrigin = Annotated[
    bool, typer.Option("--show-origin", help="Annotate every field with the stage that set it (yaml comments or json 'origins').")
]

FromCluster = Annotated[
    bool,
    typer.Option(
        "--from-cluster",
        help="Read instancetypes, preferences and presets from the cluster (read-only) instead of the catalog; "
        "TYPE/NAME arguments read the objects themselves from it.",
    ),
]
Targets = Annotated[
    list[str] | None,
    typer.Argument(help="With --from-cluster: objects to read from the cluster (vm/NAME, vmi/NAME, vmpool/NAME, "
                   "vmirs/NAME).", show_default=False, metavar="[TYPE/NAME]..."),
]

_RESOLVABLE = ("VirtualMachine", "VirtualMachineInstance")
_REPLICATED = ("VirtualMachinePool", "VirtualMachineInstanceReplicaSet")
_READABLE = (*_RESOLVABLE, *_REPLICATED)


def run(
    files: list[str],
    catalog: list[Path] | None,
    namespace: str | None,
    output: Format,
    show_origin: bool,
    *,
    expand: bool,
    strict: bool = False,
    index: int = 0,
    targets: list[str] | None = None,
    from_cluster: bool = False,
    flags: BackendFlags = NO_FLAGS,
) -> None:
    """Shared body of ``vmctl resolve`` and ``vmctl expand`` (``index``: the pool / replica set member;
    ``from_cluster``: lookups, and ``targets``, read from the cluster)."""
    import gc

    # A batch keeps every input and result alive, and makes almost no reference cycles: the cyclic collector
    # would only rescan the growing heap again and again (a third of the run for 10,000 VMs).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if from_cluster:
            _from_cluster(files, targets or [], catalog, namespace, output, show_origin, expand=expand,
                          strict=strict, index=index, flags=flags)
        elif targets:
            from vmctl.errors import UsageError

            raise UsageError(f"{targets[0]}: objects are read from a cluster only with --from-cluster")
        else:
            _run(files, catalog, namespace, output, show_origin, expand=expand, strict=strict, index=index)
    finally:
        if collecting:
            gc.enable()


def _run(
    files: list[str],
    catalog: list[Path] | None,
    namespace: str | None,
    output: Format,
    show_origin: bool,
    *,
    expand: bool,
    strict: bool,
    index: int = 0,
    cluster: tuple[list[Any], Any, str] | None = None,
) -> None:
    """``cluster``: (documents read from the cluster, its ObjectSource, its default namespace) for
    ``--from-cluster``."""
    from vmctl.batch import Job, label, parse_big_yaml, report_findings, run_batch, schema_findings
    from vmctl.catalog import load_catalog
    from vmctl.cli.members import member_pairs
    from vmctl.cli.output import render, warn
    from vmctl.core.pipeline import MemoSource, expand_vm, resolve
    from vmctl.errors import EXIT_ERROR, UsageError, VmctlError
    from vmctl.io.inputs import read_inputs
    from vmctl.io.yamlio import iter_objects

    command = "expand" if expand else "resolve"
    if not files and not cluster:
        raise UsageError(f"-f/--filename is required, e.g. 'vmctl {command} -f vm.yaml'")
    if show_origin and Format(output) is Format.name:
        raise UsageError("--show-origin works with -o yaml or -o json, not -o name")
    docs = read_inputs(files, parse=parse_big_yaml) if files else []
    if cluster is not None:
        docs += cluster[0]
    pairs = list(iter_objects(docs))
    for doc, obj in pairs:
        if not isinstance(obj, dict):
            raise VmctlError(f"{doc.where}: expected an object with 'kind', got {type(obj).__name__}")
    if cluster is not None and namespace is None:  # as kubectl: no namespace means the context's
        from vmctl.core.kinds import BY_KIND

        for _, obj in pairs:
            meta = obj.get("metadata")
            known = BY_KIND.get(str(obj.get("kind")))
            if isinstance(meta, dict) and not meta.get("namespace") and known is not None and known.namespaced:
                meta["namespace"] = cluster[2]
    if expand:
        for doc, obj in pairs:
            if obj.get("kind") == "VirtualMachineInstance":
                raise VmctlError(f"{label(doc, obj)}: expand takes VirtualMachines; use 'vmctl resolve' for VMIs")
    warned: set[str] = set()
    owners = [(doc, obj) for doc, obj in pairs if obj.get("kind") in _REPLICATED]
    if owners:  # a pool or replica set stands for one member: check it as written, then use the member
        if not report_findings(schema_findings(owners, strict=strict), warned, warn, sys.stderr.write):
            raise typer.Exit(EXIT_ERROR)
        pairs = member_pairs(pairs, index, expand=expand)
    wanted = ("VirtualMachine",) if expand else _RESOLVABLE
    targets = [(doc, obj) for doc, obj in pairs if obj.get("kind") in wanted]
    sources: list[MemoSource] = []

    def prepare() -> None:
        """After a clean schema check: the catalog, and at least one object to resolve."""
        if sources:
            pass
        elif cluster is not None:
            from vmctl.catalog.store import Chained, input_catalog

            sources.append(MemoSource(Chained(input_catalog([obj for _, obj in pairs]), cluster[1])))
        else:
            sources.append(MemoSource(load_catalog([obj for _, obj in pairs], extra_dirs=catalog)))
        if not targets:
            raise VmctlError(f"no {' or '.join(wanted)} in the input ({', '.join(files)})")

    def step(obj: dict[str, Any]) -> Any:
        if expand:
            return expand_vm(obj, sources[0], namespace=namespace, origins=show_origin)
        return resolve(obj, sources[0], namespace=namespace, origins=show_origin)

    job = Job(step, Format(output), show_origin, render, strict, warned, warn, sys.stderr.write, prepare)
    # a cluster connection cannot be shared with a forked child
    failed, warnings, text = run_batch(pairs, targets, job, parallel=cluster is None)
    if failed:
        raise typer.Exit(EXIT_ERROR)
    for warning in warnings:
        if warning not in warned:
            warned.add(warning)
            warn(warning)
    sys.stdout.write(text)
    sys.stdout.flush()



def _from_cluster(
    files: list[str], targets: list[str], catalog: list[Path] | None, namespace: str | None, output: Format,
    show_origin: bool, *, expand: bool, strict: bool, index: int, flags: BackendFlags,
) -> None:
    """``--from-cluster``: the objects named by ``targets`` are read from the cluster, instancetypes, preferences
    and presets are looked up in the input documents, then on the cluster (read-only; no catalog)."""
    from vmctl.backends.base import Ref
    from vmctl.cli.backend_flags import open_backend
    from vmctl.cli.resources import split_type_name
    from vmctl.errors import UsageError
    from vmctl.io.yamlio import Document

    if catalog:
        raise UsageError("--catalog and --from-cluster exclude each other: the cluster is the catalog")
    if not files and not targets:
        raise UsageError("--from-cluster: name objects to read (e.g. vm/web) or give -f/--filename")
    wanted = [split_type_name([t]) for t in targets]  # usage errors before connecting
    for kind, _ in wanted:
        if kind.kind not in _READABLE:
            raise UsageError(f"{kind.singular}: {'expand' if expand else 'resolve'} reads vm, vmi, vmpool or vmirs")
    be = open_backend(flags._replace(backend="cluster"))
    try:
        ns = namespace or be.default_namespace
        docs = []
        for (kind, name), text in zip(wanted, targets, strict=True):
            obj = be.get(Ref(kind.kind, name, ns))
            (obj.get("metadata") or {}).pop("managedFields", None)
            obj.pop("status", None)
            docs.append(Document(obj, f"cluster:{text}", 0))
        _run(files, None, namespace, output, show_origin, expand=expand, strict=strict, index=index,
             cluster=(docs, be.lookup_source(), ns))
    finally:
        be.close()

def register(app: typer.Typer) -> None:
    @app.command("resolve", help=HELP)
    @cluster_command
    def resolve_cmd(
        targets: Targets = None,
        files: Files = [],  # noqa: B006 - typer reads the default, never mutates it
        catalog: Catalog = None,
        namespace: Namespace = None,
        output: Output = Format.yaml,
        show_origin: ShowOrigin = False,
        strict: Strict = False,
        index: Index = 0,
        from_cluster: FromCluster = False,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        run(files, catalog, namespace, output, show_origin, expand=False, strict=strict, index=index,
            targets=targets, from_cluster=from_cluster, flags=flags)
