"""Find instancetypes, preferences and presets: input documents, catalog folders, the bundled catalog.

Lookup order (first match wins): the input documents, ``--catalog`` folders (in order), the folders of
``VMCTL_CATALOG_PATH``, ``~/.config/vmctl/catalog/`` and the bundled ``instancetypes/`` catalog. Folders are
read only when a lookup reaches them.
"""

from __future__ import annotations

from vmctl.catalog.store import Catalog, is_cluster_kind, load_catalog

__all__ = ["Catalog", "is_cluster_kind", "load_catalog"]
