"""Turn what the API server (or the network) answered into one clear vmctl error.

Pure functions over the status code, the response body and the request's context, so every mapping is tested
without a server. The server's own words are quoted (a 403 names the user, the verb, the resource and the
namespace); credentials never appear in a message because nothing here ever sees them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vmctl.errors import FieldProblem, NotFoundError, ObjectRejected, Unavailable, VmctlError


class ClusterError(VmctlError):
    """The API server refused or failed a request; ``status`` is the HTTP code (0 when there was no
    answer)."""

    def __init__(self, message: str, *, status: int = 0, reason: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.reason = reason


class Unauthorized(ClusterError):
    """401: the server did not accept the credentials."""


class Forbidden(ClusterError):
    """403: authenticated, but RBAC (or admission) said no."""


class Conflict(ClusterError):
    """409: already exists, changed meanwhile, or a server-side apply field conflict."""


class Unreachable(ClusterError, Unavailable):
    """No HTTP answer: connection refused, DNS, TLS, or a timeout."""


class TimedOut(Unreachable):
    """No answer in time: the request may have been carried out."""


class ClusterNotFound(NotFoundError):
    """404 from the API server."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = 404


class Invalid(ObjectRejected):
    """422: the server rejected the object; ``causes`` has one entry per field, shown one per line."""

    status = 422

    def detail_lines(self) -> list[str]:
        return [f"  {c.field}: {c.message}" if c.field else f"  {c.message}" for c in self.causes]


#: seconds a connection (TCP and the TLS handshake) may take, whatever the request timeout (as client-go's
#: TLS handshake timeout)
CONNECT_LIMIT = 10.0


@dataclass(frozen=True)
class RequestContext:
    """What a message may say about the request: where it went and what it was about (never credentials)."""

    server: str
    method: str = "GET"
    what: str = ""  # e.g. 'VirtualMachinePool "web" in namespace "prod"'
    context: str | None = None  # the kubeconfig context name
    user: str | None = None  # the kubeconfig user entry's name


def parse_status(body: bytes | str | None) -> dict[str, Any]:
    """The ``Status`` object in an error body, or {} when the body is not one (HTML from a proxy, empty)."""
    if not body:
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) and data.get("kind") == "Status" else {}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plain_text(body: bytes | str | None, limit: int = 200) -> str:
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def causes_of(status: dict[str, Any]) -> list[FieldProblem]:
    """The field-level causes of a Status (``details.causes``), in the server's order."""
    out: list[FieldProblem] = []
    for cause in (status.get("details") or {}).get("causes") or []:
        if isinstance(cause, dict):
            out.append(
                FieldProblem(
                    str(cause.get("field") or ""),
                    _one_line(str(cause.get("message") or "")),
                    str(cause.get("reason") or ""),
                )
            )
    return out


def from_response(status_code: int, body: bytes | str | None, ctx: RequestContext) -> VmctlError:
    """The vmctl error for an HTTP error answer."""
    st = parse_status(body)
    message = _one_line(str(st.get("message") or "")) or _plain_text(body)
    reason = str(st.get("reason") or "")
    where = f"the API server at {ctx.server}"
    if status_code == 401:
        who = f'user "{ctx.user}"' if ctx.user else "these credentials"
        in_ctx = f' of context "{ctx.context}"' if ctx.context else ""
        return Unauthorized(
            f"unauthorized (401): {where} did not accept {who}{in_ctx}",
            status=401,
            reason=reason or "Unauthorized",
            hint="the token or client certificate may have expired; check the kubeconfig's user entry",
        )
    if status_code == 403:
        return Forbidden(
            f"forbidden (403): {message or 'the server refused the request'}",
            status=403,
            reason=reason or "Forbidden",
        )
    if status_code == 404:
        if not st or "could not find the requested resource" in message:
            what = ctx.what or "the resource"
            return ClusterNotFound(
                f"{where} does not serve {what} (404)",
                hint="is KubeVirt (or the add-on that serves this API) installed on this cluster?",
            )
        # the server's words, as kubectl and the local backend say it: 'virtualmachines.kubevirt.io "web" not found'
        return ClusterNotFound(message or "not found (404)")
    if status_code == 409:
        hint = None
        if "Apply failed" in message or any(c.reason == "FieldManagerConflict" for c in causes_of(st)):
            hint = "another field manager owns these fields; --force-conflicts takes them over"
        elif "has been modified" in message:
            hint = "the object changed while vmctl worked on it; run the command again"
        return Conflict(f"conflict (409): {message}", status=409, reason=reason or "Conflict", hint=hint)
    if status_code == 422:
        causes = causes_of(st)
        head = message.split(": ", 1)[0] if causes and ": " in message else message
        return Invalid(f"invalid (422): {head or 'the server rejected the object'}", causes)
    if status_code == 410:
        return ClusterError(
            f"expired (410): {message or 'the list or watch position is too old'}",
            status=410,
            reason=reason or "Expired",
            hint="run the command again; the server no longer keeps that position",
        )
    if status_code == 429:
        return ClusterError(
            f"too many requests (429): {where} kept asking vmctl to slow down"
            + (f": {message}" if message else ""),
            status=429,
            reason=reason or "TooManyRequests",
        )
    if status_code >= 500:
        return ClusterError(
            f"server error ({status_code}{' ' + reason if reason else ''}): {where} failed"
            + (f": {message}" if message else ""),
            status=status_code,
            reason=reason,
        )
    return ClusterError(
        f"request failed ({status_code}{' ' + reason if reason else ''}): {message or 'no details'}",
        status=status_code,
        reason=reason,
    )


