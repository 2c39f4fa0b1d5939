"""VNC for local domains: the QEMU VNC endpoint, screenshots (PNG), and finding a local VNC viewer.

The viewer table follows ``virtctl vnc`` (remote-viewer, then TigerVNC ``vncviewer``; macOS application paths),
with two additions users asked for: a clear message naming the packages to install, and macOS's built-in
Screen Sharing (``open vnc://...``) as the last resort there.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import struct
import sys
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmctl.errors import UsageError, VmctlError

REMOTE_VIEWER = "remote-viewer"
TIGER_VNC = "vncviewer"
MACOS_TIGER_VNC = "/Applications/TigerVNC.app/Contents/MacOS/vncviewer"
MACOS_TIGER_VNC_LEGACY = "/Applications/TigerVNC Viewer *.app/Contents/MacOS/TigerVNC Viewer"
MACOS_CHICKEN_VNC = "/Applications/Chicken.app/Contents/MacOS/Chicken"
MACOS_REAL_VNC = "/Applications/VNC Viewer.app/Contents/MacOS/vncviewer"
VNC_TYPES = ("tiger", "chicken", "real", "remote-viewer")
NOT_FOUND = "no VNC viewer found: install virt-viewer (remote-viewer) or tigervnc-viewer, or use --proxy-only"
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


# --- viewers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    path: str
    args: tuple[str, ...]

    def argv(self) -> list[str]:
        return [self.path, *self.args]


def _tiger(host: str, port: int) -> tuple[str, ...]:
    return (f"{host}:{port}",)


def _chicken(host: str, port: int) -> tuple[str, ...]:
    return (f"{host}:{port}",)


def _real(host: str, port: int) -> tuple[str, ...]:
    return (f"{host}:{port}", "-WarnUnencrypted=0", "-Shared=0", "-ShareFiles=0")


def _remote_viewer(host: str, port: int) -> tuple[str, ...]:
    return (f"vnc://{host}:{port}",)


def _screen_sharing(host: str, port: int) -> tuple[str, ...]:
    return (f"vnc://{host}:{port}",)


ARGS: dict[str, Callable[[str, int], tuple[str, ...]]] = {
    "tiger": _tiger, "chicken": _chicken, "real": _real, "remote-viewer": _remote_viewer,
}
TYPE_BINARY = {"tiger": TIGER_VNC, "remote-viewer": REMOTE_VIEWER, "chicken": MACOS_CHICKEN_VNC, "real": MACOS_REAL_VNC}


def os_type() -> str:
    return {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(sys.platform, sys.platform)


def find_viewer(
    port: int, *, host: str = "127.0.0.1", vnc_type: str | None = None, vnc_path: str | None = None,
    os_name: str | None = None, path_env: str | None = None, exists: Callable[[str], bool] = os.path.exists,
) -> Viewer:
    """The viewer command for ``host:port`` (autodetected, or ``--vnc-type`` / ``--vnc-path``)."""
    osn = os_name or os_type()
    search = os.environ.get("PATH", "") if path_env is None else path_env

    def which(name: str) -> str | None:
        return shutil.which(name, path=search)

    if vnc_type is not None and vnc_type not in VNC_TYPES:
        raise UsageError(f"--vnc-type {vnc_type!r}: unsupported vnc-type (expected one of: {', '.join(VNC_TYPES)})")
    if vnc_path and not vnc_type:
        vnc_type = _guess_type(vnc_path)
    if vnc_type:
        if osn in ("linux", "windows") and vnc_type not in ("tiger", "remote-viewer"):
            raise UsageError(f"--vnc-type {vnc_type}: unsupported vnc-type for {osn}")
        if osn not in ("linux", "windows", "darwin"):
            raise VmctlError(f"vmctl does not support VNC viewers on {osn}; use --proxy-only")
        if vnc_path:
            if not exists(vnc_path):
                raise UsageError(f"--vnc-path: specified VNC path does not exist: {vnc_path}")
            binary = vnc_path
        else:
            wanted = TYPE_BINARY[vnc_type]
            found = which(wanted) if "/" not in wanted else (wanted if exists(wanted) else None)
            if found is None:
                raise VmctlError(f"could not find {wanted} in $PATH", hint=NOT_FOUND.split(": ", 1)[1])
            binary = found
        return Viewer(binary, ARGS[vnc_type](host, port))
    if osn in ("linux", "windows"):
        for name, kind in ((REMOTE_VIEWER, "remote-viewer"), (TIGER_VNC, "tiger")):
            found = which(name)
            if found:
                return Viewer(found, ARGS[kind](host, port))
        raise VmctlError(NOT_FOUND)
    if osn == "darwin":
        if exists(MACOS_TIGER_VNC):
            return Viewer(MACOS_TIGER_VNC, _tiger(host, port))
        legacy = sorted(glob.glob(MACOS_TIGER_VNC_LEGACY))
        if legacy:
            return Viewer(legacy[-1], _tiger(host, port))
        for path, kind in ((MACOS_CHICKEN_VNC, "chicken"), (MACOS_REAL_VNC, "real")):
            if exists(path):
                return Viewer(path, ARGS[kind](host, port))
        found = which(REMOTE_VIEWER)
        if found:
            return Viewer(found, _remote_viewer(host, port))
        opener = which("open")
        if opener:
            return Viewer(opener, _screen_sharing(host, port))
        raise VmctlError("no VNC viewer found: install TigerVNC or use --proxy-only")
    raise VmctlError(f"vmctl does not support VNC viewers on {osn}; use --proxy-only")


def _guess_type(path: str) -> str:
    """``--vnc-path`` without ``--vnc-type``: pick the argument style from the binary's name."""
    name = Path(path).name.lower()
    if "remote-viewer" in name:
        return "remote-viewer"
    if "chicken" in name:
        return "chicken"
    if "vnc viewer.app" in path.lower():
        return "real"
    return "tiger"
