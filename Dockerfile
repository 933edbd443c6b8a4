# syntax=docker/dockerfile:1
# The Slipway image: one image for every process, chosen by the first argument
# (`controller`, `git-sync`, `dashboard`). The Helm chart runs it as user 65532 with a
# read-only root filesystem and an emptyDir on /tmp. Build from the repository root:
#
#   docker build -t <registry>/slipway:$(node -p 'require("./package.json").version') .
#
# Pin the base images by digest in your build (`node:24-bookworm@sha256:...`) for
# reproducible images; the tags here are what the project is tested with.
ARG NODE_BUILD_IMAGE=node:24-bookworm
ARG NODE_RUNTIME_IMAGE=node:24-bookworm-slim

# Compile TypeScript (and bundle the dashboard UI) to dist/ with the locked toolchain.
FROM ${NODE_BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run the build before the sources are copied. (It also skips
# the `node` dev dependency's binary download: the image's own Node 24 runs the build.)
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Bundles `slipway controller` into one entry file and its chunks (start-up time).
COPY scripts/bundle-controller.mjs ./scripts/
# The dashboard UI, built by vite into dist/ui.
COPY web ./web
RUN npm run build

# Production dependencies only (none of them has an install script or a native part).
FROM ${NODE_BUILD_IMAGE} AS runtime-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# Runtime: node:24-slim rather than distroless because git-sync runs the git binary (and
# ssh for SSH remotes), which distroless does not have. npm and corepack are removed (not
# needed at run time: fewer packages, fewer CVEs to triage), and user 65532 gets a passwd
# entry because ssh refuses to run for a user without one.
FROM ${NODE_RUNTIME_IMAGE}
RUN apt-get update \
  && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
  && groupadd --gid 65532 nonroot \
  && useradd --uid 65532 --gid 65532 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin nonroot
WORKDIR /app
COPY --from=runtime-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# Nothing is written outside /tmp (HOME, git's config, working copies), so the root
# filesystem can be mounted read-only.
ENV NODE_ENV=production HOME=/tmp
USER 65532:65532
# health 8080, controller metrics 8090, git-sync metrics 8091 and webhooks 8092
EXPOSE 8080 8090 8091 8092
# Memory (npm run bench -- --against argo, Slipway with these vs with semi-spaces alone, same
# run, with --max-opt=2 too): peak RSS canary 20x5 98-99 -> 89-91 MiB, 1,000 Rollouts 187-194 ->
# 132-135, 10,000 694-754 -> 468-527 (542 without --max-opt=2); CPU to deploy 1,000 or 10,000
# +10-15 % (more full GCs), still under Argo's half.
# glibc malloc: 2 arenas instead of one per thread (V8's and libuv's threads each kept theirs), and
# fixed mmap/trim thresholds so freed large blocks go back to the system instead of raising
# them (memory outside V8's heap at 1,000 Rollouts: 28-29 -> 19-24 MiB).
ENV GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072
# Node's flags (bench/image-runtime.ts reads them and the ENV above from here for the benchmarks):
# - 2 MiB young-generation semi-spaces instead of 16: an idle controller's heap is mostly
#   long-lived cache, and the larger young generation only kept garbage resident.
# - old space grows by 50 % of what a full GC leaves instead of up to 4x (V8's factor on a host
#   with much memory): a first deploy of 1,000 Rollouts grew it to 90-116 MiB for ~45 MiB live.
#   Not a cap: nothing stops the heap from growing as far as the live data needs.
# Not used: --max-opt=2 (no Turbofan). It saved ~5 MiB at 20x5 and 80 at 10,000 Rollouts (peak 461
# vs 542 MiB, same run), but the 50-Rollout burst's p99 there rose from 0.41 to 1.22 s (1.00 and
# 1.98 s in two more runs) and idle CPU from 0.13 to 0.20 %: too close to the 1 s target.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=50", "/app/dist/cmd/slipway.js"]
CMD ["controller"]
