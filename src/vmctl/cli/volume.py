"""``vmctl volume``: named local volumes (what persistentVolumeClaim / dataVolume volumes use locally)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Namespace
from vmctl.cli.output import Format

if TYPE_CHECKING:
    from vmctl.backends.base import NamedVolumes

HELP = """Manage named local volumes (qcow2 files under <state-dir>/volumes/<namespace>/).

A VM's persistentVolumeClaim (claimName) and dataVolume (name) volumes use the named volume of the same name
in the VM's namespace; ephemeral volumes get a throw-away overlay on top of one.

Example: vmctl volume create data1 --size 10Gi

Example: vmctl volume import root1 --from ./disk.qcow2
"""

OptOutput = Annotated[
    Format | None, typer.Option("--output", "-o", help="Output format: yaml, json or name (default: a table).")
]


def _volumes(flags: BackendFlags) -> NamedVolumes:
    """The named volumes of the local host (``--state-dir``, else the configured or default state folder); one
    line saying volumes are local-only when the backend is the cluster."""
    from vmctl.backends.base import require_local
    from vmctl.cli.backend_flags import open_backend
    from vmctl.cli.backend_flags import program as _program

    return require_local(open_backend(flags), f"{_program()} volume").volumes()


def _parse_size(text: str) -> int:
    """``--size`` as bytes (a positive Kubernetes quantity); a malformed value is a usage error (exit 2)."""
    from vmctl.core.quantity import positive_bytes
    from vmctl.errors import InputError, UsageError

    try:
        return positive_bytes(text, what="--size")
    except InputError as exc:
        raise UsageError(exc.message) from None


def _human(size: int) -> str:
    for unit, factor in (("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if size >= factor:
            value = size / factor
            return f"{value:.1f}{unit}".replace(".0" + unit, unit)
    return str(size)


def _as_object(vol: Any, users: list[str]) -> dict[str, Any]:
    from vmctl.core.quantity import BINARY_SI, format_quantity

    return {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": vol.name, "namespace": vol.namespace},
        "spec": {"resources": {"requests": {"storage": format_quantity(vol.virtual_size, BINARY_SI)}}},
        "status": {"phase": "Bound", "capacity": {"storage": format_quantity(vol.virtual_size, BINARY_SI)},
                   "path": str(vol.path), "format": vol.format, "usedBytes": vol.actual_size, "usedBy": users},
    }


def _download(url: str, dest: Path) -> None:
    """Fetch an http(s) URL to ``dest``, with a progress bar on a TTY."""
    import urllib.error
    import urllib.request

    from vmctl.errors import InputError, VmctlError

    if not url.startswith(("http://", "https://")):
        raise InputError(f"--from {url}: only http:// and https:// URLs can be downloaded")
    try:
        response = urllib.request.urlopen(url, timeout=60)  # noqa: S310 - scheme checked above
    except urllib.error.HTTPError as exc:
        raise VmctlError(f"--from {url}: cannot download: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise VmctlError(f"--from {url}: cannot download: {reason}") from None
    total = int(response.headers.get("Content-Length") or 0)
    progress = None
    if sys.stderr.isatty():
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        progress = Progress(TextColumn("downloading"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), transient=True)
    with response, open(dest, "wb") as out:
        task = None
        if progress is not None:
            progress.start()
            task = progress.add_task("download", total=total or None)
        try:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                out.write(chunk)
                if progress is not None and task is not None:
                    progress.advance(task, len(chunk))
        except OSError as exc:
            raise VmctlError(f"--from {url}: download failed: {exc}") from None
        finally:
            if progress is not None:
                progress.stop()


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=HELP, no_args_is_help=True)
    app.add_typer(sub, name="volume")

    @sub.command("create", help="Create an empty named volume.\n\nExample: vmctl volume create data1 --size 10Gi -n dev")
    @backend_command
    def create(
        name: Annotated[str, typer.Argument(help="Volume (claim) name.", show_default=False)],
        size: Annotated[str, typer.Option("--size", help="Capacity as a Kubernetes quantity, e.g. 10Gi.", show_default=False)],
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        vol = _volumes(flags).create(namespace or "default", name, _parse_size(size))
        typer.echo(f"volume/{vol.name} created ({_human(vol.virtual_size)})")

    @sub.command(
        "import",
        help="Create a named volume from a qcow2/raw file, an http(s) URL or a containerDisk image (docker://).\n\n"
        "Example: vmctl volume import root1 --from ./disk.qcow2\n\n"
        "Example: vmctl volume import root1 --from https://example.com/cloud.qcow2 --size 20Gi\n\n"
        "Example: vmctl volume import root1 --from docker://localhost:5000/vmctl/test-guest:v1",
    )
    @backend_command
    def import_(
        name: Annotated[str, typer.Argument(help="Volume (claim) name.", show_default=False)],
        source: Annotated[str, typer.Option("--from", help="File path, http(s) URL or docker://IMAGE.", show_default=False)],
        size: Annotated[str | None, typer.Option("--size", help="Grow the volume to this capacity.")] = None,
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        want = _parse_size(size) if size else None
        vol = _volumes(flags).import_image(namespace or "default", name, source, size=want, download=_download)
        typer.echo(f"volume/{vol.name} imported ({_human(vol.virtual_size)}, from {source})")

    @sub.command("list", help="List named volumes.\n\nExample: vmctl volume list\n\nExample: vmctl volume list -A -o json")
    @backend_command
    def list_(
        namespace: Namespace = None,
        all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Volumes of every namespace.")] = False,
        output: OptOutput = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        from vmctl.cli.output import emit
        from vmctl.cli.resources import table

        rows = _volumes(flags).list(None if all_namespaces else (namespace or "default"))
        if output is not None:
            emit([_as_object(v, users) for v, users in rows], output, as_list=True)
            return
        if not rows:
            where = "any namespace" if all_namespaces else f"{namespace or 'default'} namespace"
            typer.echo(f"No volumes found in {where}.", err=True)
            return
        head = ["NAMESPACE"] if all_namespaces else []
        cells = [[*head, "NAME", "SIZE", "FORMAT", "USED", "USED-BY"]]
        for v, users in rows:
            cells.append([*([v.namespace] if all_namespaces else []), v.name, _human(v.virtual_size), v.format,
                          _human(v.actual_size), ",".join(users) or "<none>"])
        sys.stdout.write(table(cells))

    @sub.command("delete", help="Delete a named volume (refused while a VMI uses it).\n\nExample: vmctl volume delete data1")
    @backend_command
    def delete(
        name: Annotated[str, typer.Argument(help="Volume (claim) name.", show_default=False)],
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        _volumes(flags).delete(namespace or "default", name)
        typer.echo(f'persistentvolumeclaim "{name}" deleted')

