#!/usr/bin/env bash
# Builds what `npm run conformance` runs from the Argo Rollouts Go module (never committed),
# into ${SLIPWAY_CACHE_DIR:-~/.cache/slipway}/bin/argo-rollouts-conformance-v<version>/:
#   rollouts-controller    Argo's controller, for --baseline (a link to the one that
#                          `test/cluster/build-binaries.sh argo-rollouts` builds)
#   kubectl-argo-rollouts  Argo's kubectl plugin
#   e2e.test               Argo's own e2e suite (`go test -c -tags e2e .../test/e2e`)
#   e2e/, crds/            the module's test/e2e (the suite reads manifests by relative path)
#                          and Argo's CRDs
# Prints that directory. The version is pinned in test/cluster/versions.env.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cluster/versions.env
source "$here/../cluster/versions.env"
version=$ARGO_ROLLOUTS_VERSION
cache=${SLIPWAY_CACHE_DIR:-$HOME/.cache/slipway}
out="$cache/bin/argo-rollouts-conformance-v$version"
log() { printf '[slipway conformance build] %s\n' "$*" >&2; }

[ -f "$out/.complete" ] && { echo "$out"; exit 0; }

# The controller, and the wrapper module (Argo's replace directives copied) we build in.
bash "$here/../cluster/build-binaries.sh" argo-rollouts
work="$cache/work/argo-rollouts-v$version"
[ -f "$work/go.mod" ] || { log "$work/go.mod is missing: remove $cache/bin/argo-rollouts-v$version and retry"; exit 1; }

mkdir -p "$cache/bin"
exec 9>"$cache/build-argo.lock"
flock 9
[ -f "$out/.complete" ] && { echo "$out"; exit 0; }

export GOTOOLCHAIN=$ARGO_ROLLOUTS_GOTOOLCHAIN CGO_ENABLED=0 GOFLAGS=-buildvcs=false
module=github.com/argoproj/argo-rollouts
log "building Argo Rollouts v$version's kubectl plugin and e2e suite with $GOTOOLCHAIN (cold: 5-15 minutes on 2 cores)"
rm -rf "$out" && mkdir -p "$out"
src=$(cd "$work" && go mod download -json "$module@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
plugin=$module/cmd/kubectl-argo-rollouts
(cd "$work" && go get -t "$plugin@v$version" "$module/test/e2e@v$version" >/dev/null)
ldflags="-s -w -X $module/utils/version.version=$version -X $module/utils/version.buildDate=1970-01-01T00:00:00Z"
(cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$out/" "$plugin")
(cd "$work" && go test -c -tags e2e -trimpath -o "$out/e2e.test" "$module/test/e2e")
ln -s "../argo-rollouts-v$version/rollouts-controller" "$out/rollouts-controller"
cp -r "$src/test/e2e" "$out/e2e" && chmod -R u+w "$out/e2e"
mkdir -p "$out/crds" && cp "$src"/manifests/crds/*-crd.yaml "$out/crds/"
touch "$out/.complete"
log "Argo Rollouts v$version's suite ready in $out"
echo "$out"
