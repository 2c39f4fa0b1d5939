"""Seeded generator of differential cases: VMs (and VMIs) with instancetypes, preferences and presets.

Every case is a dict ``{"id", "namespace", "vm" | "vmi", "objects"}``. The generator covers the sections of
kubevirt-semantics.md §b (instancetype spec), §c (preference spec), §d (application: conflicts, topology,
spreads, requirements, annotations, VM mutator and controller steps) and §e (presets and their selectors),
their interactions, deprecated fields, and inputs KubeVirt's VM/VMI validation rejects.

    python3 tests/fidelity/generate.py 2400 > cases.jsonl     # the same seed always gives the same cases
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

Obj = dict[str, Any]
SEED = 20260822

CPU_GUESTS = [1, 2, 3, 4, 6, 8, 12, 16]
MEMORY = ["512Mi", "1Gi", "2Gi", "4Gi", "1536Mi", "3G", "1.5Gi", "2048Mi", "1024Mi", "128Mi", "2G"]
TOPOLOGIES = ["sockets", "cores", "threads", "spread", "any", "preferSockets", "preferCores", "preferThreads",
              "preferSpread", "preferAny"]
ACROSS = ["SocketsCores", "CoresThreads", "SocketsCoresThreads"]
BUSES = ["virtio", "sata", "scsi", "usb"]
LABEL_SETS = [{}, {"app": "web"}, {"app": "db", "tier": "back"}, {"os": "fedora"}, {"app": "web", "os": "fedora"}]


class Gen:
    """One random source; each method draws one piece of a case."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, items: list[Any]) -> Any:
        return self.r.choice(items)

    # --- instancetype (§b) ------------------------------------------------------------------------
    def instancetype_spec(self) -> Obj:
        cpu: Obj = {"guest": self.pick(CPU_GUESTS)}
        if self.chance(0.15):
            cpu["model"] = self.pick(["host-passthrough", "Haswell"])
        if self.chance(0.1):
            cpu["dedicatedCPUPlacement"] = self.chance(0.7)
        if self.chance(0.08):
            cpu["isolateEmulatorThread"] = self.chance(0.7)
        if self.chance(0.06):
            cpu["numa"] = {"guestMappingPassthrough": {}}
        if self.chance(0.04):
            cpu["realtime"] = self.pick([{}, {"mask": "0"}])
        if self.chance(0.15):
            cpu["maxSockets"] = self.pick([2, 4, 8, 16])
        memory: Obj = {"guest": self.pick(MEMORY)}
        if self.chance(0.15):
            memory["hugepages"] = {"pageSize": self.pick(["2Mi", "1Gi"])}
        if self.chance(0.2):
            memory["overcommitPercent"] = self.pick([0, 10, 15, 25, 50, 80])
        if self.chance(0.12):
            memory["maxGuest"] = self.pick(["8Gi", "16Gi", "4Gi"])
        spec: Obj = {"cpu": cpu, "memory": memory}
        if self.chance(0.12):
            spec["nodeSelector"] = self.pick([{"disk": "ssd"}, {}, {"zone": "a", "gpu": "no"}])
        if self.chance(0.1):
            spec["schedulerName"] = self.pick(["custom-scheduler", "my-sched"])
        if self.chance(0.12):
            spec["ioThreadsPolicy"] = self.pick(["shared", "auto", "supplementalPool"])
        if self.chance(0.06):
            spec["ioThreads"] = {"supplementalPoolThreadCount": self.pick([1, 2, 4])}
        if self.chance(0.15):
            spec["annotations"] = self.pick([{"it.example.com/a": "1"}, {"shared": "it"}, {"x": "y", "shared": "it"}])
        if self.chance(0.04):
            spec["gpus"] = [{"name": "gpu1", "deviceName": "nvidia.com/GP102GL_Tesla_P40"}]
        if self.chance(0.04):
            spec["hostDevices"] = [{"name": "hd1", "deviceName": "example.com/dev"}]
        return spec

    # --- preference (§c) -------------------------------------------------------------------------
    def preference_spec(self) -> Obj:
        spec: Obj = {}
        if self.chance(0.5):
            cpu: Obj = {}
            if self.chance(0.85):
                cpu["preferredCPUTopology"] = self.pick(TOPOLOGIES)
            if self.chance(0.35):
                opts: Obj = {}
                if self.chance(0.7):
                    opts["across"] = self.pick(ACROSS)
                if self.chance(0.6):
                    opts["ratio"] = self.pick([1, 2, 3, 4])
                cpu["spreadOptions"] = opts
            if self.chance(0.15):
                cpu["preferredCPUFeatures"] = [{"name": "vmx", "policy": self.pick(["require", "disable"])}]
            spec["cpu"] = cpu
        if self.chance(0.15):
            spec["preferSpreadSocketToCoreRatio"] = self.pick([2, 3, 4])
        if self.chance(0.55):
            spec["devices"] = self.preference_devices()
        if self.chance(0.3):
            spec["features"] = self.preference_features()
        if self.chance(0.3):
            spec["firmware"] = self.preference_firmware()
        if self.chance(0.2):
            clock: Obj = {}
            if self.chance(0.7):
                clock["preferredClockOffset"] = self.pick([{"utc": {}}, {"utc": {"offsetSeconds": 3600}},
                                                           {"timezone": "Europe/Prague"}])
            if self.chance(0.5):
                clock["preferredTimer"] = self.pick([{"hpet": {"present": False}}, {"rtc": {"tickPolicy": "catchup"}},
                                                     {"pit": {"tickPolicy": "delay"}, "hyperv": {}}])
            spec["clock"] = clock
        if self.chance(0.15):
            spec["machine"] = {"preferredMachineType": self.pick(["pc-q35-rhel9.6.0", "q35"])}
        if self.chance(0.1):
            spec["preferredSubdomain"] = self.pick(["sub", "my-sub"])
        if self.chance(0.15):
            spec["preferredTerminationGracePeriodSeconds"] = self.pick([0, 60, 3600])
        if self.chance(0.3):
            req: Obj = {}
            if self.chance(0.6):
                req["cpu"] = {"guest": self.pick([1, 2, 4, 8])}
            if self.chance(0.6):
                req["memory"] = {"guest": self.pick(["512Mi", "1Gi", "2Gi", "4Gi", "1.5Gi"])}
            if self.chance(0.2):
                req["architecture"] = self.pick(["amd64", "arm64"])
            spec["requirements"] = req
        if self.chance(0.15):
            spec["annotations"] = self.pick([{"vm.kubevirt.io/os": "linux"}, {"shared": "pref"}])
        if self.chance(0.12):
            spec["preferredArchitecture"] = self.pick(["amd64", "amd64", "arm64"])
        if self.chance(0.05):
            spec["volumes"] = {"preferredStorageClassName": "fast"}
        return spec

    def preference_devices(self) -> Obj:
        devices: Obj = {}
        for key in ("preferredAutoattachGraphicsDevice", "preferredAutoattachMemBalloon",
                    "preferredAutoattachPodInterface", "preferredAutoattachSerialConsole",
                    "preferredAutoattachInputDevice", "preferredDisableHotplug", "preferredUseVirtioTransitional",
                    "preferredBlockMultiQueue", "preferredNetworkInterfaceMultiQueue",
                    "preferredDiskDedicatedIoThread"):
            if self.chance(0.12):
                devices[key] = self.chance(0.6)
        if self.chance(0.5):
            devices["preferredDiskBus"] = self.pick(BUSES)
        if self.chance(0.15):
            devices["preferredCdromBus"] = self.pick(["sata", "scsi"])
        if self.chance(0.1):
            devices["preferredLunBus"] = self.pick(["sata", "scsi"])
        if self.chance(0.4):
            devices["preferredInterfaceModel"] = self.pick(["virtio", "e1000e", "e1000"])
        if self.chance(0.2):
            devices["preferredInputBus"] = self.pick(["usb", "virtio"])
        if self.chance(0.2):
            devices["preferredInputType"] = "tablet"
        if self.chance(0.3):
            devices["preferredRng"] = {}
        if self.chance(0.1):
            devices["preferredDiskCache"] = self.pick(["none", "writethrough", "writeback"])
        if self.chance(0.1):
            devices["preferredDiskIO"] = self.pick(["native", "threads"])
        if self.chance(0.08):
            devices["preferredDiskBlockSize"] = {"custom": {"logical": 512, "physical": 4096}}
        if self.chance(0.1):
            devices["preferredTPM"] = self.pick([{}, {"persistent": True}])
        if self.chance(0.1):
            devices["preferredInterfaceMasquerade"] = {}
        if self.chance(0.06):
            devices["preferredSoundModel"] = "ich9"
        if self.chance(0.06):
            devices["preferredVideoType"] = self.pick(["virtio", "vga"])
        if self.chance(0.05):
            devices["preferredPanicDeviceModel"] = self.pick(["hyperv", "isa"])
        return devices

    def preference_features(self) -> Obj:
        features: Obj = {}
        if self.chance(0.4):
            features["preferredAcpi"] = self.pick([{}, {"enabled": False}, {"enabled": True}])
        if self.chance(0.3):
            features["preferredApic"] = self.pick([{}, {"endOfInterrupt": True}])
        if self.chance(0.4):
            features["preferredHyperv"] = self.pick([
                {"relaxed": {}, "vapic": {}, "spinlocks": {"spinlocks": 8191}},
                {"synictimer": {"direct": {}}},
                {"tlbflush": {}, "ipi": {}},
                {"evmcs": {}},
                {"vpindex": {}, "runtime": {}, "reset": {}, "frequencies": {}, "reenlightenment": {}},
            ])
        if self.chance(0.2):
            features["preferredKvm"] = {"hidden": self.chance(0.5)}
        if self.chance(0.2):
            features["preferredPvspinlock"] = {"enabled": self.chance(0.5)}
        if self.chance(0.4):
            features["preferredSmm"] = self.pick([{}, {"enabled": True}, {"enabled": False}])
        return features

    def preference_firmware(self) -> Obj:
        options = [
            {"preferredUseBios": True}, {"preferredUseBios": True, "preferredUseBiosSerial": True},
            {"preferredUseEfi": True}, {"preferredUseEfi": True, "preferredUseSecureBoot": True},
            {"preferredEfi": {"secureBoot": True}}, {"preferredEfi": {"persistent": True, "secureBoot": False}},
            {"preferredEfi": {"secureBoot": False}, "preferredUseEfi": True, "preferredUseSecureBoot": True},
        ]
        return dict(self.pick(options))

    # --- the VM -----------------------------------------------------------------------------------
    def vm_domain(self, with_instancetype: bool) -> Obj:
        domain: Obj = {}
        clash = 0.12 if with_instancetype else 0.5
        if self.chance(clash):
            cpu: Obj = {}
            for key in ("sockets", "cores", "threads"):
                if self.chance(0.5):
                    cpu[key] = self.pick([1, 2, 4])
            if self.chance(0.2):
                cpu["model"] = "host-passthrough"
            if self.chance(0.08):
                cpu["dedicatedCpuPlacement"] = True
            domain["cpu"] = cpu
        if self.chance(clash) or (not with_instancetype and self.chance(0.7)):
            domain["memory"] = {"guest": self.pick(MEMORY + ["-1Gi"] if self.chance(0.05) else MEMORY)}
        if self.chance(clash * 0.8):
            resources: Obj = {}
            if self.chance(0.6):
                resources["requests"] = {k: v for k, v in (("cpu", self.pick([0.5, "1.5", 1, "500m", "2"])),
                                                           ("memory", self.pick(MEMORY))) if self.chance(0.7)}
            if self.chance(0.3):
                resources["limits"] = {k: v for k, v in (("cpu", self.pick([1, "2", 2])),
                                                         ("memory", self.pick(MEMORY))) if self.chance(0.7)}
            domain["resources"] = resources
        if self.chance(0.2):
            domain["features"] = self.pick([{"acpi": {}}, {"smm": {"enabled": False}}, {"kvm": {"hidden": False}},
                                            {"hyperv": {"relaxed": {"enabled": False}}}, {"apic": {}}])
        if self.chance(0.15):
            domain["firmware"] = self.pick([{"bootloader": {"bios": {}}}, {"bootloader": {"efi": {}}},
                                            {"uuid": "5d307ca9-b3ef-428c-8861-06e72d69f223"},
                                            {"bootloader": {"efi": {"secureBoot": False}}}])
        if self.chance(0.1):
            domain["clock"] = self.pick([{"utc": {}}, {"timezone": "UTC", "timer": {"hpet": {}}}])
        if self.chance(0.1):
            domain["machine"] = {"type": "q35"}
        if self.chance(0.05):
            domain["ioThreadsPolicy"] = "shared"
        devices, volumes, networks = self.vm_devices()
        domain["devices"] = devices
        return domain, volumes, networks

    def vm_devices(self) -> tuple[Obj, list[Obj], list[Obj] | None]:
        devices: Obj = {}
        volumes: list[Obj] = []
        disks: list[Obj] = []
        for i in range(self.pick([0, 1, 1, 2, 3])):
            name = self.pick(["rootdisk", "data", "cloudinit", "scratch"]) + (str(i) if i else "")
            source = self.pick([
                {"containerDisk": {"image": self.pick(["quay.io/containerdisks/fedora:40",
                                                       "quay.io/containerdisks/fedora", "registry:5000/img:latest"])}},
                {"cloudInitNoCloud": {"userData": "#cloud-config\n"}},
                {"emptyDisk": {"capacity": self.pick(["1Gi", "1024Mi", "2G"])}},
                {"persistentVolumeClaim": {"claimName": "pvc-" + name}},
            ])
            volumes.append({"name": name, **source})
            if self.chance(0.6):
                disk: Obj = {"name": name}
                kind = self.pick(["disk", "disk", "cdrom", "lun", None])
                if kind:
                    disk[kind] = {"bus": self.pick(BUSES + [""])} if self.chance(0.4) else {}
                if self.chance(0.1):
                    disk["bootOrder"] = self.pick([1, 2])
                disks.append(disk)
        # inputs the VMI validation rejects, now and then
        if volumes and self.chance(0.03):
            disks.append({"name": "orphan", "disk": {}})
        if disks and self.chance(0.03):
            disks.append(dict(disks[0]))
        if volumes and self.chance(0.02):
            volumes.append(dict(volumes[0]))
        if disks and self.chance(0.02):
            disks[0] = {"name": disks[0]["name"], "floppy": {}}
        if disks:
            devices["disks"] = disks
        networks: list[Obj] | None = None
        roll = self.r.random()
        if roll < 0.25:
            binding = self.pick([{"masquerade": {}}, {"bridge": {}}, {}, {"slirp": {}}, {"macvtap": {}},
                                 {"passt": {}}, {"binding": {"name": "passt"}}] if self.chance(0.3)
                                else [{"masquerade": {}}, {"bridge": {}}, {}])
            iface = {"name": "default", **binding}
            if self.chance(0.2):
                iface["model"] = self.pick(["virtio", "e1000"])
            devices["interfaces"] = [iface]
            networks = [{"name": "default", "pod": {}}] if self.chance(0.9) else [{"name": "other", "pod": {}}]
        elif roll < 0.3:
            networks = [{"name": "default", "pod": {}}]
        if self.chance(0.1):
            devices["inputs"] = [{"name": "tablet0", **({"type": "tablet"} if self.chance(0.5) else {})}]
        for key in ("autoattachPodInterface", "autoattachGraphicsDevice", "autoattachInputDevice",
                    "disableHotplug", "blockMultiQueue"):
            if self.chance(0.05):
                devices[key] = self.chance(0.5)
        if self.chance(0.05):
            devices["rng"] = {}
        if self.chance(0.05):
            devices["watchdog"] = {"name": "wd", "i6300esb": {}}
        if self.chance(0.04):
            devices["sound"] = {"name": "snd"}
        return devices, volumes, networks

    def matcher(self, which: str, name: str, namespaced: bool) -> Obj:
        matcher: Obj = {"name": name}
        if namespaced:
            matcher["kind"] = "VirtualMachineInstancetype" if which == "it" else "VirtualMachinePreference"
        elif self.chance(0.3):
            matcher["kind"] = self.pick(["VirtualMachineClusterInstancetype", "virtualmachineclusterinstancetypes"]
                                        if which == "it" else ["VirtualMachineClusterPreference"])
        return matcher

    def referenced(self, which: str, namespace: str, objects: list[Obj]) -> Obj:
        """An instancetype (``it``) or preference (``pref``), added to ``objects`` (now and then left out), and
        the VM's matcher for it."""
        namespaced = self.chance(0.3)
        if which == "it":
            name = self.pick(["u1.small", "it-a", "custom.large"])
            kind = "VirtualMachineInstancetype" if namespaced else "VirtualMachineClusterInstancetype"
            spec = self.instancetype_spec()
        else:
            name = self.pick(["fedora", "pref-a", "windows.like"])
            kind = "VirtualMachinePreference" if namespaced else "VirtualMachineClusterPreference"
            spec = self.preference_spec()
        obj = {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": kind,
               "metadata": {"name": name, **({"namespace": namespace} if namespaced else {})}, "spec": spec}
        if not self.chance(0.03):
            objects.append(obj)
        return self.matcher(which, name, namespaced)

    def case(self, index: int) -> Obj:
        objects: list[Obj] = []
        namespace = self.pick(["default", "default", "default", "ns1"])
        vm_name = self.pick(["web1", "db", "vm-" + str(index), "fedora-vm"])
        spec: Obj = {}
        with_it = self.chance(0.75)
        with_pref = self.chance(0.7)
        if with_it:
            spec["instancetype"] = self.referenced("it", namespace, objects)
        if with_pref:
            spec["preference"] = self.referenced("pref", namespace, objects)
        strategy = self.r.random()
        if strategy < 0.85:
            spec["runStrategy"] = self.pick(["Always", "Halted", "Manual", "RerunOnFailure", "Once"])
        elif strategy < 0.95:
            spec["running"] = self.chance(0.5)
        else:
            spec["runStrategy"] = self.pick(["Sometimes", "Always"])
            if self.chance(0.5):
                spec["running"] = True
        domain, volumes, networks = self.vm_domain(with_it)
        template_spec: Obj = {"domain": domain}
        if volumes:
            template_spec["volumes"] = volumes
        if networks is not None:
            template_spec["networks"] = networks
        if self.chance(0.1):
            template_spec["terminationGracePeriodSeconds"] = 30
        if self.chance(0.05):
            template_spec["nodeSelector"] = {"disk": "hdd"}
        if self.chance(0.05):
            template_spec["schedulerName"] = "other"
        if self.chance(0.05):
            template_spec["architecture"] = self.pick(["amd64", "arm64"])
        tmeta: Obj = {}
        labels = dict(self.pick(LABEL_SETS))
        if labels:
            tmeta["labels"] = labels
        if self.chance(0.15):
            tmeta["annotations"] = self.pick([{"shared": "vm"}, {"it.example.com/a": "1"},
                                              {"virtualmachineinstancepresets.admission.kubevirt.io/exclude": "true"}])
        spec["template"] = {"metadata": tmeta, "spec": template_spec} if tmeta else {"spec": template_spec}
        meta: Obj = {"name": vm_name}
        if self.chance(0.7):
            meta["namespace"] = namespace
        if self.chance(0.2):
            meta["uid"] = "b3c9e4f2-8d1a-4c55-9a6e-3f0a1b2c3d4e"
        if self.chance(0.2):
            meta["generation"] = self.pick([1, 2, 5])
        objects.extend(self.presets(namespace))
        vm = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": meta, "spec": spec}
        if self.chance(0.08):  # a bare VMI through the VMI webhooks only
            vmi_spec = template_spec
            vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
                   "metadata": {"name": vm_name, "namespace": namespace, **tmeta}, "spec": vmi_spec}
            return {"id": f"c{index:05d}", "namespace": namespace, "vmi": vmi,
                    "objects": [o for o in objects if o["kind"] == "VirtualMachineInstancePreset"]}
        return {"id": f"c{index:05d}", "namespace": namespace, "vm": vm, "objects": objects}

    # --- presets (§e) -----------------------------------------------------------------------------
    def presets(self, namespace: str) -> list[Obj]:
        if not self.chance(0.3):
            return []
        out = []
        for i in range(self.pick([1, 1, 2, 3])):
            domain: Obj = {}
            for _ in range(self.pick([1, 1, 2])):
                section = self.pick(["cpu", "requests", "firmware", "features", "clock", "watchdog", "ioThreadsPolicy",
                                     "memory"])
                if section == "cpu":
                    domain["cpu"] = self.pick([{"cores": 2}, {"sockets": 2}, {"cores": 2, "model": "host-model"}])
                elif section == "requests":
                    domain["resources"] = {"requests": self.pick([{"memory": "1Gi"}, {"memory": "1024Mi"},
                                                                  {"cpu": "500m"}, {"memory": "2Gi", "cpu": 1}])}
                elif section == "firmware":
                    domain["firmware"] = self.pick([{"bootloader": {"bios": {}}}, {"serial": "abc"}])
                elif section == "features":
                    domain["features"] = self.pick([{"acpi": {}}, {"smm": {"enabled": True}}])
                elif section == "clock":
                    domain["clock"] = self.pick([{"utc": {}}, {"timezone": "UTC"}, {"utc": {}, "timer": {"rtc": {}}}])
                elif section == "watchdog":
                    domain["devices"] = {"watchdog": {"name": "w", "i6300esb": {"action": "poweroff"}}}
                elif section == "ioThreadsPolicy":
                    domain["ioThreadsPolicy"] = self.pick(["shared", "auto"])
                else:
                    domain["memory"] = {"guest": "128Mi"}
            selector = self.pick([
                {"matchLabels": {"app": "web"}},
                {"matchLabels": {"os": "fedora"}},
                {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "db"]}]},
                {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
                {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                {"matchExpressions": [{"key": "os", "operator": "NotIn", "values": ["windows"]}]},
                {},
                {"matchExpressions": [{"key": "os", "operator": "Exists", "values": ["fedora"]}]},
                {"matchExpressions": [{"key": "app", "operator": "In"}]},
                {"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["web"]}]},
                {"matchLabels": {"bad key!": "x"}},
            ] if self.chance(0.15) else [
                {"matchLabels": {"app": "web"}}, {"matchLabels": {"os": "fedora"}},
                {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "db"]}]},
                {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {},
            ])
            out.append({"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstancePreset",
                        "metadata": {"name": f"preset-{i}", "namespace": namespace},
                        "spec": {"selector": selector, "domain": domain}})
        return out


