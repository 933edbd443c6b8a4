// `version`: the plugin's own, and the controller's from Argo's version gauge on /metrics.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { versionFromMetrics } from '../../../src/cli/commands/version.js';
import { packageVersion } from '../../../src/cmd/version.js';
import { RequestCounter } from '../../../src/kube/request-counter.js';
import { RestClient } from '../../../src/kube/rest.js';
import { createProcessMetrics } from '../../../src/metrics/registry.js';
import { json, loopbackApi } from '../kube/loopback-api.js';
import { pluginProgram } from './plugin-program.js';

describe('version', () => {
  it('the controller exports argo_rollouts_controller_info with its version, which the plugin reads', async () => {
    const metrics = await createProcessMetrics(new RequestCounter()).registry.metrics();
    expect(versionFromMetrics(metrics)).toBe(`v${packageVersion()}`);
    const server = createServer((_, res) => res.end(metrics));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const out: string[] = [];
    try {
      await pluginProgram(out).parseAsync([
        'node',
        'kubectl-slipway',
        'version',
        '--controller-metrics',
        url,
      ]);
    } finally {
      server.close();
    }
    const text = out.join('');
    expect(text).toMatch(new RegExp(`^kubectl-slipway: v${packageVersion()}\\n`));
    expect(text).toContain(`slipway-controller: v${packageVersion()}\n`);
  });

  it("reads the controller's version through the API server from the Lease holder's pod", async () => {
    const metrics = await createProcessMetrics(new RequestCounter()).registry.metrics();
    // The Lease names its holder; the pod proxy serves that pod's /metrics.
    const requests: string[] = [];
    let holder: string | undefined = 'slipway-controller-5d8f9-x2x7q_0a1b2c3d';
    const api = await loopbackApi((req, res) => {
      requests.push(req.url ?? '');
      if (
        req.url === '/apis/coordination.k8s.io/v1/namespaces/argo-rollouts/leases/slipway-controller-lock'
      ) {
        json(res, { kind: 'Lease', spec: holder ? { holderIdentity: holder } : {} });
      } else if (
        req.url === '/api/v1/namespaces/argo-rollouts/pods/slipway-controller-5d8f9-x2x7q:8090/proxy/metrics'
      ) {
        res.end(metrics);
      } else {
        json(
          res,
          { kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound', message: 'not found' },
          404,
        );
      }
    });
    const client = new RestClient(api.kubeConfig);
    const run = async (...args: string[]) => {
      const out: string[] = [];
      await pluginProgram(out, () => ({ client, namespace: 'default' })).parseAsync([
        'node',
        'kubectl-slipway',
        'version',
        ...args,
      ]);
      return out.join('');
    };
    try {
      expect(await run('--controller-namespace', 'argo-rollouts')).toContain(
        `slipway-controller: v${packageVersion()}\n`,
      );
      expect(requests).toEqual([
        '/apis/coordination.k8s.io/v1/namespaces/argo-rollouts/leases/slipway-controller-lock',
        '/api/v1/namespaces/argo-rollouts/pods/slipway-controller-5d8f9-x2x7q:8090/proxy/metrics',
      ]);
      // A controller run with --instance-id canary holds slipway-controller-lock-canary.
      await run(
        '--controller-namespace',
        'argo-rollouts',
        '--leader-election-lease-name',
        'slipway-controller-lock-canary',
      );
      expect(requests.at(-1)).toBe(
        '/apis/coordination.k8s.io/v1/namespaces/argo-rollouts/leases/slipway-controller-lock-canary',
      );
      holder = undefined;
      expect(await run('--controller-namespace', 'argo-rollouts')).toContain(
        'slipway-controller: unknown (no controller holds the Lease)\n',
      );
      // No Lease in the current namespace: said in one line, not thrown.
      expect(await run()).toMatch(/slipway-controller: unknown \(.*\)\n$/);
    } finally {
      api.close();
    }
  });

  it('says unknown when the metrics have no version gauge', () => {
    expect(versionFromMetrics('# HELP x\nx 1\n')).toBeUndefined();
  });
});
