"""One authenticated connection to a Kubernetes API server, through the official ``kubernetes`` client.

``connect()`` reads the kubeconfig (``kubeconfig.py``); ``Connection.request()`` sends one request with the
client's authentication and TLS settings, retries 429 and 5xx answers a bounded number of times (honouring
``Retry-After``), and turns every failure into one clear vmctl error (``errors.py``). Bodies are plain dicts.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from vmctl.backends.cluster import errors, official_client
from vmctl.backends.cluster.kubeconfig import ClientSettings, load

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

#: Answers worth another try for reads: the server asked us to slow down, or failed transiently.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: For writes only the answers that say the request was not processed (a 500 might have changed something).
RETRY_WRITE_STATUSES = frozenset({429, 503})
DEFAULT_TIMEOUT = 30.0


class Connection:
    """An API server connection: ``request()`` for one call, ``stream()`` for watches. Not thread-safe."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        retries: int = 3,
        max_backoff: float = 5.0,
        impersonate: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.retries = max(0, retries)
        self.max_backoff = max_backoff
        self._sleep = sleep
        self.cache: dict[str, Any] = {}  # per-connection memo (discovery documents)
        cfg = settings.configuration
        cfg.retries = _connect_only_retries()
        self._rest = official_client.rest_client(cfg)
        self._headers = {"User-Agent": "vmctl"}
        if impersonate:  # kubectl's --as
            self._headers["Impersonate-User"] = impersonate

    # --- identity ------------------------------------------------------------------------------------
    @property
    def server(self) -> str:
        return self.settings.server

    @property
    def namespace(self) -> str:
        return self.settings.namespace

    def default_headers(self) -> dict[str, str]:
        """Headers every request carries (User-Agent, impersonation) — never credentials."""
        return dict(self._headers)

    def context_for(self, method: str, what: str = "") -> errors.RequestContext:
        return errors.RequestContext(self.server, method, what, self.settings.context, self.settings.user)

    # --- requests ------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = JSON,
        what: str = "",
        timeout: float | None = None,
        expect_body: bool = True,
    ) -> tuple[int, Any]:
        """Send one request; return (status, decoded JSON body or None). Errors raise a vmctl error."""
        resp = self._send(
            method,
            path,
            query=query,
            body=body,
            content_type=content_type,
            what=what,
            timeout=timeout if timeout is not None else self.timeout,
        )
        try:
            data = resp.read()
        finally:
            resp.release_conn()
        if not expect_body or not data:
            return resp.status, None
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data.decode("utf-8", "replace")

    def get_bytes(
        self, path: str, *, query: Mapping[str, Any] | None = None, what: str = "", accept: str = "*/*"
    ) -> bytes:
        """GET a binary answer (a VNC screenshot's PNG) as bytes; reads are retried as ``request`` does."""
        resp = self._send(
            "GET", path, query=query, body=None, content_type=JSON, what=what, timeout=self.timeout, accept=accept
        )
        try:
            return bytes(resp.read())
        finally:
            resp.release_conn()

    def stream(
        self,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        what: str = "",
        timeout: float | None = None,
    ) -> Iterator[dict[str, Any]]:
        """GET a streaming endpoint (a watch) and yield each JSON line as a dict until the server ends it."""
        resp = self._send(
            "GET", path, query=query, body=None, content_type=JSON, what=what, timeout=timeout, retry=False
        )
        buffer = b""
        finished = False
        try:
            for chunk in resp.stream(64 * 1024, decode_content=True):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
            if buffer.strip():
                yield json.loads(buffer)
            finished = True
        except Exception as exc:  # a read timeout or a dropped connection mid-stream
            import urllib3.exceptions as ue

            if isinstance(exc, ue.HTTPError | OSError):
                raise errors.from_transport(exc, self.context_for("GET", what), timeout) from None
            raise
        finally:
            if not finished:  # the caller stopped early: never hand a half-read stream back to the pool
                resp.close()
            resp.release_conn()

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None,
        body: Any,
        content_type: str,
        what: str,
        timeout: float | None,
        retry: bool = True,
        accept: str = JSON,
    ) -> Any:
        """The raw urllib3 response of a successful (2xx) request, after bounded retries."""
        headers = {"Accept": accept, "Content-Type": content_type}
        params = [(k, _query_value(v)) for k, v in (query or {}).items() if v is not None]
        attempts = self.retries + 1 if retry else 1
        ctx = self.context_for(method, what)
        url = self.settings.configuration.host + path
        if params:
            url += "?" + urlencode(params, quote_via=quote)
        for attempt in range(attempts):
            hdrs = {**self._headers, **headers, **self._credentials()}
            started = time.monotonic()
            try:
                rest = self._rest.request(
                    method, url, headers=hdrs, body=body, _request_timeout=_timeout_arg(timeout)
                )
            except Exception as exc:
                raise self._transport_error(exc, ctx, timeout, time.monotonic() - started) from None
            resp = rest.response
            if 200 <= resp.status < 300:
                return resp
            data = resp.read()
            resp.release_conn()
            retryable = RETRY_STATUSES if method in ("GET", "HEAD") else RETRY_WRITE_STATUSES
            if resp.status in retryable and attempt + 1 < attempts:
                self._sleep(self._backoff(attempt, resp.headers.get("Retry-After")))
                continue
            raise errors.from_response(resp.status, data, ctx)
        raise AssertionError("unreachable")

    def _credentials(self) -> dict[str, str]:
        """The authorization header as the client computes it (refreshing exec and OIDC tokens)."""
        auth = self.settings.configuration.auth_settings()
        return {str(a["key"]): str(a["value"]) for a in auth.values() if a.get("in") == "header" and a.get("value")}

    def _transport_error(
        self, exc: Exception, ctx: errors.RequestContext, timeout: float | None, elapsed: float
    ) -> Exception:
        if isinstance(exc, official_client.api_exception()) and exc.status == 0:  # the client wraps ssl errors this way
            return errors.Unreachable(
                f"cannot reach the API server at {ctx.server}: TLS: {_tls_reason(str(exc.reason or ''))}",
                hint="check the cluster's certificate-authority in the kubeconfig",
            )
        return errors.from_transport(exc, ctx, timeout, elapsed)

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.max_backoff)
            except ValueError:
                pass
        return min(self.max_backoff, 0.2 * (2**attempt)) * (0.5 + random.random() / 2)

    def close(self) -> None:
        self._rest.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    namespace: str | None = None,
    *,
    request_timeout: float | None = DEFAULT_TIMEOUT,
    impersonate: str | None = None,
    environ: Mapping[str, str] | None = None,
    retries: int = 3,
) -> Connection:
    """Read the kubeconfig (kubectl's rules) and return a connection; nothing is sent yet."""
    return Connection(
        load(kubeconfig, context, namespace, environ=environ),
        timeout=request_timeout,
        impersonate=impersonate,
        retries=retries,
    )


