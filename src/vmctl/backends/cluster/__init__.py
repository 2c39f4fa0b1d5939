"""The KubeVirt cluster backend (comes in a later vmctl version).

Its library is here already (docs/cluster-backend.md): ``kubeconfig``, ``connection``, ``errors``,
``resources``, ``objects``, ``scale``, ``lifecycle``, ``events``, ``streams``. This package's ``__init__`` stays free of
``kubernetes`` imports: the CLI imports it to learn that the backend is not available yet.
"""

from __future__ import annotations

from typing import Any

from vmctl.errors import VmctlError

UNAVAILABLE = "the cluster backend is not available in this vmctl version; use --backend local"


def open_backend(**_: Any) -> Any:
    """Raise: this version has only the local backend."""
    raise VmctlError(UNAVAILABLE)
