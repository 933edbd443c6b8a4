#!/usr/bin/env bash
# Builds Argo CD's all-in-one binary (github.com/argoproj/argo-cd/v3/cmd) at the release pinned in
# test/argocd/versions.env and caches it outside the repo, for `npm run test:gitops`.
#
#   test/gitops/build-argocd.sh        prints the directory holding the binaries on stdout
#
# The directory ($SLIPWAY_CACHE_DIR, default ~/.cache/slipway, /bin/argocd-v<version>/) holds
# `argocd` plus symlinks argocd-server, argocd-repo-server and argocd-application-controller
# (the binary picks its role from its own name, as in Argo CD's images), a copy of
# hack/git-verify-wrapper.sh, which the v3 repo-server runs on every manifest generation, and
# crds/ (the Application and AppProject CRDs of the same release).
# A finished build leaves a `.complete` marker holding a hash of versions.env and RECIPE; bump
# RECIPE when a change here must rebuild.
RECIPE=1
#
# The wrapper module is made as test/argocd/build-harness.sh's is, by test/argocd/argocd-module.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../argocd/versions.env
source "$here/../argocd/versions.env"
# shellcheck source=../argocd/argocd-module.sh
source "$here/../argocd/argocd-module.sh"

argocd_cache_dirs argocd

log() { printf '[slipway argocd build] %s\n' "$*" >&2; }

want=$( (cat "$here/../argocd/versions.env"; echo "$RECIPE") | sha256sum | cut -c1-16)
ready() { [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$want" ] && [ -x "$out/argocd" ]; }
if ready; then echo "$out"; exit 0; fi

exec 9>"$cache/argocd.lock"
flock 9
if ready; then echo "$out"; exit 0; fi

log "building Argo CD v$ARGOCD_VERSION (server, repo-server, application-controller, CLI) from its Go module (cold: 15-40 minutes on 2 cores)"
rm -rf "$out" && mkdir -p "$work" "$out"

module=$ARGOCD_MODULE
argocd_download
src=$argocd_dir
wrapper_gomod test/gitops/build-argocd.sh slipway.dev/test/argocd-gitops "$src/go.mod" >"$work/go.mod"
cp "$src/go.sum" "$work/go.sum" && chmod u+w "$work/go.sum"
log "wrapper module with $(grep -c '^replace' "$work/go.mod") replaces; go get $module/cmd"
(cd "$work" && go get "$module/cmd@v$ARGOCD_VERSION" >/dev/null)
if ! (cd "$work" && go list -m "$module" | grep -qx "$module v$ARGOCD_VERSION"); then
  log "module graph selected a different argo-cd version than v$ARGOCD_VERSION"
  exit 1
fi

log "go build -o $out/argocd (the long part)"
ldflags="-s -w -X $module/common.version=$ARGOCD_VERSION -X $module/common.buildDate=1970-01-01T00:00:00Z"
(cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$out/argocd" "$module/cmd")
for role in argocd-server argocd-repo-server argocd-application-controller; do
  ln -sf argocd "$out/$role"
done
cp "$src/hack/git-verify-wrapper.sh" "$out/git-verify-wrapper.sh" && chmod 0755 "$out/git-verify-wrapper.sh"
mkdir -p "$out/crds" && cp "$src/manifests/crds/application-crd.yaml" "$src/manifests/crds/appproject-crd.yaml" "$out/crds/"
chmod -R u+w "$out/crds"
printf '%s\n' "$want" >"$out/.complete"
log "Argo CD v$ARGOCD_VERSION ready in $out"
echo "$out"
