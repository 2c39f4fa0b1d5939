"""CLI conventions every command keeps (docs/exit-codes.md, the briefing's CLI rules), through the real entry point.

Help with an example on every command and subcommand, ``vmctl version``, exit codes 0/1/2/130, ``-o yaml|json|name``,
diagnostics on stderr only, shell completion, and a light start-up (no jinja2/libvirt/kubernetes/rich imports).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import click
import pytest

from vmctl.cli.main import COMMANDS, load_module_commands
from vmctl.io.yamlio import parse_documents

REPO = Path(__file__).resolve().parents[2]
VMCTL = REPO / ".venv" / "bin" / "vmctl"
PYTHON = REPO / ".venv" / "bin" / "python"

VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web1
spec:
  runStrategy: Always
  instancetype:
    name: u1.medium
  template:
    spec:
      domain:
        devices: {}
"""

#: ``-o name`` lines: ``<singular>.<group>/<name>`` (core kinds have no group).
NAME_LINE = re.compile(r"^[a-z][a-z0-9]*(\.[a-z0-9-]+)+/[a-z0-9][a-z0-9.-]*$")


def _walk(command: click.Command, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    paths = [path]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            paths += _walk(sub, (*path, name))
    return paths


def command_paths() -> list[tuple[str, ...]]:
    """Every command and subcommand of the real CLI; a name of COMMANDS whose module registers nothing stays in."""
    paths: list[tuple[str, ...]] = []
    for name, module in COMMANDS.items():
        command = load_module_commands(module).get(name)
        paths += [(name,)] if command is None else _walk(command, (name,))
    return paths


PATHS = command_paths()


def run_proc(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``vmctl`` console script."""
    return subprocess.run(
        [str(VMCTL), *args], input=stdin, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})}, check=False,
    )


@pytest.fixture
def vm_file(tmp_path: Path) -> Path:
    path = tmp_path / "vm.yaml"
    path.write_text(VM)
    return path


# --- help -------------------------------------------------------------------------------------------------------


def test_root_help_lists_every_command(vmctl) -> None:
    code, out, err = vmctl("--help")
    assert (code, err) == (0, "")
    assert out.startswith("Usage: vmctl [OPTIONS] COMMAND [ARGS]...\n")
    listed = re.findall(r"^  ([a-z][a-z-]*)  ", out.split("\nCommands:\n", 1)[1], re.M)
    assert listed == list(COMMANDS)


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_every_command_has_help_with_an_example(vmctl, path: tuple[str, ...]) -> None:
    code, out, err = vmctl(*path, "--help")
    assert (code, err) == (0, ""), f"vmctl {' '.join(path)} --help failed"
    assert f"Usage: vmctl {' '.join(path)} " in out, out
    example = re.search(r"^\s*Examples?:(.*)", out, re.M | re.S)
    assert example, f"no 'Example:' line in the help of vmctl {' '.join(path)}"
    assert f"vmctl {path[0]}" in example.group(1) or f"vmctl {' '.join(path)}" in example.group(1)
    assert vmctl(*path, "-h") == (0, out, "")


def _help_texts() -> dict[str, object]:
    """``--help`` of every command in a fresh interpreter: the texts, and whether rich got imported."""
    code = (
        "import contextlib, io, json, sys\nfrom vmctl.cli.main import main\n"
        f"paths = {PATHS!r}\ntexts = {{}}\n"
        "for path in paths:\n"
        "    out = io.StringIO()\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        try:\n            main([*path, '--help'])\n        except SystemExit:\n            pass\n"
        "    texts[' '.join(path)] = out.getvalue()\n"
        "rich = any(m.split('.')[0] == 'rich' for m in sys.modules)\n"
        "sys.stderr.write(json.dumps({'texts': texts, 'rich': rich}))\n"
    )
    proc = subprocess.run([str(PYTHON), "-c", code], capture_output=True, text=True, timeout=120, check=False)
    return dict(json.loads(proc.stderr.splitlines()[-1]))


def test_every_help_is_plain_like_the_root_help() -> None:
    """Plain click help everywhere (no rich boxes), and showing help does not import rich."""
    result = _help_texts()
    texts = result["texts"]
    assert isinstance(texts, dict)
    assert [p for p, t in texts.items() if not t.startswith(f"Usage: vmctl {p} ") or "\u256d" in t] == []
    assert result["rich"] is False


def test_only_the_root_offers_completion_installers() -> None:
    texts = _help_texts()["texts"]
    assert isinstance(texts, dict)
    assert [p for p, t in texts.items() if "--show-completion" in t] == []


# --- version ----------------------------------------------------------------------------------------------------


def test_version() -> None:
    import vmctl

    proc = run_proc("version")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == (
        f"vmctl {vmctl.__version__} (KubeVirt {vmctl.KUBEVIRT_VERSION} semantics, "
        f"common-instancetypes {vmctl.COMMON_INSTANCETYPES_VERSION})\n"
    )
    assert re.fullmatch(r"vmctl \d+\.\d+\.\d+ \(KubeVirt v1\.9\.\d+ semantics, common-instancetypes v1\.7\.0\)\n", proc.stdout)


# --- exit codes (docs/exit-codes.md) ----------------------------------------------------------------------------


def test_exit_codes_doc_lists_0_1_2_130() -> None:
    text = (REPO / "docs" / "exit-codes.md").read_text()
    assert re.findall(r"^\| (\d+) \|", text, re.M) == ["0", "1", "2", "130"]


def test_exit_0_on_success(vmctl, vm_file: Path) -> None:
    code, out, err = vmctl("resolve", "-f", str(vm_file), "-o", "name")
    assert (code, out, err) == (0, "virtualmachineinstance.kubevirt.io/web1\n", "")


def test_exit_1_on_bad_input_with_one_error_line(vmctl, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    code, out, err = vmctl("resolve", "-f", str(missing), "-o", "json")
    assert (code, out, err) == (1, "", f"error: {missing}: no such file or directory\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "error: No such command 'nosuch'."),
        (["get", "instancetypes", "--nosuch"], "error: No such option: --nosuch"),
        (["create", "vm", "--nam", "x"], "error: No such option: --nam (Possible options: --name, "),
        (["get"], "error: Missing argument 'RESOURCE'."),
        (["template", "show"], "error: Missing argument 'TEMPLATE'."),
        (["create", "vm", "--cpu", "two"], "error: Invalid value for '--cpu': 'two' is not a valid integer."),
        (["resolve", "-f", "x.yaml", "-o", "xml"],
         "error: Invalid value for '--output' / '-o': 'xml' is not one of 'yaml', 'json', 'name'."),
        (["resolve"], "error: -f/--filename is required, e.g. 'vmctl resolve -f vm.yaml'"),
        (["create", "vm", "-p", "NAME=x"], "error: -p/--param, --param-file, --ignore-unknown-parameters and "
                                           "--template-dir need --from-template"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_exit_2_on_usage_errors(vmctl, args: list[str], message: str) -> None:
    code, out, err = vmctl(*args)
    assert (code, out) == (2, "")
    assert any(line.startswith(message) for line in err.splitlines()), err


def test_no_arguments_prints_usage_and_exits_2() -> None:
    proc = run_proc()
    assert proc.returncode == 2
    assert "Usage: vmctl [OPTIONS] COMMAND [ARGS]..." in proc.stdout + proc.stderr


def _open_writer(fifo: Path, *, deadline: float) -> int:
    """Open the FIFO for writing once a reader has it open (ENXIO until then); never block forever."""
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_ctrl_c_exits_130(tmp_path: Path) -> None:
    """SIGINT while ``resolve`` waits for its input (a FIFO): exit 130, no traceback."""
    fifo = tmp_path / "in.yaml"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [str(VMCTL), "resolve", "-f", str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        writer = _open_writer(fifo, deadline=time.monotonic() + 30)  # vmctl has opened the FIFO: start-up is over
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        os.close(writer)
    finally:
        proc.kill()
    assert (proc.returncode, out) == (130, "")
    assert "Traceback" not in err


# --- output formats ---------------------------------------------------------------------------------------------

#: Commands offering -o yaml|json|name that run offline: (arguments, the -o name output).
FORMAT_CASES: list[tuple[list[str], list[str]]] = [
    (["create", "vm", "--name", "a1"], ["virtualmachine.kubevirt.io/a1"]),
    (["create", "vm", "--from-template", "cirros", "-p", "NAME=c1", "--instancetype", "u1.medium", "--resolve"],
     ["virtualmachineinstance.kubevirt.io/c1"]),
    (["create", "instancetype", "--cpu", "1", "--memory", "1Gi", "--name", "it1"],
     ["virtualmachineclusterinstancetype.instancetype.kubevirt.io/it1"]),
    (["create", "instancetype", "--cpu", "1", "--memory", "1Gi", "--name", "it1", "-n", "dev"],
     ["virtualmachineinstancetype.instancetype.kubevirt.io/it1"]),
    (["create", "preference", "--name", "p1"], ["virtualmachineclusterpreference.instancetype.kubevirt.io/p1"]),
    (["template", "process", "cirros", "-p", "NAME=c2"], ["virtualmachine.kubevirt.io/c2"]),
    (["template", "show", "cirros"], ["template.template.openshift.io/cirros"]),
    (["template", "show", "fedora-server"], ["jinjatemplate.vmctl.dev/fedora-server"]),
    (["resolve", "-f", "{vm}"], ["virtualmachineinstance.kubevirt.io/web1"]),
    (["expand", "-f", "{vm}"], ["virtualmachine.kubevirt.io/web1"]),
    (["get", "instancetype", "u1.medium"], ["virtualmachineclusterinstancetype.instancetype.kubevirt.io/u1.medium"]),
    (["get", "preference", "fedora"], ["virtualmachineclusterpreference.instancetype.kubevirt.io/fedora"]),
]


def _args(args: list[str], vm: Path) -> list[str]:
    return [a.replace("{vm}", str(vm)) for a in args]


@pytest.mark.parametrize(("args", "names"), FORMAT_CASES, ids=[" ".join(a[:3]) for a, _ in FORMAT_CASES])
def test_output_formats(vmctl, vm_file: Path, args: list[str], names: list[str]) -> None:
    args = _args(args, vm_file)
    code, out, err = vmctl(*args, "-o", "name")
    assert code == 0, err
    assert out.splitlines() == names
    assert all(NAME_LINE.match(line) for line in names)
    assert "error" not in err

    code, out, _ = vmctl(*args, "-o", "json")
    assert code == 0
    body = json.loads(out)
    # one object prints as itself; `template process` prints a v1 List as `oc process` does
    items = body["items"] if body["kind"] == "List" and args[:2] == ["template", "process"] else [body]
    assert [f"{o['kind']}/{o['metadata']['name']}" for o in items] == [
        f"{_kind_of(n)}/{n.rsplit('/', 1)[1]}" for n in names
    ]

    code, out, _ = vmctl(*args, "-o", "yaml")
    assert code == 0
    docs = [d.obj for d in parse_documents(out, "<stdout>")]
    assert docs == items


def _kind_of(name_line: str) -> str:
    from vmctl.core import kinds

    singular = name_line.split("/", 1)[0].split(".", 1)[0]
    known = {k.singular: k.kind for k in kinds.ALL} | {"jinjatemplate": "JinjaTemplate"}
    return known[singular]


def test_several_objects_print_as_documents_a_list_or_name_lines(vmctl, tmp_path: Path) -> None:
    path = tmp_path / "vms.yaml"
    path.write_text(VM + "---\n" + VM.replace("web1", "web2"))
    code, out, _ = vmctl("resolve", "-f", str(path), "-o", "name")
    assert (code, out) == (0, "virtualmachineinstance.kubevirt.io/web1\nvirtualmachineinstance.kubevirt.io/web2\n")
    code, out, _ = vmctl("resolve", "-f", str(path), "-o", "json")
    body = json.loads(out)
    assert (body["apiVersion"], body["kind"]) == ("v1", "List")
    assert [i["metadata"]["name"] for i in body["items"]] == ["web1", "web2"]
    code, out, _ = vmctl("resolve", "-f", str(path))
    assert [d.obj for d in parse_documents(out, "<stdout>")] == body["items"]
    assert out.count("\n---\n") == 1


def test_template_list_formats(vmctl) -> None:
    code, out, err = vmctl("template", "list", "-o", "name")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "template.template.openshift.io/cirros" in lines
    assert "jinjatemplate.vmctl.dev/fedora-server" in lines
    assert "virtualmachinetemplate.template.kubevirt.io/ubuntu-server" in lines
    assert all(NAME_LINE.match(line) for line in lines), lines
    code, out, _ = vmctl("template", "list", "-o", "json")
    body = json.loads(out)
    assert (code, body["kind"]) == (0, "List")
    assert [i["metadata"]["name"] for i in body["items"]] == [line.rsplit("/", 1)[1] for line in lines]
    code, out, _ = vmctl("template", "list", "-o", "yaml")
    assert (code, [d.obj for d in parse_documents(out, "<stdout>")]) == (0, body["items"])


def test_template_params_formats(vmctl) -> None:
    """``template params`` prints parameters, not objects: -o name gives their names, like ``oc process --parameters``."""
    code, out, err = vmctl("template", "params", "cirros", "-o", "name")
    assert (code, out, err) == (0, "NAME\nIMAGE\nMEMORY\nRUN_STRATEGY\nUSER_DATA\n", "")
    code, out, _ = vmctl("template", "params", "cirros", "-o", "json")
    params = json.loads(out)
    assert (code, [p["name"] for p in params]) == (0, ["NAME", "IMAGE", "MEMORY", "RUN_STRATEGY", "USER_DATA"])
    code, out, _ = vmctl("template", "params", "cirros", "-o", "yaml")
    assert (code, [d.obj for d in parse_documents(out, "<stdout>")]) == (0, [params])


def _applied(vmctl, tmp_path: Path) -> list[str]:
    """A Halted VM applied to the local backend on libvirt's in-process test driver (nothing boots)."""
    backend = ["--backend", "local", "--state-dir", str(tmp_path / "state"), "--libvirt-uri", "test:///default"]
    path = tmp_path / "vm.yaml"
    path.write_text(VM.replace("runStrategy: Always", "runStrategy: Halted"))
    code, out, err = vmctl("apply", "-f", str(path), *backend, "-o", "name")
    assert (code, out) == (0, "virtualmachine.kubevirt.io/web1\n"), err
    return backend


def test_backend_commands_formats(vmctl, tmp_path: Path) -> None:
    backend = _applied(vmctl, tmp_path)
    code, out, _ = vmctl("get", "vms", *backend, "-o", "name")
    assert (code, out) == (0, "virtualmachine.kubevirt.io/web1\n")
    code, out, _ = vmctl("get", "vm", "web1", *backend, "-o", "json")
    vm = json.loads(out)
    assert (code, vm["kind"], vm["metadata"]["name"], vm["spec"]["runStrategy"]) == (0, "VirtualMachine", "web1", "Halted")
    code, out, _ = vmctl("get", "vm", "web1", *backend, "-o", "yaml")
    assert (code, [d.obj for d in parse_documents(out, "<stdout>")]) == (0, [vm])


def test_backend_listing_json_is_a_list(vmctl, tmp_path: Path) -> None:
    backend = _applied(vmctl, tmp_path)
    code, out, _ = vmctl("get", "vms", *backend, "-o", "json")
    listing = json.loads(out)
    assert (code, listing["kind"], [i["metadata"]["name"] for i in listing["items"]]) == (0, "List", ["web1"])
    code, out, _ = vmctl("get", "vms", *backend, "-o", "yaml")
    assert (code, [d.obj for d in parse_documents(out, "<stdout>")]) == (0, [listing])
    code, out, _ = vmctl("get", "vm", "web1", "web1", *backend, "-o", "json")
    assert (code, json.loads(out)) == (0, {**listing, "items": listing["items"] * 2})
    assert vmctl("get", "vmis", *backend, "-o", "json") == (
        0, '{\n  "apiVersion": "v1",\n  "items": [],\n  "kind": "List"\n}\n', "")


@pytest.mark.parametrize("args", [["apply", "-f", "x.yaml", "-o", "table"], ["volume", "list", "-o", "table"]],
                         ids=["apply", "volume list"])
def test_output_choices_are_checked_by_the_parser(vmctl, args: list[str]) -> None:
    code, out, err = vmctl(*args)
    assert (code, out) == (2, "")
    assert err.startswith("error: Invalid value for '--output' / '-o': 'table' is not one of 'yaml', 'json', 'name'")


def _volume(vmctl, tmp_path: Path) -> list[str]:
    state = ["--state-dir", str(tmp_path / "state")]
    code, _, err = vmctl("volume", "create", "data1", "--size", "1Mi", *state)
    assert code == 0, err
    return state


def test_volume_list_formats(vmctl, tmp_path: Path) -> None:
    state = _volume(vmctl, tmp_path)
    code, out, _ = vmctl("volume", "list", *state, "-o", "name")
    assert (code, out) == (0, "persistentvolumeclaim/data1\n")
    code, out, _ = vmctl("volume", "list", *state, "-o", "yaml")
    docs = [d.obj for d in parse_documents(out, "<stdout>")]
    assert (code, [(d["kind"], d["metadata"]["name"]) for d in docs]) == (0, [("PersistentVolumeClaim", "data1")])


def test_volume_listing_json_is_a_list(vmctl, tmp_path: Path) -> None:
    state = _volume(vmctl, tmp_path)
    code, out, _ = vmctl("volume", "list", *state, "-o", "json")
    listing = json.loads(out)
    assert (code, listing["kind"], [i["metadata"]["name"] for i in listing["items"]]) == (0, "List", ["data1"])


def test_catalog_listing_json_is_a_list(vmctl) -> None:
    """A listing prints a JSON List even when one object matches (scripts use jq '.items[]'); a named get does not."""
    selector = "instancetype.kubevirt.io/class=general.purpose,instancetype.kubevirt.io/size=2xmedium"
    code, out, _ = vmctl("get", "instancetypes", "-l", selector, "-o", "name")
    assert (code, out) == (0, "virtualmachineclusterinstancetype.instancetype.kubevirt.io/u1.2xmedium\n")
    code, out, _ = vmctl("get", "instancetypes", "-l", selector, "-o", "json")
    body = json.loads(out)
    assert (code, body["kind"], [i["metadata"]["name"] for i in body["items"]]) == (0, "List", ["u1.2xmedium"])
    code, out, _ = vmctl("get", "instancetype", "u1.2xmedium", "-o", "json")
    assert (code, json.loads(out)["kind"]) == (0, "VirtualMachineClusterInstancetype")


def _options(path: tuple[str, ...]) -> dict[str, click.Parameter]:
    command: click.Command | None = load_module_commands(COMMANDS[path[0]]).get(path[0])
    for name in path[1:]:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command is not None, f"vmctl {' '.join(path)} is not registered"
    return {opt: p for p in command.params for opt in p.opts if opt.startswith("--")}


#: Known deviations, reported to their owners (strict: the mark must go once fixed).
FLAG_BUGS: dict[tuple[str, ...], str] = {}


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=FLAG_BUGS[p])) if p in FLAG_BUGS else p for p in PATHS],
    ids=" ".join,
)
def test_shared_flags_are_spelled_the_same_everywhere(path: tuple[str, ...]) -> None:
    options = _options(path)
    if "--namespace" in options:
        assert "-n" in options["--namespace"].opts
    if "--filename" in options:
        assert "-f" in options["--filename"].opts
    if "--output" in options:
        output = options["--output"]
        assert "-o" in output.opts
        assert isinstance(output.type, click.Choice), f"vmctl {' '.join(path)} -o takes any text"
        choices = set(output.type.choices)
        assert {"json"} <= choices
        if path not in (("validate",), ("controller", "status"), ("rollout", "status")):  # findings, states: text or json
            assert {"yaml", "json", "name"} <= choices, choices
    if "--backend" in options:  # a backend command: kubectl's global flags too, spelled as kubectl does
        assert {"--kubeconfig", "--context", "--as", "--request-timeout", "--state-dir", "--libvirt-uri"} <= set(options)


