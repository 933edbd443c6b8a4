// `version`: the plugin's own, and the controller's from Argo's version gauge on /metrics.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { versionFromMetrics } from '../../../src/cli/commands/version.js';
import type { CliContext } from '../../../src/cli/context.js';
import { kubectlSlipwayProgram } from '../../../src/cmd/kubectl-slipway.js';
import { packageVersion } from '../../../src/cmd/version.js';
import { RequestCounter } from '../../../src/kube/request-counter.js';
import { createProcessMetrics } from '../../../src/metrics/registry.js';

describe('version', () => {
  it('the controller exports argo_rollouts_controller_info with its version, which the plugin reads', async () => {
    const metrics = await createProcessMetrics(new RequestCounter()).registry.metrics();
    expect(versionFromMetrics(metrics)).toBe(`v${packageVersion()}`);
    const server = createServer((_, res) => res.end(metrics));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const out: string[] = [];
    const context: CliContext = {
      out: { write: (t) => out.push(t) },
      err: { write: (t) => out.push(t) },
      now: () => 0,
      interrupted: () => new Promise(() => {}),
      cluster: () => {
        throw new Error('not used');
      },
      root: () => program,
    };
    const program = kubectlSlipwayProgram(context);
    try {
      await program.parseAsync(['node', 'kubectl-slipway', 'version', '--controller-metrics', url]);
    } finally {
      server.close();
    }
    const text = out.join('');
    expect(text).toMatch(new RegExp(`^kubectl-slipway: v${packageVersion()}\\n`));
    expect(text).toContain(`slipway-controller: v${packageVersion()}\n`);
  });

  it('says unknown when the metrics have no version gauge', () => {
    expect(versionFromMetrics('# HELP x\nx 1\n')).toBeUndefined();
  });
});
