"""Hook sidecars: annotation parsing, ConfigMap lookup, and real scripts run with the shim's arguments."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vmctl.backends.local import hooks
from vmctl.errors import InputError, NotFoundError, VmctlError

XML = "<domain type='qemu'><name>vm1</name><memory unit='KiB'>262144</memory></domain>"


def vmi_with(sidecars: Any, namespace: str = "dev") -> dict[str, Any]:
    value = sidecars if isinstance(sidecars, str) else json.dumps(sidecars)
    return {"kind": "VirtualMachineInstance",
            "metadata": {"name": "vm1", "namespace": namespace, "annotations": {hooks.ANNOTATION: value}},
            "spec": {"domain": {"devices": {}}}}


def store(*configmaps: dict[str, Any]):
    objs = {(cm["metadata"].get("namespace", "default"), cm["metadata"]["name"]): cm for cm in configmaps}

    def lookup(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        assert kind == "ConfigMap"
        return objs.get((namespace, name))

    return lookup


def cm(name: str, **data: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "dev"}, "data": data}


def sidecar(name: str, key: str, point: str = "onDefineDomain", version: str = "v1alpha2") -> dict[str, Any]:
    return {"args": ["--version", version], "configMap": {"name": name, "key": key, "hookPath": f"/usr/bin/{point}"}}


# --- parsing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[{'image': 'fake-image'}]", "metadata.annotations.hooks.kubevirt.io/hookSidecars: invalid JSON"),
        ('{"image": "x"}', "expected a JSON array of hook sidecars, got dict"),
        ('["x"]', "hookSidecars[0]: expected an object, got str"),
        ('[{"args": "--version v1alpha2"}]', "hookSidecars[0].args: expected a list of strings"),
        ('[{"configMap": {"name": "a", "key": "b"}}]', "hookSidecars[0].configMap.hookPath: required"),
        ('[{"imagePullPolicy": "Sometimes"}]', 'hookSidecars[0].imagePullPolicy: Unsupported value: "Sometimes"'),
    ],
)
def test_malformed_annotations_are_one_clear_error(value: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        hooks.parse_hook_sidecars(vmi_with(value))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_entries_parse_with_kubevirt_schema() -> None:
    parsed = hooks.parse_hook_sidecars(vmi_with([
        {"image": "quay.io/x/sidecar-shim:v1", "imagePullPolicy": "IfNotPresent", "args": ["--version=v1alpha3"],
         "configMap": {"name": "hook", "key": "s.sh", "hookPath": "/usr/bin/onDefineDomain"}},
        {"pvc": {"name": "p", "volumePath": "/data"}},
    ]))
    assert parsed[0].container == "hook-sidecar-0" and parsed[0].version == "v1alpha3"
    assert parsed[0].config_map == hooks.HookConfigMap("hook", "s.sh", "/usr/bin/onDefineDomain")
    assert parsed[1].pvc == {"name": "p", "volumePath": "/data"} and parsed[1].version is None
    assert hooks.parse_hook_sidecars({"metadata": {}}) == []


def test_resolve_needs_version_and_configmap() -> None:
    with pytest.raises(VmctlError, match=r"Missing --version parameter\. Supported options are \[v1alpha1 v1alpha2 v1alpha3\]\."):
        hooks.resolve_hook_scripts(vmi_with([{"configMap": {"name": "h", "key": "k", "hookPath": "/usr/bin/onDefineDomain"}}]), store())
    with pytest.raises(VmctlError, match="has no configMap; locally only ConfigMap script hooks"):
        hooks.resolve_hook_scripts(vmi_with([{"image": "registry/hook:1", "args": ["--version", "v1alpha2"]}]), store())
    with pytest.raises(NotFoundError, match=r'configmaps "missing" not found \(namespace dev\)'):
        hooks.resolve_hook_scripts(vmi_with([sidecar("missing", "k")]), store())
    with pytest.raises(VmctlError, match="key 'nokey' not found in ConfigMap dev/h"):
        hooks.resolve_hook_scripts(vmi_with([sidecar("h", "nokey")]), store(cm("h", k="x")))
    with pytest.raises(VmctlError, match="must end in /onDefineDomain or /preCloudInitIso"):
        hooks.resolve_hook_scripts(vmi_with([sidecar("h", "k", point="shutdown")]), store(cm("h", k="x")))


def test_v1alpha1_never_runs_pre_cloud_init_iso() -> None:
    scripts = hooks.resolve_hook_scripts(
        vmi_with([sidecar("h", "k", "preCloudInitIso", "v1alpha1"), sidecar("h", "k", "onDefineDomain", "v1alpha1")]),
        store(cm("h", k="#!/bin/sh\n")),
    )
    assert [s.hook_point for s in scripts] == ["onDefineDomain"]


# --- running real scripts ------------------------------------------------------------------------------

ADD_DESCRIPTION = """#!/bin/sh
# $1=--vmi $2=<json> $3=--domain $4=<xml>
[ "$1" = --vmi ] && [ "$3" = --domain ] || { echo "bad args: $1 $3" >&2; exit 3; }
printf '%s' "$4" | sed 's|</name>|</name><description>hooked</description>|'
"""
SET_MEMORY = """#!/usr/bin/env python3
import json, sys
vmi = json.loads(sys.argv[2])
xml = sys.argv[4]
assert sys.stdin.read() == ""
print(xml.replace("262144", "524288").replace("<name>", "<title>" + vmi["metadata"]["name"] + "</title><name>"))
"""
FAIL = "#!/bin/sh\necho 'hook says: no way' >&2\nexit 7\n"
GARBAGE = "#!/bin/sh\necho 'this is not xml <'\n"


def scripts_for(*bodies: str) -> list[hooks.HookScript]:
    entries = [sidecar("h", f"s{i}") for i in range(len(bodies))]
    return hooks.resolve_hook_scripts(vmi_with(entries), store(cm("h", **{f"s{i}": b for i, b in enumerate(bodies)})))


def test_on_define_domain_hooks_are_chained_in_order() -> None:
    vmi = vmi_with([])
    out = hooks.run_on_define_domain(vmi, XML, scripts_for(ADD_DESCRIPTION, SET_MEMORY))
    assert "<description>hooked</description>" in out
    assert "<memory unit='KiB'>524288</memory>" in out
    assert "<title>vm1</title>" in out


def test_failing_hook_reports_its_stderr_and_exit_status() -> None:
    with pytest.raises(VmctlError) as err:
        hooks.run_on_define_domain(vmi_with([]), XML, scripts_for(ADD_DESCRIPTION, FAIL))
    assert str(err.value) == (
        "hook hook-sidecar-1 (ConfigMap dev/h key s1): onDefineDomain exited with status 7: hook says: no way"
    )


def test_invalid_xml_output_names_the_hook() -> None:
    with pytest.raises(VmctlError, match=r"^hook hook-sidecar-0 \(ConfigMap dev/h key s0\): onDefineDomain printed invalid domain XML"):
        hooks.run_on_define_domain(vmi_with([]), XML, scripts_for(GARBAGE))


def test_timeout_and_missing_shebang() -> None:
    with pytest.raises(VmctlError, match=r"onDefineDomain timed out after 0\.5s"):
        hooks.run_on_define_domain(vmi_with([]), XML, scripts_for("#!/bin/sh\nsleep 5\n"), timeout=0.5)
    with pytest.raises(VmctlError, match="does the script start with a #! line"):
        hooks.run_on_define_domain(vmi_with([]), XML, scripts_for("echo no shebang\n"))


PRE_CLOUD_INIT = """#!/usr/bin/env python3
import json, sys
assert sys.argv[1] == "--vmi" and sys.argv[3] == "--cloud-init"
data = json.loads(sys.argv[4])
data["UserData"] = data["UserData"] + "#hooked\\n"
print(json.dumps(data))
"""


def test_only_the_first_pre_cloud_init_iso_hook_is_used() -> None:
    entries = [sidecar("h", "a", "preCloudInitIso"), sidecar("h", "b", "preCloudInitIso")]
    scripts = hooks.resolve_hook_scripts(vmi_with(entries), store(cm("h", a=PRE_CLOUD_INIT, b=FAIL)))
    out = hooks.run_pre_cloud_init_iso(vmi_with([]), {"DataSource": "noCloud", "UserData": "x\n"}, scripts)
    assert out == {"DataSource": "noCloud", "UserData": "x\n#hooked\n"}
