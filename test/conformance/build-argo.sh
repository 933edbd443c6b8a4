#!/usr/bin/env bash
# Builds what `npm run conformance` runs from the Argo Rollouts Go module (never committed):
#   rollouts-controller    Argo's controller, for the --baseline run
#   kubectl-argo-rollouts  Argo's kubectl plugin
#   e2e.test               Argo's own e2e suite (`go test -c -tags e2e .../test/e2e`)
#   e2e/                   a copy of the module's test/e2e (the suite reads manifests by relative path)
# into ${SLIPWAY_CACHE_DIR:-~/.cache/slipway}/bin/argo-rollouts-conformance-v<version>/.
# Argo Rollouts v1.10.2 declares go 1.26.10 and builds with GOTOOLCHAIN=go1.27.3.
set -euo pipefail

version=${ARGO_ROLLOUTS_VERSION:-1.10.2}
cache=${SLIPWAY_CACHE_DIR:-$HOME/.cache/slipway}
out="$cache/bin/argo-rollouts-conformance-v$version"
work="$cache/work/argo-rollouts-conformance-v$version"
log() { printf '[slipway conformance build] %s\n' "$*" >&2; }

[ -f "$out/.complete" ] && { echo "$out"; exit 0; }

mkdir -p "$cache/bin" "$cache/work"
exec 9>"$cache/build-argo.lock"
flock 9
[ -f "$out/.complete" ] && { echo "$out"; exit 0; }

export GOTOOLCHAIN=${GOTOOLCHAIN_ARGO:-go1.27.3} CGO_ENABLED=0 GOFLAGS=-buildvcs=false
module=github.com/argoproj/argo-rollouts
log "building Argo Rollouts v$version (controller, kubectl plugin, e2e suite) with $GOTOOLCHAIN (cold: 10-20 minutes on 2 cores)"
rm -rf "$work" && mkdir -p "$work" "$out"
src=$(cd "$work" && go mod download -json "$module@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { log "could not download $module@v$version"; exit 1; }
{
  echo "module slipway.dev/conformance/argo-rollouts"
  echo
  grep -E '^go [0-9]' "$src/go.mod"
  echo
  echo "require $module v$version"
  echo
  # A dependency's replace directives do not apply to the main module: copy them.
  sed -n '/^replace (/,/^)/p' "$src/go.mod"
  grep -E '^replace [^(]' "$src/go.mod" || true
} >"$work/go.mod"
cp "$src/go.sum" "$work/go.sum"
chmod u+w "$work/go.sum"
pkgs=("$module/cmd/rollouts-controller" "$module/cmd/kubectl-argo-rollouts")
(cd "$work" && go get -t "${pkgs[@]/%/@v$version}" "$module/test/e2e@v$version" >/dev/null)
ldflags="-s -w -X $module/utils/version.version=$version -X $module/utils/version.buildDate=1970-01-01T00:00:00Z"
(cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$out/" "${pkgs[@]}")
(cd "$work" && go test -c -tags e2e -trimpath -o "$out/e2e.test" "$module/test/e2e")
rm -rf "$out/e2e" "$out/crds" && cp -r "$src/test/e2e" "$out/e2e" && chmod -R u+w "$out/e2e"
mkdir -p "$out/crds" && cp "$src"/manifests/crds/*-crd.yaml "$out/crds/"
touch "$out/.complete"
log "Argo Rollouts v$version ready in $out"
echo "$out"
