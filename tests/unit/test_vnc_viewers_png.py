"""VNC: viewer detection table (fake PATH folders), PPM -> PNG, the reconnecting proxy, CLI errors."""

from __future__ import annotations

import socket
import stat
import struct
import threading
import zlib
from pathlib import Path

import pytest

from vmctl.backends.local import vnc
from vmctl.errors import UsageError, VmctlError
from vmctl.streams import viewers
from vmctl.streams.tcp import TcpProxy


def fake_bin(folder: Path, name: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_linux_prefers_remote_viewer_then_tigervnc(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    tiger = fake_bin(b, "vncviewer")
    assert viewers.find_viewer(5901, os_name="linux", path_env=str(b)).argv() == [tiger, "127.0.0.1:5901"]
    remote = fake_bin(a, "remote-viewer")
    assert viewers.find_viewer(5901, os_name="linux", path_env=f"{a}:{b}").argv() == [remote, "vnc://127.0.0.1:5901"]


def test_nothing_found_names_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(VmctlError) as err:
        viewers.find_viewer(5900, os_name="linux", path_env=str(tmp_path))
    assert str(err.value) == (
        "no VNC viewer found: install virt-viewer (remote-viewer) or tigervnc-viewer, or use --proxy-only"
    )


def test_explicit_type_and_path(tmp_path: Path) -> None:
    tiger = fake_bin(tmp_path, "vncviewer")
    remote = fake_bin(tmp_path, "remote-viewer")
    assert viewers.find_viewer(1, os_name="linux", path_env=str(tmp_path), vnc_type="tiger").argv() == [tiger, "127.0.0.1:1"]
    custom = fake_bin(tmp_path / "opt", "my-viewer")
    assert viewers.find_viewer(2, os_name="linux", vnc_path=custom, vnc_type="remote-viewer").argv() == [custom, "vnc://127.0.0.1:2"]
    assert viewers.find_viewer(3, os_name="linux", vnc_path=remote).argv() == [remote, "vnc://127.0.0.1:3"]
    with pytest.raises(UsageError, match="specified VNC path does not exist: /nope"):
        viewers.find_viewer(1, os_name="linux", vnc_path="/nope", vnc_type="tiger")
    with pytest.raises(UsageError, match="unsupported vnc-type for linux"):
        viewers.find_viewer(1, os_name="linux", path_env=str(tmp_path), vnc_type="chicken")
    with pytest.raises(UsageError, match="unsupported vnc-type"):
        viewers.find_viewer(1, os_name="linux", vnc_type="bogus")
    with pytest.raises(VmctlError, match="could not find vncviewer in \\$PATH"):
        viewers.find_viewer(1, os_name="linux", path_env=str(tmp_path / "empty"), vnc_type="tiger")


def test_macos_table(tmp_path: Path) -> None:
    present: set[str] = set()
    exists = present.__contains__
    empty = str(tmp_path / "empty")
    opener = fake_bin(tmp_path / "usr" / "bin", "open")
    # nothing installed: macOS's own Screen Sharing via `open vnc://`
    assert viewers.find_viewer(7, os_name="darwin", path_env=str(tmp_path / "usr" / "bin"), exists=exists).argv() == [
        opener, "vnc://127.0.0.1:7"]
    present.add(viewers.MACOS_REAL_VNC)
    assert viewers.find_viewer(7, os_name="darwin", path_env=empty, exists=exists).argv() == [
        viewers.MACOS_REAL_VNC, "127.0.0.1:7", "-WarnUnencrypted=0", "-Shared=0", "-ShareFiles=0"]
    present.add(viewers.MACOS_CHICKEN_VNC)
    assert viewers.find_viewer(7, os_name="darwin", path_env=empty, exists=exists).path == viewers.MACOS_CHICKEN_VNC
    present.add(viewers.MACOS_TIGER_VNC)  # TigerVNC >= 1.16 app layout (virtctl issue #16755)
    assert viewers.find_viewer(7, os_name="darwin", path_env=empty, exists=exists).argv() == [viewers.MACOS_TIGER_VNC, "127.0.0.1:7"]


def decode_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, color type, raw scanlines without filter bytes) of a PNG we wrote (filter 0 only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert ihdr is not None
    width, height, depth, color, *_ = ihdr
    assert depth == 8
    raw = zlib.decompress(idat)
    channels = 3 if color == 2 else 1
    stride = width * channels + 1
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, color, b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height))


def test_ppm_to_png_keeps_every_pixel() -> None:
    pixels = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90])
    ppm = b"P6\n# made by qemu\n3 2\n255\n" + pixels
    assert decode_png(vnc.ppm_to_png(ppm)) == (3, 2, 2, pixels)


def test_ppm_scaling_grey_and_errors() -> None:
    assert decode_png(vnc.ppm_to_png(b"P5 2 1 15\n" + bytes([15, 0]))) == (2, 1, 0, bytes([255, 0]))
    wide = b"P6 1 1 65535\n" + struct.pack(">3H", 65535, 0, 32768)
    assert decode_png(vnc.ppm_to_png(wide))[3] == bytes([255, 0, 128])
    with pytest.raises(VmctlError, match="truncated PPM"):
        vnc.ppm_to_png(b"P6 4 4 255\n" + b"\x00" * 10)
    with pytest.raises(VmctlError, match="unsupported image format"):
        vnc.ppm_to_png(b"GIF89a")


class FakeDomain:
    def __init__(self, xml: str) -> None:
        self.xml = xml

    def XMLDesc(self, flags: int) -> str:  # noqa: N802 - libvirt's name
        return self.xml


def test_vnc_address_from_live_xml() -> None:
    live = "<domain><devices><graphics type='vnc' port='5903' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics></devices></domain>"
    assert vnc.vnc_address(FakeDomain(live)) == ("127.0.0.1", 5903)
    with pytest.raises(VmctlError, match="^No graphics devices are present.$"):
        vnc.vnc_address(FakeDomain("<domain><devices/></domain>"))
    with pytest.raises(VmctlError, match="VMI is not running"):
        vnc.vnc_address(FakeDomain("<domain><devices><graphics type='vnc' port='-1'/></devices></domain>"))


def rfb_server() -> tuple[socket.socket, list[bytes]]:
    """A fake QEMU VNC endpoint: greets every client with the RFB banner and records what it is sent."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    got: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.sendall(b"RFB 003.008\n")
            got.append(conn.recv(100))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv, got


def test_proxy_serves_one_client_after_another() -> None:
    srv, got = rfb_server()
    port = srv.getsockname()[1]
    proxy = TcpProxy("127.0.0.1", 0, lambda: socket.create_connection(("127.0.0.1", port)))
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        for i in range(3):  # the viewer reconnects: every connection is served
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as client:
                assert client.recv(12) == b"RFB 003.008\n"
                client.sendall(f"RFB 003.00{i}\n".encode())
                assert client.recv(10) == b""
        assert got == [b"RFB 003.000\n", b"RFB 003.001\n", b"RFB 003.002\n"]
    finally:
        proxy.close()
        srv.close()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_cli_usage_errors(vmctl) -> None:
    assert vmctl("vnc", "screenshot", "vm1", "--backend", "local") == (
        2, "", "error: vnc screenshot: -f/--file is required (a PNG file, or '-' for stdout)\n")
    assert vmctl("vnc", "vm1", "--port", "70000") == (2, "", "error: --port 70000: must be between 0 and 65535\n")
