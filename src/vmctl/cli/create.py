"""``vmctl create vm|instancetype|preference``: print manifests for ``kubectl apply -f -`` (like virtctl create).

No ``from __future__ import annotations`` here on purpose: typer would then evaluate every string annotation
of these ~40 options with ``eval`` on each start, which doubles the time to build the command.
"""

from pathlib import Path
from typing import Annotated

import typer

from vmctl.cli.options import Catalog, Namespace, Output
from vmctl.cli.output import Format

_VM_HELP = """Print a VirtualMachine manifest built from virtctl-style flags, or from a template plus flags.

Without a boot order, volumes boot in this order: containerdisk > PVC > imported (--volume-import).
Structured flags take key:value pairs separated by commas (see docs/create.md).

\b
Examples:
  vmctl create vm --from-template fedora-server -p NAME=web1 \\
    --instancetype u1.medium --preference fedora | kubectl apply -f -
  vmctl create vm --name web2 --instancetype u1.small --preference fedora \\
    --volume-containerdisk src:quay.io/containerdisks/fedora:41 \\
    --user fedora --ssh-key "$(cat ~/.ssh/id_ed25519.pub)"
  vmctl create vm --memory 1Gi --cpu 2 \\
    --volume-import type:ds,src:os-images/fedora,size:30Gi \\
    --cloud-init-user-data-file ./user-data.yaml
  vmctl create vm --from-template cirros -p NAME=c1 \\
    --instancetype u1.nano --preference cirros --resolve -o json
"""

_IT_HELP = """Print a VirtualMachineClusterInstancetype manifest (VirtualMachineInstancetype with --namespaced or -n).

\b
Examples:
  vmctl create instancetype --name small-2c --cpu 2 --memory 4Gi \\
    | kubectl apply -f -
  vmctl create instancetype --namespaced --name gpu-box --cpu 8 \\
    --memory 32Gi --gpu name:gpu1,devicename:nvidia.com/GA102GL_A10
"""

_PREF_HELP = """Print a VirtualMachineClusterPreference manifest (VirtualMachinePreference with --namespaced or -n).

\b
Examples:
  vmctl create preference --name my-linux --cpu-topology cores --machine-type q35
  vmctl create preference -n team-a --volume-storage-class fast-ssd | kubectl apply -f -
"""

StrList = list[str] | None

#: Go's ``strconv.ParseBool`` spellings, as virtctl's boolean flags take them (``--infer-instancetype=false``).
_GO_BOOLS = {**dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
             **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False)}


