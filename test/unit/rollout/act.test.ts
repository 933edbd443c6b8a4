// The act side of a rollout plan against a recording RestClient: the writes it sends.
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ConflictError } from '../../../src/kube/api-error.js';
import { applyRolloutPlan } from '../../../src/rollout/act.js';
import type { ObservedRolloutObject } from '../../../src/rollout/plan.js';
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
});

describe('applyRolloutPlan: ReplicaSet writes are conditional on the version planned from', () => {
  // A ReplicaSet store with the API server's optimistic concurrency: a merge patch naming a
  // resourceVersion other than the stored one is refused with 409, any accepted write bumps it.
  function replicaSetServer(initial: { name: string; resourceVersion: string; replicas: number }) {
    const stored = { ...initial, annotations: {} as Record<string, string | null> };
    const { client, requests } = recordingClient((request) => {
      if (request.method === 'PUT') return request.body;
      const body = request.body as {
        metadata?: { resourceVersion?: string; annotations?: Record<string, string | null> };
        spec?: { replicas?: number };
      };
      const wanted = body.metadata?.resourceVersion;
      if (wanted !== undefined && wanted !== stored.resourceVersion) {
        throw new ConflictError({ method: 'PATCH', path: request.path }, 409, {
          kind: 'Status',
          reason: 'Conflict',
          message: `Operation cannot be fulfilled on replicasets.apps "${stored.name}": the object has been modified`,
        });
      }
      if (body.spec?.replicas !== undefined) stored.replicas = body.spec.replicas;
      Object.assign(stored.annotations, body.metadata?.annotations ?? {});
      stored.resourceVersion = String(Number(stored.resourceVersion) + 1);
      return { metadata: { name: stored.name, resourceVersion: stored.resourceVersion } };
    });
    return { client, stored, requests };
  }
  const rollout = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '10' },
    spec: { replicas: 5 },
    status: {},
  } as unknown as ObservedRolloutObject;

  it('a plan made from an older version of the set does not overwrite it, and writes no status', async () => {
    // Someone scaled the set to 4 (version 8) after the cache showed it at 2 (version 7).
    const server = replicaSetServer({ name: 'web-abc', resourceVersion: '8', replicas: 4 });
    const applying = applyRolloutPlan({ client: server.client, recordEvent: () => {} }, rollout, {
      actions: [
        { kind: 'scaleReplicaSet', name: 'web-abc', from: 2, to: 3, revision: 2, resourceVersion: '7' },
      ],
      events: [],
      status: { currentPodHash: 'abc' },
    });
    await expect(applying).rejects.toBeInstanceOf(ConflictError);
    expect(server.stored.replicas).toBe(4);
    expect(server.requests.some((r) => r.method === 'PUT')).toBe(false);
  });

  it('a later write to the same set is conditional on the version our own write returned', async () => {
    const server = replicaSetServer({ name: 'web-abc', resourceVersion: '7', replicas: 2 });
    await applyRolloutPlan({ client: server.client, recordEvent: () => {} }, rollout, {
      actions: [
        {
          kind: 'annotateReplicaSet',
          name: 'web-abc',
          annotations: { 'scale-down-deadline': null },
          resourceVersion: '7',
        },
        { kind: 'scaleReplicaSet', name: 'web-abc', from: 2, to: 3, revision: 2, resourceVersion: '7' },
      ],
      events: [],
      status: {},
    });
    expect(server.stored.replicas).toBe(3);
    const sent = server.requests
      .filter((r) => r.method === 'PATCH')
      .map((r) => (r.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion);
    expect(sent).toEqual(['7', '8']);
  });
});
