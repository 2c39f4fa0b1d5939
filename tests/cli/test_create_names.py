"""``vmctl create vm`` never prints a VM the API server would refuse for its name."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(("args", "start"), [
    (["--name", "UPPER_case"], 'failed to parse "--name" flag: metadata.name: Invalid value: '),
    (["--from-template", "cirros", "-p", "NAME=Bad_Name"],
     'cirros: parameter NAME: value "Bad_Name" makes an invalid VirtualMachine metadata.name: Invalid value: '),
])
def test_invalid_vm_name_is_refused(vmctl: Any, args: list[str], start: str) -> None:
    code, out, err = vmctl("create", "vm", *args)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {start}")
    assert "RFC 1123 subdomain" in err


def test_valid_dotted_name_is_accepted(vmctl: Any) -> None:
    code, out, _ = vmctl("create", "vm", "--name", "web-1.example")
    assert code == 0 and "name: web-1.example" in out
