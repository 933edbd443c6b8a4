// Argo Rollouts' build_info gauge (controller/metrics/metrics.go recordBuildInfo): constant 1,
// labelled with the version and the runtime it was built for. Slipway runs on Node, so
// goversion names Node's version the way Go's runtime.Version() names Go's ("node24.11.0") and
// goarch is Node's architecture in Go's words (x64 -> amd64).
import { Gauge, type Registry } from 'prom-client';
import { packageVersion } from '../cmd/version.js';

const GO_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };

export function goArch(nodeArch: string): string {
  return GO_ARCH[nodeArch] ?? nodeArch;
}

export function registerBuildInfo(registry: Registry): void {
  new Gauge({
    name: 'build_info',
    help: "A metric with a constant '1' value labeled by version from which Argo-Rollouts was built.",
    labelNames: ['version', 'goversion', 'goarch', 'commit'] as const,
    registers: [registry],
  }).set(
    {
      version: `v${packageVersion()}`,
      goversion: `node${process.versions.node}`,
      goarch: goArch(process.arch),
      commit: '',
    },
    1,
  );
}
