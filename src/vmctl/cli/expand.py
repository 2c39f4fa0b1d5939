"""``vmctl expand``: VMs with their instancetype and preference written into the template (virtctl expand)."""

from __future__ import annotations

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, cluster_command
from vmctl.cli.members import Index
from vmctl.cli.options import Catalog, Files, Namespace, Output, Strict
from vmctl.cli.output import Format
from vmctl.cli.resolve import FromCluster, ShowOrigin, Targets, run

HELP = """Expand VMs: write the instancetype and preference into spec.template and drop the matchers.

Does what KubeVirt's expand-spec endpoint (virtctl expand) does, offline: default disks for volumes, the default pod network, the instancetype and preference, then the VMI-spec defaults. A VM without instancetype and preference is printed unchanged. A VirtualMachinePool expands to the VM of its member --index N (default 0): <pool>-N, as KubeVirt's pool controller creates it. Conflicts are reported with KubeVirt's text and exit code 1. Instancetypes and preferences are taken from the input documents first, then the catalog.

Example: vmctl expand -f vm.yaml

Example: vmctl expand -f vm.yaml -o json

Example: vmctl expand -f vm.yaml --show-origin

Example: vmctl expand -f pool.yaml --index 2

Example: vmctl expand vm/web -n prod --from-cluster
"""


def register(app: typer.Typer) -> None:
    @app.command("expand", help=HELP)
    @cluster_command
    def expand_cmd(
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
        run(files, catalog, namespace, output, show_origin, expand=True, strict=strict, index=index,
            targets=targets, from_cluster=from_cluster, flags=flags)