def generate(count: int, seed: int = SEED) -> list[Obj]:
    gen = Gen(seed)
    return [gen.case(i) for i in range(count)]


if __name__ == "__main__":
    for case in generate(int(sys.argv[1]) if len(sys.argv) > 1 else 2400):
        sys.stdout.write(json.dumps(case, sort_keys=True) + "\n")


# --- the bundled catalog (common-instancetypes v1.7.0) on VMs of ours --------------------------------------


def catalog_cases(instancetypes: list[str], preferences: list[str], seed: int = SEED) -> list[Obj]:
    """Every preference with three instancetypes, and every instancetype with three preferences, on a VM with a
    root disk, cloud-init and (now and then) user settings; the bundled catalog is the lookup source
    (``"catalog": true``)."""
    r = random.Random(seed + 1)
    pairs = [(r.choice(instancetypes), p) for p in preferences for _ in range(3)]
    pairs += [(i, r.choice(preferences)) for i in instancetypes for _ in range(3)]
    pairs += [(None, p) for p in preferences]
    cases = []
    for index, (it, pref) in enumerate(pairs):
        domain: Obj = {"devices": {"disks": [{"name": "rootdisk", "disk": {}}]}}
        if it is None:
            domain["memory"] = {"guest": r.choice(["1Gi", "2Gi", "4Gi", "8Gi"])}
            if r.random() < 0.5:
                domain["cpu"] = {r.choice(["sockets", "cores", "threads"]): r.choice([1, 2, 4])}
        if r.random() < 0.2:
            domain["devices"]["interfaces"] = [{"name": "default", "masquerade": {}}]
        spec: Obj = {"runStrategy": "Always", "preference": {"name": pref},
                     "template": {"metadata": {"labels": {"app": "demo"}}, "spec": {
                         "domain": domain,
                         "networks": [{"name": "default", "pod": {}}] if "interfaces" in domain["devices"] else None,
                         "volumes": [{"name": "rootdisk", "containerDisk": {"image": "quay.io/containerdisks/fedora:40"}},
                                     {"name": "cloudinit", "cloudInitNoCloud": {"userData": "#cloud-config\n"}}]}}}
        if spec["template"]["spec"]["networks"] is None:
            del spec["template"]["spec"]["networks"]
        if it is not None:
            spec["instancetype"] = {"name": it}
        vm = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
              "metadata": {"name": f"demo-{index}", "namespace": "default"}, "spec": spec}
        cases.append({"id": f"k{index:05d}", "namespace": "default", "vm": vm, "objects": [], "catalog": True})
    return cases


