"""The KubeVirt cluster backend: ``ClusterBackend`` (``backend.py``) over a small library.

``kubeconfig``, ``connection``, ``errors``, ``resources``, ``objects``, ``scale``, ``lifecycle``, ``events``,
``streams`` (docs/cluster-backend.md). This package's ``__init__`` stays free of ``kubernetes`` imports: the CLI
imports it without paying for the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vmctl.backends.cluster.backend import ClusterBackend


def open_backend(
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    impersonate: str | None = None,
    request_timeout: str | None = None,
    reporter: Any = None,
) -> ClusterBackend:
    """A ``ClusterBackend`` for the kubeconfig (kubectl's rules; ``request_timeout`` as kubectl's
    ``--request-timeout`` reads it); nothing is sent to the server yet."""
    from vmctl.backends.cluster.backend import ClusterBackend
    from vmctl.backends.cluster.connection import connect, parse_request_timeout

    conn = connect(
        kubeconfig, context, namespace, request_timeout=parse_request_timeout(request_timeout),
        impersonate=impersonate,
    )
    return ClusterBackend(conn, reporter=reporter)
