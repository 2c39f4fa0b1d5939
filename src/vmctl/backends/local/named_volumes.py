"""Named volumes of a local host (``vmctl volume``): create, import, list with their users, delete."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from vmctl.backends.base import Reporter
from vmctl.backends.local.volumes import (
    NamedVolume,
    claims_of,
    create_volume,
    delete_volume,
    import_volume,
    list_volumes,
    volume_path,
)
from vmctl.errors import InputError, NotFoundError, VmctlError


class LocalVolumes:
    """``NamedVolumes`` under ``<state-dir>/volumes/<namespace>/``."""

    def __init__(self, state_dir: Path, reporter: Reporter) -> None:
        self.state_dir = state_dir
        self.reporter = reporter

    def create(self, namespace: str, name: str, size: int) -> NamedVolume:
        return create_volume(self.state_dir, namespace, name, size)

    def import_image(self, namespace: str, name: str, source: str, *, size: int | None,
                     download: Callable[[str, Path], None]) -> NamedVolume:
        target = volume_path(self.state_dir, namespace, name)
        if target.exists():
            raise VmctlError(f'persistentvolumeclaims "{name}" already exists')
        if source.startswith(("http://", "https://")):
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as tmp:
                file = Path(tmp) / "image"
                download(source, file)
                return import_volume(self.state_dir, namespace, name, file, size=size)
        if source.startswith("docker://"):
            from vmctl.backends.local.images import ImageCache

            image = ImageCache(self.state_dir, progress=self.reporter.progress).pull(source.removeprefix("docker://"), volume=name)
            return import_volume(self.state_dir, namespace, name, image.disk(None, volume=name), size=size)
        if "://" in source:
            raise InputError(f"--from {source}: unsupported URL scheme (use a file path, http(s):// or docker://)")
        file = Path(source)
        if not file.is_file():
            raise InputError(f"--from {source}: no such file")
        return import_volume(self.state_dir, namespace, name, file, size=size)

    def list(self, namespace: str | None) -> list[tuple[NamedVolume, list[str]]]:
        vols = list_volumes(self.state_dir, namespace)
        return [(v, self._users(v.namespace, v.name)) for v in vols]

    def delete(self, namespace: str, name: str) -> None:
        if not volume_path(self.state_dir, namespace, name).is_file():
            raise NotFoundError(f'persistentvolumeclaims "{name}" not found')
        running = [u for u in self._users(namespace, name) if u.startswith("vmi/")]
        if running:
            raise VmctlError(
                f"volume {name} is in use by {', '.join(running)}", hint="stop the VM first (vmctl stop NAME)"
            )
        delete_volume(self.state_dir, namespace, name)

    def _users(self, namespace: str, name: str) -> list[str]:
        """``vm/NAME`` and ``vmi/NAME`` entries of the local store that use the volume."""
        if not (self.state_dir / "state.db").is_file():
            return []
        from vmctl.backends.local.store import Store

        store = Store(self.state_dir)
        try:
            out = []
            for kind, short in (("VirtualMachineInstance", "vmi"), ("VirtualMachine", "vm")):
                for obj in store.list(kind, namespace):
                    if name in claims_of(obj):
                        out.append(f"{short}/{obj['metadata']['name']}")
            return out
        finally:
            store.close()