# --- a population KubeVirt mostly accepts: generated cases, repaired -----------------------------------------

_ALIGNED = {"1Gi", "2Gi", "4Gi", "1024Mi", "2048Mi", "8Gi"}


def _repair_instancetype(spec: Obj) -> None:
    cpu, memory = spec["cpu"], spec["memory"]
    dedicated = cpu.get("dedicatedCPUPlacement") is True
    if "numa" in cpu and not (dedicated and "hugepages" in memory):
        del cpu["numa"]
    if "realtime" in cpu and "numa" not in cpu:
        del cpu["realtime"]
    if cpu.get("isolateEmulatorThread") and not dedicated:
        del cpu["isolateEmulatorThread"]
    if cpu.get("maxSockets", cpu["guest"]) < cpu["guest"]:
        del cpu["maxSockets"]
    if "hugepages" in memory or "maxGuest" in memory:
        memory["guest"] = memory["guest"] if memory["guest"] in _ALIGNED else "2Gi"
    if "hugepages" in memory and memory["hugepages"]["pageSize"] == "1Gi" and memory["guest"] in ("1024Mi", "2048Mi"):
        memory["guest"] = "2Gi"
    if "maxGuest" in memory and quantity_bytes(memory["maxGuest"]) < quantity_bytes(memory["guest"]):
        del memory["maxGuest"]
    spec.pop("hostDevices", None)
    spec.pop("gpus", None)
    if spec.get("ioThreadsPolicy") == "supplementalPool":
        spec["ioThreads"] = {"supplementalPoolThreadCount": 2}


