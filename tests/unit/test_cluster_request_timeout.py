"""kubectl's --request-timeout grammar: seconds, Go durations, 0 for no limit."""

from __future__ import annotations

import pytest

from vmctl.backends.cluster.connection import DEFAULT_TIMEOUT, parse_request_timeout
from vmctl.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (None, DEFAULT_TIMEOUT),
        ("0", None),
        ("5", 5.0),
        ("2.5", 2.5),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("1h", 3600.0),
    ],
)
def test_accepted(text: str | None, seconds: float | None) -> None:
    assert parse_request_timeout(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "1m 30s", "-1"])
def test_rejected(text: str) -> None:
    with pytest.raises(UsageError, match="--request-timeout: expected seconds or a duration like 1m30s"):
        parse_request_timeout(text)
