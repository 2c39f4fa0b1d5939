"""The key that ends a console session: virtctl's ``--escape`` notations."""

from __future__ import annotations

from vmctl.errors import UsageError

DEFAULT_ESCAPE = b"\x1d"  # Ctrl+]


def parse_escape(text: str) -> bytes:
    """``^]`` / ``^A`` (caret notation), ``0x1d`` / ``\\x1d`` (hex) or a single character -> the escape byte."""
    value = text.strip() if len(text.strip()) > 0 else text
    if len(value) == 2 and value[0] == "^":
        char = value[1].upper()
        if char == "?":
            return b"\x7f"
        code = ord(char) ^ 0x40
        if 0 <= code < 0x20:
            return bytes([code])
    elif value.lower().startswith(("0x", "\\x")) and len(value) in (3, 4):
        try:
            return bytes([int(value[2:], 16)])
        except ValueError:
            pass
    elif len(value) == 1 and ord(value) < 0x80:
        return value.encode()
    raise UsageError(f"--escape {text!r}: expected caret notation like ^] or ^A, a hex byte like 0x1d, or one ASCII character")


def describe_escape(escape: bytes) -> str:
    """How the banner names the escape key."""
    if escape == DEFAULT_ESCAPE:
        return "Ctrl+] or Ctrl+5"
    code = escape[0]
    if code == 0x7F:
        return "Ctrl+?"
    if code < 0x20:
        return f"Ctrl+{chr(code ^ 0x40)}"
    return repr(chr(code))