def quantity_bytes(text: str) -> float:
    """Enough of the quantity grammar for the generator's own values."""
    units = {"Mi": 2**20, "Gi": 2**30, "G": 10**9, "M": 10**6}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def _repair_template(spec: Obj, has_instancetype: bool) -> None:
    domain = spec.setdefault("domain", {})
    devices = domain.setdefault("devices", {})
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    spec["volumes"] = list(volumes.values())
    disks, seen = [], set()
    for disk in devices.get("disks", []):
        if disk["name"] in seen or disk["name"] not in volumes:
            continue
        seen.add(disk["name"])
        disk = {k: v for k, v in disk.items() if k not in ("floppy", "bootOrder")}
        if "lun" in disk and "persistentVolumeClaim" not in volumes[disk["name"]]:
            disk["disk"] = disk.pop("lun")
        if disk.get("cdrom", {}).get("bus") == "virtio":
            disk["cdrom"]["bus"] = "sata"
        disks.append(disk)
    if disks:
        devices["disks"] = disks
    else:
        devices.pop("disks", None)
    for iface in devices.get("interfaces", []):
        for key in ("slirp", "macvtap", "passt", "binding"):
            iface.pop(key, None)
        if "bridge" not in iface and "masquerade" not in iface:
            iface["masquerade"] = {}
        iface["name"] = "default"
    if "interfaces" in devices or "networks" in spec:
        spec["networks"] = [{"name": "default", "pod": {}}]
        devices.setdefault("interfaces", [{"name": "default", "masquerade": {}}])
    for item in devices.get("inputs", []):
        item["type"] = "tablet"
    if devices.get("autoattachGraphicsDevice") is False:
        del devices["autoattachGraphicsDevice"]
    features = domain.setdefault("features", {})
    smm = features.get("smm")
    features["smm"] = {} if not isinstance(smm, dict) or smm.get("enabled") is False else smm
    spec.pop("architecture", None)
    if not has_instancetype and "memory" not in domain:
        domain["memory"] = {"guest": "1Gi"}


def make_valid(case: Obj) -> Obj:
    """The case with what KubeVirt's webhooks refuse for reasons other than instancetypes and preferences taken
    out (bad disks, bindings, inputs, SecureBoot without SMM, run strategy, arm64, ...); presets added for half."""
    case = json.loads(json.dumps(case))
    case["id"] = "v" + case["id"][1:]
    for obj in case["objects"]:
        if obj["kind"].endswith("Instancetype"):
            _repair_instancetype(obj["spec"])
        elif obj["kind"].endswith("Preference"):
            obj["spec"].pop("preferredArchitecture", None)
            obj["spec"].get("requirements", {}).pop("architecture", None)
            obj["spec"].get("devices", {}).pop("preferredAutoattachGraphicsDevice", None)
    vm = case.get("vm") or {}
    vmi = case.get("vmi")
    spec = vm.get("spec", {})
    if vm:
        spec.pop("running", None)
        if spec.get("runStrategy") not in ("Always", "Halted", "Manual", "RerunOnFailure", "Once"):
            spec["runStrategy"] = "Always"
        _repair_template(spec["template"]["spec"], "instancetype" in spec)
    if vmi is not None:
        _repair_template(vmi["spec"], False)
    gen = Gen(int(case["id"][1:]) + SEED)
    if not any(o["kind"] == "VirtualMachineInstancePreset" for o in case["objects"]) and gen.chance(0.5):
        presets = gen.presets(case["namespace"]) or gen.presets(case["namespace"]) or gen.presets(case["namespace"])
        case["objects"].extend(presets)
    return case


def valid_cases(count: int, seed: int = SEED + 2) -> list[Obj]:
    return [make_valid(case) for case in generate(count, seed)]


# --- one spec rule at a time: repaired cases with one thing the VM/VMI validation looks at -------------------

_SPICES: list[tuple[str, Any]] = [
    ("hostname", "web-1"), ("hostname", "Bad_Host"), ("hostname", "a.b"), ("subdomain", "sub.example"),
    ("subdomain", "Sub_x"), ("startStrategy", "Paused"), ("startStrategy", "Later"),
    ("probe", {"httpGet": {"port": 80}}), ("cpuFeature", "require"), ("cpuFeature", "sometimes"),
    ("inputBus", "ps2"), ("ioThreadsPolicy", "dedicated"), ("diskBus", "ide"), ("diskBus", "floppy"),
    ("sataReadonly", True), ("ifaceModel", "rtl8139"), ("ifaceModel", "virtio-net"), ("ifaceName", "eth_0!"),
    ("dupNetwork", True), ("memoryRequest", "512k"), ("memoryRequest", "-1Gi"), ("cpuOverLimit", ("2", "1")),
    ("memoryOverLimit", ("2Gi", "1Gi")), ("dedicatedFraction", "1500m"), ("dedicatedThreads", 4),
    ("maxSockets", (4, 2)), ("sound", {"name": "s", "model": "sb16"}), ("sound", {"model": "ich9"}),
    ("video", "virtio"), ("videoNoGraphics", "virtio"), ("watchdog", {"name": "w", "diag288": {}}),
    ("machine", "pc-i440fx-2.5"), ("machine", "pc-q35-rhel9.6.0"), ("bootOrderZero", 0), ("dedicatedIOThread", "sata"),
    ("volume", {}), ("volume", {"cloudInitNoCloud": {"userData": "#cloud-config\n", "userDataBase64": "I2Nsb3Vk"}}),
    ("volume", {"cloudInitNoCloud": {"userDataBase64": "not base64!"}}), ("volume", {"cloudInitConfigDrive": {}}),
    ("volume", {"hostDisk": {"path": "/x", "type": "Disk", "capacity": "1Gi"}}), ("volume", {"configMap": {}}),
    ("volume", {"dataVolume": {}}), ("volume", {"secret": {"secretName": "s"}, "emptyDisk": {"capacity": "1Gi"}}),
    ("volume", {"cloudInitNoCloud": {"networkData": "x" * 2100}}),
    ("devices", {"autoattachVSOCK": True}), ("devices", {"downwardMetrics": {}}),
    ("devices", {"panicDevices": [{"model": "isa"}, {"model": "pvpanic2"}]}), ("domain", {"rebootPolicy": "Terminate"}),
    ("serviceAccount", "Bad_SA"), ("serviceAccount", "builder"),
]


def _spice(spec: Obj, what: str, value: Any) -> None:
    domain = spec.setdefault("domain", {})
    devices = domain.setdefault("devices", {})
    resources = domain.setdefault("resources", {})
    if what in ("hostname", "subdomain", "startStrategy"):
        spec[what] = value
    elif what == "probe":
        spec["startStrategy"] = "Paused"
        spec["livenessProbe"] = value
    elif what == "cpuFeature":
        domain.setdefault("cpu", {})["features"] = [{"name": "pcid", "policy": value}]
    elif what == "inputBus":
        devices["inputs"] = [{"name": "i", "type": "tablet", "bus": value}]
    elif what == "ioThreadsPolicy":
        domain["ioThreadsPolicy"] = value
    elif what in ("diskBus", "sataReadonly", "bootOrderZero", "dedicatedIOThread"):
        spec.setdefault("volumes", []).append({"name": "extra", "emptyDisk": {"capacity": "1Gi"}})
        disk: Obj = {"name": "extra", "disk": {"bus": value if what == "diskBus" else "sata"}}
        if what == "sataReadonly":
            disk["disk"]["readonly"] = True
        if what == "bootOrderZero":
            disk["bootOrder"] = 0
        if what == "dedicatedIOThread":
            disk["dedicatedIOThread"] = True
        devices.setdefault("disks", []).append(disk)
    elif what in ("ifaceModel", "ifaceName", "dupNetwork"):
        name = value if what == "ifaceName" else "default"
        devices["interfaces"] = [{"name": name, "masquerade": {}, **({"model": value} if what == "ifaceModel" else {})}]
        spec["networks"] = [{"name": name, "pod": {}}] * (2 if what == "dupNetwork" else 1)
    elif what == "memoryRequest":
        resources.setdefault("requests", {})["memory"] = value
    elif what in ("cpuOverLimit", "memoryOverLimit"):
        key = "cpu" if what == "cpuOverLimit" else "memory"
        resources.setdefault("requests", {})[key] = value[0]
        resources.setdefault("limits", {})[key] = value[1]
    elif what in ("dedicatedFraction", "dedicatedThreads"):
        cpu = domain.setdefault("cpu", {})
        cpu["dedicatedCpuPlacement"] = True
        if what == "dedicatedFraction":
            resources.setdefault("requests", {})["cpu"] = value
        else:
            cpu["threads"] = value
    elif what == "maxSockets":
        domain.setdefault("cpu", {}).update({"sockets": value[0], "maxSockets": value[1]})
    elif what == "sound":
        devices["sound"] = value
    elif what in ("video", "videoNoGraphics"):
        devices["video"] = {"type": value}
        if what == "videoNoGraphics":
            devices["autoattachGraphicsDevice"] = False
    elif what == "watchdog":
        devices["watchdog"] = value
    elif what == "machine":
        domain["machine"] = {"type": value}
    elif what == "volume":
        spec.setdefault("volumes", []).append({"name": "spiced", **value})
    elif what == "devices":
        devices.update(value)
    elif what == "domain":
        domain.update(value)
    elif what == "serviceAccount":
        spec["serviceAccountName"] = value
        spec.setdefault("volumes", []).append({"name": "sa", "serviceAccount": {"serviceAccountName": "other"}})


