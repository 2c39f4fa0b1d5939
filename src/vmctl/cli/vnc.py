"""``vmctl vnc``: a local VNC proxy plus a viewer, and ``vmctl vnc screenshot``."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from vmctl.cli.backend_flags import NO_FLAGS, BackendFlags, backend_command
from vmctl.cli.options import Namespace

HELP = """Open a VNC connection to a virtual machine instance, or take a screenshot.

vmctl vnc NAME: waits up to --timeout minutes for the VMI to run, starts a local proxy on --address/--port
and launches a viewer (remote-viewer, else TigerVNC vncviewer; choose with --vnc-type/--vnc-path). It ends when
the viewer exits.

vmctl vnc NAME --proxy-only: prints {"port": N} on stdout and serves viewers (one after another, reconnects
included) until interrupted. --address is honoured in every mode (default 127.0.0.1: only this machine).

vmctl vnc screenshot NAME -f FILE: writes a PNG of the screen to FILE ('-' for stdout).

Example: vmctl vnc vm1

Example: vmctl vnc vm1 --proxy-only --port 5901

Example: vmctl vnc screenshot vm1 -f screen.png
"""


def _open(flags: BackendFlags) -> Any:
    from vmctl.cli.backend_flags import open_backend

    return open_backend(flags)


def _screenshot(be: Any, name: str, ns: str, file: str | None, timeout: int) -> None:
    from vmctl.backends.base import Ref
    from vmctl.cli.console import wait_running
    from vmctl.errors import UsageError, VmctlError

    if not file:
        raise UsageError("vnc screenshot: -f/--file is required (a PNG file, or '-' for stdout)")
    wait_running(be, name, ns, timeout * 60)
    png = be.screenshot(Ref("VirtualMachineInstance", name, ns))
    if file == "-":
        sys.stdout.buffer.write(png)
        sys.stdout.flush()
        return
    try:
        Path(file).write_bytes(png)
    except OSError as exc:
        raise VmctlError(f"--file {file}: Can't write image to a file: {exc.strerror}") from None


def _proxy(be: Any, name: str, ns: str, *, address: str, port: int, proxy_only: bool, vnc_type: str | None,
           vnc_path: str | None, timeout: int) -> None:
    import subprocess

    from vmctl.backends.base import Ref
    from vmctl.cli.console import find_vmi, wait_running
    from vmctl.cli.output import info, warn
    from vmctl.errors import VmctlError
    from vmctl.streams import viewers
    from vmctl.streams.tcp import TcpProxy

    viewer_host = "127.0.0.1" if address in ("0.0.0.0", "", "::") else address
    if not proxy_only:  # a missing VMI first, then the viewer: no point in waiting for a VM we cannot show
        find_vmi(be, name, ns)
        viewers.find_viewer(0, host=viewer_host, vnc_type=vnc_type, vnc_path=vnc_path)
    vmi = wait_running(be, name, ns, timeout * 60)
    ref = Ref("VirtualMachineInstance", name, ns)
    be.vnc_stream(ref).close()  # fail now (no graphics device, ...) rather than in the viewer
    conditions = (vmi.get("status") or {}).get("conditions") or []
    if any(c.get("type") == "Paused" and c.get("status") == "True" for c in conditions):
        warn(f"{name} is paused: the screen will not change until you run: vmctl unpause vmi {name}")
    proxy = TcpProxy(address, port, lambda: be.vnc_stream(ref))
    try:
        if proxy_only:
            sys.stdout.write(json.dumps({"port": proxy.port}) + "\n")
            sys.stdout.flush()
            proxy.serve_forever(on_error=warn)  # one viewer after another, until interrupted
            return
        argv = viewers.find_viewer(proxy.port, host=viewer_host, vnc_type=vnc_type, vnc_path=vnc_path).argv()
        info(f"launching {' '.join(argv)}")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        proxy.serve_forever(on_error=warn, until=lambda: proc.poll() is not None)
        output = (proc.communicate()[0] or b"").decode(errors="replace").strip().splitlines()
        if proc.returncode != 0:
            raise VmctlError(f"{argv[0]} exited with status {proc.returncode}" + (f": {output[-1]}" if output else ""))
    except KeyboardInterrupt:
        pass
    finally:
        proxy.close()


def register(app: typer.Typer) -> None:
    @app.command("vnc", help=HELP)
    @backend_command
    def vnc_command(
        args: Annotated[list[str], typer.Argument(help="NAME, or: screenshot NAME", show_default=False, metavar="[screenshot] NAME")],
        address: Annotated[str, typer.Option("--address", help="Address the local proxy listens on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port of the local proxy (0: any free port).")] = 0,
        proxy_only: Annotated[bool, typer.Option("--proxy-only", help="Do not launch a viewer; print {\"port\": N} and serve until interrupted.")] = False,
        vnc_type: Annotated[str | None, typer.Option("--vnc-type", help="Viewer kind: tiger, remote-viewer (and chicken, real on macOS).")] = None,
        vnc_path: Annotated[str | None, typer.Option("--vnc-path", help="Viewer binary to run instead of the autodetected one.")] = None,
        file: Annotated[str | None, typer.Option("--file", "-f", help="screenshot: PNG file to write ('-' for stdout).")] = None,
        timeout: Annotated[int, typer.Option("--timeout", help="Minutes to wait for the VMI to be running.")] = 5,
        namespace: Namespace = None,
        flags: BackendFlags = NO_FLAGS,
    ) -> None:
        from vmctl.errors import UsageError

        if timeout < 0:
            raise UsageError("--timeout: must be zero or more minutes")
        if len(args) == 2 and args[0] == "screenshot":
            be = _open(flags)
            _screenshot(be, args[1], namespace or be.default_namespace, file, timeout)
            return
        if len(args) != 1:
            raise UsageError("vnc: expected NAME or 'screenshot NAME'")
        if file is not None:
            raise UsageError("--file is only valid with 'vmctl vnc screenshot NAME'")
        if not 0 <= port < 65536:
            raise UsageError(f"--port {port}: must be between 0 and 65535")
        with contextlib.suppress(KeyboardInterrupt):
            be = _open(flags)
            _proxy(be, args[0], namespace or be.default_namespace, address=address, port=port,
                   proxy_only=proxy_only, vnc_type=vnc_type, vnc_path=vnc_path, timeout=timeout)
