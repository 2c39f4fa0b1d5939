#!/usr/bin/env bash
# Start a local OCI registry on 127.0.0.1:5000 and push the test guest to it. Idempotent.
#
#   bash tests/vm/setup_registry.sh [CACHE_DIR]
#
# Image: localhost:5000/vmctl/test-guest:v1 — /disk/test-guest.qcow2 (containerDisk), /boot/vmlinux,
# /boot/vmlinuz and /boot/initrd.gz (kernelBoot). Built by tests/vm/build_test_guest.py.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ADDR=127.0.0.1:5000
IMAGE=localhost:5000/vmctl/test-guest:v1
STATE=${VMCTL_REGISTRY_DIR:-/var/lib/vmctl-test-registry}
PY=${PYTHON:-$HERE/../../.venv/bin/python}
[ -x "$PY" ] || PY=python3

log() { printf 'setup_registry: %s\n' "$*" >&2; }

answering() { curl -fsS -o /dev/null --max-time 2 "http://$ADDR/v2/" 2>/dev/null; }

if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
    log "docker-registry and skopeo are needed; run: bash tests/vm/setup_libvirt.sh"
    exit 1
fi

if ! answering; then
    mkdir -p "$STATE/storage"
    cat >"$STATE/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/storage
  delete:
    enabled: true
http:
  addr: $ADDR
EOF
    log "starting docker-registry on $ADDR (state in $STATE)"
    # setsid + nohup: the registry outlives this script; no systemd on these machines.
    setsid nohup docker-registry serve "$STATE/config.yml" >>"$STATE/registry.log" 2>&1 </dev/null &
    echo $! >"$STATE/registry.pid"
    for _ in $(seq 1 50); do
        answering && break
        sleep 0.1
    done
    if ! answering; then
        log "registry did not answer on http://$ADDR/v2/; log: $STATE/registry.log"
        tail -5 "$STATE/registry.log" >&2 || true
        exit 1
    fi
fi

OCI_DIR=$("$PY" "$HERE/build_test_guest.py" --json ${1:+"$1"} | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["oci"])')
want=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$OCI_DIR/index.json")
have=$(skopeo inspect --raw --tls-verify=false "docker://$IMAGE" 2>/dev/null | sha256sum | awk '{print "sha256:" $1}' || true)
if [ "$want" != "$have" ]; then
    log "pushing $IMAGE"
    skopeo copy -q --dest-tls-verify=false "oci:$OCI_DIR:v1" "docker://$IMAGE"
fi
echo "image: $IMAGE"
