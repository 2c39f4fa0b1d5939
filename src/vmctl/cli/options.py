"""Options shared by several commands, so every command spells them the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vmctl.cli.output import Format

Output = Annotated[Format, typer.Option("--output", "-o", help="Output format: yaml, json or name.")]
Namespace = Annotated[
    str | None,
    typer.Option(
        "--namespace", "-n",
        help="Namespace (default: from the object, else the kubeconfig context's on a cluster, else 'default').",
    ),
]
Files = Annotated[
    list[str],
    typer.Option("--filename", "-f", help="File, directory or '-' (stdin); YAML or JSON, multi-document. Repeatable."),
]
Catalog = Annotated[
    list[Path] | None,
    typer.Option("--catalog", help="Extra catalog folder of instancetypes/preferences/presets. Repeatable."),
]
Strict = Annotated[bool, typer.Option("--strict", help="Fail on unknown fields and kinds instead of warning.")]
Backend = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="Where VMs run: 'local' (libvirt) or 'cluster' (KubeVirt). Default: VMCTL_BACKEND, the config file, else "
        "cluster when KUBECONFIG names a file, ~/.kube/config sets a current-context or vmctl runs in a pod, else local.",
    ),
]
StateDir = Annotated[
    Path | None, typer.Option("--state-dir", envvar="VMCTL_STATE_DIR", help="Local backend state folder.")
]
LibvirtUri = Annotated[
    str | None,
    typer.Option("--libvirt-uri", envvar="VMCTL_LIBVIRT_URI", help="libvirt URI (default qemu:///system as root, else qemu:///session)."),
]
Kubeconfig = Annotated[
    str | None,
    typer.Option("--kubeconfig", help="Cluster: the kubeconfig file to use (default: $KUBECONFIG, ~/.kube/config)."),
]
Context = Annotated[str | None, typer.Option("--context", help="Cluster: the kubeconfig context to use.")]
As = Annotated[str | None, typer.Option("--as", help="Cluster: the user to impersonate for the operation.")]
RequestTimeout = Annotated[
    str | None,
    typer.Option("--request-timeout", help="Cluster: how long to wait for one request (30s, 1m30s; 0 = no limit)."),
]
Wait = Annotated[bool, typer.Option("--wait", help="Wait until the operation has taken effect.")]
Timeout = Annotated[int, typer.Option("--timeout", help="Seconds to wait with --wait.")]
AllowHooks = Annotated[
    bool, typer.Option("--allow-hooks", help="Allow hook sidecar scripts (hooks.kubevirt.io/hookSidecars) to run.")
]
