// The act side of a rollout plan against a recording RestClient: the writes it sends.
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ConflictError, TestFailedError } from '../../../src/kube/api-error.js';
import { applyRolloutPlan, OwnRolloutWrites } from '../../../src/rollout/act.js';
import type { ObservedRolloutObject, RolloutAction } from '../../../src/rollout/plan.js';
import { versionOf } from '../../../src/rollout/replicasets.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';
import { replicaSetStore } from '../support/replicaset-store.js';
import { recordingClient } from '../support/rest.js';

describe('applyRolloutPlan', () => {
  it('writes the status on the resourceVersion its own revision patch returned (no conflict)', async () => {
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop', resourceVersion: '10' },
      spec: {},
      status: {},
    } as unknown as ObservedRolloutObject;
    const { client, requests } = recordingClient((request) => {
      // The API answers a patch of metadata with the whole object at its new version.
      if (request.method === 'PATCH') {
        return { ...rollout, metadata: { ...rollout.metadata, resourceVersion: '11' } };
      }
      return request.body;
    });
    await applyRolloutPlan({ client, recordEvent: () => {} }, rollout, {
      actions: [{ kind: 'setRolloutRevision', revision: 2 }],
      events: [],
      status: { currentPodHash: 'abc' },
    });
    const put = requests.find((r) => r.method === 'PUT');
    expect(
      (put?.body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion,
    ).toBe('11');
  });
});

describe('applyRolloutPlan: a ReplicaSet the cache had not seen yet', () => {
  it('scales the existing set when its create finds it there', async () => {
    const { client, requests } = recordingClient((request) => {
      if (request.method === 'POST') {
        throw new AlreadyExistsError({ method: 'POST', path: request.path }, 409, {
          kind: 'Status',
          reason: 'AlreadyExists',
          message: 'replicasets.apps "web-abc" already exists',
        });
      }
      return { metadata: { name: 'web-abc', resourceVersion: '3' } };
    });
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop', resourceVersion: '10' },
      spec: { replicas: 3 },
      status: {},
    } as unknown as ObservedRolloutObject;
    const replicaSet = { metadata: { name: 'web-abc', namespace: 'shop' }, spec: { replicas: 3 } };
    await applyRolloutPlan({ client, recordEvent: () => {} }, rollout, {
      actions: [{ kind: 'createReplicaSet', replicaSet: replicaSet as never }],
      events: [],
      status: {},
    });
    const patch = requests.find((r) => r.method === 'PATCH');
    expect(patch?.path).toContain('/replicasets/web-abc');
    expect((patch?.body as { spec?: { replicas?: number } } | undefined)?.spec?.replicas).toBe(3);
  });

  it('waits for a set it created to reach the cache, so the next pass does not create it again', async () => {
    const { client } = recordingClient((request) => ({
      ...(request.body as object),
      metadata: { name: 'web-abc', namespace: 'shop', resourceVersion: '12' },
    }));
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '10' },
      spec: { replicas: 3 },
      status: {},
    } as unknown as ObservedRolloutObject;
    const replicaSet = { metadata: { name: 'web-abc', namespace: 'shop' }, spec: { replicas: 1 } };
    const ownWrites = new OwnRolloutWrites();
    await applyRolloutPlan({ client, ownWrites, recordEvent: () => {} }, rollout, {
      actions: [{ kind: 'createReplicaSet', replicaSet: replicaSet as never }],
      events: [],
      status: {},
    });
    // Not in the cache yet: a lag, not a deletion.
    expect(ownWrites.replicaSetsStale('u1', () => undefined)).toBe(true);
    const seen = { metadata: { name: 'web-abc', resourceVersion: '12' } };
    expect(ownWrites.replicaSetsStale('u1', () => seen)).toBe(false);
  });
});

