"""libvirt's error messages are pointed back at the VMI field they most likely came from."""

from __future__ import annotations

import pytest

from vmctl.backends.local.libvirt_errors import describe_libvirt_error, vmi_field_for


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("unsupported configuration: Emulator '/usr/bin/qemu-system-x86_64' does not support machine type "
         "'pc-q35-99.0'", "spec.domain.machine.type"),
        ("unsupported configuration: hugepages are not allowed with memory allocation 'ondemand'",
         "spec.domain.memory.hugepages"),
        ("unsupported configuration: CPU mode 'host-passthrough' for x86_64 qemu domain", "spec.domain.cpu.model"),
        ("Cannot access storage file '/nope.qcow2': No such file or directory", "spec.domain.devices.disks"),
        ("operation failed: unable to find any master var store for loader", "spec.domain.firmware"),
        ("XML error: Invalid value for attribute 'type' in element 'interface'", "spec.domain.devices.interfaces"),
        ("internal error: cannot load AppArmor profile", None),
    ],
)
def test_field_for_message(message: str, field: str | None) -> None:
    assert vmi_field_for(message) == field


def test_description_is_one_line_with_the_field() -> None:
    text = describe_libvirt_error("libvirt refused the domain", "web1", "machine type 'x' is not supported")
    assert text == ("VMI web1: libvirt refused the domain: machine type 'x' is not supported "
                    "(from VMI field spec.domain.machine.type)")
    assert describe_libvirt_error("starting the domain failed", "web1", "boom") == (
        "VMI web1: starting the domain failed: boom")
