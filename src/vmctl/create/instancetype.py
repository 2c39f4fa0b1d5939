"""Build VirtualMachine(Cluster)Instancetype manifests (virtctl ``create instancetype``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmctl.create.params import ParamType, flag_error, map_params, parse_quantity_text, random_suffix
from vmctl.errors import UsageError

Obj = dict[str, Any]
API_VERSION = "instancetype.kubevirt.io/v1beta1"
_DEVICE: dict[str, ParamType] = {"name": "string", "devicename": "string"}


@dataclass
class InstancetypeOptions:
    """The flags of ``vmctl create instancetype``; ``None`` means "not given"."""

    cpu: int | None = None
    memory: str | None = None
    name: str | None = None
    namespace: str | None = None
    namespaced: bool = False
    gpu: list[str] | None = None
    hostdevice: list[str] | None = None
    iothreadspolicy: str | None = None


def _devices(flag: str, values: list[str]) -> list[Obj]:
    devices: list[Obj] = []
    for text in values:
        params = map_params(flag, text, _DEVICE)
        if not params.get("name"):
            raise flag_error(flag, "name must be specified")
        if not params.get("devicename"):
            raise flag_error(flag, "deviceName must be specified")
        devices.append({"name": params["name"], "deviceName": params["devicename"]})
    return devices


def build_instancetype(opts: InstancetypeOptions) -> Obj:
    """Return the instancetype; cluster-scoped unless ``namespaced`` or a namespace was given."""
    missing = [f'"{flag}"' for flag, value in (("cpu", opts.cpu), ("memory", opts.memory)) if value is None]
    if missing:
        raise UsageError(f"required flag(s) {', '.join(missing)} not set")
    namespaced = opts.namespaced or bool(opts.namespace)
    name = opts.name if opts.name is not None else (
        f"instancetype-{random_suffix()}" if namespaced else f"clusterinstancetype-{random_suffix()}"
    )
    try:
        memory = parse_quantity_text(opts.memory or "")
    except Exception as exc:  # the quantity parser's error text, as virtctl prints it
        raise flag_error("memory", getattr(exc, "message", None) or str(exc)) from None
    if opts.cpu is None or opts.cpu <= 0:
        raise UsageError("cpu value must be greater than zero")
    spec: Obj = {"cpu": {"guest": opts.cpu}, "memory": {"guest": memory}}
    if opts.gpu is not None:
        spec["gpus"] = _devices("gpu", opts.gpu)
    if opts.hostdevice is not None:
        spec["hostDevices"] = _devices("hostdevice", opts.hostdevice)
    if opts.iothreadspolicy is not None:
        if opts.iothreadspolicy not in ("auto", "shared"):
            raise flag_error("iothreadspolicy", "IOThread must be of value auto or shared")
        spec["ioThreadsPolicy"] = opts.iothreadspolicy
    for key in ("gpus", "hostDevices"):
        if key in spec and not spec[key]:
            del spec[key]
    metadata: Obj = {"name": name}
    if namespaced and opts.namespace:
        metadata["namespace"] = opts.namespace
    return {
        "apiVersion": API_VERSION,
        "kind": "VirtualMachineInstancetype" if namespaced else "VirtualMachineClusterInstancetype",
        "metadata": metadata,
        "spec": spec,
    }