def spiced_cases(count: int, seed: int = SEED + 3) -> list[Obj]:
    """Repaired cases (``make_valid``) each given one of ``_SPICES``, in turn."""
    cases = []
    for index, case in enumerate(valid_cases(count, seed)):
        what, value = _SPICES[index % len(_SPICES)]
        case["id"] = "s" + case["id"][1:]
        target = case["vm"]["spec"]["template"]["spec"] if "vm" in case else case["vmi"]["spec"]
        _spice(target, what, value)
        case["spice"] = what
        cases.append(case)
    return cases


# --- one scheduling/security rule at a time: affinity, spread, DNS, access credentials, launch security, ... -----

_NODE_REQUIREMENTS_OK: list[Obj] = [
    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
    {"key": "disktype", "operator": "NotIn", "values": ["hdd", "tape"]},
    {"key": "gpu", "operator": "Exists"}, {"key": "spot", "operator": "DoesNotExist"},
    {"key": "cpu-count", "operator": "Gt", "values": ["4"]}, {"key": "cpu-count", "operator": "Lt", "values": ["64"]},
    {"key": "example.com/ok-key", "operator": "Exists"}, {"key": "x" * 63, "operator": "DoesNotExist"},
]
_NODE_REQUIREMENTS_BAD: list[Obj] = [
    {"key": "zone", "operator": "In"}, {"key": "gpu", "operator": "Exists", "values": ["yes"]},
    {"key": "cpu-count", "operator": "Gt", "values": ["4", "8"]}, {"key": "cpu-count", "operator": "Lt"},
    {"key": "bad key", "operator": "In", "values": ["x"]}, {"key": "Example_.com/x", "operator": "Exists"},
    {"key": "/x", "operator": "Exists"}, {"key": "a/b/c", "operator": "DoesNotExist"}, {"key": "", "operator": "Exists"},
    {"key": "x" * 64, "operator": "Exists"}, {"key": "p" * 250 + ".com/x", "operator": "Exists"},
    {"key": 'quote"key', "operator": "Exists"},
]
_NODE_FIELDS_OK: list[Obj] = [
    {"key": "metadata.name", "operator": "In", "values": ["node-1"]},
    {"key": "metadata.name", "operator": "NotIn", "values": ["node-2.example.com"]},
]
_NODE_FIELDS_BAD: list[Obj] = [
    {"key": "metadata.name", "operator": "In", "values": ["Node_1"]},
    {"key": "metadata.name", "operator": "In", "values": ["a", "b"]}, {"key": "metadata.name", "operator": "In"},
    {"key": "metadata.name", "operator": "Exists"}, {"key": "spec.unschedulable", "operator": "In", "values": ["true"]},
    {"key": "metadata.name", "operator": "NotIn", "values": ["n" * 254]},
]
_SELECTORS_OK: list[Obj | None] = [
    None, {}, {"matchLabels": {"app": "web"}}, {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "db"]}]},
    {"matchLabels": {"tier": ""}, "matchExpressions": [{"key": "kubevirt.io/domain", "operator": "Exists"}]},
    {"matchLabels": {"app": "v" * 63}},
]
_SELECTORS_BAD: list[Obj | None] = [
    {"matchLabels": {"app": "bad value"}}, {"matchLabels": {"bad key": "x"}},
    {"matchExpressions": [{"key": "app", "operator": "In"}]},
    {"matchExpressions": [{"key": "tier", "operator": "Exists", "values": ["x"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "Gt", "values": ["1"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["ok", "not ok"]}]},
    {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "", "operator": "DoesNotExist"}]},
    {"matchLabels": {"app": "v" * 64}}, {"matchLabels": {"app": "\u00e9" * 32}},
    {"matchExpressions": [{"key": "tier", "operator": "<x>", "values": ["a"]}]},
    {"matchExpressions": [{"key": "p" * 250 + ".com/x", "operator": "Exists"}]},
]
_TOPOLOGY_KEYS_OK = ["kubernetes.io/hostname", "topology.kubernetes.io/zone", "rack"]
_TOPOLOGY_KEYS_BAD = ["", "bad key", "a/b/c"]
_NAMESPACES_OK = [["default"], ["prod", "dev"], []]
_NAMESPACES_BAD = [["Bad_NS"], ["a.b"], ["a" * 64]]


def _draw(r: random.Random, good: list[Any], bad: list[Any], valid: bool) -> Any:
    """An item of ``good`` (``valid``), else of either list."""
    return r.choice(good if valid or r.random() < 0.5 else bad)


def _pod_affinity_term(r: random.Random, valid: bool) -> Obj:
    term: Obj = {"topologyKey": _draw(r, _TOPOLOGY_KEYS_OK, _TOPOLOGY_KEYS_BAD, valid)}
    selector = _draw(r, _SELECTORS_OK, _SELECTORS_BAD, valid)
    if selector is not None:
        term["labelSelector"] = selector
    if r.random() < 0.3:
        term["namespaceSelector"] = _draw(r, _SELECTORS_OK[1:], _SELECTORS_BAD, valid)
    if r.random() < 0.4:
        term["namespaces"] = _draw(r, _NAMESPACES_OK, _NAMESPACES_BAD, valid)
    return term


def _node_term(r: random.Random, valid: bool) -> Obj:
    if r.random() < 0.65:
        return {"matchExpressions": [_draw(r, _NODE_REQUIREMENTS_OK, _NODE_REQUIREMENTS_BAD, valid)]}
    return {"matchFields": [_draw(r, _NODE_FIELDS_OK, _NODE_FIELDS_BAD, valid)]}


def _affinity(r: random.Random, valid: bool) -> Obj:
    affinity: Obj = {}
    kinds = r.sample(["nodeRequired", "nodePreferred", "podRequired", "podPreferred", "antiRequired", "antiPreferred"],
                     r.choice([1, 1, 2]))
    for kind in kinds:
        if kind == "nodeRequired":
            terms = [_node_term(r, valid) for _ in range(r.choice([1, 1, 2] if valid else [0, 1, 1, 2]))]
            affinity.setdefault("nodeAffinity", {})["requiredDuringSchedulingIgnoredDuringExecution"] = {
                "nodeSelectorTerms": terms}
        elif kind == "nodePreferred":
            affinity.setdefault("nodeAffinity", {})["preferredDuringSchedulingIgnoredDuringExecution"] = [
                {"weight": _draw(r, [1, 50, 100], [0, 101, -3], valid), "preference": _node_term(r, valid)}]
        else:
            which = "podAffinity" if kind.startswith("pod") else "podAntiAffinity"
            if kind.endswith("Required"):
                affinity.setdefault(which, {})["requiredDuringSchedulingIgnoredDuringExecution"] = [
                    _pod_affinity_term(r, valid) for _ in range(r.choice([1, 1, 2]))]
            else:
                affinity.setdefault(which, {})["preferredDuringSchedulingIgnoredDuringExecution"] = [
                    {"weight": _draw(r, [1, 10, 100], [0, 200], valid), "podAffinityTerm": _pod_affinity_term(r, valid)}]
    return affinity


