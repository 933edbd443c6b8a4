// The act layer's status write against a fake API that checks resourceVersions as the API
// server does: a new Rollout's revision patch must not make our own status write conflict,
// while an abort that lands between our read and our write still does.
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/kube/api-error.js';
import type { KubeRequest, RestClient } from '../../../src/kube/rest.js';
import { applyRolloutPlan, OwnRolloutWrites, PodCountWrites } from '../../../src/rollout/act.js';
import type { ObservedRolloutObject, RolloutPlan } from '../../../src/rollout/pass.js';
import { templateFor } from './fixtures.js';

function fakeApi(stored: ObservedRolloutObject) {
  let current = structuredClone(stored);
  const calls: string[] = [];
  const client = {
    async request(req: KubeRequest): Promise<unknown> {
      const body = req.body as {
        metadata?: { resourceVersion?: string; annotations?: Record<string, string> };
      };
      const bump = () => {
        current.metadata.resourceVersion = String(Number(current.metadata.resourceVersion) + 1);
      };
      if (req.method === 'PATCH' && !req.path.endsWith('/status')) {
        calls.push('patch');
        current.metadata.annotations = { ...current.metadata.annotations, ...body.metadata?.annotations };
        bump();
        return structuredClone(current);
      }
      if (req.method === 'PUT' && req.path.endsWith('/status')) {
        const status = (req.body as { status: ObservedRolloutObject['status'] }).status;
        if (body.metadata?.resourceVersion !== current.metadata.resourceVersion) {
          calls.push('put status 409');
          throw new ConflictError({ method: req.method, path: req.path }, 409, { reason: 'Conflict' });
        }
        calls.push('put status');
        current = { ...current, status };
        bump();
        return structuredClone(current);
      }
      throw new Error(`unexpected ${req.method} ${req.path}`);
    },
  } as unknown as RestClient;
  return {
    client,
    calls,
    /** Someone else writes the Rollout (e.g. `kubectl argo rollouts abort`). */
    abort() {
      current = { ...current, status: { ...current.status, abort: true } };
      current.metadata.resourceVersion = String(Number(current.metadata.resourceVersion) + 1);
    },
  };
}

const observed: ObservedRolloutObject = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'shop', uid: 'uid-web', generation: 1, resourceVersion: '10' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: templateFor('web:1'),
    strategy: { canary: {} },
  },
} as ObservedRolloutObject;

const plan: RolloutPlan = {
  actions: [{ kind: 'setRolloutRevision', revision: 1 }] as RolloutPlan['actions'],
  status: { observedGeneration: '1', phase: 'Progressing' } as RolloutPlan['status'],
  events: [],
};

