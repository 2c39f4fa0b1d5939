"""vmctl's cluster backend against ``/usr/bin/kubectl`` doing the same, on the test API server, same run.

    .venv/bin/python bench/cluster.py [--runs N] [--vms N]

Starts kube-apiserver + etcd exactly as the cluster tests do (``tests/cluster/testserver.py``, the CRDs and the
admin client of ``tests/cluster/conftest.py``), then times, alternating which tool goes first on each round:

* ``get vms`` with N VMs (``vmctl get vms`` / ``kubectl get vms``);
* ``scale`` of a pool (``vmctl scale pool web --replicas R`` / ``kubectl scale virtualmachinepool web ...``);
* ``apply -f`` of N VMs (server-side apply both: ``vmctl apply -f`` / ``kubectl apply --server-side``).

Each run is a fresh process (``time.perf_counter`` around ``subprocess.run``); bytecode is compiled first and
the commands run without PYTHONDONTWRITEBYTECODE, as an installed vmctl would. Prints medians and the ratio
vmctl/kubectl next to the goal (≤ 1.0×), then the floor a Python client cannot go under: the median of a bare
interpreter, of importing the CLI framework (typer) and the official client's transport (urllib3), and what
``import kubernetes`` as a whole would cost (vmctl imports only the client parts it uses:
``backends/cluster/official_client.py``). Figures, not tests: no assertions. Without the API server binary
(``make setup-cluster``), etcd or kubectl it prints one ``skipped:`` line.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "cluster"))
KUBECTL = Path(os.environ.get("VMCTL_KUBECTL", "/usr/bin/kubectl"))
NAMESPACE = "bench"
GOAL = 1.0
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: vm-{i}
  labels: {{app: bench}}
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices: {{}}
        memory: {{guest: 128Mi}}
"""

POOL = """apiVersion: pool.kubevirt.io/v1beta1
kind: VirtualMachinePool
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  virtualMachineTemplate:
    metadata:
      labels: {app: web}
    spec:
      runStrategy: Halted
      template:
        spec:
          domain:
            devices: {}
            memory: {guest: 128Mi}
"""


def vmctl_argv() -> list[str]:
    script = Path(sys.executable).parent / "vmctl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "vmctl"]


def timed(argv: list[str], stdin: str | None = None) -> float:
    """Seconds one process takes; a failure stops the benchmark with its stderr."""
    started = time.perf_counter()
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=300, env=ENV)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"error: {' '.join(argv[:3])} ... failed ({proc.returncode}): {proc.stderr.strip()}")
    return took


def alternate(runs: int, a: Callable[[int], float], b: Callable[[int], float]) -> tuple[list[float], list[float]]:
    """``runs`` rounds of a and b (after one warm-up each), the order swapped every round."""
    a(-1), b(-1)
    ta: list[float] = []
    tb: list[float] = []
    for n in range(runs):
        if n % 2:
            tb.append(b(n))
            ta.append(a(n))
        else:
            ta.append(a(n))
            tb.append(b(n))
    return ta, tb


def report(what: str, ta: list[float], tb: list[float]) -> float:
    ma, mb = statistics.median(ta), statistics.median(tb)
    ratio = ma / mb
    mark = "ok" if ratio <= GOAL else "over"
    print(f"{what:<28} vmctl {ma * 1000:7.1f} ms   kubectl {mb * 1000:7.1f} ms   "
          f"ratio {ratio:4.2f}x (goal <= {GOAL:.1f}x: {mark})")
    return ma


def floor(runs: int, vmctl_ms: float) -> None:
    """What a Python client pays before its first request, next to vmctl's ``get vms`` median."""
    py = sys.executable
    parts = [
        ("python -c pass", [py, "-c", "pass"]),
        ("python: import typer", [py, "-c", "import typer"]),
        ("python: typer + urllib3", [py, "-c", "import typer, urllib3"]),
        ("python: import kubernetes", [py, "-c", "import kubernetes"]),
        ("vmctl version", [*vmctl_argv(), "version"]),
    ]
    for what, argv in parts:
        ms = statistics.median(timed(argv) for _ in range(runs)) * 1000
        print(f"{what:<28} {ms:7.1f} ms = {100 * ms / vmctl_ms:5.1f} % of vmctl's get-vms median ({vmctl_ms:.1f} ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--vms", type=int, default=100)
    args = parser.parse_args()

    import testserver

    compileall.compile_dir(str(REPO / "src"), quiet=1)

    binary, etcd = testserver.find_apiserver(), testserver.find_etcd()
    if binary is None or etcd is None or not os.access(KUBECTL, os.X_OK):
        missing = "kube-apiserver (make setup-cluster)" if binary is None else "etcd" if etcd is None else KUBECTL
        print(f"skipped: {missing} not found")
        return 0
    from conftest import Admin  # the cluster tests' admin client: CRDs and raw requests

    with tempfile.TemporaryDirectory(prefix="vmctl-bench-") as tmp:
        server = testserver.TestServer.start(Path(tmp), binary, etcd)
        try:
            admin = Admin(server)
            admin.install_crds()
            admin.create("/api/v1/namespaces",
                         {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
            flags = ["--kubeconfig", str(server.kubeconfig), "--context", "admin", "-n", NAMESPACE]
            vm_cli = [*vmctl_argv()]
            kc = [str(KUBECTL)]
            manifest = Path(tmp) / "vms.yaml"
            manifest.write_text("---\n".join(VM.format(i=i) for i in range(args.vms)))
            pool = Path(tmp) / "pool.yaml"
            pool.write_text(POOL)

            print(f"{args.runs} alternating runs each, {args.vms} VMs; medians")
            apply_vmctl = [*vm_cli, "apply", "-f", str(manifest), "--backend", "cluster", *flags]
            apply_kubectl = [*kc, "apply", "--server-side", "--validate=false", "-f", str(manifest), *flags]
            timed(apply_vmctl)  # the VMs exist from here on
            ta, tb = alternate(args.runs, lambda n: timed(apply_vmctl), lambda n: timed(apply_kubectl))
            report(f"apply -f ({args.vms} VMs)", ta, tb)

            get_vmctl = [*vm_cli, "get", "vms", "--backend", "cluster", *flags]
            get_kubectl = [*kc, "get", "vms", *flags]
            ta, tb = alternate(args.runs, lambda n: timed(get_vmctl), lambda n: timed(get_kubectl))
            get_ms = report(f"get vms ({args.vms} VMs)", ta, tb) * 1000

            timed([*vm_cli, "apply", "-f", str(pool), "--backend", "cluster", *flags])
            ta, tb = alternate(
                args.runs,
                lambda n: timed([*vm_cli, "scale", "pool", "web", "--replicas", str(2 + n % 3), "--backend",
                                 "cluster", *flags]),
                lambda n: timed([*kc, "scale", "virtualmachinepool", "web", "--replicas", str(2 + n % 3), *flags]),
            )
            report("scale pool", ta, tb)
            floor(args.runs, get_ms)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
