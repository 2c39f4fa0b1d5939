"""virtctl's structured flag grammar (``key:value,key:value``) and its exact error texts."""

from __future__ import annotations

import re

import pytest

from vmctl.core.names import label_errors
from vmctl.create import params
from vmctl.create.params import ParamError
from vmctl.errors import EXIT_USAGE

SPEC: dict[str, params.ParamType] = {
    "name": "string", "src": "string", "bootorder": "uint", "size": "quantity", "extraheaders": "slice",
}


def test_split_on_commas_then_once_on_colon() -> None:
    got = params.map_params("volume-import", "src:docker://quay.io/x:1,name:root,bootorder:2", SPEC)
    assert got == {"src": "docker://quay.io/x:1", "name": "root", "bootorder": 2}


def test_slice_params_use_semicolons() -> None:
    got = params.map_params("volume-import", "extraheaders:A: 1;B: 2", SPEC)
    assert got == {"extraheaders": ["A: 1", "B: 2"]}


def test_later_key_wins() -> None:
    assert params.map_params("x", "name:a,name:b", SPEC) == {"name": "b"}


def test_quantity_is_canonicalised() -> None:
    assert params.map_params("volume-import", "size:1024Mi", SPEC) == {"size": "1Gi"}
    assert params.map_params("volume-import", "size:30Gi", SPEC) == {"size": "30Gi"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'failed to parse "--volume-import" flag: params may not be empty'),
        ("src", 'failed to parse "--volume-import" flag: params need to have at least one colon: src'),
        ("src:a,oops", 'failed to parse "--volume-import" flag: params need to have at least one colon: oops'),
        ("src:a,k:v", 'failed to parse "--volume-import" flag: unknown param(s): k:v'),
        ("k:v,src:a,z:1", 'failed to parse "--volume-import" flag: unknown param(s): k:v,z:1'),
        (
            "bootorder:x",
            'failed to parse "--volume-import" flag: failed to parse param "bootorder": '
            'strconv.ParseUint: parsing "x": invalid syntax',
        ),
        (
            "bootorder:-1",
            'failed to parse "--volume-import" flag: failed to parse param "bootorder": '
            'strconv.ParseUint: parsing "-1": invalid syntax',
        ),
        (
            "bootorder:4294967296",
            'failed to parse "--volume-import" flag: failed to parse param "bootorder": '
            'strconv.ParseUint: parsing "4294967296": value out of range',
        ),
    ],
)
def test_errors_have_virtctls_text(text: str, message: str) -> None:
    with pytest.raises(ParamError) as info:
        params.map_params("volume-import", text, SPEC)
    assert info.value.message == message
    assert info.value.exit_code == EXIT_USAGE


def test_bad_quantity_names_param_and_flag() -> None:
    with pytest.raises(ParamError) as info:
        params.map_params("volume-import", "size:lots", SPEC)
    assert info.value.message.startswith('failed to parse "--volume-import" flag: failed to parse param "size": ')


def test_uint_max_is_accepted() -> None:
    assert params.map_params("x", "bootorder:4294967295", SPEC) == {"bootorder": 4294967295}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("name", ("", "name")), ("ns/name", ("ns", "name")), ("virtualmachineinstancetype/u1", ("virtualmachineinstancetype", "u1"))],
)
def test_split_prefixed_name(text: str, expected: tuple[str, str]) -> None:
    assert params.split_prefixed_name(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("a/b/c", "invalid count 2 of slashes in prefix/name"), ("ns/", "name cannot be empty"), ("", "name cannot be empty")],
)
def test_split_prefixed_name_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        params.split_prefixed_name(text)


def test_dns1123_label_errors_match_kubernetes() -> None:
    assert label_errors("root-disk") == []
    assert label_errors("a.b") == ["must not contain dots"]
    assert label_errors("Root") == [
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
        "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    ]
    assert label_errors("a" * 64) == ["must be no more than 63 characters"]


def test_check_dns1123_label_message() -> None:
    with pytest.raises(ParamError) as info:
        params.check_dns1123_label("volume-containerdisk", "a.b")
    assert info.value.message == 'failed to parse "--volume-containerdisk" flag: invalid name "a.b": must not contain dots'


def test_random_suffix_alphabet() -> None:
    seen = {params.random_suffix() for _ in range(50)}
    assert len(seen) > 40
    for suffix in seen:
        assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{5}", suffix)


def test_get_param() -> None:
    assert params.get_param("type", "type:ds,src:a/b") == "ds"
    assert params.get_param("size", "type:ds,src:a/b") is None


def test_supported_lists_types() -> None:
    assert params.supported(SPEC) == "name:string,src:string,bootorder:uint,size:resource.Quantity,extraheaders:[]string"
