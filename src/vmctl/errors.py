"""Errors vmctl reports to the user, and the exit codes they map to.

Exit codes (stable, documented in docs/exit-codes.md):
0 success, 1 error (bad input, rejected object, failed operation), 2 usage error (bad flags or arguments).
"""

from __future__ import annotations

from typing import NamedTuple

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class VmctlError(Exception):
    """An error with a one-line message for stderr and an exit code."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def detail_lines(self) -> list[str]:
        """Lines shown under the error line (a server's field causes); none by default."""
        return []


class UsageError(VmctlError):
    """Bad flags or arguments (exit code 2)."""

    exit_code = EXIT_USAGE


class InputError(VmctlError):
    """Malformed or out-of-bounds input: a file, a document or a flag value."""


class NotFoundError(VmctlError):
    """A referenced object (instancetype, preference, template, VM, ...) does not exist."""


class Unavailable(VmctlError):
    """The backend could not be reached (an API server that does not answer): never a problem of an object."""


class FieldProblem(NamedTuple):
    """One problem at one field path, as KubeVirt reports a StatusCause."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"


class ObjectRejected(VmctlError):
    """KubeVirt would reject the object: a message plus the field-level causes."""

    def __init__(self, message: str, causes: list[FieldProblem] | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.causes: list[FieldProblem] = list(causes or [])
