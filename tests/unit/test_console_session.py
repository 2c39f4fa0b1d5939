"""Console session logic (``vmctl.streams.console``) against a socketpair standing in for a backend's console
stream, and the local backend's libvirt attach (openConsole needs a guest)."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from vmctl.backends.local import console as local_console
from vmctl.errors import UsageError, VmctlError
from vmctl.streams import console
from vmctl.streams.escape import DEFAULT_ESCAPE, parse_escape


class SocketStream:
    """The blocking-stream subset of ``libvirt.virStream`` over one end of a socketpair."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.aborted = False

    def recv(self, nbytes: int) -> bytes:
        try:
            return self.sock.recv(nbytes)
        except OSError:
            return b""

    def send(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def abort(self) -> None:
        self.aborted = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


class FakeGuest(threading.Thread):
    """Answers each line it receives with ``OUT:<line>``; records everything it got."""

    def __init__(self, sock: socket.socket, *, close_after: bytes | None = None, delay: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.sock = sock
        self.received = b""
        self.close_after = close_after
        self.delay = delay

    def run(self) -> None:
        buf = b""
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            if not data:
                return
            self.received += data
            buf += data
            while b"\r" in buf:
                line, buf = buf.split(b"\r", 1)
                time.sleep(self.delay)
                try:
                    self.sock.sendall(b"OUT:" + line + b"\r\n")
                except OSError:  # the session ended (escape) before the answer
                    return
                if self.close_after is not None and line == self.close_after:
                    self.sock.close()
                    return


def session_for(stdin_data: bytes, *, close_after: bytes | None = None, tty: bool = False, escape: bytes = b"\x1d",
                delay: float = 0.05):
    ours, theirs = socket.socketpair()
    guest = FakeGuest(theirs, close_after=close_after, delay=delay)
    guest.start()
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    os.write(in_w, stdin_data)
    os.close(in_w)
    stderr = io.StringIO()
    stream = SocketStream(ours)
    sess = console.Session(stream, escape=escape, stdin_fd=in_r, stdout_fd=out_w, stderr=stderr, tty=tty,
                           drain_quiet=0.3, drain_max=3)
    return sess, guest, stream, out_r, out_w, stderr


def read_all(fd: int) -> bytes:
    chunks = []
    while True:
        data = os.read(fd, 65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def test_pipe_mode_sends_input_drains_output_and_exits_zero() -> None:
    sess, guest, stream, out_r, out_w, stderr = session_for(b"echo ABC$((40+2))XYZ\r")
    code = sess.run(banner_text=console.banner("vm1", DEFAULT_ESCAPE))
    os.close(out_w)
    assert code == 0
    assert guest.received == b"echo ABC$((40+2))XYZ\r"
    assert read_all(out_r) == b"OUT:echo ABC$((40+2))XYZ\r\n"  # output arriving after stdin closed is kept
    assert stderr.getvalue() == "Successfully connected to vm1 console. Press Ctrl+] or Ctrl+5 to exit console.\n"
    assert stream.aborted


def test_escape_byte_ends_the_session_after_sending_what_came_before() -> None:
    sess, guest, _stream, out_r, out_w, _ = session_for(b"first\r\x1dsecond\r")
    code = sess.run()
    os.close(out_w)
    time.sleep(0.1)
    assert code == 0
    assert guest.received == b"first\r"
    os.close(out_r)


def test_custom_escape() -> None:
    sess, guest, _stream, out_r, out_w, _ = session_for(b"a\x1db\x01rest", escape=b"\x01")
    assert sess.run() == 0
    os.close(out_w)
    os.close(out_r)
    time.sleep(0.05)
    assert guest.received == b"a\x1db"


def test_guest_going_away_prints_virtctl_message_and_exits_one() -> None:
    ours, theirs = socket.socketpair()
    in_r, in_w = os.pipe()  # stdin stays open: only the guest side ends
    out_r, out_w = os.pipe()
    stderr = io.StringIO()
    sess = console.Session(SocketStream(ours), stdin_fd=in_r, stdout_fd=out_w, stderr=stderr, tty=False)
    threading.Timer(0.3, theirs.close).start()
    assert sess.run() == 1
    assert stderr.getvalue() == (
        "\nYou were disconnected from the console. This could be caused by one of the following:"
        "\n - the target VM was powered off"
        "\n - another user connected to the console of the target VM"
        "\n - network issues\n"
    )
    for fd in (in_r, in_w, out_r, out_w):
        os.close(fd)


def test_on_attached_runs_after_the_reader_started() -> None:
    sess, _guest, _stream, out_r, out_w, _ = session_for(b"")
    called = []
    assert sess.run(on_attached=lambda: called.append(sess.closed.is_set())) == 0
    assert called == [False]
    os.close(out_w)
    os.close(out_r)


@pytest.mark.parametrize(("text", "byte"), [("^]", b"\x1d"), ("^a", b"\x01"), ("^A", b"\x01"), ("0x1d", b"\x1d"),
                                            ("\\x02", b"\x02"), ("~", b"~"), ("^?", b"\x7f")])
def test_parse_escape(text: str, byte: bytes) -> None:
    assert parse_escape(text) == byte


@pytest.mark.parametrize("text", ["", "^1", "ctrl-a", "0xzz", "é"])
def test_parse_escape_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="--escape"):
        parse_escape(text)


def test_banner_names_the_escape_key() -> None:
    assert console.banner("web", b"\x01") == "Successfully connected to web console. Press Ctrl+A to exit console.\n"


def test_replay_writes_the_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    log.write_bytes(b"0123456789BOOTED\n")
    r, w = os.pipe()
    console.replay(log, out_fd=w, limit=7)
    console.replay(tmp_path / "missing.log", out_fd=w)
    os.close(w)
    assert read_all(r) == b"BOOTED\n"


def test_pipe_mode_waits_for_a_slow_answer() -> None:
    # a guest under emulation (or right after a --force take-over) may answer later than the quiet period
    sess, guest, _stream, out_r, out_w, _ = session_for(b"echo FORCED-$((1+2))\r", delay=1.0)
    started = time.monotonic()
    assert sess.run() == 0
    os.close(out_w)
    assert read_all(out_r) == b"OUT:echo FORCED-$((1+2))\r\n"
    assert 1.0 + 0.3 <= time.monotonic() - started < 3  # answer, then the quiet period (0.3 s here)


def test_pipe_mode_gives_up_after_the_cap_and_ends_quickly_without_input() -> None:
    ours, theirs = socket.socketpair()  # a guest that never answers
    in_r, in_w = os.pipe()
    os.write(in_w, b"anything\r")
    os.close(in_w)
    out_r, out_w = os.pipe()
    sess = console.Session(SocketStream(ours), stdin_fd=in_r, stdout_fd=out_w, stderr=io.StringIO(), tty=False,
                           drain_quiet=0.2, drain_max=1.0)
    started = time.monotonic()
    assert sess.run() == 0
    assert 1.0 <= time.monotonic() - started < 1.8
    sess, _guest, _stream, out_r2, out_w2, _ = session_for(b"")  # nothing sent: only the quiet period
    started = time.monotonic()
    assert sess.run() == 0
    assert time.monotonic() - started < 1.0
    for fd in (in_r, out_r, out_w, out_r2, out_w2):
        os.close(fd)
    theirs.close()


class RefusingDomain:
    """A domain whose console is held by another session (what libvirt answers without the FORCE flag)."""

    def __init__(self) -> None:
        self.flags: list[int] = []

    def name(self) -> str:
        return "ns_dev1"

    def openConsole(self, dev, stream, flags: int) -> None:  # noqa: N802 - libvirt's name
        import libvirt

        self.flags.append(flags)
        raise libvirt.libvirtError("operation failed: Active console session exists for this domain")


class StreamConn:
    def newStream(self, _flags: int) -> SocketStream:  # noqa: N802 - libvirt's name
        ours, _theirs = socket.socketpair()
        return SocketStream(ours)


def test_refused_attach_prints_nothing_on_stdout(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("libvirt")
    log = tmp_path / "console.log"
    log.write_bytes(b"EARLIER BOOT OUTPUT\r\nvmctl-guest# ")
    with pytest.raises(VmctlError) as err:
        local_console.run_session(StreamConn(), RefusingDomain(), force=False, replay_log=log, name="dev1")
    assert err.value.message == "another console session is attached to dev1"
    assert err.value.hint == "take it over with: vmctl console dev1 --force"
    out, errtext = capfd.readouterr()
    assert (out, errtext) == ("", "")


def test_tty_banner_comes_before_the_replay_and_ends_in_crlf(tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    log.write_bytes(b"LOG-TAIL\r\n")
    master, slave = os.openpty()  # a real terminal for raw mode
    out_r, out_w = os.pipe()
    sink = os.fdopen(os.dup(out_w), "w")  # stderr and stdout into one pipe: their order is visible
    ours, theirs = socket.socketpair()
    sess = console.Session(SocketStream(ours), stdin_fd=slave, stdout_fd=out_w, stderr=sink, tty=True)
    threading.Timer(0.3, lambda: os.write(master, b"\x1d")).start()  # the escape key ends the session
    assert sess.run(banner_text=console.banner("dev1", DEFAULT_ESCAPE), replay_log=log) == 0
    sink.close()
    os.close(out_w)
    assert read_all(out_r) == (
        b"Successfully connected to dev1 console. Press Ctrl+] or Ctrl+5 to exit console.\r\nLOG-TAIL\r\n"
    )
    for fd in (master, slave, out_r):
        os.close(fd)
    theirs.close()