def from_transport(
    exc: BaseException, ctx: RequestContext, timeout: float | None, elapsed: float | None = None
) -> VmctlError:
    """The vmctl error for a request that got no HTTP answer (urllib3 / ssl / socket errors); a timeout names
    the time vmctl actually waited (``elapsed``) when it is known: connecting may hit its own, shorter limit."""
    import ssl

    import urllib3.exceptions as ue

    inner: BaseException = exc
    if isinstance(exc, ue.MaxRetryError) and exc.reason is not None:
        inner = exc.reason
    if isinstance(inner, ue.ProtocolError) and inner.args and isinstance(inner.args[-1], BaseException):
        inner = inner.args[-1]
    reach = f"cannot reach the API server at {ctx.server}"
    if isinstance(inner, ue.NameResolutionError):  # before NewConnectionError, its base class
        return Unreachable(f"{reach}: the host name does not resolve")
    if isinstance(
        inner, ue.NewConnectionError
    ):  # before the timeouts: urllib3 derives it from ConnectTimeoutError
        detail = _errno_text(inner) or "connection failed"
        return Unreachable(f"{reach}: {detail}")
    timed_out = type(inner).__name__ == "WebSocketTimeoutException"  # websocket-client's, for streams
    if timed_out or isinstance(
        inner, (ue.ReadTimeoutError, ue.ConnectTimeoutError, TimeoutError, ue.TimeoutError)
    ):
        waited = timeout if elapsed is None else round(elapsed, 1) if elapsed < 10 else round(elapsed)
        limit = f" within {waited:g} s" if waited else ""
        return TimedOut(
            f"timeout: the API server at {ctx.server} did not answer{limit}",
            hint=f"connecting (TCP and TLS) may take at most {CONNECT_LIMIT:g} s; "
            "--request-timeout sets how long vmctl waits for an answer",
        )
    if isinstance(inner, (ue.SSLError, ssl.SSLError)):
        detail = _ssl_detail(inner)
        return Unreachable(
            f"{reach}: TLS: {detail}", hint="check the cluster's certificate-authority in the kubeconfig"
        )
    if isinstance(inner, OSError):
        return Unreachable(f"{reach}: {(inner.strerror or type(inner).__name__).lower()}")
    return Unreachable(f"{reach}: {_one_line(str(inner)) or type(inner).__name__}")


def _errno_text(exc: BaseException) -> str:
    """'connection refused' from a NewConnectionError's underlying OSError."""
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    for known in ("Connection refused", "No route to host", "Network is unreachable", "Connection reset"):
        if known in text:
            return known.lower()
    return ""


def _ssl_detail(exc: BaseException) -> str:
    """The useful part of an ssl error: 'certificate verify failed: self-signed certificate in ...'."""
    import ssl

    seen: BaseException | None = exc
    for _ in range(10):  # follow causes and wrapped first arguments, never forever
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {seen.verify_message}"
        wrapped = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = seen.__cause__ or seen.__context__ or wrapped
    text = _one_line(str(exc))
    return text or type(exc).__name__
