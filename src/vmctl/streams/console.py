"""A console session: the terminal (or a pipe) on one side, a guest's serial console stream on the other.

Every backend opens its own stream (a libvirt stream locally, a websocket through the API server on a cluster)
and hands it to ``Session``. Behaviour follows ``virtctl console``:

* an attached session prints the banner (stderr), may replay a serial log tail, and goes live;
* stdin on a TTY is put in raw mode (restored on exit), and our own text then ends lines with CR LF;
* the escape byte (default Ctrl+], configurable) ends the session with exit code 0;
* with stdin not a TTY (a pipe), bytes pass through untouched and the session ends when stdin closes, after a
  drain of the guest's output (exit 0) — so ``echo uname -a | vmctl console vm`` prints the answer: the drain
  waits for the guest to answer what was sent (at most ``DRAIN_MAX`` seconds), then until it has been quiet for
  ``VMCTL_CONSOLE_DRAIN`` seconds (default 1);
* if the guest side goes away (powered off, or another ``--force`` session took over) virtctl's disconnect
  message is printed and the exit code is 1.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from vmctl.streams.escape import DEFAULT_ESCAPE, describe_escape

#: After stdin closes (pipe mode), keep printing guest output until it has been quiet this long (counted from
#: the first output that follows the last input sent)...
#: ...but no longer than this after stdin closed (also the longest wait for a first answer).
DRAIN_MAX = 5.0
REPLAY_BYTES = 256 * 1024
DISCONNECTED = (
    "\nYou were disconnected from the console. This could be caused by one of the following:"
    "\n - the target VM was powered off"
    "\n - another user connected to the console of the target VM"
    "\n - network issues\n"
)


class Stream(Protocol):
    """What a session needs of a console stream (blocking): ``recv`` returns ``b""`` once the guest side ended."""

    def recv(self, nbytes: int) -> bytes: ...
    def send(self, data: bytes) -> int: ...
    def abort(self) -> None: ...


def banner(name: str, escape: bytes) -> str:
    return f"Successfully connected to {name} console. Press {describe_escape(escape)} to exit console.\n"


def replay(path: Path, *, out_fd: int | None = None, limit: int = REPLAY_BYTES) -> None:
    """Write the tail of the serial log to stdout (what the guest printed before we attached)."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - limit))
            data = fh.read()
    except OSError:
        return
    if data:
        _write_all(sys.stdout.fileno() if out_fd is None else out_fd, data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            select.select([], [fd], [], 1.0)


class Session:
    """Copies bytes between a console stream and stdin/stdout (file descriptors, injectable for tests)."""

    def __init__(
        self, stream: Stream, *, escape: bytes = DEFAULT_ESCAPE, stdin_fd: int | None = None,
        stdout_fd: int | None = None, stderr: Any = None, tty: bool | None = None,
        drain_quiet: float | None = None, drain_max: float = DRAIN_MAX,
    ) -> None:
        self.stream = stream
        self.escape = escape
        self.stdin_fd = sys.stdin.fileno() if stdin_fd is None else stdin_fd
        self.stdout_fd = sys.stdout.fileno() if stdout_fd is None else stdout_fd
        self.stderr = sys.stderr if stderr is None else stderr
        self.tty = os.isatty(self.stdin_fd) if tty is None else tty
        if drain_quiet is None:
            from vmctl.settings import console_drain

            drain_quiet = console_drain()
        self.drain_quiet = drain_quiet
        self.drain_max = drain_max
        self.closed = threading.Event()  # the guest side ended
        self.last_output = time.monotonic()
        self.last_sent: float | None = None  # when input last went to the guest
        self._stopping = False

    def _reader(self) -> None:
        try:
            while True:
                data = self.stream.recv(65536)
                if not data or isinstance(data, int):
                    break
                self.last_output = time.monotonic()
                _write_all(self.stdout_fd, data)
        except Exception:  # libvirtError when the stream breaks or is aborted
            pass
        finally:
            self.closed.set()

    def run(self, *, banner_text: str = "", on_attached: Callable[[], None] | None = None,
            replay_log: Path | None = None) -> int:
        """Banner (stderr), then the serial log tail, then live output until escape, EOF or disconnect."""
        reader = threading.Thread(target=self._reader, name="console-reader", daemon=True)
        with self._terminal():
            if banner_text:
                # a raw terminal does not turn LF into CR LF: the next line would start mid-column
                self.stderr.write(banner_text.replace("\n", "\r\n") if self.tty else banner_text)
                self.stderr.flush()
            if replay_log is not None:
                replay(replay_log, out_fd=self.stdout_fd)
            reader.start()
            try:
                if on_attached is not None:
                    on_attached()
                code = self._pump()
            except KeyboardInterrupt:
                code = 0  # as virtctl: an interrupt ends the session normally
            finally:
                self._stopping = True
                if not self.closed.is_set():
                    with contextlib.suppress(Exception):
                        self.stream.abort()
                reader.join(timeout=2)
        if code == 1:
            self.stderr.write(DISCONNECTED)
            self.stderr.flush()
        return code

    @contextlib.contextmanager
    def _terminal(self) -> Any:
        if not self.tty:
            yield
            return
        import termios
        import tty

        saved = termios.tcgetattr(self.stdin_fd)
        tty.setraw(self.stdin_fd)
        try:
            yield
        finally:
            termios.tcsetattr(self.stdin_fd, termios.TCSADRAIN, saved)

    def _pump(self) -> int:
        """Copy stdin to the guest; 0 on escape or stdin EOF (after a drain), 1 when the guest side ends."""
        while True:
            if self.closed.is_set():
                return 1
            ready, _, _ = select.select([self.stdin_fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(self.stdin_fd, 1024)
            except BlockingIOError:
                continue
            if not data:
                if self.tty:
                    return 0
                return self._drain()
            cut = data.find(self.escape)
            if cut >= 0:
                if cut:
                    self._send(data[:cut])
                return 0
            if not self._send(data):
                return 1

    def _send(self, data: bytes) -> bool:
        view = memoryview(data)
        try:
            while view:
                sent = self.stream.send(bytes(view))
                if not isinstance(sent, int) or sent <= 0:  # -1: error, -2: would block (not for blocking streams)
                    return False
                view = view[sent:]
        except Exception:
            return False
        self.last_sent = time.monotonic()
        return True

    def _drain(self) -> int:
        """stdin closed: wait for the guest's answer to what was sent (the first output after the last input;
        a guest under emulation can take a second), then show output until it has been quiet for
        ``drain_quiet`` seconds; never longer than ``drain_max`` seconds in all."""
        eof = time.monotonic()
        deadline = eof + self.drain_max
        since = self.last_sent if self.last_sent is not None else eof  # quiet is counted from here on
        while time.monotonic() < deadline:
            if self.closed.is_set():
                return 0
            now = time.monotonic()
            answered = self.last_output > since
            quiet = now - (self.last_output if answered else since)
            if answered and quiet >= self.drain_quiet:
                return 0
            if not answered and self.last_sent is None and quiet >= self.drain_quiet:
                return 0  # nothing was sent: no answer to wait for
            time.sleep(0.05)
        return 0