class GoBoolFlagsCommand(typer.core.TyperCommand):
    """A command whose ``--flag/--no-flag`` booleans also take virtctl's (pflag's) ``--flag=VALUE`` spelling, so
    scripts written for virtctl keep working; a bad VALUE is pflag's error."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        from vmctl.errors import UsageError

        flags = {name for param in self.params if getattr(param, "is_bool_flag", False) and param.secondary_opts
                 for name in param.opts}
        rewritten: list[str] = []
        for i, arg in enumerate(args):
            if arg == "--":
                rewritten += args[i:]
                break
            flag, sep, value = arg.partition("=")
            if sep and flag in flags:
                if value not in _GO_BOOLS:
                    raise UsageError(f'invalid argument "{value}" for "{flag}" flag: strconv.ParseBool: parsing '
                                     f'"{value}": invalid syntax')
                arg = flag if _GO_BOOLS[value] else "--no-" + flag[2:]
            rewritten.append(arg)
        return super().parse_args(ctx, rewritten)


def register(app: typer.Typer) -> None:
    from vmctl.cli.main import lazy_group

    # one app per subcommand, so that typer builds (only) the subcommand that runs
    vm_app, it_app, pref_app = (typer.Typer(add_completion=False, rich_markup_mode=None) for _ in range(3))
    sub = typer.Typer(
        help="Print VirtualMachine, instancetype and preference manifests (like virtctl create).\n\n"
        "Example: vmctl create vm --instancetype u1.small --preference fedora "
        "--volume-containerdisk src:quay.io/containerdisks/fedora:41 | kubectl apply -f -",
        no_args_is_help=True,
        rich_markup_mode=None,
        cls=lazy_group({"vm": vm_app, "instancetype": it_app, "preference": pref_app}),
    )
    app.add_typer(sub, name="create")

    @vm_app.command("vm", help=_VM_HELP, no_args_is_help=False, cls=GoBoolFlagsCommand)
    def create_vm(
        name: Annotated[str | None, typer.Option("--name", help="VM name (default vm-<5 random characters>, or the template's).")] = None,
        run_strategy: Annotated[str | None, typer.Option("--run-strategy", help="Always (default), Manual, Halted, Once or RerunOnFailure.")] = None,
        termination_grace_period: Annotated[int | None, typer.Option("--termination-grace-period", help="Seconds (default 180).")] = None,
        memory: Annotated[str | None, typer.Option("--memory", help="Guest memory (default 512Mi; not with --instancetype).")] = None,
        cpu: Annotated[int | None, typer.Option("--cpu", help="vCPUs, set as domain.cpu.cores (not with --instancetype).")] = None,
        instancetype: Annotated[str | None, typer.Option("--instancetype", help="[kind/]name; kind virtualmachineclusterinstancetype (default) or virtualmachineinstancetype.")] = None,
        infer_instancetype: Annotated[bool | None, typer.Option("--infer-instancetype/--no-infer-instancetype", help="Infer the instancetype from the boot volume (default on when neither --instancetype nor --memory is given; failures then ignored).")] = None,
        infer_instancetype_from: Annotated[str | None, typer.Option("--infer-instancetype-from", help="Volume to infer the instancetype from.")] = None,
        preference: Annotated[str | None, typer.Option("--preference", help="[kind/]name; kind virtualmachineclusterpreference (default) or virtualmachinepreference.")] = None,
        infer_preference: Annotated[bool | None, typer.Option("--infer-preference/--no-infer-preference", help="Infer the preference from the boot volume (default on; failures then ignored).")] = None,
        infer_preference_from: Annotated[str | None, typer.Option("--infer-preference-from", help="Volume to infer the preference from.")] = None,
        volume_containerdisk: Annotated[StrList, typer.Option("--volume-containerdisk", help="src:IMAGE[,name:N][,bootorder:N]. Repeatable.")] = None,
        volume_pvc: Annotated[StrList, typer.Option("--volume-pvc", help="src:CLAIM[,name:N][,bootorder:N]. Repeatable.")] = None,
        volume_import: Annotated[StrList, typer.Option("--volume-import", help="type:blank|http|registry|pvc|ds|snapshot|gcs|s3|imageio|vddk,... (a dataVolumeTemplate). Repeatable.")] = None,
        volume_datasource: Annotated[StrList, typer.Option("--volume-datasource", help="DEPRECATED (as in virtctl): --volume-import type:ds with the same params.")] = None,
        volume_clone_pvc: Annotated[StrList, typer.Option("--volume-clone-pvc", help="DEPRECATED (as in virtctl): --volume-import type:pvc with the same params.")] = None,
        volume_blank: Annotated[StrList, typer.Option("--volume-blank", help="DEPRECATED (as in virtctl): --volume-import type:blank with the same params.")] = None,
        volume_sysprep: Annotated[str | None, typer.Option("--volume-sysprep", help="src:NAME[,type:configmap|secret].")] = None,
        user: Annotated[str | None, typer.Option("--user", help="cloud-init user.")] = None,
        password_file: Annotated[str | None, typer.Option("--password-file", help="File with the cloud-init password (stored in cleartext in the VM!).")] = None,
        ssh_key: Annotated[StrList, typer.Option("--ssh-key", help="SSH authorized key for cloud-init. Repeatable; each value is a CSV list (quote a key that holds a comma).")] = None,
        ga_manage_ssh: Annotated[bool | None, typer.Option("--ga-manage-ssh/--no-ga-manage-ssh", help="Let the guest agent manage SSH keys (cloud-init runcmd).")] = None,
        access_cred: Annotated[StrList, typer.Option("--access-cred", help="type:ssh|password,src:SECRET[,method:ga|nocloud|configdrive][,user:U]. Repeatable.")] = None,
        cloud_init: Annotated[str | None, typer.Option("--cloud-init", help="Data source: nocloud (default), configdrive or none.")] = None,
        cloud_init_user_data: Annotated[str | None, typer.Option("--cloud-init-user-data", help="Base64 user data.")] = None,
        cloud_init_user_data_file: Annotated[str | None, typer.Option("--cloud-init-user-data-file", help="File with the user data (plain text, at most 2048 bytes).")] = None,
        cloud_init_network_data: Annotated[str | None, typer.Option("--cloud-init-network-data", help="Base64 network data.")] = None,
        from_template: Annotated[str | None, typer.Option("--from-template", help="Template name or file; its VirtualMachine is the starting point.")] = None,
        param: Annotated[StrList, typer.Option("--param", "-p", help="Template parameter NAME=VALUE. Repeatable.")] = None,
        param_file: Annotated[StrList, typer.Option("--param-file", help="File of NAME=VALUE lines. Repeatable.")] = None,
        ignore_unknown_parameters: Annotated[bool, typer.Option("--ignore-unknown-parameters", help="Ignore -p names the template does not declare.")] = False,
        template_dir: Annotated[list[Path] | None, typer.Option("--template-dir", help="Extra template folder. Repeatable.")] = None,
        resolve: Annotated[bool, typer.Option("--resolve", help="Print the VirtualMachineInstance KubeVirt would create instead.")] = False,
        catalog: Catalog = None,
        namespace: Namespace = None,
        output: Output = Format.yaml,
    ) -> None:
        from vmctl.cli.output import emit, info, warn
        from vmctl.create.vm import VMOptions, build_vm

        warnings: list[str] = []  # printed only once the manifest was built, so errors stay one line

        opts = VMOptions(
            name=name, namespace=namespace, run_strategy=run_strategy,
            termination_grace_period=termination_grace_period, memory=memory, cpu=cpu,
            instancetype=instancetype, infer_instancetype=infer_instancetype,
            infer_instancetype_from=infer_instancetype_from, preference=preference,
            infer_preference=infer_preference, infer_preference_from=infer_preference_from,
            volume_containerdisk=volume_containerdisk, volume_pvc=volume_pvc, volume_import=volume_import,
            volume_datasource=volume_datasource, volume_clone_pvc=volume_clone_pvc, volume_blank=volume_blank,
            volume_sysprep=volume_sysprep, user=user, password_file=password_file, ssh_key=ssh_key,
            ga_manage_ssh=ga_manage_ssh, access_cred=access_cred, cloud_init=cloud_init,
            cloud_init_user_data=cloud_init_user_data, cloud_init_user_data_file=cloud_init_user_data_file,
            cloud_init_network_data=cloud_init_network_data,
        )
        if from_template is None:
            if param or param_file or ignore_unknown_parameters or template_dir:
                from vmctl.errors import UsageError

                raise UsageError("-p/--param, --param-file, --ignore-unknown-parameters and --template-dir need --from-template")
            objects = [build_vm(opts, warn=warnings.append)]
            index, message = 0, None
        else:
            from vmctl.create.fromtemplate import params_from_args, vm_from_template

            values, param_warnings = params_from_args(param or [], param_file or [])
            warnings.extend(param_warnings)
            made = vm_from_template(
                from_template, values, ignore_unknown=ignore_unknown_parameters, template_dirs=template_dir,
                vm_name=name,
            )
            warnings.extend(made.warnings)
            made.objects[made.index] = build_vm(opts, base=made.vm, warn=warnings.append)
            objects, index, message = made.objects, made.index, made.message
        shown = objects
        if resolve:
            from vmctl.catalog import load_catalog
            from vmctl.core.pipeline import resolve as resolve_object

            others = [o for i, o in enumerate(objects) if i != index]
            result = resolve_object(objects[index], load_catalog(others, extra_dirs=catalog), origins=False)
            warnings.extend(result.warnings)
            shown = [result.obj]
        for text in warnings:
            warn(text)
        emit(shown, output)
        if message:
            info(message)

    @it_app.command("instancetype", help=_IT_HELP)
    def create_instancetype(
        cpu: Annotated[int | None, typer.Option("--cpu", help="Guest vCPUs (required, > 0).")] = None,
        memory: Annotated[str | None, typer.Option("--memory", help="Guest memory, e.g. 4Gi (required).")] = None,
        name: Annotated[str | None, typer.Option("--name", help="Name (default [cluster]instancetype-<5 random>).")] = None,
        gpu: Annotated[StrList, typer.Option("--gpu", help="name:NAME,devicename:DEVICE. Repeatable.")] = None,
        hostdevice: Annotated[StrList, typer.Option("--hostdevice", help="name:NAME,devicename:DEVICE. Repeatable.")] = None,
        iothreadspolicy: Annotated[str | None, typer.Option("--iothreadspolicy", help="auto or shared.")] = None,
        namespaced: Annotated[bool, typer.Option("--namespaced", help="VirtualMachineInstancetype instead of the cluster kind.")] = False,
        namespace: Namespace = None,
        output: Output = Format.yaml,
    ) -> None:
        from vmctl.cli.output import emit
        from vmctl.create.instancetype import InstancetypeOptions, build_instancetype

        emit(build_instancetype(InstancetypeOptions(
            cpu=cpu, memory=memory, name=name, namespace=namespace, namespaced=namespaced, gpu=gpu,
            hostdevice=hostdevice, iothreadspolicy=iothreadspolicy,
        )), output)

    @pref_app.command("preference", help=_PREF_HELP)
    def create_preference(
        name: Annotated[str | None, typer.Option("--name", help="Name (default [cluster]preference-<5 random>).")] = None,
        volume_storage_class: Annotated[str | None, typer.Option("--volume-storage-class", help="spec.volumes.preferredStorageClassName.")] = None,
        machine_type: Annotated[str | None, typer.Option("--machine-type", help="spec.machine.preferredMachineType, e.g. q35.")] = None,
        cpu_topology: Annotated[str | None, typer.Option("--cpu-topology", help="sockets, cores, threads, spread or any.")] = None,
        namespaced: Annotated[bool, typer.Option("--namespaced", help="VirtualMachinePreference instead of the cluster kind.")] = False,
        namespace: Namespace = None,
        output: Output = Format.yaml,
    ) -> None:
        from vmctl.cli.output import emit
        from vmctl.create.preference import PreferenceOptions, build_preference

        emit(build_preference(PreferenceOptions(
            name=name, namespace=namespace, namespaced=namespaced, volume_storage_class=volume_storage_class,
            machine_type=machine_type, cpu_topology=cpu_topology,
        )), output)