describe('applyRolloutPlan status write', () => {
  it('writes a new Rollout status with the resourceVersion its own revision patch returned: no 409', async () => {
    const api = fakeApi(observed);
    await applyRolloutPlan({ client: api.client, recordEvent: () => {} }, structuredClone(observed), plan);
    expect(api.calls).toEqual(['patch', 'put status']);
  });

  it('still conflicts when someone else changed the Rollout between our read and our write', async () => {
    const api = fakeApi(observed);
    api.abort();
    await expect(
      applyRolloutPlan({ client: api.client, recordEvent: () => {} }, structuredClone(observed), plan),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(api.calls).toEqual(['patch', 'put status 409']);
  });

  it('remembers its writes, so a reconcile from a cache that has not seen them is skipped', async () => {
    const api = fakeApi(observed);
    const ownWrites = new OwnRolloutWrites();
    await applyRolloutPlan(
      { client: api.client, ownWrites, recordEvent: () => {} },
      structuredClone(observed),
      plan,
    );
    // The watch has delivered our revision patch (11) but not yet our status write (12).
    const behind = { metadata: { uid: 'uid-web', resourceVersion: '11' } };
    expect(ownWrites.isStale(behind)).toBe(true);
    expect(ownWrites.isStale({ metadata: { uid: 'uid-web', resourceVersion: '12' } })).toBe(false);
    // Caught up once, forgotten: an older copy is no longer judged (nothing to compare with).
    expect(ownWrites.isStale(behind)).toBe(false);
    expect(ownWrites.isStale({ metadata: { uid: 'other', resourceVersion: '1' } })).toBe(false);
  });
});

describe('applyRolloutPlan: status writes that change only pod counts', () => {
  const counted = {
    ...observed,
    status: {
      observedGeneration: '1',
      phase: 'Progressing',
      currentStepIndex: 1,
      replicas: 5,
      availableReplicas: 5,
    },
  } as ObservedRolloutObject;
  const countsOnly = (replicas: number, availableReplicas: number): RolloutPlan => ({
    actions: [],
    status: { ...counted.status, replicas, availableReplicas },
    events: [],
  });

  it('are held back for the delay (the pass asks to look again) and written once it is up', async () => {
    let now = 1_000;
    const podCountWrites = new PodCountWrites(2000, () => now);
    const api = fakeApi(counted);
    const ctx = { client: api.client, podCountWrites, recordEvent: () => {} };
    expect(await applyRolloutPlan(ctx, structuredClone(counted), countsOnly(6, 5))).toEqual({
      requeueAfterMs: 2000,
    });
    now += 500;
    expect(await applyRolloutPlan(ctx, structuredClone(counted), countsOnly(6, 6))).toEqual({
      requeueAfterMs: 1500,
    });
    expect(api.calls).toEqual([]);
    now += 1500;
    expect(await applyRolloutPlan(ctx, structuredClone(counted), countsOnly(6, 6))).toBeUndefined();
    expect(api.calls).toEqual(['put status']);
  });

  it('go out at once with any other change (the next step), which ends the hold', async () => {
    let now = 1_000;
    const podCountWrites = new PodCountWrites(2000, () => now);
    const api = fakeApi(counted);
    const ctx = { client: api.client, podCountWrites, recordEvent: () => {} };
    await applyRolloutPlan(ctx, structuredClone(counted), countsOnly(6, 6));
    now += 100;
    const nextStep = countsOnly(5, 5);
    nextStep.status = { ...nextStep.status, currentStepIndex: 2 };
    expect(await applyRolloutPlan(ctx, structuredClone(counted), nextStep)).toBeUndefined();
    expect(api.calls).toEqual(['put status']);
    // A later count-only change starts a new hold rather than counting from the old one.
    now += 5000;
    expect(await applyRolloutPlan(ctx, structuredClone(counted), countsOnly(6, 5))).toEqual({
      requeueAfterMs: 2000,
    });
  });

  it("count the Progressing condition's lastUpdateTime, which the counts refresh, but nothing else of it", async () => {
    const progressing = (lastUpdateTime: string, reason: string) => ({
      type: 'Progressing',
      status: 'True',
      reason,
      message: 'ReplicaSet "web-abc" is progressing.',
      lastUpdateTime,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
    const withCondition = {
      ...counted,
      status: { ...counted.status, conditions: [progressing('2026-01-01T00:00:01Z', 'ReplicaSetUpdated')] },
    } as ObservedRolloutObject;
    const refreshed = (reason: string): RolloutPlan => ({
      actions: [],
      status: {
        ...withCondition.status,
        replicas: 6,
        conditions: [progressing('2026-01-01T00:00:05Z', reason)],
      } as RolloutPlan['status'],
      events: [],
    });
    const api = fakeApi(withCondition);
    const ctx = { client: api.client, podCountWrites: new PodCountWrites(), recordEvent: () => {} };
    expect(
      await applyRolloutPlan(ctx, structuredClone(withCondition), refreshed('ReplicaSetUpdated')),
    ).toEqual({
      requeueAfterMs: 2000,
    });
    expect(api.calls).toEqual([]);
    expect(
      await applyRolloutPlan(ctx, structuredClone(withCondition), refreshed('RolloutPaused')),
    ).toBeUndefined();
    expect(api.calls).toEqual(['put status']);
  });

  it('are written at once without a PodCountWrites, or when the pass also writes or records something', async () => {
    const api = fakeApi(counted);
    await applyRolloutPlan(
      { client: api.client, recordEvent: () => {} },
      structuredClone(counted),
      countsOnly(6, 5),
    );
    expect(api.calls).toEqual(['put status']);
    const held = fakeApi(counted);
    const withEvent = countsOnly(6, 5);
    withEvent.events = [
      { type: 'Normal', reason: 'RolloutStepCompleted', message: 'Rollout step 2/6 completed' },
    ];
    await applyRolloutPlan(
      { client: held.client, podCountWrites: new PodCountWrites(), recordEvent: () => {} },
      structuredClone(counted),
      withEvent,
    );
    expect(held.calls).toEqual(['put status']);
  });
});
