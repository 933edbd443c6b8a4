#!/usr/bin/env bash
# Builds the local control plane from Go modules and caches the binaries outside the repo.
#
#   test/cluster/build-binaries.sh [component...]   components: kubernetes etcd kwok helm helm4
#                                                   argo-rollouts (default: etcd kwok kubernetes)
#
# Binaries land in $SLIPWAY_CACHE_DIR (default ~/.cache/slipway)/bin/<component>-<version>/
# and a finished build leaves a `.complete` marker there, so a second run is a no-op.
# Versions are pinned in test/cluster/versions.env; changing one builds a new cache entry.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache=${SLIPWAY_CACHE_DIR:-$HOME/.cache/slipway}
mkdir -p "$cache/bin" "$cache/work"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

log() { printf '[slipway cluster build] %s\n' "$*" >&2; }

# The cache entry of a component, for the .complete check before the lock.
out_dir() {
  case "$1" in
    kubernetes) echo "$cache/bin/kubernetes-v$K8S_VERSION" ;;
    etcd) echo "$cache/bin/etcd-v$ETCD_VERSION" ;;
    kwok) echo "$cache/bin/kwok-v$KWOK_VERSION" ;;
    helm) echo "$cache/bin/helm-v$HELM_VERSION" ;;
    helm4) echo "$cache/bin/helm-v$HELM4_VERSION" ;;
    argo-rollouts) echo "$cache/bin/argo-rollouts-v$ARGO_ROLLOUTS_VERSION" ;;
    *) echo "$cache/bin/unknown-$1" ;;
  esac
}

# Serialize the builds of one component across concurrent test runs (a test run, `slipway dev`,
# the e2e setup's background builds); different components build side by side, so helm does not
# wait behind a half-hour Kubernetes build. The .complete check comes first: a finished cache
# never waits on a lock.
build_locked() {
  local c=$1 fd out
  out=$(out_dir "$c")
  [ -f "$out/.complete" ] && return 0
  local lock="$cache/build-$c.lock"
  # Argo Rollouts keeps the lock name it always had.
  [ "$c" = argo-rollouts ] && lock="$cache/build-argo.lock"
  exec {fd}>"$lock"
  if ! flock -n "$fd"; then
    log "waiting for another build of $c to finish (lock $lock, held by: $(cat "$lock.owner" 2>/dev/null || echo unknown))"
    flock "$fd"
  fi
  echo "pid $$ building $c from $here" >"$lock.owner"
  # Another run may have finished it while this one waited.
  if [ ! -f "$out/.complete" ]; then
    local work="$cache/work/${out##*/}"
    mkdir -p "$out"
    "build_${c//-/_}"
    touch "$out/.complete"
    log "$c ready in $out"
  fi
  exec {fd}>&-
}

# Each build_<component> below builds into $out, with $work for its wrapper module (both
# build_locked's, named after the cache entry); $out may hold a half-finished earlier attempt.

