// The act layer's status write against a fake API that checks resourceVersions as the API
// server does: a new Rollout's revision patch must not make our own status write conflict,
// while an abort that lands between our read and our write still does.
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/kube/api-error.js';
import type { KubeRequest, RestClient } from '../../../src/kube/rest.js';
import { applyRolloutPlan, OwnRolloutWrites } from '../../../src/rollout/act.js';
import type { ObservedRolloutObject, RolloutPlan } from '../../../src/rollout/pass.js';
import { PodCountWrites } from '../../../src/rollout/pod-count-writes.js';
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

describe('applyRolloutPlan: status writes that change only pod counts during an update', () => {
  const updating = {
    ...observed,
    spec: { ...observed.spec, replicas: 5 },
    status: {
      observedGeneration: '1',
      phase: 'Progressing',
      currentPodHash: 'new',
      stableRS: 'old',
      currentStepIndex: 0,
      replicas: 5,
      updatedReplicas: 0,
      availableReplicas: 5,
    },
  } as ObservedRolloutObject;
  const counts = (replicas: number, updatedReplicas: number, from = updating): RolloutPlan => ({
    actions: [],
    status: { ...from.status, replicas, updatedReplicas },
    events: [],
  });

  it('are held back for the delay (the pass asks to look again) and written then, with nothing else happening', async () => {
    let now = 1_000;
    const api = fakeApi(updating);
    const ctx = {
      client: api.client,
      podCountWrites: new PodCountWrites(2000, () => now),
      recordEvent: () => {},
    };
    expect(await applyRolloutPlan(ctx, structuredClone(updating), counts(6, 1))).toEqual({
      requeueAfterMs: 2000,
    });
    now += 500;
    expect(await applyRolloutPlan(ctx, structuredClone(updating), counts(6, 1))).toEqual({
      requeueAfterMs: 1500,
    });
    expect(api.calls).toEqual([]);
    now += 1500; // the requeue
    expect(await applyRolloutPlan(ctx, structuredClone(updating), counts(6, 1))).toBeUndefined();
    expect(api.calls).toEqual(['put status']);
  });

  it('go out at once with the next step, which ends the hold', async () => {
    const api = fakeApi(updating);
    const ctx = { client: api.client, podCountWrites: new PodCountWrites(), recordEvent: () => {} };
    await applyRolloutPlan(ctx, structuredClone(updating), counts(6, 1));
    const nextStep = counts(6, 1);
    nextStep.status = { ...nextStep.status, currentStepIndex: 1 };
    expect(await applyRolloutPlan(ctx, structuredClone(updating), nextStep)).toBeUndefined();
    expect(api.calls).toEqual(['put status']);
  });

  it('go out at once once the Rollout is Healthy (a client reads the counts with it)', async () => {
    const healthy = {
      ...updating,
      status: { ...updating.status, phase: 'Healthy', stableRS: 'new', updatedReplicas: 5, replicas: 10 },
    } as ObservedRolloutObject;
    const api = fakeApi(healthy);
    const ctx = { client: api.client, podCountWrites: new PodCountWrites(), recordEvent: () => {} };
    expect(await applyRolloutPlan(ctx, structuredClone(healthy), counts(9, 5, healthy))).toBeUndefined();
    expect(api.calls).toEqual(['put status']);
  });

  it('are held in a pass that scales a ReplicaSet: its ScalingReplicaSet Events report the scale, not the status', async () => {
    const api = fakeApi(updating);
    const recorded: string[] = [];
    const ctx = {
      client: api.client,
      podCountWrites: new PodCountWrites(2000),
      recordEvent: (e: { reason: string }) => recorded.push(e.reason),
    };
    const scaling = counts(6, 1);
    scaling.events = [
      { type: 'Normal', reason: 'ScalingReplicaSet', message: 'Scaled up', after: 'actions' },
    ];
    expect(await applyRolloutPlan(ctx, structuredClone(updating), scaling)).toEqual({ requeueAfterMs: 2000 });
    expect(api.calls).toEqual([]);
    expect(recorded).toEqual(['ScalingReplicaSet']);
  });

  it('go out at once with an Event that reports the status (it is recorded after the write)', async () => {
    const api = fakeApi(updating);
    const recorded: string[] = [];
    const ctx = {
      client: api.client,
      podCountWrites: new PodCountWrites(),
      recordEvent: (e: { reason: string }) => recorded.push(e.reason),
    };
    const withEvent = counts(6, 1);
    withEvent.events = [{ type: 'Normal', reason: 'RolloutStepCompleted', message: 'step 1/6' }];
    expect(await applyRolloutPlan(ctx, structuredClone(updating), withEvent)).toBeUndefined();
    expect(api.calls).toEqual(['put status']);
    expect(recorded).toEqual(['RolloutStepCompleted']);
  });
});