def test_every_offline_command_with_output_is_covered() -> None:
    """New offline commands with -o yaml|json|name must be added to FORMAT_CASES."""
    covered = {tuple(a for a in args if not a.startswith("-"))[:2] for args, _ in FORMAT_CASES}
    covered |= {("template", "list"), ("template", "params")}  # tested below on their own
    backend = {"apply", "get", "describe", "volume", "delete", "vnc", "console", "port-forward", "controller", "scale",
               "rollout"}
    for path in PATHS:
        options = _options(path)
        output = options.get("--output")
        if path[0] in backend or output is None or not isinstance(output.type, click.Choice):
            continue
        if {"yaml", "json", "name"} <= set(output.type.choices):
            assert any(path == c[: len(path)] for c in covered), f"vmctl {' '.join(path)} -o is not tested"


# --- stdout stays clean ----------------------------------------------------------------------------------------


def test_warnings_and_messages_go_to_stderr(vmctl) -> None:
    code, out, err = vmctl(
        "create", "vm", "--from-template", "cirros", "-p", "NAME=x1", "--instancetype", "u1.medium", "-o", "json"
    )
    assert code == 0
    assert json.loads(out)["metadata"]["name"] == "x1"
    lines = err.splitlines()
    assert lines[0] == (
        "warning: --instancetype: removed spec.template.spec.domain.memory from the template's VM "
        "(the instancetype sets them)"
    )
    assert "VirtualMachine x1 (cirros template)." in lines


