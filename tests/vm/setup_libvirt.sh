#!/usr/bin/env bash
# Install (if missing) and start libvirt + QEMU on a Debian 12 machine without systemd. Idempotent.
#
#   bash tests/vm/setup_libvirt.sh        # prints "virt-type: qemu" (TCG) or "virt-type: kvm" on the last line
#
# Bookworm ships only the monolithic libvirtd (no virtqemud), so we start virtlogd and libvirtd ourselves.
# KVM is used only where hardware virtualisation really works (see docs/local-domain.md): libvirt's own
# capabilities report KVM as usable under kvm_pvm, where guests do not boot.
set -euo pipefail

PACKAGES=(libvirt-daemon-system qemu-system-x86 qemu-utils libvirt-dev pkg-config ovmf syslinux syslinux-common
    mtools dosfstools genisoimage skopeo docker-registry passt)
URI=qemu:///system
SOCK=/run/libvirt/libvirt-sock

log() { printf 'setup_libvirt: %s\n' "$*" >&2; }

need_root() {
    if [ "$(id -u)" != 0 ]; then
        log "must run as root to $1"
        exit 1
    fi
}

# --- packages -------------------------------------------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    need_root "install ${missing[*]}"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- /dev/kvm permissions (no udev here) --------------------------------------------------------------------
if [ -c /dev/kvm ] && [ "$(id -u)" = 0 ] && getent group kvm >/dev/null; then
    if [ "$(stat -c %G:%a /dev/kvm)" != "kvm:660" ]; then
        chgrp kvm /dev/kvm && chmod 0660 /dev/kvm || log "could not fix /dev/kvm permissions"
    fi
fi

# --- daemons ------------------------------------------------------------------------------------------------
pid_alive() {  # pid_alive PIDFILE: the pid in the file is a live, non-zombie process
    local pid state
    [ -s "$1" ] || return 1
    pid=$(tr -dc '0-9' <"$1")
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)
    [ "$state" != Z ]
}

start_daemon() {  # start_daemon NAME PIDFILE SOCKET
    local name=$1 pidfile=$2 sock=$3
    if pid_alive "$pidfile" && [ -S "$sock" ]; then
        return 0
    fi
    need_root "start $name"
    rm -f "$pidfile"
    log "starting $name"
    "$name" -d
    for _ in $(seq 1 100); do
        [ -S "$sock" ] && return 0
        sleep 0.1
    done
    log "$name did not create $sock within 10 s"
    exit 1
}

mkdir -p /run/libvirt
start_daemon virtlogd /run/virtlogd.pid /run/libvirt/virtlogd-sock
start_daemon libvirtd /run/libvirtd.pid "$SOCK"

# One successful call; the first one probes QEMU and fills /var/cache/libvirt/qemu/capabilities (~8 s cold).
ok=0
for _ in $(seq 1 60); do
    if virsh -c "$URI" version >/dev/null 2>&1; then
        ok=1
        break
    fi
    sleep 0.5
done
if [ "$ok" != 1 ]; then
    log "libvirtd does not answer on $URI"
    virsh -c "$URI" version || true
    exit 1
fi
virsh -c "$URI" domcapabilities --virttype qemu >/dev/null 2>&1 || true   # warm the capabilities cache

# --- virt type ------------------------------------------------------------------------------------------------
virt=qemu
if [ -n "${VMCTL_VIRT_TYPE:-}" ]; then
    virt=$VMCTL_VIRT_TYPE
elif [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -e /sys/module/kvm_pvm ]; then
    virt=kvm
fi
log "libvirtd is up ($(virsh -c "$URI" version 2>/dev/null | awk '/Running hypervisor/ {print $3, $4}'))"
echo "virt-type: $virt"
