"""Deterministic UUIDv5 text, without importing :mod:`uuid` (which pulls in ``platform`` at start-up)."""

from __future__ import annotations

try:  # the built-in SHA-1 avoids loading OpenSSL's _hashlib (a few ms at start-up)
    from _sha1 import sha1
except ImportError:  # pragma: no cover - interpreters built without it
    from hashlib import sha1


def uuid5_text(namespace: bytes, name: str) -> str:
    """``str(uuid.uuid5(uuid.UUID(bytes=namespace), name))``."""
    digest = bytearray(sha1(namespace + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def uuid_bytes(text: str) -> bytes:
    """The 16 bytes of a UUID written as text (``6ba7b810-9dad-...``)."""
    return bytes.fromhex(text.replace("-", ""))
