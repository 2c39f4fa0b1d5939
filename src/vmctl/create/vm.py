"""Build a VirtualMachine manifest from virtctl-style flags (virtctl ``create vm``).

Flags are applied in virtctl's order, so the default boot order is
containerdisk > PVC > imported volumes (``--volume-import``), and later steps may depend on earlier ones:
run strategy, instancetype, preference, volumes, sysprep, access credentials, then cloud-init, then inference.
``build_vm`` can also start from an existing VirtualMachine (a processed template) and apply the flags on top.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vmctl.core.fields import clone, dig, ensure
from vmctl.create.params import (
    ParamType,
    check_dns1123_label,
    csv_record,
    flag_error,
    get_param,
    map_params,
    parse_quantity_text,
    random_suffix,
    split_prefixed_name,
)
from vmctl.errors import InputError, UsageError

Obj = dict[str, Any]
Warn = Callable[[str], None]

CLOUD_INIT_TYPES = ("nocloud", "configdrive", "none")
CLOUD_INIT_DISK = "cloudinitdisk"
SYSPREP_DISK = "sysprepdisk"
CLOUD_CONFIG_HEADER = "#cloud-config"
DEFAULT_MEMORY = "512Mi"
DEFAULT_GRACE_PERIOD = 180
#: KubeVirt rejects inline cloud-init user or network data above this many bytes (vmi-create-admitter.go).
CLOUD_INIT_MAX_BYTES = 2048

_INSTANCETYPE_KINDS = ("virtualmachineinstancetype", "virtualmachineclusterinstancetype")
_PREFERENCE_KINDS = ("virtualmachinepreference", "virtualmachineclusterpreference")
_SOURCE_KEYS = ("cloudInitNoCloud", "cloudInitConfigDrive")
_CLOUD_INIT_KEY = {"nocloud": "cloudInitNoCloud", "configdrive": "cloudInitConfigDrive"}
_GA_MANAGE_SSH_CMD = ["setsebool", "-P", "virt_qemu_ga_manage_ssh", "on"]

#: Flag groups of which at most one flag may be given: virtctl's (cobra ``MarkFlagsMutuallyExclusive``), checked
#: first so that an error names the group virtctl names, then ours for ``--cpu`` and ``--cloud-init-user-data-file``.
VIRTCTL_EXCLUSIVE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("memory", "instancetype", "infer-instancetype", "infer-instancetype-from"),
    ("preference", "infer-preference", "infer-preference-from"),
    ("cloud-init-user-data", "user"),
    ("cloud-init-user-data", "password-file"),
    ("cloud-init-user-data", "ssh-key"),
    ("cloud-init-user-data", "ga-manage-ssh"),
)
VMCTL_EXCLUSIVE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("cpu", "instancetype", "infer-instancetype", "infer-instancetype-from"),
    ("cloud-init-user-data", "cloud-init-user-data-file"),
    ("cloud-init-user-data-file", "user"),
    ("cloud-init-user-data-file", "password-file"),
    ("cloud-init-user-data-file", "ssh-key"),
    ("cloud-init-user-data-file", "ga-manage-ssh"),
)

_VOLUME_SOURCE: dict[str, ParamType] = {"name": "string", "src": "string", "bootorder": "uint"}
_SYSPREP: dict[str, ParamType] = {"src": "string", "type": "string"}
_ACCESS_CRED: dict[str, ParamType] = {"type": "string", "src": "string", "method": "string", "user": "string"}
_COMMON: dict[str, ParamType] = {"size": "quantity", "type": "string", "name": "string", "bootorder": "uint"}
#: ``--volume-import`` params per ``type`` (virtctl ``create/vm/params.go``).
IMPORT_PARAMS: dict[str, dict[str, ParamType]] = {
    "blank": {**_COMMON},
    "gcs": {"secretref": "string", "url": "string", **_COMMON},
    "http": {
        "certconfigmap": "string", "extraheaders": "slice", "secretextraheaders": "slice",
        "secretref": "string", "url": "string", **_COMMON,
    },
    "imageio": {"certconfigmap": "string", "diskid": "string", "secretref": "string", "url": "string", **_COMMON},
    "pvc": {"name": "string", "src": "string", "size": "quantity", "type": "string", "bootorder": "uint"},
    "registry": {
        "certconfigmap": "string", "imagestream": "string", "pullmethod": "string", "secretref": "string",
        "url": "string", **_COMMON,
    },
    "s3": {"certconfigmap": "string", "secretref": "string", "url": "string", **_COMMON},
    "vddk": {
        "backingfile": "string", "initimageurl": "string", "secretref": "string", "thumbprint": "string",
        "url": "string", "uuid": "string", **_COMMON,
    },
    "snapshot": {"name": "string", "src": "string", "size": "quantity", "type": "string", "bootorder": "uint"},
    "ds": {"name": "string", "src": "string", "size": "quantity", "type": "string", "bootorder": "uint"},
}
_SIZE_OPTIONAL = ("pvc", "snapshot", "ds")
#: virtctl's deprecated volume flags, in its processing order, and the ``--volume-import`` type each stands for.
DEPRECATED_VOLUME_FLAGS = {"volume-datasource": "ds", "volume-clone-pvc": "pvc", "volume-blank": "blank"}


class VMOptions:
    """The flags of ``vmctl create vm``; ``None`` means "not given" (cobra's ``Changed`` is ``is not None``).

    ``VMOptions(name=..., memory=...)`` takes any of the flags below as keywords. A plain class: defining a
    25-field dataclass would cost about a millisecond at every start of ``vmctl``.
    """

    name: str | None = None
    namespace: str | None = None
    run_strategy: str | None = None
    termination_grace_period: int | None = None
    memory: str | None = None
    cpu: int | None = None
    instancetype: str | None = None
    infer_instancetype: bool | None = None
    infer_instancetype_from: str | None = None
    preference: str | None = None
    infer_preference: bool | None = None
    infer_preference_from: str | None = None
    volume_containerdisk: list[str] | None = None
    volume_pvc: list[str] | None = None
    volume_import: list[str] | None = None
    volume_datasource: list[str] | None = None
    volume_clone_pvc: list[str] | None = None
    volume_blank: list[str] | None = None
    volume_sysprep: str | None = None
    user: str | None = None
    password_file: str | None = None
    ssh_key: list[str] | None = None
    ga_manage_ssh: bool | None = None
    access_cred: list[str] | None = None
    cloud_init: str | None = None
    cloud_init_user_data: str | None = None
    cloud_init_user_data_file: str | None = None
    cloud_init_network_data: str | None = None

    def __init__(self, **flags: Any) -> None:
        unknown = sorted(set(flags) - set(_FLAG_FIELDS))
        if unknown:
            raise TypeError(f"VMOptions() got unexpected keyword arguments: {', '.join(unknown)}")
        self.__dict__.update(flags)
        self._changed: set[str] = set()

    def __repr__(self) -> str:
        given = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FLAG_FIELDS if getattr(self, name) is not None)
        return f"VMOptions({given})"

    def changed(self) -> set[str]:
        """Flag names (``infer-instancetype``) that were given, plus those set while building."""
        given = {name.replace("_", "-") for name in _FLAG_FIELDS if getattr(self, name) is not None}
        return (given - {"namespace"}) | self._changed


#: The flag fields of ``VMOptions``, in order.
_FLAG_FIELDS: tuple[str, ...] = tuple(VMOptions.__annotations__)


def check_exclusive(changed: set[str]) -> None:
    """Raise cobra's mutual-exclusion error for the first violated group (virtctl's groups first, each set sorted
    as cobra does)."""
    ordered = [*sorted(VIRTCTL_EXCLUSIVE_GROUPS, key=" ".join), *sorted(VMCTL_EXCLUSIVE_GROUPS, key=" ".join)]
    for group in ordered:
        given = sorted(name for name in group if name in changed)
        if len(given) > 1:
            raise UsageError(
                f"if any flags in the group [{' '.join(group)}] are set none of the others can be; "
                f"[{' '.join(given)}] were all set"
            )


def build_vm(opts: VMOptions, *, base: Obj | None = None, warn: Warn | None = None) -> Obj:
    """Return the VirtualMachine for ``opts``; ``base`` (a VM from a template) is copied, then changed."""
    check_exclusive(opts.changed())
    return _Builder(opts, base, warn or (lambda _m: None)).build()


def _volume_names(vm: Obj) -> list[str]:
    return [v.get("name") for v in dig(vm, "spec", "template", "spec", "volumes", default=[]) or []]


class _Builder:
    def __init__(self, opts: VMOptions, base: Obj | None, warn: Warn) -> None:
        self.o = opts
        self.base = base
        self.warn = warn
        self.imports = list(opts.volume_import or [])  # --volume-import values, deprecated aliases first
        self.boot_orders: dict[int, str] = {}
        self.cloud_init = opts.cloud_init if opts.cloud_init is not None else "nocloud"
        self.ga_manage_ssh = bool(opts.ga_manage_ssh)
        self.explicit_it_inference = opts.infer_instancetype is not None or opts.infer_instancetype_from is not None
        self.explicit_pref_inference = opts.infer_preference is not None or opts.infer_preference_from is not None

    def changed(self, flag: str) -> bool:
        return flag in self.o.changed()

    def mark(self, flag: str) -> None:
        self.o._changed.add(flag)

    # --- the VM ----------------------------------------------------------------------------------------------
    def build(self) -> Obj:
        vm = self.new_vm() if self.base is None else self.from_base(self.base)
        if self.changed("run-strategy"):
            self.with_run_strategy(vm)
        if self.changed("instancetype"):
            self.with_instancetype(vm)
        if self.changed("preference"):
            self.with_preference(vm)
        if self.changed("volume-containerdisk"):
            self.with_containerdisks(vm)
        if self.changed("volume-pvc"):
            self.with_pvcs(vm)
        self.alias_deprecated_volumes()
        if self.changed("volume-import"):
            self.with_imports(vm)
        if self.changed("volume-sysprep"):
            self.with_sysprep(vm)
        if self.changed("access-cred"):
            self.with_access_creds(vm)
        self.with_cloud_init(vm)
        self.infer_from_volume(vm)
        self.check_name(vm)
        return vm

    def check_name(self, vm: Obj) -> None:
        """The API server refuses a VM whose name is not an RFC 1123 subdomain; so do we, before printing it."""
        from vmctl.schema.validator import name_problems

        for problem in name_problems(vm):
            source = "name" if self.o.name or self.base is None else "from-template"
            raise flag_error(source, f"metadata.name: {problem.message}")

    def memory(self) -> str:
        text = self.o.memory if self.o.memory is not None else DEFAULT_MEMORY
        try:
            return parse_quantity_text(text)
        except Exception as exc:  # the quantity parser raises InputError/ValueError with Kubernetes' text
            raise flag_error("memory", getattr(exc, "message", None) or str(exc)) from None

    def check_cpu(self) -> int | None:
        if self.o.cpu is None:
            return None
        if self.o.cpu <= 0:
            raise flag_error("cpu", "cpu value must be greater than zero")
        return self.o.cpu

    def new_vm(self) -> Obj:
        memory = self.memory()
        cpu = self.check_cpu()
        name = self.o.name or f"vm-{random_suffix()}"
        domain: Obj = {"devices": {}, "memory": {"guest": memory}, "resources": {}}
        if cpu is not None:
            domain["cpu"] = {"cores": cpu}
        grace = self.o.termination_grace_period
        metadata: Obj = {"name": name}
        if self.o.namespace:
            metadata["namespace"] = self.o.namespace
        return {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "metadata": metadata,
            "spec": {
                "runStrategy": self.o.run_strategy if self.o.run_strategy is not None else "Always",
                "template": {
                    "metadata": {},
                    "spec": {
                        "domain": domain,
                        "terminationGracePeriodSeconds": DEFAULT_GRACE_PERIOD if grace is None else grace,
                    },
                },
            },
            "status": {},
        }

    def from_base(self, base: Obj) -> Obj:
        vm = clone(base)
        metadata = ensure(vm, "metadata")
        if self.o.name:
            metadata["name"] = self.o.name
        if not metadata.get("name"):
            metadata["name"] = f"vm-{random_suffix()}"
        if self.o.namespace:
            metadata["namespace"] = self.o.namespace
        spec = ensure(vm, "spec", "template", "spec")
        domain = ensure(spec, "domain")
        ensure(domain, "devices")
        if self.o.termination_grace_period is not None:
            spec["terminationGracePeriodSeconds"] = self.o.termination_grace_period
        if self.o.memory is not None:
            ensure(domain, "memory")["guest"] = self.memory()
            _drop_resource(domain, "memory")
        cpu = self.check_cpu()
        if cpu is not None:
            cpu_spec = ensure(domain, "cpu")
            cpu_spec.pop("sockets", None)
            cpu_spec.pop("threads", None)
            cpu_spec["cores"] = cpu
            _drop_resource(domain, "cpu")
        for disk in dig(domain, "devices", "disks", default=[]) or []:
            order = disk.get("bootOrder")
            if isinstance(order, int):
                self.boot_orders.setdefault(order, disk.get("name", ""))
        return vm

    def with_run_strategy(self, vm: Obj) -> None:
        from vmctl.core.runstrategy import RUN_STRATEGIES, canonical_run_strategy

        wanted = self.o.run_strategy or ""
        strategy = canonical_run_strategy(wanted)
        if strategy is not None:
            vm["spec"]["runStrategy"] = strategy
            vm["spec"].pop("running", None)  # a template may still use the deprecated field
            return
        raise flag_error(
            "run-strategy", f'invalid run strategy "{wanted}", supported values are: {", ".join(RUN_STRATEGIES)}'
        )

    def with_instancetype(self, vm: Obj) -> None:
        kind, name = _prefixed("instancetype", self.o.instancetype or "")
        kind = kind.lower()
        if kind and kind not in _INSTANCETYPE_KINDS:
            raise flag_error(
                "instancetype",
                f'invalid instancetype kind "{kind}", supported values are: {", ".join(_INSTANCETYPE_KINDS)}',
            )
        removed = clear_for_instancetype(vm)
        if self.base is not None and removed:
            self.warn(f"--instancetype: removed {', '.join(removed)} from the template's VM (the instancetype sets them)")
        vm["spec"]["instancetype"] = _matcher(name, kind)

    def with_preference(self, vm: Obj) -> None:
        kind, name = _prefixed("preference", self.o.preference or "")
        kind = kind.lower()
        if kind and kind not in _PREFERENCE_KINDS:
            raise flag_error(
                "preference",
                f'invalid preference kind "{kind}", supported values are: {", ".join(_PREFERENCE_KINDS)}',
            )
        vm["spec"]["preference"] = _matcher(name, kind)

    # --- volumes ---------------------------------------------------------------------------------------------
    def add_volume(self, flag: str, vm: Obj, volume: Obj) -> None:
        if volume["name"] in _volume_names(vm):
            raise flag_error(flag, f'there is already a volume with name "{volume["name"]}"')
        spec = vm["spec"]["template"]["spec"]
        spec.setdefault("volumes", []).append(volume)

    def add_disk_with_boot_order(self, flag: str, vm: Obj, name: str, boot_order: int | None) -> None:
        if boot_order is None:
            return
        if boot_order == 0:
            raise flag_error(flag, "bootorder must be greater than 0")
        if boot_order in self.boot_orders:
            raise flag_error(flag, f"bootorder {boot_order} was specified multiple times")
        devices = ensure(vm["spec"]["template"]["spec"], "domain", "devices")
        devices.setdefault("disks", []).append({"name": name, "bootOrder": boot_order})
        self.boot_orders[boot_order] = name

    def with_containerdisks(self, vm: Obj) -> None:
        flag = "volume-containerdisk"
        for i, text in enumerate(self.o.volume_containerdisk or []):
            src = map_params(flag, text, _VOLUME_SOURCE)
            if not src.get("src"):
                raise flag_error(flag, "src must be specified")
            name = src.get("name") or f"{vm['metadata']['name']}-containerdisk-{i}"
            check_dns1123_label(flag, name)
            self.add_volume(flag, vm, {"name": name, "containerDisk": {"image": src["src"]}})
            self.add_disk_with_boot_order(flag, vm, name, src.get("bootorder"))

    def with_pvcs(self, vm: Obj) -> None:
        flag = "volume-pvc"
        for text in self.o.volume_pvc or []:
            src = map_params(flag, text, _VOLUME_SOURCE)
            if not src.get("src"):
                raise flag_error(flag, "src must be specified")
            namespace, claim = _prefixed(flag, src["src"], what="src invalid: ")
            if namespace:
                raise flag_error(flag, f'not allowed to specify namespace of pvc "{claim}"')
            name = src.get("name") or claim
            check_dns1123_label(flag, name)
            self.add_volume(flag, vm, {"name": name, "persistentVolumeClaim": {"claimName": claim}})
            self.add_disk_with_boot_order(flag, vm, name, src.get("bootorder"))

    def alias_deprecated_volumes(self) -> None:
        """virtctl's deprecated ``--volume-datasource``, ``--volume-clone-pvc`` and ``--volume-blank`` are
        ``--volume-import`` with ``type:ds|pvc|blank``; as in virtctl, each value is put *before* the imports
        processed so far (so the last alias comes first) and the flag gets virtctl's deprecation notice."""
        for flag, kind in DEPRECATED_VOLUME_FLAGS.items():
            values = getattr(self.o, flag.replace("-", "_"))
            if values is None:
                continue
            self.warn(f"Flag --{flag} has been deprecated, use flag --volume-import instead")
            for value in values:
                if not value:
                    raise flag_error("volume-import", "params may not be empty")
                self.imports.insert(0, f"type:{kind},{value}")
            self.mark("volume-import")

    def with_imports(self, vm: Obj) -> None:
        flag = "volume-import"
        for text in self.imports:
            try:
                kind = get_param("type", text)
            except ValueError as exc:
                raise flag_error(flag, str(exc)) from None
            if kind is None:
                raise flag_error(flag, "type must be specified")
            if kind not in IMPORT_PARAMS:
                raise flag_error(flag, f'invalid volume import type "{kind}", see help for supported values')
            src = map_params(flag, text, IMPORT_PARAMS[kind])
            dv_spec = _import_spec(kind, src)
            size = src.get("size")
            if size is None and kind not in _SIZE_OPTIONAL:
                raise flag_error(flag, "size must be specified")
            name = src.get("name")
            if name is None:
                name = f"imported-volume-{random_suffix()}"
            check_dns1123_label(flag, name)
            if name in _volume_names(vm):
                raise flag_error(flag, f'there is already a volume with name "{name}"')
            dv_spec["storage"] = {"resources": {"requests": {"storage": size}} if size else {}}
            vm["spec"].setdefault("dataVolumeTemplates", []).append({"metadata": {"name": name}, "spec": dv_spec})
            self.add_volume(flag, vm, {"name": name, "dataVolume": {"name": name}})
            self.add_disk_with_boot_order(flag, vm, name, src.get("bootorder"))

    def with_sysprep(self, vm: Obj) -> None:
        flag = "volume-sysprep"
        src = map_params(flag, self.o.volume_sysprep or "", _SYSPREP)
        if not src.get("src"):
            raise flag_error(flag, "src must be specified")
        namespace, name = _prefixed(flag, src["src"], what="src invalid: ")
        if namespace:
            raise flag_error(flag, f'not allowed to specify namespace of configmap or secret "{name}"')
        kind = src.get("type") or "configmap"
        if SYSPREP_DISK in _volume_names(vm):
            raise flag_error(flag, f'there is already a volume with name "{SYSPREP_DISK}"')
        if kind.lower() == "configmap":
            source: Obj = {"configMap": {"name": src["src"]}}
        elif kind.lower() == "secret":
            source = {"secret": {"name": src["src"]}}
        else:
            raise flag_error(
                flag, f'invalid sysprep source type "{kind}", supported values are: configmap, secret'
            )
        self.add_volume(flag, vm, {"name": SYSPREP_DISK, "sysprep": source})

    # --- access credentials ----------------------------------------------------------------------------------
    def with_access_creds(self, vm: Obj) -> None:
        flag = "access-cred"
        for text in self.o.access_cred or []:
            src = map_params(flag, text, _ACCESS_CRED)
            if not src.get("src"):
                raise flag_error(flag, "src must be specified")
            namespace, name = _prefixed(flag, src["src"], what="src invalid: ")
            if namespace:
                raise flag_error(flag, f'not allowed to specify namespace of secret "{name}"')
            kind = (src.get("type") or "").lower()
            if kind in ("ssh", ""):
                cred = self.ssh_cred(src)
            elif kind == "password":
                cred = self.password_cred(src)
            else:
                raise flag_error(
                    flag, f'invalid access credential type "{src.get("type")}", supported values are: ssh, password'
                )
            vm["spec"]["template"]["spec"].setdefault("accessCredentials", []).append(cred)

    def ssh_cred(self, src: Obj) -> Obj:
        flag = "access-cred"
        method = (src.get("method") or "").lower()
        secret = {"secret": {"secretName": src["src"]}}
        if method in ("ga", ""):
            user = src.get("user") or self.o.user or ""
            if not user:
                raise flag_error(
                    flag, 'user must be specified with access credential ssh method ga ("--user" flag or param "user")'
                )
            if not self.changed("ga-manage-ssh"):
                self.ga_manage_ssh = True
                self.mark("ga-manage-ssh")
            propagation: Obj = {"qemuGuestAgent": {"users": [user]}}
        elif method in ("nocloud", "configdrive"):
            if src.get("user"):
                raise flag_error(flag, "user cannot be specified with selected access credential type and method")
            if not self.changed("cloud-init"):
                self.cloud_init = method
                self.mark("cloud-init")
            if self.cloud_init.lower() != method:
                raise flag_error(
                    flag, f"method param and value passed to --cloud-init have to match: {method} vs {self.cloud_init}"
                )
            propagation = {"noCloud": {}} if method == "nocloud" else {"configDrive": {}}
        else:
            raise flag_error(
                flag,
                f'invalid access credentials ssh method "{src.get("method")}", supported values are: ga, nocloud, configdrive',
            )
        return {"sshPublicKey": {"source": secret, "propagationMethod": propagation}}

    def password_cred(self, src: Obj) -> Obj:
        flag = "access-cred"
        method = src.get("method") or ""
        if method and method.lower() != "ga":
            raise flag_error(flag, f'invalid access credentials password method "{method}", supported values are: ga')
        if src.get("user"):
            raise flag_error(flag, "user cannot be specified with selected access credential type and method")
        return {
            "userPassword": {
                "source": {"secret": {"secretName": src["src"]}},
                "propagationMethod": {"qemuGuestAgent": {}},
            }
        }

    # --- cloud-init ------------------------------------------------------------------------------------------
    def cloud_init_flags_changed(self) -> bool:
        return any(self.changed(f) for f in (
            "user", "password-file", "ssh-key", "ga-manage-ssh", "cloud-init", "cloud-init-user-data",
            "cloud-init-user-data-file", "cloud-init-network-data",
        ))

    def generated_flags_changed(self) -> bool:
        return any(self.changed(f) for f in ("user", "password-file", "ssh-key", "ga-manage-ssh"))

    def with_cloud_init(self, vm: Obj) -> None:
        if not self.cloud_init_flags_changed():
            return
        if self.changed("password-file"):
            self.warn("--password-file: The password is stored in cleartext in the VM definition!")
        kind = self.cloud_init.lower()
        if kind not in CLOUD_INIT_TYPES:
            raise flag_error(
                "cloud-init",
                f'invalid cloud-init data source type "{self.cloud_init}", supported values are: '
                + ", ".join(CLOUD_INIT_TYPES),
            )
        existing = _cloud_init_volume(vm) if self.base is not None else None
        if kind == "none":
            if any(self.changed(f) for f in (
                "password-file", "ssh-key", "ga-manage-ssh", "cloud-init-user-data", "cloud-init-user-data-file",
                "cloud-init-network-data",
            )):
                self.warn("--cloud-init: was set to none, not creating a data source although other cloud-init "
                          "options were set")
            if existing is not None:
                _remove_volume(vm, existing["name"])
            return
        user_data_b64 = _checked_base64("cloud-init-user-data", self.o.cloud_init_user_data, "user")
        network_b64 = _checked_base64("cloud-init-network-data", self.o.cloud_init_network_data, "network")
        user_data_text = _read_user_data_file(self.o.cloud_init_user_data_file)
        if existing is not None:
            self.merge_cloud_init(existing, kind, user_data_b64, user_data_text, network_b64)
            return
        if CLOUD_INIT_DISK in _volume_names(vm):
            raise UsageError(f'there is already a volume with name "{CLOUD_INIT_DISK}"')
        source: Obj = {}
        if network_b64:
            source["networkDataBase64"] = network_b64
        if user_data_b64:
            source["userDataBase64"] = user_data_b64
        elif user_data_text is not None:
            source["userData"] = user_data_text
        else:
            source["userData"] = self.cloud_config()
        empty = source.get("userData") == CLOUD_CONFIG_HEADER and not network_b64
        if not self.changed("cloud-init") and empty:
            return
        vm["spec"]["template"]["spec"].setdefault("volumes", []).append(
            {"name": CLOUD_INIT_DISK, _CLOUD_INIT_KEY[kind]: source}
        )

    def cloud_config(self) -> str:
        """virtctl's generated ``#cloud-config`` text (user, password, ssh keys, guest-agent SSH management)."""
        lines = [CLOUD_CONFIG_HEADER]
        if self.o.user:
            lines.append(f"user: {_yaml_scalar('user', self.o.user)}")
        password = self.password()
        if password:
            lines.append(f"password: {_yaml_scalar('password-file', password)}")
            lines.append("chpasswd: { expire: False }")
        keys = self.ssh_keys()
        if keys:
            lines.append("ssh_authorized_keys:")
            lines.extend(f"  - {_yaml_scalar('ssh-key', key)}" for key in keys)
        if self.ga_manage_ssh:
            lines.append("runcmd:")
            lines.append("  - [ setsebool, -P, 'virt_qemu_ga_manage_ssh', 'on' ]")
        return "\n".join(lines)

    def ssh_keys(self) -> list[str]:
        """The keys of every ``--ssh-key``: each value is a CSV record, as for virtctl's StringSlice flag (a
        quoted key may hold commas); empty keys are left out."""
        keys: list[str] = []
        for value in self.o.ssh_key or []:
            keys.extend(k for k in csv_record("ssh-key", value) if k)
        return keys

    def password(self) -> str:
        path = self.o.password_file
        if not path:
            return ""
        try:
            with open(path, encoding="utf-8") as handle:
                data = handle.read(64 * 1024)
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise InputError(f'failed to parse "--password-file" flag: open {path}: {reason}') from None
        except UnicodeDecodeError:
            raise InputError(f'failed to parse "--password-file" flag: {path}: not UTF-8 text') from None
        return data.strip()

    def merge_cloud_init(
        self, volume: Obj, kind: str, user_data_b64: str | None, user_data_text: str | None, network_b64: str | None,
    ) -> None:
        """Change a template's cloud-init volume: replace or extend its user data, set network data, type."""
        old_key = next(k for k in _SOURCE_KEYS if k in volume)
        source = volume.pop(old_key)
        volume[_CLOUD_INIT_KEY[kind]] = source
        if network_b64:
            for key in ("networkData", "networkDataSecretRef"):
                source.pop(key, None)
            source["networkDataBase64"] = network_b64
        if user_data_b64 or user_data_text is not None:
            for key in ("userData", "userDataBase64", "secretRef"):
                source.pop(key, None)
            if user_data_b64:
                source["userDataBase64"] = user_data_b64
            else:
                source["userData"] = user_data_text
        elif self.generated_flags_changed():
            source["userData"] = self.merged_cloud_config(source, volume["name"])
            source.pop("userDataBase64", None)

    def merged_cloud_config(self, source: Obj, volume_name: str) -> str:
        from vmctl.io.yamlio import dump_yaml, parse_documents

        text = source.get("userData")
        if text is None and source.get("userDataBase64"):
            import base64
            import binascii

            try:
                text = base64.b64decode(source["userDataBase64"], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                text = None
        if text is None or not text.lstrip().startswith(CLOUD_CONFIG_HEADER):
            raise UsageError(
                f"the template's cloud-init volume {volume_name!r} has no #cloud-config user data to add "
                "--user/--password-file/--ssh-key/--ga-manage-ssh to; use --cloud-init-user-data-file to replace it"
            )
        docs = parse_documents(text, f"cloud-init user data of volume {volume_name!r}")
        config = docs[0].obj if docs else {}
        if not isinstance(config, dict):
            config = {}
        if self.o.user:
            config["user"] = self.o.user
        password = self.password()
        if password:
            config["password"] = password
            config["chpasswd"] = {"expire": False}
        keys = self.ssh_keys()
        if keys:
            current = config.get("ssh_authorized_keys")
            merged = list(current) if isinstance(current, list) else []
            merged.extend(k for k in keys if k not in merged)
            config["ssh_authorized_keys"] = merged
        if self.ga_manage_ssh:
            current = config.get("runcmd")
            runcmd = list(current) if isinstance(current, list) else []
            if _GA_MANAGE_SSH_CMD not in runcmd:
                runcmd.append(list(_GA_MANAGE_SSH_CMD))
            config["runcmd"] = runcmd
        return f"{CLOUD_CONFIG_HEADER}\n{dump_yaml(config)}".rstrip("\n")

    # --- inference -------------------------------------------------------------------------------------------
    def infer_from_volume(self, vm: Obj) -> None:
        implicit_ok = self.base is None  # never add inference to a template's VM unless asked
        it_wanted = self.o.infer_instancetype if self.o.infer_instancetype is not None else implicit_ok
        if self.explicit_it_inference and self.o.infer_instancetype is None:
            it_wanted = True
        if (it_wanted and not self.o.instancetype and not self.changed("memory") and not self.changed("cpu")):
            try:
                self.infer_instancetype(vm)
            except UsageError:
                if self.explicit_it_inference:
                    raise
        pref_wanted = self.o.infer_preference if self.o.infer_preference is not None else implicit_ok
        if self.explicit_pref_inference and self.o.infer_preference is None:
            pref_wanted = True
        if pref_wanted and not self.o.preference:
            try:
                self.infer_preference(vm)
            except UsageError:
                if self.explicit_pref_inference:
                    raise

    def infer_volume(self, vm: Obj, wanted: str | None) -> str:
        volumes = dig(vm, "spec", "template", "spec", "volumes", default=[]) or []
        if not wanted:
            if not volumes:
                raise UsageError("at least one volume is needed to infer an instance type or preference")
            wanted = self.boot_orders[min(self.boot_orders)] if self.boot_orders else volumes[0]["name"]
        volume = next((v for v in volumes if v.get("name") == wanted), None)
        if volume is None:
            raise UsageError(f'there is no volume with name "{wanted}"')
        _check_valid_to_infer_from(vm, volume)
        return wanted

    def infer_instancetype(self, vm: Obj) -> None:
        name = self.infer_volume(vm, self.o.infer_instancetype_from)
        matcher: Obj = {"inferFromVolume": name}
        if self.explicit_it_inference:
            clear_for_instancetype(vm)  # the inferred instancetype brings the memory
        else:
            matcher["inferFromVolumeFailurePolicy"] = "Ignore"
        vm["spec"]["instancetype"] = matcher

    def infer_preference(self, vm: Obj) -> None:
        name = self.infer_volume(vm, self.o.infer_preference_from)
        matcher: Obj = {"inferFromVolume": name}
        if not self.explicit_pref_inference:
            matcher["inferFromVolumeFailurePolicy"] = "Ignore"
        vm["spec"]["preference"] = matcher


# --- helpers -------------------------------------------------------------------------------------------------
def clear_for_instancetype(vm: Obj) -> list[str]:
    """Remove what an instancetype provides (guest memory, CPU topology, cpu/memory requests and limits).

    Returns the dotted paths removed, so that callers can tell the user.
    """
    removed: list[str] = []
    domain = dig(vm, "spec", "template", "spec", "domain")
    if not isinstance(domain, dict):
        return removed
    prefix = "spec.template.spec.domain"
    if domain.pop("memory", None) is not None:
        removed.append(f"{prefix}.memory")
    cpu = domain.get("cpu")
    if isinstance(cpu, dict):
        for key in ("sockets", "cores", "threads"):
            if cpu.pop(key, None) is not None:
                removed.append(f"{prefix}.cpu.{key}")
        if not cpu:
            del domain["cpu"]
    for resource in ("cpu", "memory"):
        removed.extend(_drop_resource(domain, resource))
    return removed


def _drop_resource(domain: Obj, resource: str) -> list[str]:
    removed: list[str] = []
    resources = domain.get("resources")
    if not isinstance(resources, dict):
        return removed
    for section in ("requests", "limits"):
        values = resources.get(section)
        if isinstance(values, dict) and resource in values:
            del values[resource]
            removed.append(f"spec.template.spec.domain.resources.{section}.{resource}")
            if not values:
                del resources[section]
    return removed


def _matcher(name: str, kind: str) -> Obj:
    matcher: Obj = {"name": name}
    if kind:
        matcher["kind"] = kind
    return matcher


def _prefixed(flag: str, text: str, *, what: str = "") -> tuple[str, str]:
    try:
        return split_prefixed_name(text)
    except ValueError as exc:
        raise flag_error(flag, f"{what}{exc}") from None


def _import_spec(kind: str, src: Obj) -> Obj:
    """The DataVolume spec of one ``--volume-import`` (CDI field names)."""
    flag = "volume-import"
    if kind == "blank":
        return {"source": {"blank": {}}}
    if kind in ("gcs", "http", "s3"):
        if not src.get("url"):
            raise flag_error(flag, f"url is required with {kind} volume source")
        body: Obj = {"url": src["url"]}
        for param, key in (("secretref", "secretRef"), ("certconfigmap", "certConfigMap"),
                           ("extraheaders", "extraHeaders"), ("secretextraheaders", "secretExtraHeaders")):
            if src.get(param):
                body[key] = src[param]
        return {"source": {{"gcs": "gcs", "http": "http", "s3": "s3"}[kind]: body}}
    if kind == "imageio":
        if not src.get("url") or not src.get("diskid"):
            raise flag_error(flag, "url and diskid are both required with imageio volume source")
        body = {"url": src["url"], "diskId": src["diskid"]}
        for param, key in (("secretref", "secretRef"), ("certconfigmap", "certConfigMap")):
            if src.get(param):
                body[key] = src[param]
        return {"source": {"imageio": body}}
    if kind == "registry":
        pull = src.get("pullmethod") or ""
        if pull and pull not in ("pod", "node"):
            raise flag_error(flag, "pullmethod must be set to pod or node")
        if bool(src.get("url")) == bool(src.get("imagestream")):
            raise flag_error(flag, "exactly one of url or imagestream must be defined")
        body = {}
        for param, key in (("pullmethod", "pullMethod"), ("certconfigmap", "certConfigMap"),
                           ("imagestream", "imageStream"), ("url", "url"), ("secretref", "secretRef")):
            if src.get(param):
                body[key] = src[param]
        return {"source": {"registry": body}}
    if kind == "vddk":
        for param in ("url", "uuid", "thumbprint", "secretref", "backingfile"):
            if not src.get(param):
                raise flag_error(flag, f"{param} is required with vddk volume source")
        body = {"url": src["url"], "uuid": src["uuid"], "thumbprint": src["thumbprint"],
                "secretRef": src["secretref"], "backingFile": src["backingfile"]}
        if src.get("initimageurl"):
            body["initImageURL"] = src["initimageurl"]
        return {"source": {"vddk": body}}
    # pvc, snapshot, ds: src is "namespace/name"
    if not src.get("src"):
        raise flag_error(flag, "src must be specified")
    namespace, name = _prefixed(flag, src["src"], what="src invalid: ")
    if kind == "ds":
        ref: Obj = {"kind": "DataSource", "name": name}
        if namespace:
            ref["namespace"] = namespace
        return {"sourceRef": ref}
    if not namespace:
        raise flag_error(flag, f'namespace of {kind} "{name}" must be specified')
    return {"source": {kind: {"name": name, "namespace": namespace}}}


def _check_valid_to_infer_from(vm: Obj, volume: Obj) -> None:
    """virtctl's ``volumeValidToInferFrom``: only PVCs and DataVolumes with PVC/registry/snapshot/DataSource."""
    if "dataVolume" in volume:
        name = (volume.get("dataVolume") or {}).get("name")
        for dvt in dig(vm, "spec", "dataVolumeTemplates", default=[]) or []:
            if dig(dvt, "metadata", "name") != name:
                continue
            source = dig(dvt, "spec", "source") or {}
            if any(k in source for k in ("pvc", "registry", "snapshot")):
                return
            if dig(dvt, "spec", "sourceRef", "kind") == "DataSource":
                return
            raise UsageError(
                "this datavolume is not valid to infer an instancetype or preference from (source needs to be "
                "PVC, Registry or Snapshot, sourceRef needs to be DataSource)"
            )
        return
    if "persistentVolumeClaim" in volume:
        return
    raise UsageError("inference of instancetype or preference works only with datasources, datavolumes or pvcs")


def _cloud_init_volume(vm: Obj) -> Obj | None:
    for volume in dig(vm, "spec", "template", "spec", "volumes", default=[]) or []:
        if isinstance(volume, dict) and any(k in volume for k in _SOURCE_KEYS):
            return volume
    return None


def _remove_volume(vm: Obj, name: str) -> None:
    spec = vm["spec"]["template"]["spec"]
    spec["volumes"] = [v for v in spec.get("volumes") or [] if v.get("name") != name]
    devices = dig(spec, "domain", "devices")
    if isinstance(devices, dict) and isinstance(devices.get("disks"), list):
        devices["disks"] = [d for d in devices["disks"] if d.get("name") != name]


def _checked_base64(flag: str, value: str | None, what: str) -> str | None:
    """Validate base64 cloud-init data like KubeVirt's admission does (standard alphabet, padded, <= 2048 bytes)."""
    if not value:
        return value
    import base64  # only with base64 flags (start-up time)
    import binascii

    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        hint = " (it looks like plain text: use --cloud-init-user-data-file)" if value.lstrip().startswith("#") else ""
        raise flag_error(flag, f"not valid base64{hint}") from None
    if len(decoded) > CLOUD_INIT_MAX_BYTES:
        raise flag_error(
            flag,
            f"{what} data is {len(decoded)} bytes, KubeVirt accepts at most {CLOUD_INIT_MAX_BYTES} bytes inline "
            "(put it in a Secret and reference it with secretRef)",
        )
    return value


def _read_user_data_file(path: str | None) -> str | None:
    if path is None:
        return None
    flag = "cloud-init-user-data-file"
    try:
        with open(path, "rb") as handle:
            data = handle.read(CLOUD_INIT_MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f'failed to parse "--{flag}" flag: open {path}: {(exc.strerror or str(exc)).lower()}') from None
    if len(data) > CLOUD_INIT_MAX_BYTES:
        raise InputError(
            f'failed to parse "--{flag}" flag: {path} is more than {CLOUD_INIT_MAX_BYTES} bytes, the most KubeVirt '
            "accepts inline (put it in a Secret and reference it with secretRef)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f'failed to parse "--{flag}" flag: {path}: not UTF-8 text') from None
    if not text.strip():
        raise InputError(f'failed to parse "--{flag}" flag: {path} is empty')
    return text


def _yaml_scalar(flag: str, value: str) -> str:
    """``value`` as a YAML scalar: plain when it reads back unchanged, else double-quoted."""
    if any(ch in value for ch in "\r\n\x00"):
        raise flag_error(flag, "value must be a single line")
    from vmctl.io.yamlio import parse_documents

    try:
        docs = parse_documents(f"k: {value}\n", "<scalar>")
        if docs and docs[0].obj == {"k": value}:
            return value
    except Exception:  # any parse problem means: quote it
        pass
    import json

    return json.dumps(value, ensure_ascii=False)
