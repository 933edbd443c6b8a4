// The act step's ReplicaSet writes against the real kube-apiserver: each is conditional on the
// resourceVersion the plan was made from, so a plan made from a stale cache answers 409 (the
// controller requeues and plans again) instead of overwriting a newer state.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConflictError } from '../../src/kube/api-error.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import { createObject, deleteObject, mergePatch } from '../../src/kube/patch.js';
import { coreResources } from '../../src/kube/resource.js';
import { RestClient } from '../../src/kube/rest.js';
import { applyRolloutPlan } from '../../src/rollout/act.js';
import type { ObservedRolloutObject, RolloutPlan } from '../../src/rollout/plan.js';
import type { ReplicaSet } from '../../src/rollout/workload-types.js';

const namespace = `rs-writes-${Date.now().toString(36)}`;
let client: RestClient;

beforeAll(async () => {
  const { kubeConfig } = loadKubeConfig({ path: inject('kubeconfig') });
  client = new RestClient(kubeConfig);
  await createObject(client, coreResources.namespaces, { metadata: { name: namespace } });
});

afterAll(async () => {
  if (client) {
    await deleteObject(
      client,
      { resource: coreResources.namespaces, name: namespace },
      { ifMissing: 'ignore' },
    );
  }
});

const rollout = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace, uid: 'not-written' },
  spec: { replicas: 3 },
  status: {},
} as unknown as ObservedRolloutObject;

/** Scales `name` from `from` to `to`, planned from the set at `resourceVersion`; no status write. */
const scalePlan = (
  name: string,
  from: number,
  to: number,
  resourceVersion: string | undefined,
): RolloutPlan => ({
  actions: [
    { kind: 'scaleReplicaSet', name, from, to, revision: 1, ...(resourceVersion ? { resourceVersion } : {}) },
  ],
  events: [],
  status: {},
});

const replicasOf = async (name: string) =>
  (await client.get<ReplicaSet>(coreResources.replicaSets, namespace, name)).spec?.replicas;

describe('ReplicaSet scale writes', () => {
  it('a plan made from an older version of the set does not overwrite a newer scale', async () => {
    const observed = await createObject<ReplicaSet>(client, coreResources.replicaSets, {
      metadata: { name: 'web-abc', namespace },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'web:1' }] },
        },
      },
    } as ReplicaSet);
    // Someone else (a person, or our own earlier pass) scales the set after the cache read it.
    await mergePatch(
      client,
      { resource: coreResources.replicaSets, namespace, name: 'web-abc' },
      { spec: { replicas: 1 } },
    );

    const stale = applyRolloutPlan(
      { client, recordEvent: () => {} },
      rollout,
      scalePlan('web-abc', 0, 2, observed.metadata?.resourceVersion),
    );
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    expect(await replicasOf('web-abc')).toBe(1);

    // Planned again from the set as it is now, the write goes through. The ReplicaSet
    // controller may still be writing the set's status meanwhile (a newer version again): the
    // controller then plans once more, and so does this test, a bounded number of times.
    for (let attempt = 1; ; attempt++) {
      const current = await client.get<ReplicaSet>(coreResources.replicaSets, namespace, 'web-abc');
      try {
        await applyRolloutPlan(
          { client, recordEvent: () => {} },
          rollout,
          scalePlan('web-abc', 1, 2, current.metadata?.resourceVersion),
        );
        break;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    expect(await replicasOf('web-abc')).toBe(2);
  });
});
