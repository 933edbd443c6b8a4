// New Rollouts and their updates, counted by the controller's own API request counter
// (controller_clientset_k8s_request_total): no write of ours to a Rollout may answer 409,
// since nothing but the controller writes them here. A 409 meant the status PUT carried the
// resourceVersion from before our own revision patch, and waited out a requeue. Nor may a
// guarded ReplicaSet write be refused (409, or 422 for a failed JSON patch test): only the
// ReplicaSet controller writes the sets besides us, and only their /status, which the
// generation guard lets through; a pass planned before our own last write to a set reached
// the cache is skipped rather than refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestsByCode, startTestController, type TestController } from './support/controller.js';
import { kubectl } from './support/kubectl.js';
import { canaryRollout } from './support/manifests.js';
import { setImage, waitForRollout } from './support/rollouts.js';

const namespace = `conflicts-${Date.now().toString(36)}`;
// Five Rollouts of 5 replicas through two canary steps: with fewer, a guard on resourceVersion or
// a pass planned from a stale copy of a set drew no refusal at all (measured: 3 and 14 here).
const names = ['one', 'two', 'three', 'four', 'five'];

const manifest = (name: string) =>
  canaryRollout(
    namespace,
    name,
    { steps: [{ setWeight: 20 }, { pause: { duration: 0 } }, { setWeight: 60 }, { pause: { duration: 0 } }] },
    { spec: { replicas: 5, revisionHistoryLimit: 2 } },
  );

let controller: TestController;

beforeAll(async () => {
  kubectl(['create', 'namespace', namespace]);
  controller = await startTestController(namespace);
});

afterAll(async () => {
  await controller?.shutdown();
});

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
    const byCode = await requestsByCode(controller, 'rollouts');
    // The counter saw our writes (so the check below can fail), and none answered 409.
    expect(Object.values(byCode).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(byCode['409'] ?? 0).toBe(0);
    const replicaSets = await requestsByCode(controller, 'replicasets');
    expect(replicaSets['200'] ?? 0).toBeGreaterThan(0);
    expect({ 409: replicaSets['409'] ?? 0, 422: replicaSets['422'] ?? 0 }).toEqual({ 409: 0, 422: 0 });
  });
});