@pytest.mark.parametrize(
    "args",
    [["resolve", "-o", "json"], ["expand", "-o", "name"], ["validate", "-o", "json"]],
    ids=lambda a: a[0],
)
def test_errors_leave_stdout_empty(vmctl, tmp_path: Path, args: list[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: VirtualMachine\nmetadata:\n  name: [web1\n")
    code, out, err = vmctl(*args, "-f", str(bad))
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {bad}:")


# --- shell completion -------------------------------------------------------------------------------------------


def _complete(words: str, cword: int) -> list[str]:
    proc = run_proc(env={"_VMCTL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)})
    assert (proc.returncode, proc.stderr) == (0, "")
    return proc.stdout.splitlines()


def test_completion_of_command_names() -> None:
    assert _complete("vmctl re", 1) == [c for c in COMMANDS if c.startswith("re")]
    assert "resolve" in _complete("vmctl re", 1)
    assert _complete("vmctl template p", 2) == ["params", "process"]


def test_completion_of_option_values() -> None:
    assert _complete("vmctl resolve -o ", 3) == ["yaml", "json", "name"]
    assert _complete("vmctl resolve --show-o", 2) == ["--show-origin"]


def test_subcommands_do_not_offer_completion_installers() -> None:
    assert _complete("vmctl resolve --sh", 2) == ["--show-origin"]


def test_completion_script_completes_commands() -> None:
    proc = run_proc("completion", "bash")
    assert proc.returncode == 0, proc.stderr
    assert "complete -o default -F _vmctl_completion vmctl" in proc.stdout
    script = proc.stdout + '\nCOMP_WORDS=(vmctl sca); COMP_CWORD=1; _vmctl_completion vmctl; echo "${COMPREPLY[*]}"\n'
    env = {**os.environ, "PATH": f"{PYTHON.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env, check=False)
    assert done.stdout.split() == ["scale"], done.stderr


def test_completion_of_an_unknown_shell_is_one_line() -> None:
    proc = run_proc("completion", "tcsh")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines()[0] == (
        "error: SHELL: unsupported shell 'tcsh' (expected one of: bash, zsh, fish, powershell)"
    )


# --- start-up stays light ---------------------------------------------------------------------------------------


HEAVY = {"jinja2", "libvirt", "kubernetes", "rich"}


def _imported(args: list[str], env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    """Run vmctl in a fresh interpreter; (its stdout, the top-level packages it imported)."""
    code = (
        "import json, sys\nfrom vmctl.cli.main import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "sys.stderr.write(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    proc = subprocess.run(
        [str(PYTHON), "-c", code], capture_output=True, text=True, timeout=60, check=False, env={**os.environ, **(env or {})}
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, set(json.loads(proc.stderr.splitlines()[-1]))


CREATE_RESOLVE = ["create", "vm", "--from-template", "cirros", "-p", "NAME=x", "--instancetype", "u1.medium", "--resolve"]


def test_version_imports_nothing_heavy() -> None:
    out, loaded = _imported(["version"])
    assert out.startswith("vmctl ")
    assert loaded & HEAVY == set()
    assert "yaml" not in loaded


@pytest.mark.parametrize("args", [CREATE_RESOLVE, ["create", "vm", "--name", "a", "--instancetype", "u1.small"]])
def test_create_vm_imports_nothing_heavy(args: list[str]) -> None:
    out, loaded = _imported(args)
    assert "kind: VirtualMachine" in out
    assert loaded & HEAVY == set()


def test_a_cached_bundled_template_needs_no_yaml_parser(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    _imported(CREATE_RESOLVE, env)  # the first run parses the template and caches it
    out, loaded = _imported(CREATE_RESOLVE, env)
    assert "kind: VirtualMachineInstance" in out
    assert "yaml" not in loaded


def test_version_starts_fast() -> None:
    start = time.monotonic()
    proc = run_proc("version")
    assert proc.returncode == 0
    assert time.monotonic() - start < 3.0  # generous for a cold 2-core CI runner; typically ~0.15 s
