"""VNC for local domains: the QEMU VNC endpoint, screenshots (PNG), and finding a local VNC viewer.

The viewer table follows ``virtctl vnc`` (remote-viewer, then TigerVNC ``vncviewer``; macOS application paths),
with two additions users asked for: a clear message naming the packages to install, and macOS's built-in
Screen Sharing (``open vnc://...``) as the last resort there.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import xml.etree.ElementTree as ET
import zlib
from typing import Any

from vmctl.errors import VmctlError

NO_GRAPHICS = "No graphics devices are present."


# --- the QEMU side ---------------------------------------------------------------------------------


def vnc_address(domain: Any) -> tuple[str, int]:
    """(host, port) of the running domain's VNC server, from its live XML."""
    root = ET.fromstring(domain.XMLDesc(0))
    graphics = root.find("./devices/graphics[@type='vnc']")
    if graphics is None:
        raise VmctlError(NO_GRAPHICS)
    port = int(graphics.get("port") or "-1")
    if port <= 0:
        raise VmctlError("VMI is not running")
    listen = graphics.get("listen") or ""
    listen_el = graphics.find("listen")
    if listen_el is not None and listen_el.get("address"):
        listen = listen_el.get("address") or listen
    if listen in ("", "0.0.0.0", "::"):
        listen = "127.0.0.1"
    return listen, port


def connect(domain: Any, timeout: float = 10) -> socket.socket:
    """A TCP connection to the domain's VNC server (the RFB stream)."""
    host, port = vnc_address(domain)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise VmctlError(f"cannot connect to the VNC server at {host}:{port}: {exc.strerror or exc}") from None
    sock.settimeout(None)
    return sock


def screenshot(conn: Any, domain: Any) -> bytes:
    """A PNG of the first screen (``virDomainScreenshot``; PPM from older QEMU is converted)."""
    stream = conn.newStream(0)
    try:
        mime = domain.screenshot(stream, 0, 0)
        chunks = []
        while True:
            data = stream.recv(262144)
            if not data or isinstance(data, int):
                break
            chunks.append(data)
        stream.finish()
    except Exception:
        with contextlib.suppress(Exception):
            stream.abort()
        raise
    data = b"".join(chunks)
    if mime == "image/png" or data.startswith(PNG_SIGNATURE):
        return data
    if data[:2] in (b"P6", b"P5", b"P3", b"P2"):
        return ppm_to_png(data)
    raise VmctlError(f"screenshot: unexpected image type {mime!r}")


# --- PPM -> PNG (pure Python) -------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _ppm_tokens(data: bytes, count: int) -> tuple[list[int], int]:
    """Read ``count`` header integers after the magic; returns them and the offset of the pixel data."""
    values: list[int] = []
    pos = 2
    while len(values) < count:
        while pos < len(data) and data[pos : pos + 1].isspace():
            pos += 1
        if pos < len(data) and data[pos : pos + 1] == b"#":
            while pos < len(data) and data[pos : pos + 1] not in (b"\n", b"\r"):
                pos += 1
            continue
        start = pos
        while pos < len(data) and data[pos : pos + 1].isdigit():
            pos += 1
        if start == pos:
            raise VmctlError("screenshot: malformed PPM header")
        values.append(int(data[start:pos]))
    return values, pos + 1  # exactly one whitespace byte follows maxval


def ppm_to_png(data: bytes) -> bytes:
    """Convert a binary PPM (P6) or PGM (P5) image to PNG (8-bit RGB or grey)."""
    magic = data[:2]
    if magic not in (b"P6", b"P5"):
        raise VmctlError(f"screenshot: unsupported image format {magic!r} (expected binary PPM/PGM)")
    (width, height, maxval), offset = _ppm_tokens(data, 3)
    channels = 3 if magic == b"P6" else 1
    if width <= 0 or height <= 0 or not 0 < maxval < 65536:
        raise VmctlError("screenshot: malformed PPM header")
    sample = 2 if maxval > 255 else 1
    need = width * height * channels * sample
    pixels = data[offset : offset + need]
    if len(pixels) < need:
        raise VmctlError(f"screenshot: truncated PPM ({len(pixels)} of {need} pixel bytes)")
    if sample == 2:
        values = struct.unpack(f">{width * height * channels}H", pixels)
        pixels = bytes((v * 255 + maxval // 2) // maxval for v in values)
    elif maxval != 255:
        pixels = bytes((v * 255 + maxval // 2) // maxval for v in pixels)
    stride = width * channels
    raw = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(height))
    color_type = 2 if channels == 3 else 0
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
