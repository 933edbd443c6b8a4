// Pausing a completed rollout (spec.paused on a stable template) sets Paused but leaves
// Progressing as it was: Argo's checkPausedConditions skips completed rollouts, and its e2e
// TestCanaryWithSpecPause fails on a Progressing condition with reason RolloutPaused.
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../../src/api/rollout.js';
import { type ObservedRolloutObject, planRollout } from '../../../src/rollout/plan.js';
import { stepHash } from '../../../src/rollout/steps.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';
import { observedRollout, ownedReplicaSet, V1 } from './fixtures.js';

const steps = [{ setWeight: 20 }];
const NOW = '2026-11-21T12:00:00Z';

const rollout = (paused: boolean, status: RolloutStatus): ObservedRolloutObject =>
  observedRollout({ replicas: 3, image: 'web:1', strategy: { canary: { steps } }, spec: { paused } }, status);

const replicaSet: ReplicaSet = ownedReplicaSet(V1, 1, { replicas: 3 });

const progressing = (reason: string, status: 'True' | 'Unknown') => ({
  type: 'Progressing',
  status,
  reason,
  message: '',
  lastTransitionTime: NOW,
  lastUpdateTime: NOW,
});

const plan = (ro: ObservedRolloutObject) =>
  planRollout({
    rollout: ro,
    replicaSets: [replicaSet],
    services: new Map<string, Service>(),
    now: new Date(NOW),
  });

/** The canary done with its steps, stable on V1. */
const atLastStep: RolloutStatus = {
  stableRS: V1,
  currentPodHash: V1,
  currentStepHash: stepHash(steps),
  currentStepIndex: 1,
  observedGeneration: '1',
};

describe('spec.paused on a completed canary', () => {
  const completed: RolloutStatus = {
    ...atLastStep,
    conditions: [progressing('NewReplicaSetAvailable', 'True')],
  };

  it('sets Paused and keeps Progressing at NewReplicaSetAvailable', () => {
    const result = plan(rollout(true, completed));
    const conditions = result.status.conditions ?? [];
    expect(conditions.find((c) => c.type === 'Paused')).toMatchObject({
      status: 'True',
      reason: 'RolloutPaused',
    });
    expect(conditions.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
    });
    expect(result.status.phase).toBe('Paused');
  });

  it('a canary paused in the middle of an update still reports Progressing Unknown/RolloutPaused', () => {
    const updating = { ...completed, stableRS: 'older', currentStepIndex: 0 };
    const result = plan(rollout(true, updating));
    expect(result.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'Unknown',
      reason: 'RolloutPaused',
    });
  });
});

describe('back on an inline template after a workloadRef', () => {
  it('drops status.workloadObservedGeneration (Argo e2e TestWorkloadRef)', () => {
    const status: RolloutStatus = { ...atLastStep, workloadObservedGeneration: '2' };
    expect(plan(rollout(false, status)).status.workloadObservedGeneration).toBeUndefined();
  });
});