describe('applyRolloutPlan: ReplicaSet writes are guarded by the generation planned from', () => {
  const DESIRED = 'rollout.argoproj.io/desired-replicas';
  const DEADLINE = 'scale-down-deadline';
  /** The set as the cache shows it: generation 3, resourceVersion 7, at `replicas`. */
  const cached = (replicas: number, annotations: Record<string, string> | undefined = { [DESIRED]: '5' }) =>
    ({
      metadata: {
        name: 'web-abc',
        namespace: 'shop',
        generation: 3,
        resourceVersion: '7',
        ...(annotations ? { annotations } : {}),
      },
      spec: {
        replicas,
        template: { metadata: { labels: { app: 'web', role: 'canary' } }, spec: { containers: [] } },
      },
      status: { replicas, readyReplicas: replicas },
    }) as ReplicaSet;
  const rollout = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '10' },
    spec: { replicas: 5 },
    status: {},
  } as unknown as ObservedRolloutObject;
  const scale = (observed: ReplicaSet, to: number): RolloutAction => ({
    kind: 'scaleReplicaSet',
    name: 'web-abc',
    from: observed.spec?.replicas ?? 0,
    to,
    revision: 2,
    ...versionOf(observed),
  });
  const apply = (store: ReturnType<typeof replicaSetStore>, actions: RolloutAction[]) =>
    applyRolloutPlan({ client: store.client, recordEvent: () => {} }, rollout, {
      actions,
      events: [],
      status: { currentPodHash: 'abc' },
    });
  const sentOps = (store: ReturnType<typeof replicaSetStore>) =>
    store.requests.filter((r) => r.method === 'PATCH').map((r) => r.body as { op: string; path: string }[]);

  it('a plan made from an older generation of the set does not overwrite it, and writes no status', async () => {
    const observed = cached(2);
    const store = replicaSetStore(observed);
    // Someone scaled the set to 4 after the cache showed it at 2: a new generation.
    store.write((rs) => {
      rs.spec = { ...rs.spec, replicas: 4 };
    });
    const applying = apply(store, [scale(observed, 3)]);
    await expect(applying).rejects.toBeInstanceOf(TestFailedError);
    await expect(applying).rejects.toBeInstanceOf(ConflictError);
    expect(store.stored.spec?.replicas).toBe(4);
    expect(store.requests.some((r) => r.method === 'PUT')).toBe(false);
  });

  it("the ReplicaSet controller's status write between plan and act does not refuse the write", async () => {
    const observed = cached(2);
    const store = replicaSetStore(observed);
    store.write((rs) => {
      rs.status = { replicas: 2, readyReplicas: 1 };
    });
    expect(store.stored.metadata?.resourceVersion).not.toBe(observed.metadata?.resourceVersion);
    await apply(store, [scale(observed, 3)]);
    expect(store.stored.spec?.replicas).toBe(3);
    expect(store.stored.metadata?.annotations?.[DESIRED]).toBe('5');
    expect(store.requests.some((r) => r.method === 'PUT')).toBe(true);
    // The first op tests the generation planned from; annotation keys are escaped (RFC 6901).
    expect(sentOps(store)[0]?.[0]).toEqual({ op: 'test', path: '/metadata/generation', value: 3 });
  });

  it('a change of the annotations the plan decided on refuses the write (no generation covers them)', async () => {
    const observed = cached(2, { [DESIRED]: '5', [DEADLINE]: '2026-11-21T12:00:00Z' });
    const store = replicaSetStore(observed);
    // Our own earlier pass removed the deadline (the set is wanted again); this plan predates it.
    store.write((rs) => {
      rs.metadata = { ...rs.metadata, annotations: { [DESIRED]: '5' } };
    });
    await expect(apply(store, [scale(observed, 0)])).rejects.toBeInstanceOf(TestFailedError);
    expect(store.stored.spec?.replicas).toBe(2);
  });

  it('a later write to the same set is guarded by what our own write returned', async () => {
    const observed = cached(2, { [DESIRED]: '5', [DEADLINE]: '2026-11-21T12:00:00Z' });
    const store = replicaSetStore(observed);
    await apply(store, [
      {
        kind: 'annotateReplicaSet',
        name: 'web-abc',
        annotations: { [DEADLINE]: null },
        ...versionOf(observed),
      },
      scale(observed, 3),
    ]);
    expect(store.stored.spec?.replicas).toBe(3);
    expect(store.stored.metadata?.annotations).toEqual({ [DESIRED]: '5' });
    expect(store.stored.metadata?.generation).toBe(4);
    const [first, second] = sentOps(store);
    expect(first).toContainEqual({ op: 'remove', path: `/metadata/annotations/${DEADLINE}` });
    expect(second).toContainEqual({ op: 'test', path: '/metadata/annotations', value: { [DESIRED]: '5' } });
  });

  it('adds the annotations map to a set that has none, and escapes keys with a slash', async () => {
    const observed = cached(2, undefined);
    const store = replicaSetStore(observed);
    await apply(store, [
      scale(observed, 3),
      { kind: 'setReplicaSetRevision', name: 'web-abc', revision: 4, ...versionOf(observed) },
    ]);
    expect(store.stored.metadata?.annotations).toEqual({
      [DESIRED]: '5',
      'rollout.argoproj.io/revision': '4',
    });
    expect(sentOps(store)[1]).toContainEqual({
      op: 'add',
      path: '/metadata/annotations/rollout.argoproj.io~1revision',
      value: '4',
    });
  });

  it("swaps role metadata on the set's template under the same guard", async () => {
    const observed = cached(2);
    const store = replicaSetStore(observed);
    await apply(store, [
      {
        kind: 'syncRoleMetadata',
        name: 'web-abc',
        hash: 'abc',
        previous: { labels: { role: 'canary' } },
        desired: { labels: { role: 'stable' }, annotations: { tier: 'a/b' } },
        ...versionOf(observed),
      },
    ]);
    expect(store.stored.spec?.template?.metadata).toEqual({
      labels: { app: 'web', role: 'stable' },
      annotations: { tier: 'a/b' },
    });
    expect(store.stored.metadata?.annotations?.['rollout.argoproj.io/ephemeral-metadata']).toBe(
      JSON.stringify({ labels: { role: 'stable' }, annotations: { tier: 'a/b' } }),
    );
  });

  it('remembers its ReplicaSet writes, so a reconcile from a cache that has not seen them is skipped', async () => {
    const observed = cached(2);
    const store = replicaSetStore(observed);
    const ownWrites = new OwnRolloutWrites();
    await applyRolloutPlan({ client: store.client, ownWrites, recordEvent: () => {} }, rollout, {
      actions: [scale(observed, 3)],
      events: [],
      status: {},
    });
    const cache = new Map([['web-abc', observed]]);
    // The Rollout's watch event came first: the set's cached copy is still the one planned from.
    expect(ownWrites.replicaSetsStale('u1', (name) => cache.get(name))).toBe(true);
    expect(ownWrites.replicaSetsStale('other-rollout', (name) => cache.get(name))).toBe(false);
    cache.set('web-abc', store.stored);
    expect(ownWrites.replicaSetsStale('u1', (name) => cache.get(name))).toBe(false);
    // Caught up once, forgotten; and a set gone from the cache is not waited for.
    cache.set('web-abc', observed);
    expect(ownWrites.replicaSetsStale('u1', (name) => cache.get(name))).toBe(false);
    ownWrites.recordReplicaSet('u1', 'web-old', '99');
    expect(ownWrites.replicaSetsStale('u1', () => undefined)).toBe(false);
  });
});
