"""``-p`` parsing, ``--param-file`` reading and how the two combine."""

from __future__ import annotations

from pathlib import Path

import pytest

from vmctl.errors import InputError, UsageError
from vmctl.template import combine, parse_param_args, read_param_file


def test_parse_param_args() -> None:
    assert parse_param_args(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}


def test_missing_equals_names_the_flag() -> None:
    with pytest.raises(UsageError) as err:
        parse_param_args(["NAME"])
    assert err.value.message == "invalid -p/--param value 'NAME': expected NAME=VALUE (e.g. -p NAME=web1)"
    assert err.value.exit_code == 2
    with pytest.raises(UsageError, match="the parameter name before '=' is empty"):
        parse_param_args(["=v"])


def test_duplicates() -> None:
    with pytest.raises(UsageError) as err:
        parse_param_args(["A=1", "B=2", "A=3", "B=4", "A=5"])
    assert err.value.message == "The following parameters were provided more than once: A, B"


def test_read_param_file(tmp_path: Path) -> None:
    path = tmp_path / "p.env"
    path.write_text(
        '# comment\n\nNAME=web1\nexport ZONE = a\nUSER_DATA="#cloud-config\\nuser: me"\nQ=\'x y\'\nEMPTY=\n',
        encoding="utf-8",
    )
    assert read_param_file(path) == {
        "NAME": "web1", "ZONE": "a", "USER_DATA": "#cloud-config\nuser: me", "Q": "x y", "EMPTY": "",
    }


def test_read_param_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.env"
    bad.write_text("A=1\nnot a pair\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_param_file(bad)
    assert err.value.message == f"{bad}:2: invalid parameter line 'not a pair': expected KEY=VALUE"
    with pytest.raises(InputError, match="no such parameter file"):
        read_param_file(tmp_path / "missing.env")


def test_command_line_beats_files_with_warning() -> None:
    values, warnings = combine({"A": "cli"}, [("one.env", {"A": "f1", "B": "f1"}), ("two.env", {"B": "f2"})])
    assert values == {"A": "cli", "B": "f2"}
    assert warnings == ['parameter "A" is set on the command line and in "one.env"; using the command-line value']
