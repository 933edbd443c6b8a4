// The act side of a rollout plan against a recording RestClient: the writes it sends.
import { describe, expect, it } from 'vitest';
import type { KubeRequest, RestClient } from '../../../src/kube/rest.js';
import { applyRolloutPlan } from '../../../src/rollout/act.js';
import type { ObservedRolloutObject } from '../../../src/rollout/plan.js';

describe('applyRolloutPlan', () => {
  it('writes the status on the resourceVersion its own revision patch returned (no conflict)', async () => {
    const requests: KubeRequest[] = [];
    const client = {
      async request(request: KubeRequest) {
        requests.push(request);
        if (request.method === 'PATCH') return { metadata: { name: 'web', resourceVersion: '11' } };
        return request.body;
      },
    } as unknown as RestClient;
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop', resourceVersion: '10' },
      spec: {},
      status: {},
    } as unknown as ObservedRolloutObject;
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
