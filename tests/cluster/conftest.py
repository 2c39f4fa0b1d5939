"""Session fixtures for the cluster tests: a real kube-apiserver + etcd on loopback with KubeVirt's CRDs.

Prerequisite (``make setup-cluster`` runs it): ``bash tests/cluster/build_apiserver.sh`` — builds
kube-apiserver from Debian's source package once and caches it. Tests skip with a visible reason only when the
binary (or etcd) is absent. The server is started once per session and stopped at the end (exactly the PIDs
started).
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import testserver  # beside this file: pytest puts tests/cluster on sys.path (no __init__.py)

HERE = Path(__file__).resolve().parent
KUBECTL = Path(os.environ.get("VMCTL_KUBECTL", "/usr/bin/kubectl"))


class Admin:
    """Raw HTTPS calls as the admin client certificate (test set-up; independent of the code under test)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        pki = server.workdir / "pki"
        self.ctx: ssl.SSLContext = server.ssl_context((pki / "admin.crt", pki / "admin.key"))

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        ok: tuple[int, ...] = (200, 201, 202),
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.server.url + path,
            data=data,
            method=method,
            headers={"Content-Type": content_type, "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:  # the aggregator's plain-text errors
            parsed = raw.decode("utf-8", "replace")
        if status not in ok:
            raise AssertionError(f"{method} {path}: {status} {parsed}")
        return status, parsed

    def create(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body, ok=(200, 201, 409))[1]

    def install_crds(self, timeout: float = 60) -> None:
        names = []
        for crd in testserver.crd_documents():
            self.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
            names.append(crd["metadata"]["name"])
        deadline = time.monotonic() + timeout
        for name in names:
            while True:
                _, crd = self.request(
                    "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
                )
                conds = {c["type"]: c["status"] for c in (crd.get("status") or {}).get("conditions") or []}
                if conds.get("Established") == "True":
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"CRD {name} not Established after {timeout} s: {conds}")
                time.sleep(0.1)
        # discovery lags Established by a moment: wait until every group/version is served
        for crd in testserver.crd_documents():
            group = crd["spec"]["group"]
            for version in crd["spec"]["versions"]:
                path = f"/apis/{group}/{version['name']}"
                while True:
                    status, doc = self.request("GET", path, ok=(200, 404, 503))
                    plurals = {r.get("name") for r in (doc or {}).get("resources") or []}
                    if status == 200 and crd["spec"]["names"]["plural"] in plurals:
                        break
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{path} does not serve {crd['spec']['names']['plural']}")
                    time.sleep(0.1)

    def bind_cluster_role(
        self, name: str, role: str, *, group: str | None = None, user: str | None = None
    ) -> None:
        subject = {"kind": "Group", "name": group} if group else {"kind": "User", "name": user}
        subject["apiGroup"] = "rbac.authorization.k8s.io"
        self.create(
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [subject],
            },
        )

    def grant(self, namespace: str, user: str, rules: list[dict[str, Any]], name: str = "vmctl-test") -> None:
        """A Role with ``rules`` in ``namespace`` bound to ``user``."""
        base = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"
        self.create(
            f"{base}/roles",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": name},
                "rules": rules,
            },
        )
        self.create(
            f"{base}/rolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}],
            },
        )


@pytest.fixture(scope="session")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The running test server (``.url``, ``.kubeconfig``, ``.token``, ``.admin``)."""
    binary = testserver.find_apiserver()
    if binary is None:
        pytest.skip(
            f"kube-apiserver not built (looked in {testserver.CACHE}); run `make setup-cluster` "
            "(bash tests/cluster/build_apiserver.sh)"
        )
    etcd = testserver.find_etcd()
    if etcd is None:
        pytest.skip("etcd not installed (apt-get install etcd-server); run `make setup-cluster`")
    server = testserver.TestServer.start(tmp_path_factory.mktemp("apiserver"), binary, etcd)
    try:
        admin = Admin(server)
        admin.install_crds()
        admin.bind_cluster_role("vmctl-token-users", "cluster-admin", group="vmctl-token-users")
        server.admin = admin
        yield server
    finally:
        server.stop()


@pytest.fixture
def cli(apiserver: Any, namespace: str, vmctl: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """``cli(*args)``: ``vmctl ARGS --backend cluster -n NAMESPACE`` with the test server's kubeconfig."""
    monkeypatch.setenv("KUBECONFIG", str(apiserver.kubeconfig))

    def run(*args: str) -> tuple[int, str, str]:
        return vmctl(*args, "--backend", "cluster", "-n", namespace)

    run.tmp = tmp_path  # type: ignore[attr-defined]
    return run


_ns_counter = itertools.count()


@pytest.fixture
def namespace(apiserver: Any) -> Iterator[str]:
    """A fresh namespace for one test (deleted afterwards, without waiting)."""
    name = f"t{next(_ns_counter)}-{secrets.token_hex(3)}"
    apiserver.admin.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    yield name
    apiserver.admin.request("DELETE", f"/api/v1/namespaces/{name}", ok=(200, 202, 404))


