"""The API server's answers become one clear vmctl error each (the mapping alone; tests/cluster hits the
server)."""

from __future__ import annotations

import json

from vmctl.backends.cluster import errors
from vmctl.errors import NotFoundError, ObjectRejected

CTX = errors.RequestContext(
    "https://127.0.0.1:6443", "PATCH", 'VirtualMachinePool "web" in namespace "prod"', "prod-admin", "alice"
)


def status(code: int, reason: str, message: str, causes: list[dict[str, str]] | None = None) -> str:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }
    if causes is not None:
        body["details"] = {"name": "web", "kind": "virtualmachinepools", "causes": causes}
    return json.dumps(body)


def test_403_quotes_the_server() -> None:
    msg = (
        'virtualmachinepools.pool.kubevirt.io "web" is forbidden: User "viewer" cannot patch resource '
        '"virtualmachinepools/scale" in API group "pool.kubevirt.io" in the namespace "prod"'
    )
    err = errors.from_response(403, status(403, "Forbidden", msg), CTX)
    assert isinstance(err, errors.Forbidden)
    assert err.message == f"forbidden (403): {msg}"
    assert "\n" not in err.message


def test_401_names_user_and_context_not_credentials() -> None:
    err = errors.from_response(401, status(401, "Unauthorized", "Unauthorized"), CTX)
    assert isinstance(err, errors.Unauthorized)
    assert err.message == (
        "unauthorized (401): the API server at https://127.0.0.1:6443 did not accept "
        'user "alice" of context "prod-admin"'
    )


def test_404_object_and_missing_api() -> None:
    err = errors.from_response(
        404, status(404, "NotFound", 'virtualmachines.kubevirt.io "web" not found', causes=[]), CTX
    )
    assert isinstance(err, NotFoundError)
    assert err.message == 'virtualmachines.kubevirt.io "web" not found'  # as the local backend says it
    bare = errors.from_response(404, "404 page not found", CTX)
    assert bare.message.startswith("the API server at https://127.0.0.1:6443 does not serve")
    assert bare.hint and "KubeVirt" in bare.hint


def test_422_one_cause_per_line_with_field_paths() -> None:
    causes = [
        {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: -1: spec.replicas in body should be greater than or equal to 0",
            "field": "spec.replicas",
        },
        {"reason": "FieldValueRequired", "message": "Required value", "field": "metadata.name"},
    ]
    msg = (
        'VirtualMachinePool.pool.kubevirt.io "web" is invalid: [spec.replicas: Invalid value: -1: ..., '
        "metadata.name: Required value]"
    )
    err = errors.from_response(422, status(422, "Invalid", msg, causes), CTX)
    assert isinstance(err, ObjectRejected)
    lines = [err.message, *err.detail_lines()]
    assert lines[0] == 'invalid (422): VirtualMachinePool.pool.kubevirt.io "web" is invalid'
    assert (
        lines[1]
        == "  spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"
    )
    assert lines[2] == "  metadata.name: Required value"
    assert [c.field for c in err.causes] == ["spec.replicas", "metadata.name"]


def test_409_apply_conflict_hints_force() -> None:
    msg = 'Apply failed with 1 conflict: conflict with "kubectl" using kubevirt.io/v1: .spec.runStrategy'
    err = errors.from_response(
        409,
        status(
            409,
            "Conflict",
            msg,
            [
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "kubectl"',
                    "field": ".spec.runStrategy",
                }
            ],
        ),
        CTX,
    )
    assert isinstance(err, errors.Conflict)
    assert err.message == f"conflict (409): {msg}"
    assert err.hint and "--force-conflicts" in err.hint


def test_5xx_and_429_and_non_status_bodies() -> None:
    err = errors.from_response(503, status(503, "ServiceUnavailable", "service unavailable"), CTX)
    assert err.message == (
        "server error (503 ServiceUnavailable): the API server at https://127.0.0.1:6443 "
        "failed: service unavailable"
    )
    err = errors.from_response(429, "", CTX)
    assert err.message.startswith("too many requests (429)")
    err = errors.from_response(502, "<html>\n<body>Bad Gateway</body>\n</html>", CTX)
    assert "\n" not in err.message and "Bad Gateway" in err.message


def test_transport_errors_are_one_line() -> None:
    import urllib3.exceptions as ue

    refused = ue.NewConnectionError(
        None, "Failed to establish a new connection: [Errno 111] Connection refused"
    )
    err = errors.from_transport(ue.MaxRetryError(None, "/api", refused), CTX, 30)
    assert err.message == "cannot reach the API server at https://127.0.0.1:6443: connection refused"
    err = errors.from_transport(ue.ReadTimeoutError(None, "/api", "read timed out"), CTX, 2.5)
    assert err.message == "timeout: the API server at https://127.0.0.1:6443 did not answer within 2.5 s"
