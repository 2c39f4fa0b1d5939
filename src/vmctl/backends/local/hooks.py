"""Hook sidecars run locally: ``hooks.kubevirt.io/hookSidecars`` scripts from ConfigMaps.

On a cluster a hook sidecar is a container running KubeVirt's sidecar shim, which calls an executable named
``onDefineDomain`` or ``preCloudInitIso`` (a ConfigMap key mounted at ``hookPath``). Locally there are no containers:
the script (the ConfigMap key) is written to a private temporary folder with mode 0755 and run with the shim's
exact arguments:

* ``onDefineDomain --vmi <VMI JSON> --domain <domain XML>``: stdout is the complete new domain XML; several
  hooks are chained in annotation order (the output of one is the input of the next).
* ``preCloudInitIso --vmi <VMI JSON> --cloud-init <CloudInitData JSON>``: stdout is the new CloudInitData JSON;
  only the first such hook is used, as in KubeVirt.

stdin is ``/dev/null``; a non-zero exit, a timeout or unusable output fails the operation with the hook's stderr.
Whether hooks may run at all (``--allow-hooks``) is decided by the caller (the local runtime).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vmctl.errors import InputError, NotFoundError, VmctlError

ANNOTATION = "hooks.kubevirt.io/hookSidecars"
ON_DEFINE_DOMAIN = "onDefineDomain"
PRE_CLOUD_INIT_ISO = "preCloudInitIso"
HOOK_POINTS = (ON_DEFINE_DOMAIN, PRE_CLOUD_INIT_ISO)
SHIM_VERSIONS = ("v1alpha1", "v1alpha2", "v1alpha3")
_FIELD = f"metadata.annotations.{ANNOTATION}"

#: ``store_lookup(kind, namespace, name)`` -> stored object or None (``Store.get`` fits).
StoreLookup = Callable[[str, str, str], "dict[str, Any] | None"]


@dataclass(frozen=True)
class HookConfigMap:
    name: str
    key: str
    hook_path: str


@dataclass(frozen=True)
class HookSidecar:
    """One entry of the annotation (KubeVirt's ``hooks.HookSidecar``)."""

    index: int
    image: str = ""
    image_pull_policy: str = ""
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    config_map: HookConfigMap | None = None
    pvc: dict[str, Any] | None = None

    @property
    def container(self) -> str:
        """The sidecar container name KubeVirt would use."""
        return f"hook-sidecar-{self.index}"

    @property
    def version(self) -> str | None:
        """The ``--version`` argument the shim is started with, if any."""
        args = list(self.args)
        for i, arg in enumerate(args):
            if arg == "--version" and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith("--version="):
                return arg.split("=", 1)[1]
        return None


@dataclass(frozen=True)
class HookScript:
    """A runnable hook: the script text and the hook point it serves."""

    name: str  # e.g. "hook-sidecar-0 (configmap default/my-hook key my_script.sh)"
    hook_point: str  # onDefineDomain | preCloudInitIso
    content: bytes = field(repr=False)


def parse_hook_sidecars(vmi: dict[str, Any]) -> list[HookSidecar]:
    """Parse the annotation of a VMI; malformed values raise ``InputError`` naming the annotation and entry."""
    annotations = (vmi.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(ANNOTATION)
    if raw is None or raw == "":
        return []
    if not isinstance(raw, str):
        raise InputError(f"{_FIELD}: expected a JSON array in a string, got {type(raw).__name__}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{_FIELD}: invalid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{_FIELD}: expected a JSON array of hook sidecars, got {type(value).__name__}")
    out: list[HookSidecar] = []
    for i, entry in enumerate(value):
        where = f"{_FIELD}[{i}]"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected an object, got {type(entry).__name__}")
        for key, kind in (("image", str), ("imagePullPolicy", str)):
            if entry.get(key) is not None and not isinstance(entry[key], kind):
                raise InputError(f"{where}.{key}: expected a string")
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("command", "args"):
            items = entry.get(key)
            if items is None:
                lists[key] = ()
            elif isinstance(items, list) and all(isinstance(x, str) for x in items):
                lists[key] = tuple(items)
            else:
                raise InputError(f"{where}.{key}: expected a list of strings")
        cm = entry.get("configMap")
        config_map = None
        if cm is not None:
            if not isinstance(cm, dict):
                raise InputError(f"{where}.configMap: expected an object with name, key and hookPath")
            for key in ("name", "key", "hookPath"):
                if not isinstance(cm.get(key), str) or not cm.get(key):
                    raise InputError(f"{where}.configMap.{key}: required (a non-empty string)")
            config_map = HookConfigMap(cm["name"], cm["key"], cm["hookPath"])
        pvc = entry.get("pvc")
        if pvc is not None and not isinstance(pvc, dict):
            raise InputError(f"{where}.pvc: expected an object")
        policy = entry.get("imagePullPolicy") or ""
        if policy and policy not in ("Always", "IfNotPresent", "Never"):
            raise InputError(f'{where}.imagePullPolicy: Unsupported value: "{policy}": supported values: "Always", "IfNotPresent", "Never"')
        out.append(HookSidecar(
            index=i, image=entry.get("image") or "", image_pull_policy=policy, command=lists["command"],
            args=lists["args"], config_map=config_map, pvc=pvc,
        ))
    return out


def resolve_hook_scripts(vmi: dict[str, Any], store_lookup: StoreLookup) -> list[HookScript]:
    """The scripts the annotation names, looked up as local ConfigMaps in the VMI's namespace.

    ``store_lookup(kind, namespace, name)`` returns the stored object or None (or raises NotFoundError).
    """
    namespace = (vmi.get("metadata") or {}).get("namespace") or "default"
    scripts: list[HookScript] = []
    for sidecar in parse_hook_sidecars(vmi):
        where = f"{_FIELD}[{sidecar.index}]"
        if sidecar.config_map is None:
            image = sidecar.image or "the default sidecar shim"
            raise VmctlError(
                f"{where}: hook sidecar image {image} has no configMap; locally only ConfigMap script hooks "
                "(configMap.name/key/hookPath) can run"
            )
        version = sidecar.version
        if version is None:
            raise VmctlError(
                f"{where}: Missing --version parameter. Supported options are [{' '.join(SHIM_VERSIONS)}]."
                " (add \"args\": [\"--version\", \"v1alpha2\"])"
            )
        if version not in SHIM_VERSIONS:
            raise VmctlError(f"{where}: Version {version} is not supported. Supported options are [{' '.join(SHIM_VERSIONS)}].")
        cm = sidecar.config_map
        point = Path(cm.hook_path).name
        if point not in HOOK_POINTS:
            raise VmctlError(
                f"{where}.configMap.hookPath: {cm.hook_path!r} must end in /{ON_DEFINE_DOMAIN} or /{PRE_CLOUD_INIT_ISO}"
            )
        if point == PRE_CLOUD_INIT_ISO and version == "v1alpha1":
            continue  # the v1alpha1 hook API has no PreCloudInitIso: KubeVirt never calls it
        obj = _lookup(store_lookup, "ConfigMap", namespace, cm.name)
        if obj is None:
            raise NotFoundError(f'{where}: configmaps "{cm.name}" not found (namespace {namespace})')
        data = obj.get("data") or {}
        binary = obj.get("binaryData") or {}
        if cm.key in data:
            content = str(data[cm.key]).encode()
        elif cm.key in binary:
            import base64

            content = base64.b64decode(binary[cm.key])
        else:
            raise VmctlError(f"{where}: key {cm.key!r} not found in ConfigMap {namespace}/{cm.name}")
        scripts.append(HookScript(
            name=f"{sidecar.container} (ConfigMap {namespace}/{cm.name} key {cm.key})", hook_point=point, content=content,
        ))
    return scripts


def _lookup(store_lookup: StoreLookup, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return store_lookup(kind, namespace, name)
    except NotFoundError:
        return None


def _run(script: HookScript, argv_tail: list[str], timeout: float | None) -> bytes:
    """Run one script from a private 0700 folder (at most ``timeout`` seconds, default ``VMCTL_HOOK_TIMEOUT``);
    return stdout or raise with its stderr."""
    if timeout is None:
        from vmctl.settings import hook_timeout

        timeout = hook_timeout()
    with tempfile.TemporaryDirectory(prefix="vmctl-hook-") as tmp:
        exe = Path(tmp) / script.hook_point
        exe.write_bytes(script.content)
        exe.chmod(0o755)
        try:
            proc = subprocess.run(
                [str(exe), *argv_tail], stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, cwd=tmp,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise VmctlError(f"hook {script.name}: {script.hook_point} timed out after {timeout:g}s") from None
        except OSError as exc:
            hint = " (does the script start with a #! line?)" if exc.errno == 8 else ""
            raise VmctlError(f"hook {script.name}: cannot run {script.hook_point}: {exc.strerror}{hint}") from None
    if proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace").strip()
        detail = f": {stderr}" if stderr else ""
        raise VmctlError(f"hook {script.name}: {script.hook_point} exited with status {proc.returncode}{detail}")
    return proc.stdout


def run_on_define_domain(
    vmi: dict[str, Any], xml: str, scripts: Sequence[HookScript], *, timeout: float | None = None
) -> str:
    """Chain every ``onDefineDomain`` script over ``xml``; return the final domain XML."""
    import xml.etree.ElementTree as ET

    vmi_json = json.dumps(vmi, separators=(",", ":"))
    for script in scripts:
        if script.hook_point != ON_DEFINE_DOMAIN:
            continue
        out = _run(script, ["--vmi", vmi_json, "--domain", xml], timeout).decode(errors="replace")
        try:
            root = ET.fromstring(out)
        except ET.ParseError as exc:
            raise VmctlError(f"hook {script.name}: onDefineDomain printed invalid domain XML: {exc}") from None
        if root.tag != "domain":
            raise VmctlError(f"hook {script.name}: onDefineDomain printed <{root.tag}>, expected a <domain> document")
        xml = out
    return xml


def run_pre_cloud_init_iso(
    vmi: dict[str, Any], cloud_init: dict[str, Any], scripts: Sequence[HookScript], *, timeout: float | None = None
) -> dict[str, Any]:
    """Run the first ``preCloudInitIso`` script on the CloudInitData JSON; return its (parsed) output."""
    for script in scripts:
        if script.hook_point != PRE_CLOUD_INIT_ISO:
            continue
        out = _run(script, ["--vmi", json.dumps(vmi, separators=(",", ":")),
                            "--cloud-init", json.dumps(cloud_init, separators=(",", ":"))], timeout)
        try:
            value = json.loads(out)
        except json.JSONDecodeError as exc:
            raise VmctlError(f"hook {script.name}: preCloudInitIso printed invalid JSON: {exc.msg}") from None
        if not isinstance(value, dict):
            raise VmctlError(f"hook {script.name}: preCloudInitIso printed {type(value).__name__}, expected an object")
        return value
    return cloud_init
