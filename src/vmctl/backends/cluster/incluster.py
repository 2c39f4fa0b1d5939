"""Whether vmctl runs inside a pod with a service account.

Its own module because the backend choice asks on every command without a kubeconfig: it must not import the
kubeconfig machinery (logging, the official client) for a local one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def in_cluster_available(environ: Mapping[str, str], sa_dir: Path | None = None) -> bool:
    """Inside a pod: the service's address in the environment and the service account's token mounted."""
    return bool(
        environ.get("KUBERNETES_SERVICE_HOST")
        and environ.get("KUBERNETES_SERVICE_PORT")
        and ((sa_dir or SA_DIR) / "token").is_file()
    )