build_kubernetes() {
  local staging="v0.${K8S_VERSION#1.}"
  log "building kube-apiserver, kube-controller-manager, kube-scheduler and kubectl v$K8S_VERSION (cold: 15-25 minutes on 2 cores)"
  rm -rf "$work" && mkdir -p "$work"
  local gomod
  gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$gomod" ] || { log "could not download k8s.io/kubernetes@v$K8S_VERSION"; exit 1; }
  {
    echo "module slipway.dev/localcluster/kubernetes"
    echo
    grep -E '^go [0-9]' "$gomod"
    grep -E '^godebug' "$gomod" || true
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    # Every staging module the upstream go.mod points at ./staging is taken at its published version.
    grep -E '=> \./staging/src/' "$gomod" | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >"$work/go.mod"
  log "wrapper module with $(grep -c '^replace' "$work/go.mod") staging replaces written to $work/go.mod"
  local pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  (cd "$work" && go get "${pkgs[@]/%/@v$K8S_VERSION}" >/dev/null)
  local minor=${K8S_VERSION#1.}; minor=${minor%%.*}
  local ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$work" && go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$out/" "${pkgs[@]}")
}

build_etcd() {
  log "building etcd v$ETCD_VERSION from go.etcd.io/etcd/server/v3 (cold: 2-4 minutes)"
  rm -rf "$work" && mkdir -p "$work"
  cat >"$work/main.go" <<'GO'
// Command etcd runs the etcd server from its Go module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  printf 'module slipway.dev/localcluster/etcd\n\ngo 1.24\n' >"$work/go.mod"
  (cd "$work" && go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null && go mod tidy >/dev/null)
  (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" .)
}

build_kwok() {
  log "installing kwok v$KWOK_VERSION with go install (cold: 2-4 minutes)"
  GOBIN="$out" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
}

build_helm() {
  log "installing helm v$HELM_VERSION with go install (cold: 3-6 minutes)"
  local major=${HELM_VERSION%%.*}
  local minor=${K8S_VERSION#1.}; minor=${minor%%.*}
  GOBIN="$out" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v$major/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v$major/pkg/chartutil.k8sVersionMinor=$minor" \
    "helm.sh/helm/v$major/cmd/helm@v$HELM_VERSION"
}

# Helm 4 derives the Kubernetes version `helm template` assumes from the k8s.io/client-go
# module in its build info (pkg/chart/common/capabilities.go), which `go install` keeps, so
# it has no k8sVersion ldflags; only its own version string is set (the source says "v4.3").
build_helm4() {
  log "installing helm v$HELM4_VERSION with go install (cold: 3-6 minutes)"
  GOBIN="$out" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM4_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
    "helm.sh/helm/v4/cmd/helm@v$HELM4_VERSION"
}

# The real Argo Rollouts controller, for the opt-in switch tier (`npm run test:switch`). Its
# go.mod has replace directives, which `go install pkg@version` refuses and which do not apply
# to a dependency, so a wrapper module requires it and copies them. It needs a newer Go than
# the rest (its go.mod says so). Flags match test/conformance/build-argo.sh so the two builds
# share Go's build cache.
build_argo_rollouts() {
  local module=github.com/argoproj/argo-rollouts
  log "building the Argo Rollouts v$ARGO_ROLLOUTS_VERSION controller with $ARGO_ROLLOUTS_GOTOOLCHAIN (cold: 10-20 minutes on 2 cores)"
  rm -rf "$work" && mkdir -p "$work"
  local src
  src=$(cd "$work" && GOTOOLCHAIN=$ARGO_ROLLOUTS_GOTOOLCHAIN go mod download -json "$module@v$ARGO_ROLLOUTS_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "could not download $module@v$ARGO_ROLLOUTS_VERSION"; exit 1; }
  {
    echo "module slipway.dev/localcluster/argo-rollouts"
    echo
    grep -E '^go [0-9]' "$src/go.mod"
    echo
    echo "require $module v$ARGO_ROLLOUTS_VERSION"
    echo
    sed -n '/^replace (/,/^)/p' "$src/go.mod"
    grep -E '^replace [^(]' "$src/go.mod" || true
  } >"$work/go.mod"
  cp "$src/go.sum" "$work/go.sum" && chmod u+w "$work/go.sum"
  local pkg=$module/cmd/rollouts-controller
  (cd "$work" && GOTOOLCHAIN=$ARGO_ROLLOUTS_GOTOOLCHAIN go get "$pkg@v$ARGO_ROLLOUTS_VERSION" >/dev/null)
  (cd "$work" && GOTOOLCHAIN=$ARGO_ROLLOUTS_GOTOOLCHAIN go build -trimpath \
    -ldflags "-s -w -X $module/utils/version.version=$ARGO_ROLLOUTS_VERSION -X $module/utils/version.buildDate=1970-01-01T00:00:00Z" \
    -o "$out/" "$pkg")
}

components=("$@")
[ ${#components[@]} -gt 0 ] || components=(etcd kwok kubernetes)
for c in "${components[@]}"; do
  case "$c" in
    kubernetes | etcd | kwok | helm | helm4 | argo-rollouts) build_locked "$c" ;;
    *) log "unknown component '$c' (expected kubernetes, etcd, kwok, helm, helm4 or argo-rollouts)"; exit 2 ;;
  esac
done
