#!/usr/bin/env bash
# `make demo`: resolve a VM from the bundled test-guest template, boot it on the local libvirt backend and show
# its serial console. Safe to run again: it replaces the demo VM.
set -euo pipefail
cd "$(dirname "$0")/.."
VMCTL=${VMCTL:-.venv/bin/vmctl}
NAME=${DEMO_VM:-demo}
export VMCTL_BACKEND=local

cleanup() { $VMCTL delete vm "$NAME" --wait >/dev/null 2>&1 || true; }
trap 'cleanup; exit 130' INT TERM
trap 'cleanup; exit 141' PIPE

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "vmctl create vm --from-template test-guest -p NAME=$NAME --instancetype u1.nano --preference cirros --resolve"
echo "# the VirtualMachineInstance KubeVirt would create, resolved offline:"
$VMCTL create vm --from-template test-guest -p NAME="$NAME" --instancetype u1.nano --preference cirros --resolve

step "vmctl create vm ... | vmctl apply -f -   (boots it locally)"
$VMCTL delete vm "$NAME" --wait >/dev/null 2>&1 || true
$VMCTL create vm --from-template test-guest -p NAME="$NAME" --instancetype u1.nano --preference cirros \
    | $VMCTL apply -f -
$VMCTL get vm "$NAME"

step "vmctl console $NAME   (boot log, then a command typed into the guest's shell)"
{ sleep 12; printf 'echo "hello from the guest: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPU, $(grep MemTotal /proc/meminfo)"\r'; sleep 2; } \
    | $VMCTL console "$NAME" --timeout 2

step "vmctl get vmi $NAME"
$VMCTL get vmi "$NAME"

step "vmctl delete vm $NAME --wait"
$VMCTL delete vm "$NAME" --wait
