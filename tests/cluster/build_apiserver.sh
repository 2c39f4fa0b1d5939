#!/usr/bin/env bash
# Build kube-apiserver from Debian bookworm's `kubernetes` source package (offline, fully vendored) and install
# etcd-server, for the cluster tests. Idempotent: the binary is cached under $VMCTL_CACHE (default
# /var/cache/vmctl) as kube-apiserver-<Debian source version>, so only the first run pays (~6-8 min on 2 cores).
#
#   bash tests/cluster/build_apiserver.sh     # prints the binary's path on the last line
#
# Recipe and measurements: docs/cluster-backend.md. Nothing built here is committed.
set -euo pipefail

CACHE=${VMCTL_CACHE:-/var/cache/vmctl}
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)
SOURCES=/etc/apt/sources.list.d/debian.sources

log() { printf 'build_apiserver: %s\n' "$*" >&2; }

need_root() {
    if [ "$(id -u)" != 0 ]; then
        log "must run as root to $1"
        exit 1
    fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

source_version() { { apt-cache showsrc kubernetes 2>/dev/null || true; } | awk '/^Version:/ {print $2; exit}'; }

export DEBIAN_FRONTEND=noninteractive

# --- etcd (needed at run time) --------------------------------------------------------------------------
if ! installed etcd-server; then
    need_root "install etcd-server"
    log "installing etcd-server"
    apt-get update -qq || true
    "${APT[@]}" install etcd-server >/dev/null
fi

# --- source version (enables deb-src for bookworm main if needed) ------------------------------------------
version=$(source_version)
if [ -z "$version" ]; then
    need_root "enable deb-src in $SOURCES"
    if [ -f "$SOURCES" ] && grep -q '^Types: deb$' "$SOURCES"; then
        log "enabling deb-src in $SOURCES"
        sed -i 's/^Types: deb$/Types: deb deb-src/' "$SOURCES"
    fi
    apt-get update -qq
    version=$(source_version)
fi
if [ -z "$version" ]; then
    log "no source package 'kubernetes' known to apt (is deb-src enabled?)"
    exit 1
fi

out="$CACHE/kube-apiserver-$version"
if [ -x "$out" ]; then
    echo "$out"
    exit 0
fi

# --- build (one at a time per machine) ---------------------------------------------------------------------
need_root "build into $CACHE"
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9
if [ -x "$out" ]; then  # another run built it while we waited
    echo "$out"
    exit 0
fi

for pkg in golang-go golang-github-modern-go-reflect2-dev dpkg-dev; do
    if ! installed "$pkg"; then
        log "installing build dependencies"
        "${APT[@]}" install golang-go golang-github-modern-go-reflect2-dev dpkg-dev >/dev/null
        break
    fi
done

work="$CACHE/build-$version"
rm -rf "$work"
mkdir -p "$work/src" "$work/gopath/src/k8s.io" "$work/gopath/bin" "$work/tmp"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

log "fetching the source of kubernetes $version"
(cd "$work/src" && apt-get source --download-only kubernetes >/dev/null 2>&1)
orig=$(find "$work/src" -maxdepth 1 -name 'kubernetes_*.orig.tar.*' | head -n1)
[ -n "$orig" ] || { log "no orig tarball downloaded"; exit 1; }
tar -C "$work/src" -xf "$orig"
tree=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
[ -n "$tree" ] || { log "orig tarball has no kubernetes-* directory"; exit 1; }
upstream=${tree##*/kubernetes-}

# The vendored reflect2 1.0.1 breaks on Go >= 1.18: use Debian's 1.0.2.
reflect2="$tree/vendor/github.com/modern-go/reflect2"
rm -f "$reflect2"/*.go "$reflect2"/*.s
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go /usr/share/gocode/src/github.com/modern-go/reflect2/*.s \
    "$reflect2/"

ln -s "$tree" "$work/gopath/src/k8s.io/kubernetes"
export GOPATH="$work/gopath" GOCACHE="$work/gocache" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= GOPROXY=off
cd "$GOPATH/src/k8s.io/kubernetes"

log "generating OpenAPI definitions"
nice -n 19 go build -o "$GOPATH/bin/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
hack/make-rules/helpers/cache_go_dirs.sh "$work/tmp/dirs" >/dev/null
# shellcheck disable=SC2046
dirs=$(for d in $(cat "$work/tmp/dirs"); do find "$d" -maxdepth 1 -name '*.go'; done \
    | xargs grep -l '^// *+k8s:' \
    | grep -v -e '^vendor/k8s.io/code-generator/' -e '^vendor/k8s.io/sample-apiserver/' \
    | xargs grep -l '+k8s:openapi-gen=' | xargs -n1 dirname | sort -u | sed 's|^|k8s.io/kubernetes/|' | paste -sd,)
nice -n 19 "$GOPATH/bin/openapi-gen" -i "$dirs" -p k8s.io/kubernetes/pkg/generated/openapi \
    -O zz_generated.openapi -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
    -r "$work/tmp/report" --output-base "$GOPATH/src"

log "compiling kube-apiserver v$upstream (niced; several minutes)"
v=k8s.io/kubernetes/vendor/k8s.io/component-base/version
minor=$(echo "$upstream" | cut -d. -f2)
nice -n 19 go build -ldflags "-s -w -X $v.gitVersion=v$upstream -X $v.gitMajor=1 -X $v.gitMinor=$minor" \
    -o "$work/kube-apiserver" ./cmd/kube-apiserver
"$work/kube-apiserver" --version >&2
mv "$work/kube-apiserver" "$out.tmp"
mv "$out.tmp" "$out"
log "built $out in $(( $(date +%s) - start )) s"
echo "$out"
