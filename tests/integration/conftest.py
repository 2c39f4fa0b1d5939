"""Session fixtures for the local-backend integration tests (real libvirtd + QEMU, TCG on our machines).

Prerequisites (``make setup-local`` runs all three): ``bash tests/vm/setup_libvirt.sh``,
``python tests/vm/build_test_guest.py`` and, for registry tests, ``bash tests/vm/setup_registry.sh``.
Tests skip with a visible reason only when the libvirt socket or the registry is absent.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

VM_DIR = Path(__file__).resolve().parent.parent / "vm"
LIBVIRT_SOCKET = Path("/run/libvirt/libvirt-sock")
DOMAIN_PREFIX = "vmctl-test-"
REGISTRY = "localhost:5000"
TEST_GUEST_IMAGE = f"{REGISTRY}/vmctl/test-guest:v1"


def _load(name: str) -> ModuleType:
    """Import a helper from tests/vm by path (tests/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, VM_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


libvirt_boot = _load("libvirt_boot")
build_test_guest = _load("build_test_guest")
Console = libvirt_boot.Console


@dataclass(frozen=True)
class GuestImage:
    """Paths and markers of the built test guest (see tests/vm/build_test_guest.py)."""

    dir: Path
    vmlinux: Path
    vmlinuz: Path
    initrd: Path
    disk: Path
    oci: Path
    kernel_args: str
    booted: str
    shell_ready: str
    prompt: str


def _libvirt_uri() -> str:
    return os.environ.get("VMCTL_TEST_LIBVIRT_URI", "qemu:///system")


@pytest.fixture(scope="session")
def libvirt_uri() -> str:
    """The libvirt URI for integration tests; skips when libvirtd is not running."""
    uri = _libvirt_uri()
    if uri.startswith("qemu:///system") and not LIBVIRT_SOCKET.exists():
        pytest.skip(f"libvirtd is not running ({LIBVIRT_SOCKET} absent); run: bash tests/vm/setup_libvirt.sh")
    return uri


class _Reconnecting:
    """A libvirt connection that opens itself again when libvirtd was restarted (a test restarts it)."""

    def __init__(self, uri: str) -> None:
        import libvirt

        self._uri = uri
        self._conn = libvirt.open(uri)

    def __getattr__(self, name: str) -> Any:
        import libvirt

        try:
            alive = self._conn.isAlive()
        except libvirt.libvirtError:
            alive = False
        if not alive:
            self._conn = libvirt.open(self._uri)
        return getattr(self._conn, name)


@pytest.fixture(scope="session")
def libvirt_conn(libvirt_uri: str) -> Iterator[Any]:
    """One connection for the session (opened again after a libvirtd restart), after the event loop exists."""
    libvirt_boot.start_event_loop()
    conn = _Reconnecting(libvirt_uri)
    libvirt_boot.sweep(conn, DOMAIN_PREFIX)
    yield conn
    libvirt_boot.sweep(conn, DOMAIN_PREFIX)
    conn.close()


@pytest.fixture(scope="session", autouse=True)
def _sweep_leftover_domains() -> Iterator[None]:
    """Remove ``vmctl-test-*`` domains left by an earlier, killed run (before and after the session)."""
    if not LIBVIRT_SOCKET.exists() or not _libvirt_uri().startswith("qemu:"):
        yield
        return
    try:
        import libvirt
    except ImportError:
        yield
        return

    def sweep() -> None:
        try:
            conn = libvirt.open(_libvirt_uri())
        except libvirt.libvirtError:
            return
        try:
            libvirt_boot.sweep(conn, DOMAIN_PREFIX)
        finally:
            conn.close()

    sweep()
    yield
    sweep()


@pytest.fixture(scope="session")
def virt_type() -> str:
    """``kvm`` only where hardware virtualisation really works, else ``qemu`` (TCG)."""
    from vmctl.backends.local.host import detect_host

    return detect_host().virt_type


@pytest.fixture(scope="session")
def test_guest() -> GuestImage:
    """The test guest, built on first use into the cache (a no-op when it is already built)."""
    record = build_test_guest.build()
    markers = record["markers"]
    return GuestImage(
        dir=Path(record["dir"]), vmlinux=Path(record["vmlinux"]), vmlinuz=Path(record["vmlinuz"]),
        initrd=Path(record["initrd"]), disk=Path(record["disk"]), oci=Path(record["oci"]),
        kernel_args=record["kernel_args"], booted=markers["booted"], shell_ready=markers["shell_ready"],
        prompt=markers["prompt"],
    )


@pytest.fixture(scope="session")
def registry() -> str:
    """``localhost:5000`` when the local OCI registry answers; skips otherwise."""
    try:
        with urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=2) as resp:
            resp.read()
    except (urllib.error.URLError, OSError) as exc:
        pytest.skip(f"no registry on {REGISTRY} ({exc}); run: bash tests/vm/setup_registry.sh")
    return REGISTRY


_names = itertools.count(1)


@pytest.fixture
def domain_name() -> str:
    """A unique domain name the sweeper recognises: ``vmctl-test-<pid>-<n>``."""
    return f"{DOMAIN_PREFIX}{os.getpid()}-{next(_names)}"


@pytest.fixture
def boot_domain(libvirt_conn: Any) -> Iterator[Callable[[str], tuple[Any, Any]]]:
    """``boot(xml) -> (domain, console)``: define, start paused, attach the console, resume.

    Every domain booted through it is destroyed and undefined (NVRAM included) at teardown; on failure the
    console text is in the assertion messages of ``console.wait_for``.
    """
    booted: list[tuple[Any, Any]] = []

    def boot(xml: str) -> tuple[Any, Any]:
        dom, console = libvirt_boot.boot(libvirt_conn, xml)
        booted.append((dom, console))
        return dom, console

    yield boot
    for dom, console in booted:
        console.close()
        libvirt_boot.remove(dom)
