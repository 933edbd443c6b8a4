// New Rollouts and their updates, counted by the controller's own API request counter
// (controller_clientset_k8s_request_total): no write of ours to a Rollout may answer 409,
// since nothing but the controller writes them here. A 409 meant the status PUT carried the
// resourceVersion from before our own revision patch, and waited out a requeue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from './support/controller.js';
import { kubectl } from './support/kubectl.js';
import { canaryRollout } from './support/manifests.js';
import { setImage, waitForRollout } from './support/rollouts.js';

const namespace = `conflicts-${Date.now().toString(36)}`;
const names = ['one', 'two', 'three'];

const manifest = (name: string) =>
  canaryRollout(
    namespace,
    name,
    { steps: [{ setWeight: 50 }, { pause: { duration: 0 } }] },
    { spec: { revisionHistoryLimit: 2 } },
  );

let controller: TestController;

beforeAll(async () => {
  kubectl(['create', 'namespace', namespace]);
  controller = await startTestController(namespace);
});

afterAll(async () => {
  await controller?.shutdown();
});

/** Requests on rollouts (and their /status) by status code, from the controller's /metrics. */
async function rolloutRequests(): Promise<Record<string, number>> {
  const byCode: Record<string, number> = {};
  for (const line of (await controller.metricsText()).split('\n')) {
    if (!line.startsWith('controller_clientset_k8s_request_total{') || !line.includes('kind="rollouts"'))
      continue;
    const code = /status_code="(\d+)"/.exec(line)?.[1] ?? '?';
    byCode[code] = (byCode[code] ?? 0) + Number(line.split(' ').pop());
  }
  return byCode;
}

const healthyAt = (hashNot?: string) => (r: { status?: Record<string, unknown> }) =>
  r.status?.phase === 'Healthy' &&
  r.status.stableRS === r.status.currentPodHash &&
  r.status.stableRS !== hashNot;

describe('status writes of new and updated Rollouts', () => {
  it('never conflict with our own writes', async () => {
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: names.map(manifest) }),
    );
    const first: Record<string, string> = {};
    for (const name of names) {
      const rollout = await waitForRollout(namespace, name, `${name} Healthy`, healthyAt());
      first[name] = String(rollout.status?.stableRS);
    }
    for (const name of names) setImage(namespace, name, 'web:2');
    for (const name of names) {
      await waitForRollout(namespace, name, `${name} Healthy at web:2`, healthyAt(first[name]));
    }
    const byCode = await rolloutRequests();
    // The counter saw our writes (so the check below can fail), and none answered 409.
    expect(Object.values(byCode).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(byCode['409'] ?? 0).toBe(0);
  });
});