def parse_request_timeout(text: str | None) -> float | None:
    """kubectl's ``--request-timeout``: ``0`` (no limit), ``30`` (seconds) or ``1m30s``/``500ms``."""
    if text is None:
        return DEFAULT_TIMEOUT
    import re

    from vmctl.errors import UsageError

    raw = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        value = float(raw)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", raw)
        if not parts or "".join(n + u for n, u in parts) != raw:
            raise UsageError(f"--request-timeout: expected seconds or a duration like 1m30s, got {text!r}")
        scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
        value = sum(float(n) * scale[u] for n, u in parts)
    return None if value == 0 else value


def path_segment(text: str) -> str:
    """Quote one path segment (object names are DNS names, but never trust input)."""
    return quote(text, safe="")


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _timeout_arg(timeout: float | None) -> Any:
    if timeout is None:
        return (errors.CONNECT_LIMIT, None)  # reads (watches) may take as long as the server allows
    return (min(errors.CONNECT_LIMIT, timeout), timeout)


def _connect_only_retries() -> Any:
    """urllib3 retries for connection set-up only; requests are never replayed blindly."""
    from urllib3.util.retry import Retry

    return Retry(
        total=2, connect=2, read=0, redirect=0, status=0, other=0, backoff_factor=0.2, raise_on_status=False
    )


def _tls_reason(text: str) -> str:
    import re

    text = " ".join(text.split())
    match = re.search(r"certificate verify failed: ([^(]+?)\s*\(_ssl", text)
    if match:
        return f"certificate verify failed: {match.group(1)}"
    match = re.search(r"\[SSL[^\]]*\]\s*([^(]+?)\s*\(_ssl", text)
    if match:
        return match.group(1)
    return text.removeprefix("SSLError ").strip() or "handshake failed"