def _spread_constraints(r: random.Random, valid: bool) -> list[Obj]:
    out = []
    keys = r.sample(_TOPOLOGY_KEYS_OK, 3)
    for i in range(r.choice([1, 1, 2, 3])):
        key = keys[i] if valid else _draw(r, _TOPOLOGY_KEYS_OK + ["zone"], _TOPOLOGY_KEYS_BAD[:1], valid)
        constraint: Obj = {"maxSkew": _draw(r, [1, 1, 2], [0, -1], valid), "topologyKey": key,
                           "whenUnsatisfiable": r.choice(["DoNotSchedule", "ScheduleAnyway"])}
        selector = _draw(r, _SELECTORS_OK, _SELECTORS_BAD, valid)
        if selector is not None:
            constraint["labelSelector"] = selector
        out.append(constraint)
    if not valid and r.random() < 0.3:
        out.append(dict(out[0]))  # the same {topologyKey, whenUnsatisfiable} twice
    return out


_NAMESERVERS_OK = [["8.8.8.8"], ["1.1.1.1", "2001:4860:4860::8888"], ["10.0.0.10", "10.0.0.11", "10.0.0.12"],
                   ["010.1.1.1"], ["::ffff:1.2.3.4", "2001:DB8:0:0::1"]]
_NAMESERVERS_BAD = [["1.2.3.4", "1.2.3.5", "1.2.3.6", "1.2.3.7"], ["dns.example.com"], ["1.2.3"], ["fe80::1%eth0"],
                    ["::ffff:010.1.1.1", "1.2.3.256"], ["0x7f.0.0.1"]]
_SEARCHES_OK = [["example.com"], ["ns1.svc.cluster.local", "svc.cluster.local", "cluster.local"], [],
                ["a", "b", "c", "d", "e", "f"], ["a" * 63 + "." + "b" * 63, "c" * 63 + "." + "d" * 62, "e"]]
_SEARCHES_BAD = [["Bad_Domain"], ["a", "b", "c", "d", "e", "f", "g"],
                 ["x" * 63 + "." + "y" * 63, "z" * 63 + "." + "w" * 63, "v" * 60], ["-bad.example.com"],
                 ["a" * 63 + "." + "b" * 63, "c" * 63 + "." + "d" * 62, "ee"]]
_OPTIONS_OK = [[{"name": "ndots", "value": "2"}], [{"name": "edns0"}], []]
_OPTIONS_BAD = [[{"name": "edns0"}, {"name": ""}], [{"value": "1"}]]


def _dns(r: random.Random, valid: bool) -> Obj:
    out: Obj = {}
    policy = r.choice([None, "None", "None", "ClusterFirst", "Default", "ClusterFirstWithHostNet"])
    if policy is not None:
        out["dnsPolicy"] = policy
    if r.random() < 0.8 or (valid and policy == "None"):
        config: Obj = {}
        for key, good, bad in (("nameservers", _NAMESERVERS_OK, _NAMESERVERS_BAD),
                               ("searches", _SEARCHES_OK, _SEARCHES_BAD), ("options", _OPTIONS_OK, _OPTIONS_BAD)):
            if r.random() < 0.6 or (valid and policy == "None" and key == "nameservers"):
                config[key] = _draw(r, good, bad, valid)
        out["dnsConfig"] = config
    return out


_SSH_METHODS_OK = [{"noCloud": {}}, {"configDrive": {}}, {"qemuGuestAgent": {"users": ["fedora"]}},
                   {"qemuGuestAgent": {"users": ["root", "fedora"]}}]
_SSH_METHODS_BAD = [{"qemuGuestAgent": {"users": []}}, {}, {"noCloud": {}, "configDrive": {}},
                    {"noCloud": {}, "qemuGuestAgent": {"users": ["root", "fedora"]}}]


def _access_credentials(r: random.Random, valid: bool) -> tuple[list[Obj], list[str]]:
    """The credentials and the cloud-init volumes to add (all those the methods need when ``valid``)."""
    creds, volumes = [], []
    for _ in range(r.choice([1, 1, 2])):
        kind = r.choice(["ssh", "ssh", "password"] if valid else ["ssh", "ssh", "password", "both", "none"])
        source: Obj = {"secret": {"secretName": "keys"}} if valid or r.random() < 0.8 else {}
        cred: Obj = {}
        if kind in ("ssh", "both"):
            method = _draw(r, _SSH_METHODS_OK, _SSH_METHODS_BAD, valid)
            cred["sshPublicKey"] = {"source": source, "propagationMethod": method}
            if valid and ("noCloud" in method or "configDrive" in method):
                volumes.append("cloudInitNoCloud" if "noCloud" in method else "cloudInitConfigDrive")
        if kind in ("password", "both"):
            method = {"qemuGuestAgent": {}} if valid or r.random() < 0.8 else {}
            cred["userPassword"] = {"source": source, "propagationMethod": method}
        creds.append(cred)
    if not valid:
        volumes = [v for v in [r.choice([None, None, "cloudInitNoCloud", "cloudInitConfigDrive"])] if v]
    return creds, volumes[:1]


def _launch_security(r: random.Random, spec: Obj, valid: bool) -> None:
    domain = spec.setdefault("domain", {})
    kinds = r.choice([["sev"], ["snp"]] if valid else
                     [["sev"], ["sev"], ["snp"], ["snp"], ["tdx"], ["tdx"], [], ["sev", "snp"], ["snp", "tdx"]])
    security: Obj = {kind: {} for kind in kinds}
    if "sev" in security and r.random() < 0.4:
        security["sev"] = r.choice([{"attestation": {}}, {"policy": {"encryptedState": True}}, {"session": "AAAA"}])
    domain["launchSecurity"] = security
    efi = r.choice([{"secureBoot": False}, {"secureBoot": False, "persistent": False}] if valid else
                   [None, {}, {"secureBoot": False}, {"secureBoot": False, "persistent": True},
                    {"secureBoot": False, "persistent": True}, {"secureBoot": True}])
    if efi is not None:
        domain.setdefault("firmware", {})["bootloader"] = {"efi": efi}
    elif isinstance(domain.get("firmware"), dict):
        domain["firmware"].pop("bootloader", None)
    if r.random() < 0.5:
        domain.setdefault("features", {}).pop("smm", None)
    if r.random() < 0.3 or valid and "attestation" in security.get("sev", {}):
        spec["startStrategy"] = "Paused"
    if not valid and r.random() < 0.35:
        ifaces = domain.setdefault("devices", {}).get("interfaces")
        if ifaces:
            ifaces[0]["bootOrder"] = 1
    if not valid and r.random() < 0.1:
        spec["architecture"] = "arm64"


_HYPERV_FEATURES = ["relaxed", "vapic", "vpindex", "synic", "synictimer", "tlbflush", "ipi", "evmcs", "reset",
                    "runtime", "frequencies"]


def _hyperv(r: random.Random, spec: Obj, valid: bool) -> None:
    domain = spec.setdefault("domain", {})
    hyperv: Obj = {}
    for name in r.sample(_HYPERV_FEATURES, r.choice([1, 2, 3, 4])):
        hyperv[name] = r.choice([{}, {}, {"enabled": True}, {"enabled": False}])
    if not valid and r.random() < 0.5:
        hyperv[r.choice(["vpindex", "synic", "vapic"])] = {"enabled": False}
    features = domain.setdefault("features", {})
    if valid and r.random() < 0.15:
        features["hypervPassthrough"] = {"enabled": True}
        return
    features["hyperv"] = hyperv
    if not valid and r.random() < 0.15:
        features["hypervPassthrough"] = {"enabled": True}
    if "evmcs" in hyperv and r.random() < 0.5:
        domain.setdefault("cpu", {})["features"] = [{"name": r.choice(["vmx", "pcid"]),
                                                     "policy": r.choice(["require", "optional", "disable"])}]


_META_LABELS_OK = [{"kubevirt.io/domain": "ok"}, {"kubevirt.io/size": "small"}, {"app": "web"}]
_META_LABELS_BAD = [{"kubevirt.io/nodeName": "node-1"}, {"kubevirt.io/created-by": "me"},
                    {"kubevirt.io/schedulable": "true"}, {"kubevirt.io/migrationJobUID": "x"},
                    {"kubevirt.io/install-strategy": "y"}, {"kubevirt.io/migrationTargetNodeName": "n"},
                    {"kubevirt.io/nodeName": ""}]
_META_ANNOTATIONS_OK = [{"hooks.kubevirt.io/hookSidecars": ""}, {"kubevirt.io/ignitiondata": ""},
                        {"kubevirt.io/keep-launcher-alive-after-failure": "true"}]
_META_ANNOTATIONS_BAD = [{"hooks.kubevirt.io/hookSidecars": '[{"image": "registry:5000/sidecar:devel"}]'},
                         {"kubevirt.io/ignitiondata": '{"ignition": {}}'}]


