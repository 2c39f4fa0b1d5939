"""Where the local backend's resolution finds instancetypes, preferences and presets: objects stored in the
state folder first, then the catalogs."""

from __future__ import annotations

from typing import Any

from vmctl.backends.local.store import Store
from vmctl.core import kinds
from vmctl.core.fields import dig

Obj = dict[str, Any]


class StoreSource:
    """``ObjectSource`` over the SQLite store, falling back to the catalogs (loaded on first use)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._catalog: Any = None

    @property
    def catalog(self) -> Any:
        if self._catalog is None:
            from vmctl.catalog import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    def _find(self, kind: str, name: str, namespace: str, method: str) -> Obj:
        obj = self.store.get(kind, namespace, name)
        if obj is not None:
            return obj
        return getattr(self.catalog, method)(name, kind, namespace)

    def find_instancetype(self, name: str, kind: str, namespace: str) -> Obj:
        return self._find(kind, name, namespace, "find_instancetype")

    def find_preference(self, name: str, kind: str, namespace: str) -> Obj:
        return self._find(kind, name, namespace, "find_preference")

    def presets(self, namespace: str) -> list[Obj]:
        stored = {p["metadata"]["name"]: p for p in self.store.list(kinds.PRESET.kind, namespace)}
        try:
            extra = self.catalog.presets(namespace)
        except Exception:  # noqa: BLE001 - a catalog problem must not hide stored presets
            extra = []
        for preset in extra:
            stored.setdefault(dig(preset, "metadata", "name"), preset)
        return [stored[k] for k in sorted(stored)]
