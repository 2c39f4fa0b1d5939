"""YAML as Kubernetes reads it, through the real entry point: a repeated key and an unclosed quote are one
``error:`` line naming the file and the line, exit 1, nothing on stdout; big inputs parsed in two processes
give the same documents, errors and line numbers as one process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from vmctl import batch

#: 12 lines: kind on line 2, name on 4, runStrategy on 6
VM = yaml.safe_dump(
    {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": "web1"},
        "spec": {
            "runStrategy": "Always",
            "instancetype": {"name": "u1.medium"},
            "template": {"spec": {"domain": {"devices": {}}}},
        },
    },
    sort_keys=False,
)

OFFLINE = ["validate", "resolve", "expand"]


def one_error(result: tuple[int, str, str], expected: str) -> None:
    code, out, err = result
    assert (code, out) == (1, ""), err
    assert err.splitlines()[0] == expected, err
    assert err.count("error:") == 1 and "Traceback" not in err


@pytest.mark.parametrize("command", OFFLINE)
def test_a_repeated_kind_is_an_error_not_the_last_one_winning(vmctl, tmp_path: Path, command: str) -> None:
    path = tmp_path / "vm.yaml"
    path.write_text(VM + "kind: VirtualMachineInstance\n")
    one_error(vmctl(command, "-f", path), f'error: {path}:13: invalid YAML: key "kind" already set in map (at line 2)')


@pytest.mark.parametrize("command", OFFLINE)
def test_a_repeated_nested_key(vmctl, tmp_path: Path, command: str) -> None:
    path = tmp_path / "vm.yaml"
    path.write_text(VM.replace("  runStrategy: Always\n", "  runStrategy: Always\n  runStrategy: Halted\n"))
    one_error(vmctl(command, "-f", path), f'error: {path}:7: invalid YAML: key "runStrategy" already set in map (at line 6)')


@pytest.mark.parametrize("command", OFFLINE)
def test_an_unclosed_quote_names_the_line_that_opened_it(vmctl, tmp_path: Path, command: str) -> None:
    path = tmp_path / "vm.yaml"
    path.write_text(VM.replace("  name: web1\n", '  name: "web1\n'))
    one_error(
        vmctl(command, "-f", path),
        f"error: {path}:4: invalid YAML: unclosed quote: the quoted scalar that starts on this line never ends",
    )


def test_a_template_file_with_a_repeated_key(vmctl, tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("apiVersion: template.openshift.io/v1\nkind: Template\nmetadata:\n  name: t\n  name: u\nobjects: []\n")
    one_error(
        vmctl("create", "vm", "--from-template", path),
        f'error: {path}:5: invalid YAML: key "name" already set in map (at line 4)',
    )


def test_duplicates_from_stdin(vmctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a: 1\na: 2\n"))
    one_error(vmctl("validate", "-f", "-"), 'error: <stdin>:2: invalid YAML: key "a" already set in map (at line 1)')


# --- big YAML parsed in two processes ------------------------------------------------------------------------

needs_two_cpus = pytest.mark.skipif(
    not hasattr(os, "fork") or len(os.sched_getaffinity(0)) < 2, reason="needs os.fork and two CPUs"
)


def many_vms(count: int) -> str:
    return "".join("---\n" + VM.replace("name: web1", f"name: vm-{i}") for i in range(count))


def serial_and_split(vmctl, monkeypatch: pytest.MonkeyPatch, *args: str | Path) -> tuple[int, str, str]:
    monkeypatch.setattr(batch, "PARALLEL_PARSE_MIN_BYTES", 10**12)
    serial = vmctl(*args)
    monkeypatch.setattr(batch, "PARALLEL_PARSE_MIN_BYTES", 1)
    forks: list[int] = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    split = vmctl(*args)
    assert forks, "the input was not parsed in two processes"
    assert split == serial
    return serial


@needs_two_cpus
@pytest.mark.parametrize("output", ["yaml", "json"])
def test_big_yaml_parsed_in_two_processes_gives_the_same_output(
    vmctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(many_vms(40))
    code, out, _ = serial_and_split(vmctl, monkeypatch, "resolve", "-f", path, "-o", output)
    assert code == 0 and out.count("vm-39") >= 1


@needs_two_cpus
@pytest.mark.parametrize("where", [3, 37])
def test_errors_in_either_half_are_the_one_process_errors(
    vmctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: int
) -> None:
    docs = many_vms(40).split("---\n")[1:]
    docs[where] = docs[where].replace("  name: vm", '  name: "vm')
    path = tmp_path / "big.yaml"
    path.write_text("".join("---\n" + d for d in docs))
    code, out, err = serial_and_split(vmctl, monkeypatch, "validate", "-f", path)
    assert (code, out) == (1, "") and "unclosed quote" in err


@needs_two_cpus
def test_schema_findings_carry_whole_file_lines_and_document_numbers(
    vmctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = many_vms(40).split("---\n")[1:]
    docs[35] = docs[35].replace("runStrategy: Always", "runStrategy: [Always]")
    path = tmp_path / "big.yaml"
    path.write_text("".join("---\n" + d for d in docs))
    code, _, err = serial_and_split(vmctl, monkeypatch, "resolve", "-f", path)
    assert code == 1 and f"{path}:{35 * 13 + 7}: document 36 (VirtualMachine/vm-35)" in err


@needs_two_cpus
def test_no_fork_means_one_process(vmctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(many_vms(30))
    expected = vmctl("resolve", "-f", path, "-o", "name")
    monkeypatch.setattr(batch, "PARALLEL_PARSE_MIN_BYTES", 1)
    monkeypatch.setattr(batch, "PARALLEL_MIN", 2)

    def no_fork() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert vmctl("resolve", "-f", path, "-o", "name") == expected
    assert expected[0] == 0 and expected[1].count("\n") == 30