def _metadata(r: random.Random, meta: Obj, valid: bool) -> None:
    if r.random() < 0.6:
        meta.setdefault("labels", {}).update(_draw(r, _META_LABELS_OK, _META_LABELS_BAD, valid))
    if r.random() < 0.7:
        for _ in range(r.choice([1, 1, 2])):
            meta.setdefault("annotations", {}).update(_draw(r, _META_ANNOTATIONS_OK, _META_ANNOTATIONS_BAD, valid))


def _add_cloud_init(spec: Obj, kind: str) -> None:
    if any(kind in volume for volume in spec.get("volumes", [])):
        return
    spec.setdefault("volumes", []).append({"name": "creds-ci", kind: {"userData": "#cloud-config\n"}})
    spec.setdefault("domain", {}).setdefault("devices", {}).setdefault("disks", []).append(
        {"name": "creds-ci", "disk": {"bus": "virtio"}})


def _without_instancetype_conflicts(case: Obj) -> None:
    """Take out of a VM's template what its instancetype sets (KubeVirt refuses the VM for the conflict first)."""
    spec = case.get("vm", {}).get("spec", {})
    if "instancetype" not in spec:
        return
    template = spec["template"]["spec"]
    template.pop("schedulerName", None)
    domain = template.get("domain", {})
    domain.pop("cpu", None)
    domain.pop("memory", None)
    for section in domain.get("resources", {}).values():
        if isinstance(section, dict):
            section.pop("cpu", None)
            section.pop("memory", None)


_SCHED_RULES = ["affinity", "topologySpreadConstraints", "dns", "accessCredentials", "launchSecurity", "hyperv",
                "metadata"]


def spiced_sched_cases(count: int, seed: int = SEED + 4) -> list[Obj]:
    """Repaired cases (``make_valid``, another seed) each given one scheduling or security setting, in turn:
    affinity, topology spread constraints, DNS policy and config, access credentials, launch security, Hyper-V
    features, reserved labels and feature-gated annotations; valid and invalid variants."""
    cases = []
    for index, case in enumerate(valid_cases(count, seed)):
        rule = _SCHED_RULES[index % len(_SCHED_RULES)]
        r = random.Random(seed * 7 + index)
        case["id"] = "t" + case["id"][1:]
        _without_instancetype_conflicts(case)
        obj = case["vm"]["spec"]["template"] if "vm" in case else case["vmi"]
        spec = obj["spec"]
        valid = r.random() < 0.35  # the setting drawn from valid values only
        if rule == "affinity":
            spec["affinity"] = _affinity(r, valid)
        elif rule == "topologySpreadConstraints":
            spec["topologySpreadConstraints"] = _spread_constraints(r, valid)
        elif rule == "dns":
            spec.update(_dns(r, valid))
        elif rule == "accessCredentials":
            spec["accessCredentials"], cloud_init = _access_credentials(r, valid)
            for kind in cloud_init:
                _add_cloud_init(spec, kind)
        elif rule == "launchSecurity":
            _launch_security(r, spec, valid)
        elif rule == "hyperv":
            _hyperv(r, spec, valid)
        else:
            _metadata(r, obj.setdefault("metadata", {}), valid)
            if "vm" in case and r.random() < 0.2:  # the VM's own labels are not checked
                case["vm"]["metadata"].setdefault("labels", {}).update(r.choice(_META_LABELS_BAD))
        case["spice"] = rule
        cases.append(json.loads(json.dumps(case)))  # no pool entry shared between cases
    return cases


# --- device, storage and migration rules: repaired cases with one of them put to the test -------------------

