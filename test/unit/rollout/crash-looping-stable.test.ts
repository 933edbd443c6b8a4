// A basic canary step is reached with the stable set at its count, ready or not: Argo's
// AtDesiredReplicaCountsForCanary asks the stable set only to have its pods (allDesiredAreCreated).
// Argo's e2e TestRolloutBadToGoodSetWeightUpdate fixes a crash-looping Rollout with a 50% step.
import { describe, expect, it } from 'vitest';
import { type ObservedRolloutObject, planRollout } from '../../../src/rollout/plan.js';
import { podTemplateHash } from '../../../src/rollout/pod-template-hash.js';
import { stepHash } from '../../../src/rollout/steps.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';

const UID = 'rollout-uid';
const templateFor = (image: string) => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image }] },
});
const V1 = podTemplateHash(templateFor('web:1'));
const V2 = podTemplateHash(templateFor('web:2'));
const steps = [{ setWeight: 50 }, { pause: { duration: '5s' } }];

const rollout: ObservedRolloutObject = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: {
    name: 'web',
    namespace: 'shop',
    uid: UID,
    generation: 2,
    annotations: { 'rollout.argoproj.io/revision': '2' },
  },
  spec: {
    replicas: 4,
    selector: { matchLabels: { app: 'web' } },
    template: templateFor('web:2'),
    strategy: { canary: { maxSurge: 1, maxUnavailable: 0, steps } },
  },
  status: {
    stableRS: V1,
    currentPodHash: V2,
    currentStepHash: stepHash(steps),
    currentStepIndex: 0,
    observedGeneration: '2',
  },
};

function rs(hash: string, revision: number, replicas: number, available: number): ReplicaSet {
  return {
    metadata: {
      name: `web-${hash}`,
      namespace: 'shop',
      labels: { app: 'web', 'rollouts-pod-template-hash': hash },
      annotations: { 'rollout.argoproj.io/revision': String(revision) },
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: UID, controller: true },
      ],
    },
    spec: { replicas },
    status: { replicas, readyReplicas: available, availableReplicas: available },
  };
}

describe('a basic canary step with a crash-looping stable set', () => {
  it('completes the setWeight step once the canary is ready and the stable set has its pods', () => {
    const result = planRollout({
      rollout,
      replicaSets: [rs(V1, 1, 2, 0), rs(V2, 2, 2, 2)],
      services: new Map(),
      now: new Date('2026-11-21T12:00:00Z'),
    });
    expect(result.status.currentStepIndex).toBe(1);
    expect(result.events.map((e) => e.reason)).toContain('RolloutStepCompleted');
  });
});
