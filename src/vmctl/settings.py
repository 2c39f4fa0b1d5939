"""``VMCTL_*`` environment settings, parsed where they are used (never at import time).

A bad value is one usage error naming the variable and what it expects (exit code 2, like a bad flag value).
Limits cannot be switched off by accident: sizes and timeouts must be greater than zero, and are bounded above
(1 GiB of input, a day of rendering) so that no value can make vmctl fail in an uncontrolled way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vmctl.errors import UsageError

#: Defaults of the numeric settings (see docs/exit-codes.md and the topic docs for what each one bounds).
MAX_INPUT_BYTES = 16 * 1024 * 1024
MAX_EXPANDED_NODES = 2_000_000
TEMPLATE_TIMEOUT = 10.0
_WARNED: set[tuple[str, Path]] = set()


def _env_number(name: str, default: Any, parse: Callable[[str], Any], maximum: float, expected: str) -> Any:
    """``parse(os.environ[name])`` when it is more than 0 and at most ``maximum``, ``default`` when unset."""
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or not 0 < value <= maximum:  # also refuses nan
        raise UsageError(f"{name}: expected {expected}, got {text!r}")
    return value


def env_int(name: str, default: int, what: str, maximum: int) -> int:
    """A whole number of ``what`` from 1 to ``maximum`` from ``name``, else ``default`` when unset."""
    return _env_number(name, default, int, maximum, f"a whole number of {what} from 1 to {maximum}")


def env_seconds(name: str, default: float, maximum: float) -> float:
    """A number of seconds greater than 0 and at most ``maximum`` from ``name``, else ``default`` when unset."""
    return _env_number(name, default, float, maximum, f"a number of seconds greater than 0 and at most {maximum:g}")


def max_input_bytes() -> int:
    """Largest input accepted, in bytes (``VMCTL_MAX_INPUT_BYTES``)."""
    return env_int("VMCTL_MAX_INPUT_BYTES", MAX_INPUT_BYTES, "bytes", 2**30)


def max_expanded_nodes() -> int:
    """Largest number of nodes a document may expand to once YAML aliases are followed."""
    return env_int("VMCTL_MAX_EXPANDED_NODES", MAX_EXPANDED_NODES, "nodes", 10**9)


def template_timeout() -> float:
    """Seconds a Jinja2 template may take to render (``VMCTL_TEMPLATE_TIMEOUT``)."""
    return env_seconds("VMCTL_TEMPLATE_TIMEOUT", TEMPLATE_TIMEOUT, 86400)


def hook_timeout() -> float:
    """Seconds a hook sidecar script may run (``VMCTL_HOOK_TIMEOUT``)."""
    return env_seconds("VMCTL_HOOK_TIMEOUT", 60.0, 86400)


def pull_timeout() -> float:
    """Seconds an image pull may take (``VMCTL_PULL_TIMEOUT``)."""
    return env_seconds("VMCTL_PULL_TIMEOUT", 1800.0, 86400)


def console_drain() -> float:
    """Seconds of quiet guest output that end a piped console session (``VMCTL_CONSOLE_DRAIN``)."""
    return env_seconds("VMCTL_CONSOLE_DRAIN", 1.0, 60)


def env_dirs(name: str) -> list[Path]:
    """The folders of a ``os.pathsep``-separated path variable; a warning (once) per folder that does not exist."""
    dirs = [Path(p) for p in os.environ.get(name, "").split(os.pathsep) if p]
    for path in dirs:
        if not path.is_dir() and (name, path) not in _WARNED:
            _WARNED.add((name, path))
            problem = "not a directory" if path.exists() else "no such directory"
            sys.stderr.write(f"warning: {name}: {path}: {problem}, ignored\n")
    return dirs
