"""virtctl's lifecycle PUTs travel through the real API server's aggregation layer to a virt-api stand-in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vmctl.backends.cluster import errors, lifecycle
from vmctl.backends.cluster.connection import Connection, connect

pytestmark = pytest.mark.cluster


def last(virt_api: Any) -> tuple[str, Any, str]:
    req = virt_api.requests[-1]
    return req.path, (json.loads(req.body) if req.body else None), req.user


def test_vm_verbs_send_virtctls_bodies(virt_api: Any, conn: Connection, namespace: str) -> None:
    base = f"/apis/subresources.kubevirt.io/v1/namespaces/{namespace}"
    cases = [
        (lambda: lifecycle.start(conn, "web"), "virtualmachines/web/start", {}),
        (lambda: lifecycle.start(conn, "web", paused=True), "virtualmachines/web/start", {"paused": True}),
        (
            lambda: lifecycle.start(conn, "web", dry_run=True),
            "virtualmachines/web/start",
            {"dryRun": ["All"]},
        ),
        (lambda: lifecycle.stop(conn, "web"), "virtualmachines/web/stop", {}),
        (
            lambda: lifecycle.stop(conn, "web", force=True, grace_period=0),
            "virtualmachines/web/stop",
            {"gracePeriod": 0},
        ),
        (lambda: lifecycle.restart(conn, "web"), "virtualmachines/web/restart", {}),
        (
            lambda: lifecycle.restart(conn, "web", force=True, grace_period=0),
            "virtualmachines/web/restart",
            {"gracePeriodSeconds": 0},
        ),
    ]
    for call, path, body in cases:
        assert call() == 202
        assert last(virt_api) == (f"{base}/{path}", body, "vmctl-admin")


def test_vmi_verbs(virt_api: Any, conn: Connection, namespace: str) -> None:
    base = f"/apis/subresources.kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/web"
    assert lifecycle.pause(conn, "web") == 200
    assert last(virt_api) == (f"{base}/pause", {}, "vmctl-admin")
    assert lifecycle.unpause(conn, "web", dry_run=True) == 200
    assert last(virt_api) == (f"{base}/unpause", {"dryRun": ["All"]}, "vmctl-admin")
    assert lifecycle.soft_reboot(conn, "web") == 200
    assert last(virt_api) == (f"{base}/softreboot", None, "vmctl-admin")
    assert lifecycle.reset(conn, "web") == 200
    assert last(virt_api) == (f"{base}/reset", None, "vmctl-admin")


def test_virt_api_refusal_is_one_line(virt_api: Any, conn: Connection) -> None:
    virt_api.refuse["busy"] = "VM is already running"
    with pytest.raises(errors.Conflict) as exc:
        lifecycle.start(conn, "busy")
    assert exc.value.message == "conflict (409): VM is already running"


def test_rbac_applies_before_the_proxy(apiserver: Any, virt_api: Any, namespace: str) -> None:
    seen = len(virt_api.requests)
    with (
        connect(apiserver.kubeconfig, "viewer", namespace, environ={}) as viewer,
        pytest.raises(errors.Forbidden) as exc,
    ):
        lifecycle.start(viewer, "web")
    assert exc.value.message == (
        'forbidden (403): virtualmachines.subresources.kubevirt.io "web" is forbidden: '
        'User "viewer" cannot update resource "virtualmachines/start" '
        f'in API group "subresources.kubevirt.io" in the namespace "{namespace}"'
    )
    assert len(virt_api.requests) == seen  # the stand-in never heard of it


def test_console_websocket_round_trip_through_the_aggregator(
    virt_api: Any, conn: Connection, namespace: str
) -> None:
    from vmctl.backends.cluster import streams

    ws = streams.console(conn, "web")
    try:
        assert ws.subprotocol == "plain.kubevirt.io"
        ws.send_binary(b"root\r\n")
        assert ws.recv() == b"root\r\n"
    finally:
        ws.close()
    req = virt_api.requests[-1]
    assert (req.method, req.user) == ("GET", "vmctl-admin")
    assert (
        req.path
        == f"/apis/subresources.kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/web/console"
    )


def test_console_with_a_token_user(apiserver: Any, virt_api: Any, namespace: str) -> None:
    from vmctl.backends.cluster import streams

    with connect(apiserver.kubeconfig, "token", namespace, environ={}) as token_conn:
        ws = streams.console(token_conn, "web")
        ws.send_binary(b"x")
        assert ws.recv() == b"x"
        ws.close()
    assert virt_api.requests[-1].user == "token-user"


def test_console_refused_by_rbac_is_one_line(apiserver: Any, virt_api: Any, namespace: str) -> None:
    from vmctl.backends.cluster import streams

    with (
        connect(apiserver.kubeconfig, "viewer", namespace, environ={}) as viewer,
        pytest.raises(errors.Forbidden) as exc,
    ):
        streams.console(viewer, "web")
    assert exc.value.message.startswith(
        'forbidden (403): virtualmachineinstances.subresources.kubevirt.io "web" is forbidden: User "viewer" '
    )
    assert "\n" not in exc.value.message


def test_console_session_in_pipe_mode(virt_api: Any, conn: Connection) -> None:
    """vmctl's console session (escape key, pipe mode, drain) drives the cluster console stream unchanged."""
    import io
    import os

    from vmctl.backends.cluster import streams
    from vmctl.streams.console import Session

    stdin_r, stdin_w = os.pipe()
    stdout_r, stdout_w = os.pipe()
    os.write(stdin_w, b"uname -a\n")
    os.close(stdin_w)
    stream = streams.ConsoleStream(streams.console(conn, "web"))
    session = Session(
        stream,
        stdin_fd=stdin_r,
        stdout_fd=stdout_w,
        stderr=io.StringIO(),
        tty=False,
        drain_quiet=0.2,
        drain_max=5,
    )
    code = session.run()
    os.close(stdout_w)
    with os.fdopen(stdout_r, "rb") as out:
        echoed = out.read()
    os.close(stdin_r)
    assert code == 0
    assert echoed == b"uname -a\n"
