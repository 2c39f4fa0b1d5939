"""`import kubernetes` stays out of start-up: neither the CLI nor the cluster library modules import it
eagerly."""

from __future__ import annotations

import subprocess
import sys


def test_cli_and_cluster_modules_import_without_kubernetes() -> None:
    code = (
        "import sys\n"
        "import vmctl.cli.main\n"
        "from vmctl.backends.cluster import connection, errors, events, kubeconfig, lifecycle\n"
        "from vmctl.backends.cluster import objects, resources, scale, streams\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m in ('kubernetes', 'urllib3', 'websocket') or m.startswith('kubernetes.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
