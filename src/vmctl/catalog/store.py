"""The Catalog: a layered, lazily read lookup of instancetypes, preferences and presets."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from vmctl.core import kinds
from vmctl.core.fields import clone
from vmctl.core.matchers import is_cluster_kind
from vmctl.errors import InputError, NotFoundError

Obj = dict[str, Any]
#: (kind, namespace or None, name); None namespace: cluster-scoped, or a namespaced object without a namespace
Key = tuple[str, str | None, str]

def _key(obj: Obj) -> Key:
    kind = kinds.BY_KIND[obj["kind"]]
    meta = obj["metadata"]
    namespace = meta.get("namespace") if kind.namespaced else None
    return obj["kind"], (namespace if isinstance(namespace, str) and namespace else None), meta["name"]


class Layer:
    """One source of objects (input documents, a folder, the bundled catalog), read on first use."""

    def __init__(self, label: str, read: Callable[[], list[Obj]]) -> None:
        self.label = label
        self._read = read
        self._index: dict[Key, Obj] | None = None

    @property
    def index(self) -> dict[Key, Obj]:
        if self._index is None:
            index: dict[Key, Obj] = {}
            for obj in self._read():
                index.setdefault(_key(obj), obj)  # the first of duplicates within one source wins
            self._index = index
        return self._index


class Catalog:
    """Implements ``vmctl.core.api.ObjectSource``; the first layer holding an object wins."""

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers = list(layers)

    # --- lookups ----------------------------------------------------------------------------------
    def lookup(self, kind: kinds.Kind, name: str, namespace: str | None = "default") -> tuple[Obj, str] | None:
        """The object and the label of its layer, or None. Namespaced objects without a namespace match any."""
        keys: list[Key] = [(kind.kind, None, name)]
        if kind.namespaced and namespace:
            keys.insert(0, (kind.kind, namespace, name))
        for layer in self.layers:
            for key in keys:
                obj = layer.index.get(key)
                if obj is not None:
                    return obj, layer.label
        return None

    def find(self, kind: kinds.Kind, name: str, namespace: str | None = "default") -> Obj:
        """A copy of the object, or ``NotFoundError`` with the Kubernetes text and a did-you-mean hint."""
        found = self.lookup(kind, name, namespace)
        if found is None:
            raise NotFoundError(f'{kind.resource} "{name}" not found', hint=self._hint(kind, name, namespace))
        return clone(found[0])

    def find_instancetype(self, name: str, kind: str, namespace: str) -> Obj:
        cluster = is_cluster_kind(kind, "instancetype")
        return self.find(kinds.CLUSTER_INSTANCETYPE if cluster else kinds.INSTANCETYPE, name, namespace)

    def find_preference(self, name: str, kind: str, namespace: str) -> Obj:
        cluster = is_cluster_kind(kind, "preference")
        return self.find(kinds.CLUSTER_PREFERENCE if cluster else kinds.PREFERENCE, name, namespace)

    # --- listings ---------------------------------------------------------------------------------
    def entries(self, kind: kinds.Kind, namespace: str | None = None) -> list[tuple[Obj, str]]:
        """Visible objects of one kind with their layer label, sorted by (name, namespace).

        ``namespace`` None lists every namespace; otherwise namespaced objects of that namespace plus the
        ones without a namespace.
        """
        seen: dict[tuple[str | None, str], tuple[Obj, str]] = {}
        for layer in self.layers:
            for (obj_kind, obj_ns, name), obj in layer.index.items():
                if obj_kind != kind.kind:
                    continue
                if kind.namespaced and namespace is not None and obj_ns not in (None, namespace):
                    continue
                slot = (obj_ns if namespace is None else None, name)
                seen.setdefault(slot, (obj, layer.label))
        return [seen[k] for k in sorted(seen, key=lambda k: (k[1], k[0] or ""))]

    def list(self, kind: kinds.Kind, namespace: str | None = None) -> list[Obj]:
        return [clone(obj) for obj, _ in self.entries(kind, namespace)]

    def instancetypes(self) -> list[Obj]:
        """Every visible instancetype, namespaced and cluster-scoped, sorted by name."""
        objs = self.list(kinds.INSTANCETYPE) + self.list(kinds.CLUSTER_INSTANCETYPE)
        return sorted(objs, key=lambda o: o["metadata"]["name"])

    def preferences(self) -> list[Obj]:
        """Every visible preference, namespaced and cluster-scoped, sorted by name."""
        objs = self.list(kinds.PREFERENCE) + self.list(kinds.CLUSTER_PREFERENCE)
        return sorted(objs, key=lambda o: o["metadata"]["name"])

    def presets(self, namespace: str) -> list[Obj]:
        """The VirtualMachineInstancePresets of a namespace (plus those without one), sorted by name."""
        return self.list(kinds.PRESET, namespace)

    # --- hints ------------------------------------------------------------------------------------
    def _hint(self, kind: kinds.Kind, name: str, namespace: str | None) -> str | None:
        twin = _TWINS.get(kind.kind)
        if twin is not None and self.lookup(twin, name, namespace) is not None:
            where = f' in namespace "{namespace}"' if twin.namespaced else ""
            return f'a {twin.kind} named "{name}" exists{where}; did you mean kind: {twin.kind}?'
        import difflib

        names = [obj["metadata"]["name"] for obj, _ in self.entries(kind, namespace if kind.namespaced else None)]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        if close:
            return "did you mean " + " or ".join(f'"{c}"' for c in close) + "?"
        if names:
            return f"'vmctl get {kind.plural}' lists the {len(names)} available"
        return None


_TWINS = {
    kinds.INSTANCETYPE.kind: kinds.CLUSTER_INSTANCETYPE,
    kinds.CLUSTER_INSTANCETYPE.kind: kinds.INSTANCETYPE,
    kinds.PREFERENCE.kind: kinds.CLUSTER_PREFERENCE,
    kinds.CLUSTER_PREFERENCE.kind: kinds.PREFERENCE,
}


def _env_dirs() -> list[Path]:
    from vmctl.settings import env_dirs

    return env_dirs("VMCTL_CATALOG_PATH")


def _folder_layer(path: Path, *, required: bool) -> Layer | None:
    if not path.exists():
        if required:
            raise InputError(f"--catalog {path}: no such file or directory")
        return None
    from vmctl.catalog.sources import read_path

    return Layer(str(path), lambda: read_path(path))


def load_catalog(documents: Iterable[Any] = (), extra_dirs: Iterable[Path] | None = None) -> Catalog:
    """The catalog seen by a command: ``documents`` first, then ``extra_dirs`` (``--catalog``, in order),
    ``VMCTL_CATALOG_PATH``, ``~/.config/vmctl/catalog/`` and the bundled catalog. Folders are read lazily.
    """
    from vmctl import paths
    from vmctl.catalog.sources import catalog_objects, read_bundled

    docs = [d.obj if hasattr(d, "obj") and not isinstance(d, dict) else d for d in documents]
    layers = [Layer("input", lambda: catalog_objects(docs))]
    for path in extra_dirs or ():
        layer = _folder_layer(Path(path), required=True)
        if layer is not None:
            layers.append(layer)
    for path in (*_env_dirs(), paths.config_home() / "catalog"):
        layer = _folder_layer(path, required=False)
        if layer is not None:
            layers.append(layer)
    bundled = paths.bundled("instancetypes")
    layers.append(Layer("bundled", lambda: read_bundled(bundled)))
    return Catalog(layers)


def input_catalog(documents: Iterable[Any]) -> Catalog:
    """A catalog of the input documents alone."""
    from vmctl.catalog.sources import catalog_objects

    docs = [d.obj if hasattr(d, "obj") and not isinstance(d, dict) else d for d in documents]
    return Catalog([Layer("input", lambda: catalog_objects(docs))])


class Chained:
    """``ObjectSource``: ``first`` (e.g. the input documents), then ``then`` (e.g. a cluster, read-only)."""

    def __init__(self, first: Any, then: Any) -> None:
        self.first = first
        self.then = then

    def find_instancetype(self, name: str, kind: str, namespace: str) -> Obj:
        try:
            return self.first.find_instancetype(name, kind, namespace)  # type: ignore[no-any-return]
        except NotFoundError:
            return self.then.find_instancetype(name, kind, namespace)  # type: ignore[no-any-return]

    def find_preference(self, name: str, kind: str, namespace: str) -> Obj:
        try:
            return self.first.find_preference(name, kind, namespace)  # type: ignore[no-any-return]
        except NotFoundError:
            return self.then.find_preference(name, kind, namespace)  # type: ignore[no-any-return]

    def presets(self, namespace: str) -> list[Obj]:
        mine = {p["metadata"]["name"]: p for p in self.first.presets(namespace)}
        for preset in self.then.presets(namespace):
            mine.setdefault(preset["metadata"]["name"], preset)
        return [mine[k] for k in sorted(mine)]