_PVC = {"persistentVolumeClaim": {"claimName": "data"}}
_GPU = {"name": "gpu", "deviceName": "nvidia.com/GRID_T4-1Q"}
_DEVICE_SPICES: list[tuple[str, Any]] = [
    ("containerDiskPath", "/disk/image.qcow2"), ("containerDiskPath", "disk/image.qcow2"), ("containerDiskPath", "/"),
    ("containerDiskPath", "/disk/../etc/image"), ("containerDiskPath", "/disk/./image"),
    ("containerDiskPath", "/disk//image"), ("containerDiskPath", "/disk/"), ("containerDiskPath", "/disk//"),
    ("containerDiskPath", "//"), ("containerDiskPath", "."), ("containerDiskPath", "/.."),
    ("containerDiskPaths", ["../a", "/b", "/c/.."]),
    ("utilityVolumes", [{"name": "util", "claimName": "scratch"}]), ("utilityVolumes", []),
    ("utilityVolumes", [{"name": "u1", "claimName": "a", "type": "MemoryDump"}, {"name": "u2", "claimName": "b"}]),
    ("evictionStrategy", "LiveMigrate"), ("evictionStrategy", "LiveMigrateIfPossible"), ("evictionStrategy", "None"),
    ("evictionStrategy", "External"), ("evictionStrategy", "Migrate"), ("evictionStrategy", ""),
    ("evictionStrategy", "livemigrate"),
    ("gpus", [{**_GPU, "virtualGPUOptions": {"display": {}}}]),
    ("gpus", [{**_GPU, "virtualGPUOptions": {"display": {}}},
              {**_GPU, "name": "gpu2", "virtualGPUOptions": {"display": {}}}]),
    ("gpus", [{**_GPU, "virtualGPUOptions": {"display": {"ramFB": {"enabled": False}}}},
              {**_GPU, "name": "gpu2", "virtualGPUOptions": {"display": {"enabled": True}}}]),
    ("gpus", [{**_GPU, "virtualGPUOptions": {"display": {"enabled": False}}},
              {**_GPU, "name": "gpu2", "virtualGPUOptions": {"display": {"ramFB": {"enabled": True}}}}]),
    ("gpus", [{**_GPU, "virtualGPUOptions": {"display": {"enabled": True, "ramFB": {}}}},
              {**_GPU, "name": "gpu2", "virtualGPUOptions": {"display": {"ramFB": {"enabled": True}}}},
              {**_GPU, "name": "gpu3", "virtualGPUOptions": {"display": {}}}]),
    ("gpus", [{**_GPU, "virtualGPUOptions": {}}, {**_GPU, "name": "gpu2", "virtualGPUOptions": {"display": {}}}]),
    ("reservation", (True, _PVC)), ("reservation", (False, _PVC)),
    ("reservation", (True, {"containerDisk": {"image": "quay.io/containerdisks/fedora:41"}})),
    ("reservation", (True, {"dataVolume": {"name": "dv"}})),
    ("filesystems", [("fs", _PVC)]), ("filesystems", [("fs", {"dataVolume": {"name": "dv"}})]),
    ("filesystems", [("fs", {"configMap": {"name": "cm"}})]),
    ("filesystems", [("fs", {"secret": {"secretName": "s"}})]),
    ("filesystems", [("fs", _PVC), ("fs2", {"configMap": {"name": "cm"}}), ("fs3", _PVC)]),
    ("filesystems", [("fs", None)]), ("filesystems", [("fs", {"downwardAPI": {}})]),
    ("draNetwork", {"claimName": "net", "requestName": "nic"}), ("draNetwork", {}),
    ("portRanges", [{"protocol": "TCP", "start": 8000, "end": 8010}]), ("portRanges", []),
    ("combo", "all"), ("combo", "storage"),
    ("disk", {"disk": {"bus": "sata", "pciAddress": "0000:00:05.0"}}),
    ("disk", {"disk": {"bus": "virtio", "pciAddress": "0000:00:0a.1"}}),
    ("disk", {"disk": {"bus": "virtio", "pciAddress": "0000:00:05.8"}}),
    ("disk", {"disk": {"bus": "scsi", "pciAddress": "zz"}}),
    ("disk", {"serial": "SN-1.2_3+"}), ("disk", {"serial": "bad serial!"}), ("disk", {"serial": "x" * 257}),
    ("disk", {"serial": "\u00e9" * 250}), ("disk", {"cache": "writeback"}), ("disk", {"cache": "unsafe"}),
    ("disk", {"io": "threads"}), ("disk", {"io": "io_uring"}), ("disk", {"errorPolicy": "report"}),
    ("disk", {"errorPolicy": "Stop"}), ("disk", {"name": "Data_1"}), ("disk", {"name": "d" * 64}),
    ("disk", {"name": "x.y"}), ("disk", {"blockSize": {"custom": {"logical": 512, "physical": 4096}}}),
    ("disk", {"blockSize": {"custom": {"logical": 4096, "physical": 512}}}),
    ("disk", {"disk": {"bus": "sata"}, "blockSize": {"custom": {"logical": 4096, "physical": 4096}}}),
    ("disk", {"blockSize": {"custom": {"logical": 512, "physical": 4096, "discardGranularity": 100}}}),
    ("disk", {"blockSize": {"custom": {"logical": 256, "physical": 4194304}}}),
    ("disk", {"blockSize": {"custom": {"logical": 1000, "physical": 3000}}}),
    ("disk", {"blockSize": {"custom": {"logical": 512, "physical": 512}, "matchVolume": {}}}),
    ("disk", {"blockSize": {"custom": {"logical": 512, "physical": 512}, "matchVolume": {"enabled": False}}}),
    ("disk", {"blockSize": {"matchVolume": {"enabled": True}}}),
    ("disk", {"name": "Disk.A", "serial": "a b", "cache": "none2", "io": "x", "errorPolicy": "x",
              "disk": {"bus": "sata", "pciAddress": "1"}, "blockSize": {"custom": {"logical": 700, "physical": 700}}}),
    ("firmware", {"acpi": {}}), ("firmware", {"acpi": {"slicNameRef": "nope", "msdmNameRef": "nope2"}}),
    ("acpi", ("slicNameRef", {"secret": {"secretName": "slic"}})), ("acpi", ("msdmNameRef", {"configMap": {"name": "m"}})),
    ("firmware", {"bootloader": {"efi": {"secureBoot": False}, "bios": {}}}),
    ("firmware", {"kernelBoot": {"kernelArgs": "console=ttyS0"}}),
    ("firmware", {"kernelBoot": {"container": {"image": "quay.io/k:1", "kernelPath": "/boot/vmlinuz"}}}),
    ("firmware", {"kernelBoot": {"container": {"image": "quay.io/k:1", "kernelPath": "boot/vmlinuz", "initrdPath": "/"}}}),
    ("firmware", {"kernelBoot": {"container": {"image": "quay.io/k:1"}, "kernelArgs": "quiet"}}),
    ("iface", {"macAddress": "02:00:00:00:00:01"}), ("iface", {"macAddress": "02-00-00-00-00-0g"}),
    ("iface", {"macAddress": "0200.0000.0001"}), ("iface", {"macAddress": "02:00:5e:10:00:00:00:01"}),
    ("iface", {"macAddress": "02:00:00:00:00"}), ("iface", {"macAddress": "02:00-00:00:00:01"}),
    ("iface", {"pciAddress": "0000:81:01.0"}), ("iface", {"pciAddress": "81:01.0"}),
    ("iface", {"ports": [{"port": 80}, {"name": "http", "port": 8080, "protocol": "TCP"}]}),
    ("iface", {"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 0, "protocol": "SCTP"}]}),
    ("iface", {"ports": [{"name": "Web_1", "port": 70000}, {"name": "123", "port": -1}]}),
    ("iface", {"ports": [{"name": "a--b", "port": 22}, {"name": "-ab", "port": 23}, {"name": "abcdefghijklmnop", "port": 24}]}),
    ("iface", {"ports": [{"port": 0}], "_network": {"multus": {"networkName": "net"}}}),
    ("iface", {"dhcpOptions": {"privateOptions": [{"option": 240, "value": "x"}, {"option": 240, "value": "y"},
                                                  {"option": 100, "value": "z"}]}}),
    ("iface", {"dhcpOptions": {"ntpServers": ["10.0.0.1", "::ffff:10.0.0.2", "fe80::1", "010.0.0.1", "pool.ntp.org"]}}),
    ("iface", {"dhcpOptions": {"bootFileName": "pxe"}}), ("iface", {"macAddress": "02:00:00:00:00:00"}),
    ("iface", {"macAddress": "02:00:00:00:00:00", "_binding": {"bridge": {}}}),
    ("iface", {"_binding": {"passtBinding": {}}}),
    ("iface", {"_binding": {"passtBinding": {}}, "_network": {"multus": {"networkName": "net"}}}),
    ("iface", {"_more_networks": [{"name": "default", "multus": {"networkName": "net"}}]}),
    ("iface", {"macAddress": "x", "pciAddress": "y", "ports": [{"port": 0, "protocol": "ICMP"}],
               "portRanges": [{"protocol": "TCP", "start": 1, "end": 9}],
               "dhcpOptions": {"privateOptions": [{"option": 1}], "ntpServers": ["x"]}}),
]


def _device_spice(spec: Obj, what: str, value: Any) -> None:
    devices = spec.setdefault("domain", {}).setdefault("devices", {})
    volumes, disks = spec.setdefault("volumes", []), devices.setdefault("disks", [])
    if what in ("containerDiskPath", "containerDiskPaths"):
        for idx, path in enumerate(value if what == "containerDiskPaths" else [value]):
            volumes.append({"name": f"cd{idx}", "containerDisk": {"image": "quay.io/containerdisks/fedora:41",
                                                                   "path": path}})
            disks.append({"name": f"cd{idx}", "disk": {"bus": "virtio"}})
    elif what == "utilityVolumes":
        spec["utilityVolumes"] = value
    elif what == "evictionStrategy":
        spec["evictionStrategy"] = value
    elif what == "gpus":
        devices["gpus"] = value
    elif what == "reservation":
        volumes.append({"name": "lun", **value[1]})
        disks.append({"name": "lun", "lun": {"bus": "scsi", "reservation": value[0]}})
    elif what == "filesystems":
        devices["filesystems"] = []
        for name, source in value:
            devices["filesystems"].append({"name": name, "virtiofs": {}})
            if source is not None:
                volumes.append({"name": name, **source})
    elif what == "draNetwork":
        spec.setdefault("networks", [{"name": "default", "pod": {}}]).append({"name": "dra", "resourceClaim": value})
        interfaces = devices.setdefault("interfaces", [{"name": "default", "masquerade": {}}])
        interfaces.append({"name": "dra", "sriov": {}})
    elif what == "portRanges":
        spec["networks"] = [{"name": "default", "pod": {}}]
        devices["interfaces"] = [{"name": "default", "masquerade": {}, "portRanges": value}]
    elif what == "disk":
        disk = {"name": "extra", "disk": {"bus": "virtio"}, **value}
        volumes.append({"name": disk["name"], "emptyDisk": {"capacity": "1Gi"}})
        disks.append(disk)
    elif what == "firmware":
        spec["domain"].setdefault("firmware", {}).update(value)
    elif what == "acpi":
        volumes.append({"name": "acpi", **value[1]})
        disks.append({"name": "acpi", "disk": {"bus": "virtio"}})
        spec["domain"].setdefault("firmware", {})["acpi"] = {value[0]: "acpi"}
    elif what == "iface":
        network = value.pop("_network", {"pod": {}})
        binding = value.pop("_binding", {"masquerade": {}} if "pod" in network else {"bridge": {}})
        spec["networks"] = [{"name": "default", **network}, *value.pop("_more_networks", [])]
        devices["interfaces"] = [{"name": "default", **binding, **value}]
    elif what == "combo":
        _device_spice(spec, "containerDiskPath", "a/b")
        _device_spice(spec, "utilityVolumes", [{"name": "util", "claimName": "scratch"}])
        if value == "all":
            _device_spice(spec, "evictionStrategy", "Migrate")
            _device_spice(spec, "gpus", [{**_GPU, "virtualGPUOptions": {"display": {}}},
                                         {**_GPU, "name": "gpu2", "virtualGPUOptions": {"display": {}}}])
            _device_spice(spec, "reservation", (True, _PVC))
            _device_spice(spec, "filesystems", [("fs", _PVC)])
            _device_spice(spec, "portRanges", [{"protocol": "UDP", "start": 1, "end": 2}])
            _device_spice(spec, "draNetwork", {"claimName": "net", "requestName": "nic"})
        else:
            _device_spice(spec, "filesystems", [("fs", {"dataVolume": {"name": "dv"}})])
    if not disks:
        devices.pop("disks")
    if not volumes:
        spec.pop("volumes")


def spiced_device_cases(count: int, seed: int = SEED + 4) -> list[Obj]:
    """Repaired cases (``make_valid``) each given one of ``_DEVICE_SPICES`` (container-disk paths, utility
    volumes, eviction strategy, GPU displays, persistent reservation, virtiofs, DRA networks, port ranges, disk
    settings, firmware, interface settings) in turn; every sixth gets three at random, for the order of causes
    from several rules."""
    cases = []
    singles = [spice for spice in _DEVICE_SPICES if spice[0] != "combo"]
    for index, case in enumerate(valid_cases(count, seed)):
        spices = [_DEVICE_SPICES[index % len(_DEVICE_SPICES)]]
        if index % 6 == 5:
            spices = random.Random(seed + index).sample(singles, 3)
        case["id"] = "d" + case["id"][1:]
        target = case["vm"]["spec"]["template"]["spec"] if "vm" in case else case["vmi"]["spec"]
        for what, value in spices:
            _device_spice(target, what, json.loads(json.dumps(value)))
        case["spice"] = "+".join(what for what, _ in spices)
        cases.append(case)
    return cases
