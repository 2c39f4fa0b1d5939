"""Connections to the real test API server: every kind of user, and every failure as one clear line."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import testserver  # tests/cluster is on sys.path (see conftest.py)
import yaml

from vmctl.backends.cluster import errors
from vmctl.backends.cluster.connection import Connection, connect
from vmctl.backends.cluster.kubeconfig import load

pytestmark = pytest.mark.cluster


def variant(
    apiserver: Any,
    tmp_path: Path,
    *,
    user: dict[str, Any] | None = None,
    server: str | None = None,
    ca: str | None = None,
) -> Path:
    """A copy of the test kubeconfig whose admin context uses another user, server or CA."""
    cfg = yaml.safe_load(apiserver.kubeconfig.read_text())
    if user is not None:
        cfg["users"][0]["user"] = user
    if server is not None:
        cfg["clusters"][0]["cluster"]["server"] = server
    if ca is not None:
        cfg["clusters"][0]["cluster"]["certificate-authority"] = ca
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    return path


def whoami(conn: Connection) -> int:
    status, _ = conn.request("GET", "/api/v1/namespaces", query={"limit": 1})
    return status


def test_client_certificate_token_and_exec_users(apiserver: Any, tmp_path: Path) -> None:
    for context in ("admin", "token"):
        with connect(apiserver.kubeconfig, context, environ={}) as conn:
            assert whoami(conn) == 200
    plugin = tmp_path / "cred.py"
    plugin.write_text(
        "import json\nprint(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', "
        f"'kind': 'ExecCredential', 'status': {{'token': {apiserver.token!r}}}}}))\n"
    )
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(plugin)],
            "interactiveMode": "Never",
        }
    }
    with connect(variant(apiserver, tmp_path, user=user), environ={}) as conn:
        assert whoami(conn) == 200


def test_kubeconfig_env_list_and_namespace_default(apiserver: Any, tmp_path: Path) -> None:
    env = {"KUBECONFIG": f"{tmp_path / 'absent'}:{apiserver.kubeconfig}"}
    settings = load(environ=env)
    assert (settings.server, settings.context, settings.namespace) == (apiserver.url, "admin", "default")


def test_bad_token_is_401_in_one_line_without_the_token(
    apiserver: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "not-a-valid-token-0123456789abcdef"
    with (
        connect(variant(apiserver, tmp_path, user={"token": secret}), environ={}) as conn,
        pytest.raises(errors.Unauthorized) as exc,
    ):
        whoami(conn)
    assert exc.value.message == (
        f"unauthorized (401): the API server at {apiserver.url} did not accept "
        'user "admin" of context "admin"'
    )
    out, err = capfd.readouterr()
    assert secret not in exc.value.message + (exc.value.hint or "") + out + err


def test_rbac_403_quotes_who_what_where(apiserver: Any, namespace: str) -> None:
    with (
        connect(apiserver.kubeconfig, "viewer", namespace, environ={}) as conn,
        pytest.raises(errors.Forbidden) as exc,
    ):
        conn.request("GET", f"/api/v1/namespaces/{namespace}/configmaps")
    assert exc.value.message == (
        f'forbidden (403): configmaps is forbidden: User "viewer" cannot list resource '
        f'"configmaps" in API group "" in the namespace "{namespace}"'
    )


def test_connection_refused(apiserver: Any, tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{testserver.free_port()}"  # free a moment ago: nobody listens
    with (
        connect(variant(apiserver, tmp_path, server=url), environ={}) as conn,
        pytest.raises(errors.Unreachable) as exc,
    ):
        whoami(conn)
    assert exc.value.message == f"cannot reach the API server at {url}: connection refused"


def test_wrong_certificate_authority(apiserver: Any, tmp_path: Path) -> None:
    other_ca = str(apiserver.workdir / "pki" / "front-proxy-ca.crt")
    with (
        connect(variant(apiserver, tmp_path, ca=other_ca), environ={}) as conn,
        pytest.raises(errors.Unreachable) as exc,
    ):
        whoami(conn)
    assert exc.value.message.startswith(
        f"cannot reach the API server at {apiserver.url}: TLS: certificate verify failed"
    )
    assert "\n" not in exc.value.message


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A loopback port that accepts connections and never answers (a hung server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield sock.getsockname()[1]
    stop.set()
    t.join()
    for s in held:
        s.close()
    sock.close()


def test_timeout(apiserver: Any, tmp_path: Path, silent_listener: int) -> None:
    url = f"https://127.0.0.1:{silent_listener}"
    with (
        connect(variant(apiserver, tmp_path, server=url), request_timeout=0.5, environ={}) as conn,
        pytest.raises(errors.Unreachable) as exc,
    ):
        whoami(conn)
    assert exc.value.message == f"timeout: the API server at {url} did not answer within 0.5 s"


def test_503_is_retried_a_bounded_number_of_times(apiserver: Any, broken_api_group: str) -> None:
    naps: list[float] = []
    settings = load(apiserver.kubeconfig, "admin", environ={})
    with (
        Connection(settings, retries=2, sleep=naps.append) as conn,
        pytest.raises(errors.ClusterError) as exc,
    ):
        conn.request("GET", f"/apis/{broken_api_group}/v1/things")
    assert exc.value.status == 503
    assert len(naps) == 2 and all(0 < n <= 5 for n in naps)
    assert exc.value.message.startswith(f"server error (503): the API server at {apiserver.url} failed")
    assert "\n" not in exc.value.message


def test_impersonation_header(apiserver: Any, namespace: str) -> None:
    with (
        connect(apiserver.kubeconfig, "admin", namespace, impersonate="viewer", environ={}) as conn,
        pytest.raises(errors.Forbidden, match='User "viewer" cannot list'),
    ):
        conn.request("GET", f"/api/v1/namespaces/{namespace}/configmaps")


def test_json_bodies_round_trip(conn: Connection, namespace: str) -> None:
    status, cm = conn.request(
        "POST",
        f"/api/v1/namespaces/{namespace}/configmaps",
        body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v ünïcode"}},
    )
    assert status == 201 and cm["data"] == {"k": "v ünïcode"}
    assert json.loads(json.dumps(cm))["metadata"]["namespace"] == namespace


def test_in_cluster_service_account(apiserver: Any, tmp_path: Path, namespace: str) -> None:
    """Inside a pod: the mounted token, CA and namespace, and the service host/port from the environment."""
    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    (sa / "token").write_text(apiserver.token)
    (sa / "ca.crt").write_bytes(apiserver.ca.read_bytes())
    (sa / "namespace").write_text(namespace)
    host, port = apiserver.url.removeprefix("https://").split(":")
    env = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
    with Connection(load(environ=env, sa_dir=sa)) as conn:
        assert conn.namespace == namespace and conn.server == apiserver.url
        assert conn.request("GET", f"/api/v1/namespaces/{namespace}")[1]["metadata"]["name"] == namespace


def test_writes_are_retried_only_when_nothing_was_done(apiserver: Any, broken_api_group: str) -> None:
    naps: list[float] = []
    settings = load(apiserver.kubeconfig, "admin", environ={})
    with (
        Connection(settings, retries=2, sleep=naps.append) as conn,
        pytest.raises(errors.ClusterError) as exc,
    ):
        conn.request("PUT", f"/apis/{broken_api_group}/v1/things/x", body={})
    assert exc.value.status == 503 and len(naps) == 2  # 503: the aggregator never reached a backend
