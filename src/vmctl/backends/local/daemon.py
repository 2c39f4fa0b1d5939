"""The local controller as a background process, one per state folder.

``<state>/controller.lock`` is held (``flock``) by the process that runs the control loop, foreground or
background, and holds its record (pid, start time, libvirt URI); ``<state>/controller.log`` is the background
process's output. A second loop for the same state folder is refused; a process killed with ``-9`` releases
the lock with its death, so the next ``start`` simply starts again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

from vmctl.errors import VmctlError

LOCK_NAME = "controller.lock"
LOG_NAME = "controller.log"
START_TIMEOUT = 15.0
DEFAULT_INTERVAL = 5.0
#: What a running loop takes as "pass now" (a changed pool or replica set).
WAKE_SIGNAL = signal.SIGUSR1


class ControllerInfo(NamedTuple):
    """A running controller loop."""

    pid: int
    started: str
    uri: str
    log: str

    def as_dict(self) -> dict[str, Any]:
        return {"running": True, "pid": self.pid, "started": self.started, "libvirtUri": self.uri, "log": self.log}


def lock_path(state_dir: Path) -> Path:
    return Path(state_dir) / LOCK_NAME


def log_path(state_dir: Path) -> Path:
    return Path(state_dir) / LOG_NAME


def _open_lock(state_dir: Path) -> IO[str]:
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    return open(lock_path(state_dir), "a+", encoding="utf-8")  # noqa: SIM115 - held for the loop's lifetime


def status(state_dir: Path) -> ControllerInfo | None:
    """The controller loop running for this state folder, or None."""
    if not lock_path(state_dir).exists():
        return None
    with _open_lock(state_dir) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                record = json.loads(handle.read() or "{}")
            except ValueError:
                record = {}
            return ControllerInfo(int(record.get("pid", 0)), str(record.get("started", "")),
                                  str(record.get("uri", "")), str(log_path(state_dir)))
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


@contextlib.contextmanager
def hold(state_dir: Path, uri: str) -> Iterator[None]:
    """Hold the controller lock while the loop runs; refuse when another loop holds it."""
    handle = _open_lock(state_dir)
    try:
        if not _lock_exclusive(handle):
            running = status(state_dir)
            pid = f" (pid {running.pid})" if running else ""
            raise VmctlError(f"a controller is already running for the state folder {state_dir}{pid}",
                             hint="vmctl controller status; vmctl controller stop") from None
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        handle.write(json.dumps({"pid": os.getpid(), "started": started, "uri": uri}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _lock_exclusive(handle: IO[str], tries: int = 20) -> bool:
    """Take the lock; a ``status`` call holds it shared for an instant, so a few quick retries."""
    for _ in range(tries):
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            time.sleep(0.05)
    return False


def start(state_dir: Path, uri: str, *, interval: float, allow_hooks: bool) -> tuple[ControllerInfo, bool]:
    """Start the loop in the background unless one runs; (its record, whether this call started it)."""
    running = status(state_dir)
    if running is not None:
        return running, False
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "vmctl", "controller", "--backend", "local", "--state-dir", str(state_dir),
            "--libvirt-uri", uri, "--interval", str(interval)]
    if allow_hooks:
        argv.append("--allow-hooks")
    with open(log_path(state_dir), "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, "VMCTL_BACKEND": "local"})
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        running = status(state_dir)
        if running is not None and running.pid == proc.pid:
            return running, True
        code = proc.poll()
        if code is not None:
            raise VmctlError(f"the controller exited at once (status {code}); see {log_path(state_dir)}")
        time.sleep(0.05)
    proc.terminate()
    raise VmctlError(f"the controller did not start within {START_TIMEOUT:g}s; see {log_path(state_dir)}")


def stop(state_dir: Path, *, timeout: float = 30.0) -> ControllerInfo | None:
    """Stop the background loop (SIGTERM, then SIGKILL after ``timeout``); the record it had, or None."""
    running = status(state_dir)
    if running is None or running.pid <= 0:
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(running.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if status(state_dir) is None:
            return running
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(running.pid, signal.SIGKILL)
    while status(state_dir) is not None and time.monotonic() < deadline + 5:
        time.sleep(0.1)
    return running


def wake(running: ControllerInfo) -> None:
    """Make a running loop pass now instead of at its next interval."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(running.pid, WAKE_SIGNAL)
