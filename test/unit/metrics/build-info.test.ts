// build_info carries Argo Rollouts' name, HELP and labels, with Node's version and architecture.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { goArch, registerBuildInfo } from '../../../src/metrics/build-info.js';

describe('build_info', () => {
  it("has Argo's labels: version, and the runtime in Go's words", async () => {
    const registry = new Registry();
    registerBuildInfo(registry);
    const text = await registry.metrics();
    expect(text).toContain(
      "# HELP build_info A metric with a constant '1' value labeled by version from which Argo-Rollouts was built.",
    );
    expect(text).toMatch(
      new RegExp(
        `^build_info\\{version="v\\d+\\.\\d+\\.\\d+[^"]*",goversion="node${process.versions.node}",goarch="${goArch(process.arch)}",commit=""\\} 1$`,
        'm',
      ),
    );
    expect(goArch('x64')).toBe('amd64');
    expect(goArch('arm64')).toBe('arm64');
  });
});