@pytest.fixture
def context_kubeconfig(apiserver: Any, namespace: str, tmp_path: Path) -> Path:
    """A copy of the test kubeconfig whose contexts name the test's namespace (as ``kubectl config set-context
    --namespace`` would)."""
    import yaml

    config = yaml.safe_load(apiserver.kubeconfig.read_text())
    for ctx in config["contexts"]:
        ctx["context"]["namespace"] = namespace
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


@pytest.fixture
def conn(apiserver: Any, namespace: str) -> Iterator[Any]:
    """A vmctl connection as the admin user, defaulting to the test's namespace."""
    from vmctl.backends.cluster.connection import connect

    c = connect(apiserver.kubeconfig, "admin", namespace, environ={})
    yield c
    c.close()


Kubectl = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def kubectl(apiserver: Any) -> Kubectl:
    """Run the machine's real kubectl against the test server (``--validate=false`` where it applies)."""
    if not os.access(KUBECTL, os.X_OK):
        pytest.skip(f"kubectl not found at {KUBECTL} (set VMCTL_KUBECTL)")

    def run(
        *args: str, context: str = "admin", check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(KUBECTL), "--kubeconfig", str(apiserver.kubeconfig), "--context", context, *args]
        proc = subprocess.run(argv, capture_output=True, text=True, input=stdin, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}"
            )
        return proc

    def server_side_apply(namespace: str, manifest: str) -> subprocess.CompletedProcess[str]:
        """``kubectl apply --server-side`` (field manager ``kubectl``) of a YAML text."""
        return run("apply", "--server-side", "--validate=false", "-n", namespace, "-f", "-", stdin=manifest)

    run.server_side_apply = server_side_apply  # type: ignore[attr-defined]
    return run


def register_api_service(
    admin: Admin, group: str, port: int, *, timeout: float = 60, available: bool = True
) -> None:
    """Route ``/apis/GROUP/v1`` to 127.0.0.1:port through the aggregator (ExternalName Service → localhost);
    wait until the aggregator reports it ``Available`` (or, for a backend that is down, not)."""
    svc = group.replace(".", "-")
    admin.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "vmctl-system"}}
    )
    admin.create(
        "/api/v1/namespaces/vmctl-system/services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": svc},
            "spec": {
                "type": "ExternalName",
                "externalName": "localhost",
                "ports": [{"port": port, "protocol": "TCP"}],
            },
        },
    )
    name = f"v1.{group}"
    admin.create(
        "/apis/apiregistration.k8s.io/v1/apiservices",
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": name},
            "spec": {
                "group": group,
                "version": "v1",
                "insecureSkipTLSVerify": True,
                "groupPriorityMinimum": 1000,
                "versionPriority": 15,
                "service": {"namespace": "vmctl-system", "name": svc, "port": port},
            },
        },
    )
    deadline = time.monotonic() + timeout
    while True:
        _, obj = admin.request("GET", f"/apis/apiregistration.k8s.io/v1/apiservices/{name}")
        conds = {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}
        if conds.get("Available", {}).get("status") == ("True" if available else "False"):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"APIService {name} not Available: {conds.get('Available')}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def virt_api(apiserver: Any) -> Iterator[Any]:
    """The recording virt-api stand-in, registered as ``v1.subresources.kubevirt.io``."""
    import virt_api_standin  # beside this file: pytest puts tests/cluster on sys.path (no __init__.py)

    pki = apiserver.workdir / "pki"
    cert = testserver.issue(
        pki,
        "virt-api",
        (pki / "ca.crt", pki / "ca.key"),
        "/CN=virt-api",
        server_sans="DNS:localhost,IP:127.0.0.1",
    )
    standin = virt_api_standin.VirtApiStandIn(cert[0], cert[1]).start()
    try:
        register_api_service(apiserver.admin, "subresources.kubevirt.io", standin.port)
        deadline = time.monotonic() + 30
        while (
            apiserver.admin.request("GET", "/apis/subresources.kubevirt.io/v1", ok=(200, 404, 503))[0] != 200
        ):
            if time.monotonic() > deadline:  # the proxy follows the APIService status a moment later
                raise AssertionError("/apis/subresources.kubevirt.io/v1 is not served through the aggregator")
            time.sleep(0.2)
        yield standin
    finally:
        standin.stop()


@pytest.fixture(scope="session")
def broken_api_group(apiserver: Any) -> str:
    """An aggregated API group whose backend is down: the real server answers 503 for it."""
    group = "broken.vmctl.test"
    register_api_service(apiserver.admin, group, testserver.free_port(), available=False)
    deadline = time.monotonic() + 30
    while (
        apiserver.admin.request("GET", f"/apis/{group}/v1/things", ok=(404, 503))[0] != 503
    ):  # proxy lags status
        if time.monotonic() > deadline:
            raise AssertionError(f"/apis/{group}/v1 never answered 503")
        time.sleep(0.2)
    return group


@pytest.fixture
def controller(apiserver: Any, namespace: str) -> Iterator[Any]:
    """The virt-controller stand-in looking after the test's namespace (VMIs per runStrategy, pool members,
    status writes), for this test only."""
    import controller_standin  # beside this file

    standin = controller_standin.ControllerStandIn(apiserver.admin, namespace).start()
    try:
        yield standin
    finally:
        standin.stop()
