#!/usr/bin/env bash
# Builds the Argo CD Lua harness (test/argocd/harness/main.go) against the pinned Argo CD release
# and caches the binary outside the repo.
#
#   test/argocd/build-harness.sh        prints the path of the harness binary on stdout
#
# The binary lands in $SLIPWAY_CACHE_DIR (default ~/.cache/slipway)/bin/argocd-lua-v<version>-<hash>/,
# <hash> a hash of its inputs (main.go, the scripts and versions.env): a second run with the same
# inputs is a no-op, and checkouts with other inputs (other branches, which every e2e run's
# prefetch builds for) keep their own builds instead of rebuilding over a binary in use.
#
# Why a generated go.mod: see argocd-module.sh (the upstream go.mod is downloaded with
# `go mod download -json`). Nothing downloaded or built is written into the repo.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=argocd-module.sh
source "$here/argocd-module.sh"

log() { printf '[slipway argocd-lua build] %s\n' "$*" >&2; }

inputs_hash() {
  cat "$here/harness/main.go" "$here/versions.env" "$here/argocd-module.sh" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16
}
want=$(inputs_hash)
argocd_cache_dirs argocd-lua
out="$out-$want"
bin="$out/argocd-lua-harness"
if [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$want" ] && [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

# Serialize concurrent builds of the harness (its own lock: the control-plane build may hold
# build.lock for half an hour).
exec 9>"$cache/argocd-lua.lock"
flock 9
if [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$want" ] && [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

log "building the Argo CD v$ARGOCD_VERSION Lua harness (cold: downloads argo-cd's module graph and compiles util/lua, several minutes on 2 cores)"
rm -rf "$out" && mkdir -p "$work" "$out"

log "go mod download -json $ARGOCD_MODULE@v$ARGOCD_VERSION"
argocd_download
wrapper_gomod test/argocd/build-harness.sh slipway.dev/test/argocd-harness "$argocd_gomod" >"$work/go.mod"

rm -f "$work/go.sum"
cp "$here/harness/main.go" "$work/main.go"
log "wrapper module with $(grep -c '^replace' "$work/go.mod") replaces written to $work/go.mod"

# tidy resolves the packages main.go imports at the versions argo-cd's go.mod selects and
# writes go.sum from the checksum database; nothing new is chosen here.
log "go mod tidy (downloads the modules util/lua needs)"
(cd "$work" && go mod tidy)
if ! (cd "$work" && go list -m github.com/argoproj/argo-cd/v3 | grep -qx "github.com/argoproj/argo-cd/v3 v$ARGOCD_VERSION"); then
  log "module graph selected a different argo-cd version than v$ARGOCD_VERSION:"
  (cd "$work" && go list -m github.com/argoproj/argo-cd/v3) >&2
  exit 1
fi

log "go build -o $bin"
(cd "$work" && go build -trimpath -ldflags "-s -w -X main.argoCDVersion=v$ARGOCD_VERSION" -o "$bin" .)
printf '%s\n' "$want" >"$out/.complete"
log "harness ready: $bin"
echo "$bin"
