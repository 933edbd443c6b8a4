// A basic canary step is reached with the stable set at its count, ready or not: Argo's
// AtDesiredReplicaCountsForCanary asks the stable set only to have its pods (allDesiredAreCreated).
// Argo's e2e TestRolloutBadToGoodSetWeightUpdate fixes a crash-looping Rollout with a 50% step.
import { describe, expect, it } from 'vitest';
import { type ObservedRolloutObject, planRollout } from '../../../src/rollout/plan.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';
import { canaryUpdateAt, observedRollout, ownedReplicaSet, V1, V2 } from './fixtures.js';

const steps = [{ setWeight: 50 }, { pause: { duration: '5s' } }];

const rollout: ObservedRolloutObject = observedRollout(
  { replicas: 4, revision: '2', strategy: { canary: { maxSurge: 1, maxUnavailable: 0, steps } } },
  canaryUpdateAt(steps, 0),
);

const rs = (hash: string, revision: number, replicas: number, available: number): ReplicaSet =>
  ownedReplicaSet(hash, revision, { replicas, available });

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
