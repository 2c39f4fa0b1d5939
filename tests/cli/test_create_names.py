"""``vmctl create vm`` never prints a VM the API server would refuse for its name."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(("args", "flag"), [
    (["--name", "UPPER_case"], "--name"),
    (["--from-template", "cirros", "-p", "NAME=Bad_Name"], "--from-template"),
])
def test_invalid_vm_name_is_refused(vmctl: Any, args: list[str], flag: str) -> None:
    code, out, err = vmctl("create", "vm", *args)
    assert (code, out) == (2, "")
    assert err.startswith(f'error: failed to parse "{flag}" flag: metadata.name: Invalid value: ')
    assert "RFC 1123 subdomain" in err


def test_valid_dotted_name_is_accepted(vmctl: Any) -> None:
    code, out, _ = vmctl("create", "vm", "--name", "web-1.example")
    assert code == 0 and "name: web-1.example" in out
