"""The one small interface every backend (local libvirt, KubeVirt cluster) implements.

Commands in ``vmctl.cli`` talk only to this interface, so every verb has the same flags, messages and
exit codes on both backends. Objects are plain dicts shaped like the Kubernetes API objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Obj = dict[str, Any]


@dataclass(frozen=True)
class Ref:
    """A namespaced object reference: kind (KubeVirt kind name), name, namespace."""

    kind: str
    name: str
    namespace: str = "default"


class Backend(Protocol):
    name: str  # "local" or "cluster"

    # --- objects -------------------------------------------------------------------------------
    def apply(self, objs: list[Obj], *, namespace: str | None = None) -> list[tuple[Obj, str]]:
        """Create or update objects; returns (stored object, "created"|"configured"|"unchanged") per input."""

    def get(self, ref: Ref) -> Obj:
        """Return one object or raise NotFoundError."""

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None) -> list[Obj]:
        """List objects of a kind (all namespaces when namespace is None)."""

    def delete(self, ref: Ref, *, wait: bool = False, timeout: float = 300) -> None:
        """Delete an object (and what it owns)."""

    # --- lifecycle (virtctl's subresources) ----------------------------------------------------
    def start(self, ref: Ref, *, paused: bool = False) -> None: ...
    def stop(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None: ...
    def restart(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None: ...
    def pause(self, ref: Ref) -> None: ...
    def unpause(self, ref: Ref) -> None: ...
    def soft_reboot(self, ref: Ref) -> None: ...
    def reset(self, ref: Ref) -> None: ...
    def wait(self, ref: Ref, condition: str, timeout: float) -> Obj:
        """Block until ``condition`` ("Ready", "Stopped", "Paused", "Deleted", ...) holds or raise on timeout."""

    # --- streams ------------------------------------------------------------------------------
    def console(self, ref: Ref, *, timeout: float, force: bool, escape: bytes) -> int: ...
    def vnc_stream(self, ref: Ref) -> Any:
        """A connected byte stream (socket-like: recv/sendall/close) to the VMI's VNC server."""
    def screenshot(self, ref: Ref) -> bytes: ...
