"""Object names follow the API server's rules: required (or generateName) and an RFC 1123 subdomain."""

from __future__ import annotations

import pytest

from vmctl.schema import validate_object


def vm(meta: dict[str, object]) -> dict[str, object]:
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": meta,
            "spec": {"runStrategy": "Halted", "template": {"spec": {"domain": {"devices": {}}}}}}


def name_problems(meta: dict[str, object]) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in validate_object(vm(meta)) if p.field == "metadata.name"]


@pytest.mark.parametrize("name", ["web1", "a", "web-1.example.com", "0abc"])
def test_valid_names(name: str) -> None:
    assert name_problems({"name": name}) == []


@pytest.mark.parametrize("name", ["UPPER_case", "-web", "web-", "web_1", "Web1"])
def test_invalid_names_use_the_api_server_text(name: str) -> None:
    assert name_problems({"name": name}) == [(
        "metadata.name",
        f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    )]


def test_too_long_name() -> None:
    assert name_problems({"name": "a" * 254}) == [
        ("metadata.name", f'Invalid value: "{"a" * 254}": must be no more than 253 characters')]


def test_name_or_generate_name_required() -> None:
    assert name_problems({}) == [("metadata.name", "Required value: name or generateName is required")]
    assert name_problems({"generateName": "web-"}) == []
