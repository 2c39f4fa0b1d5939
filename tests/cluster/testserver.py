"""A real kube-apiserver + etcd on loopback for the cluster tests (see docs/cluster-backend.md).

``TestServer.start(workdir)`` makes fresh certificates with the openssl CLI, starts etcd and kube-apiserver on
free 127.0.0.1 ports, waits for ``/readyz``, and writes a kubeconfig with three users:

- ``admin`` — client certificate in ``system:masters``;
- ``token-user`` — a static bearer token (``--token-auth-file``), bound to ``cluster-admin``;
- ``viewer`` — client certificate with no groups; tests grant it narrow RBAC roles to check 403s.

``stop()`` terminates exactly the two processes it started. The binaries: ``$VMCTL_KUBE_APISERVER`` or the
newest ``kube-apiserver-*`` in ``$VMCTL_CACHE`` (default /var/cache/vmctl), built by
``tests/cluster/build_apiserver.sh``; etcd from Debian's ``etcd-server``.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CACHE = Path(os.environ.get("VMCTL_CACHE", "/var/cache/vmctl"))
HERE = Path(__file__).resolve().parent
CRDS = HERE / "data" / "kubevirt-crds.yaml"


def find_apiserver() -> Path | None:
    """The kube-apiserver binary to use, or None."""
    env = os.environ.get("VMCTL_KUBE_APISERVER")
    if env:
        return Path(env) if os.access(env, os.X_OK) else None
    found = sorted(CACHE.glob("kube-apiserver-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    return next((p for p in found if os.access(p, os.X_OK) and not p.name.endswith(".tmp")), None)


def find_etcd() -> Path | None:
    path = os.environ.get("VMCTL_ETCD") or shutil.which("etcd") or "/usr/bin/etcd"
    return Path(path) if os.access(path, os.X_OK) else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, so a killed pytest leaves no servers behind."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# --- certificates ----------------------------------------------------------------------------------------
def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def _key(path: Path) -> Path:
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path)
    path.chmod(0o600)
    return path


def make_ca(d: Path, name: str) -> tuple[Path, Path]:
    key = _key(d / f"{name}.key")
    crt = d / f"{name}.crt"
    _openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        key,
        "-out",
        crt,
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    return crt, key


def issue(
    d: Path, name: str, ca: tuple[Path, Path], subject: str, *, server_sans: str | None = None
) -> tuple[Path, Path]:
    """A certificate signed by ``ca``: a server cert when ``server_sans`` is given, else a client cert."""
    key = _key(d / f"{name}.key")
    csr = d / f"{name}.csr"
    crt = d / f"{name}.crt"
    ext = d / f"{name}.ext"
    lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"]
    if server_sans:
        lines += ["extendedKeyUsage=serverAuth", f"subjectAltName={server_sans}"]
    else:
        lines += ["extendedKeyUsage=clientAuth"]
    ext.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _openssl("req", "-new", "-key", key, "-out", csr, "-subj", subject)
    _openssl(
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        ca[0],
        "-CAkey",
        ca[1],
        "-CAcreateserial",
        "-out",
        crt,
        "-days",
        "2",
        "-extfile",
        ext,
    )
    return crt, key


# --- the server --------------------------------------------------------------------------------------------
@dataclass
class TestServer:
    """A running etcd + kube-apiserver pair and the files a client needs."""

    workdir: Path
    url: str = ""
    kubeconfig: Path = Path()
    ca: Path = Path()
    token: str = ""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: dict[str, Path] = field(default_factory=dict)

    __test__ = False  # not a pytest test class

    @classmethod
    def start(cls, workdir: Path, apiserver: Path, etcd: Path, *, timeout: float = 90) -> TestServer:
        server = cls(workdir)
        try:
            server._start(apiserver, etcd, timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _start(self, apiserver: Path, etcd: Path, timeout: float) -> None:
        d = self.workdir
        pki = d / "pki"
        pki.mkdir(parents=True, exist_ok=True)
        ca = make_ca(pki, "ca")
        front_ca = make_ca(pki, "front-proxy-ca")
        sans = (
            "IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,"
            "DNS:kubernetes.default.svc.cluster.local"
        )
        serving = issue(pki, "apiserver", ca, "/CN=kube-apiserver", server_sans=sans)
        admin = issue(pki, "admin", ca, "/O=system:masters/CN=vmctl-admin")
        viewer = issue(pki, "viewer", ca, "/CN=viewer")
        proxy = issue(pki, "front-proxy-client", front_ca, "/CN=front-proxy-client")
        sa_key = _key(pki / "sa.key")
        self.ca = ca[0]
        self.token = secrets.token_urlsafe(32)
        tokens = pki / "tokens.csv"
        tokens.write_text(f'{self.token},token-user,token-user-uid,"vmctl-token-users"\n', encoding="utf-8")
        tokens.chmod(0o600)

        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        self.logs = {"etcd": d / "etcd.log", "apiserver": d / "apiserver.log"}
        self._spawn(
            "etcd",
            [
                str(etcd),
                "--name",
                "vmctl-test",
                "--data-dir",
                str(d / "etcd-data"),
                "--listen-client-urls",
                etcd_url,
                "--advertise-client-urls",
                etcd_url,
                "--listen-peer-urls",
                f"http://127.0.0.1:{peer_port}",
                "--initial-advertise-peer-urls",
                f"http://127.0.0.1:{peer_port}",
                "--initial-cluster",
                f"vmctl-test=http://127.0.0.1:{peer_port}",
                "--log-level",
                "warn",
                "--logger",
                "zap",
            ],
        )
        self.url = f"https://127.0.0.1:{api_port}"
        self._spawn(
            "apiserver",
            [
                str(apiserver),
                "--etcd-servers",
                etcd_url,
                "--bind-address",
                "127.0.0.1",
                "--advertise-address",
                "127.0.0.1",
                "--secure-port",
                str(api_port),
                "--insecure-port",
                "0",
                "--tls-cert-file",
                str(serving[0]),
                "--tls-private-key-file",
                str(serving[1]),
                "--client-ca-file",
                str(ca[0]),
                "--token-auth-file",
                str(tokens),
                "--service-account-key-file",
                str(sa_key),
                "--service-account-signing-key-file",
                str(sa_key),
                "--service-account-issuer",
                "https://kubernetes.default.svc.cluster.local",
                "--api-audiences",
                "https://kubernetes.default.svc.cluster.local",
                "--service-cluster-ip-range",
                "10.96.0.0/16",
                "--authorization-mode",
                "RBAC",
                "--disable-admission-plugins",
                "ServiceAccount",
                "--requestheader-client-ca-file",
                str(front_ca[0]),
                "--requestheader-allowed-names",
                "front-proxy-client",
                "--requestheader-username-headers",
                "X-Remote-User",
                "--requestheader-group-headers",
                "X-Remote-Group",
                "--requestheader-extra-headers-prefix",
                "X-Remote-Extra-",
                "--proxy-client-cert-file",
                str(proxy[0]),
                "--proxy-client-key-file",
                str(proxy[1]),
                "--v",
                "1",
            ],
        )
        self.kubeconfig = d / "kubeconfig"
        self.kubeconfig.write_text(yaml.safe_dump(self.kubeconfig_dict(admin, viewer)), encoding="utf-8")
        self.kubeconfig.chmod(0o600)
        self._wait_ready(admin, timeout)

    def kubeconfig_dict(self, admin: tuple[Path, Path], viewer: tuple[Path, Path]) -> dict[str, Any]:
        cluster = {"server": self.url, "certificate-authority": str(self.ca)}
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "admin",
            "clusters": [{"name": "test", "cluster": cluster}],
            "users": [
                {"name": "admin", "user": {"client-certificate": str(admin[0]), "client-key": str(admin[1])}},
                {"name": "token-user", "user": {"token": self.token}},
                {
                    "name": "viewer",
                    "user": {"client-certificate": str(viewer[0]), "client-key": str(viewer[1])},
                },
            ],
            "contexts": [
                {"name": "admin", "context": {"cluster": "test", "user": "admin"}},
                {"name": "token", "context": {"cluster": "test", "user": "token-user"}},
                {"name": "viewer", "context": {"cluster": "test", "user": "viewer"}},
            ],
        }

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = self.logs[name].open("wb")
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        self.procs.append(proc)

    def ssl_context(self, cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        if cert:
            ctx.load_cert_chain(str(cert[0]), str(cert[1]))
        return ctx

    def _wait_ready(self, admin: tuple[Path, Path], timeout: float) -> None:
        ctx = self.ssl_context(admin)
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for proc, name in zip(self.procs, ("etcd", "apiserver"), strict=False):
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}: {self.tail(name)}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", context=ctx, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.25)
        raise RuntimeError(f"kube-apiserver not ready after {timeout:g} s ({last}): {self.tail('apiserver')}")

    def tail(self, name: str, lines: int = 15) -> str:
        try:
            text = self.logs[name].read_text(encoding="utf-8", errors="replace")
        except (KeyError, OSError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the processes this object started (apiserver first), then wait for them."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.procs.clear()


def crd_documents() -> list[dict[str, Any]]:
    """The KubeVirt CRDs the tests install (``data/kubevirt-crds.yaml``)."""
    return [d for d in yaml.safe_load_all(CRDS.read_text(encoding="utf-8")) if d]


def to_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)
