// Pausing a completed rollout (spec.paused on a stable template) sets Paused but leaves
// Progressing as it was: Argo's checkPausedConditions skips completed rollouts, and its e2e
// TestCanaryWithSpecPause fails on a Progressing condition with reason RolloutPaused.
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../../src/api/rollout.js';
import { type ObservedRolloutObject, planRollout } from '../../../src/rollout/plan.js';
import { podTemplateHash } from '../../../src/rollout/pod-template-hash.js';
import { stepHash } from '../../../src/rollout/steps.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';

const UID = 'rollout-uid';
const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'web:1' }] },
};
const V1 = podTemplateHash(template);
const steps = [{ setWeight: 20 }];
const NOW = '2026-11-21T12:00:00Z';

function rollout(paused: boolean, status: RolloutStatus): ObservedRolloutObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop', uid: UID, generation: 2, annotations: {} },
    spec: {
      replicas: 3,
      paused,
      selector: { matchLabels: { app: 'web' } },
      template,
      strategy: { canary: { steps } },
    },
    status,
  };
}

const replicaSet: ReplicaSet = {
  metadata: {
    name: `web-${V1}`,
    namespace: 'shop',
    labels: { app: 'web', 'rollouts-pod-template-hash': V1 },
    annotations: { 'rollout.argoproj.io/revision': '1' },
    ownerReferences: [
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: UID, controller: true },
    ],
  },
  spec: { replicas: 3 },
  status: { replicas: 3, readyReplicas: 3, availableReplicas: 3 },
};

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

describe('spec.paused on a completed canary', () => {
  const completed: RolloutStatus = {
    stableRS: V1,
    currentPodHash: V1,
    currentStepHash: stepHash(steps),
    currentStepIndex: 1,
    observedGeneration: '1',
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
    const status: RolloutStatus = {
      stableRS: V1,
      currentPodHash: V1,
      currentStepHash: stepHash(steps),
      currentStepIndex: 1,
      observedGeneration: '1',
      workloadObservedGeneration: '2',
    };
    expect(plan(rollout(false, status)).status.workloadObservedGeneration).toBeUndefined();
  });
});
