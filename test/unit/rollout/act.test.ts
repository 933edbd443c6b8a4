// The act side of a rollout plan against a recording RestClient: the writes it sends.
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError } from '../../../src/kube/api-error.js';
import type { KubeRequest, RestClient } from '../../../src/kube/rest.js';
import { applyRolloutPlan } from '../../../src/rollout/act.js';
import type { ObservedRolloutObject } from '../../../src/rollout/plan.js';

describe('applyRolloutPlan', () => {
  it('writes the status on the resourceVersion its own revision patch returned (no conflict)', async () => {
    const requests: KubeRequest[] = [];
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop', resourceVersion: '10' },
      spec: {},
      status: {},
    } as unknown as ObservedRolloutObject;
    const client = {
      async request(request: KubeRequest) {
        requests.push(request);
        // The API answers a patch of metadata with the whole object at its new version.
        if (request.method === 'PATCH') {
          return { ...rollout, metadata: { ...rollout.metadata, resourceVersion: '11' } };
        }
        return request.body;
      },
    } as unknown as RestClient;
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
    const requests: KubeRequest[] = [];
    const client = {
      async request(request: KubeRequest) {
        requests.push(request);
        if (request.method === 'POST') {
          throw new AlreadyExistsError({ method: 'POST', path: request.path }, 409, {
            kind: 'Status',
            reason: 'AlreadyExists',
            message: 'replicasets.apps "web-abc" already exists',
          });
        }
        return { metadata: { name: 'web-abc', resourceVersion: '3' } };
      },
    } as unknown as RestClient;
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
