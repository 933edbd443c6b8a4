// After `retry`, Argo Rollouts measures again: its needsNewAnalysisRun makes a new run while
// status.abortedAt is still set, named `<name>.1` by CreateWithCollisionCounter, and the
// failed run of the aborted attempt no longer decides anything (Argo's e2e
// TestBlueGreenPrePromotionFail).
import { describe, expect, it } from 'vitest';
import type { AnalysisRun, AnalysisTemplate } from '../../../src/api/analysis.js';
import { ROLLOUT_TYPE_LABEL } from '../../../src/api/labels.js';
import type { Rollout, RolloutStatus } from '../../../src/api/rollout.js';
import { type ObservedRolloutObject, planRollout, type RolloutPlan } from '../../../src/rollout/plan.js';
import { stepHash } from '../../../src/rollout/steps.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';
import {
  HASH_LABEL,
  hashSelector,
  observedRollout,
  ownedReplicaSet,
  rolloutService as service,
  UID,
  V1,
  V2,
} from './fixtures.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const smoke: AnalysisTemplate = {
  metadata: { name: 'smoke', namespace: 'shop' },
  spec: { metrics: [{ name: 'ok', provider: { web: { url: 'http://127.0.0.1/ok' } } }] },
};

function rollout(strategy: Rollout['spec']['strategy'], status: RolloutStatus): ObservedRolloutObject {
  return observedRollout({ replicas: 2, revision: '2', generation: 3, strategy }, status);
}

const rs = (hash: string, revision: number, replicas: number): ReplicaSet =>
  ownedReplicaSet(hash, revision, { replicas, spec: { selector: hashSelector(hash) } });

function run(name: string, type: string, phase: 'Failed' | 'Running', extraLabels = {}): AnalysisRun {
  return {
    metadata: {
      name,
      namespace: 'shop',
      creationTimestamp: '2026-11-21T11:59:00Z',
      labels: { [ROLLOUT_TYPE_LABEL]: type, [HASH_LABEL]: V2, ...extraLabels },
      annotations: { 'rollout.argoproj.io/revision': '2' },
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: UID, controller: true },
      ],
    },
    spec: { metrics: [] },
    status: { phase, ...(phase === 'Failed' ? { message: 'exit 1' } : {}) },
  } as unknown as AnalysisRun;
}

function plan(ro: ObservedRolloutObject, services: Service[], runs: AnalysisRun[]): RolloutPlan {
  return planRollout({
    rollout: ro,
    replicaSets: [rs(V1, 1, 2), rs(V2, 2, 1)],
    services: new Map(services.map((s) => [s.metadata?.name ?? '', s])),
    now: NOW,
    analysis: { runs, templates: { analysisTemplates: [smoke], clusterAnalysisTemplates: [] } },
  });
}

const createdRuns = (p: RolloutPlan) =>
  p.actions.flatMap((a) => (a.kind === 'createAnalysisRun' ? [a.run.metadata?.name] : []));

describe('retry of a blue-green aborted by its pre-promotion analysis', () => {
  const strategy = {
    blueGreen: {
      activeService: 'web-active',
      previewService: 'web-preview',
      previewReplicaCount: 1,
      prePromotionAnalysis: { templates: [{ templateName: 'smoke' }] },
    },
  };
  const failedPre = run(`web-${V2}-2-pre`, 'PrePromotion', 'Failed');
  const services = [service('web-active', V1), service('web-preview', V2)];
  const base: RolloutStatus = {
    stableRS: V1,
    currentPodHash: V2,
    observedGeneration: '3',
    blueGreen: {
      activeSelector: V1,
      previewSelector: V2,
      prePromotionAnalysisRunStatus: { name: `web-${V2}-2-pre`, status: 'Failed', message: 'exit 1' },
    },
  };

  it('while aborted, the failed run keeps the rollout aborted and nothing new is measured', () => {
    const result = plan(
      rollout(strategy, { ...base, abort: true, abortedAt: '2026-11-21T11:59:30Z' }),
      services,
      [failedPre],
    );
    expect(createdRuns(result)).toEqual([]);
    expect(result.status.abort).toBe(true);
  });

  it('retry (abort cleared, abortedAt still set) starts a new run named .1 instead of aborting again', () => {
    const result = plan(rollout(strategy, { ...base, abortedAt: '2026-11-21T11:59:30Z' }), services, [
      failedPre,
    ]);
    expect(result.status.abort).toBeUndefined();
    expect(result.status.abortedAt).toBeUndefined();
    expect(result.status.phase).not.toBe('Degraded');
    expect(createdRuns(result)).toEqual([`web-${V2}-2-pre.1`]);
  });

  it('the pass after the retry follows the new run, not the failed one', () => {
    const retried = run(`web-${V2}-2-pre.1`, 'PrePromotion', 'Running');
    // The retry pass wrote no run into status (the new one was only being created).
    const status = { ...base, blueGreen: { activeSelector: V1, previewSelector: V2 } };
    const result = plan(rollout(strategy, status), services, [failedPre, retried]);
    expect(createdRuns(result)).toEqual([]);
    expect(result.status.abort).toBeUndefined();
    expect(result.status.blueGreen?.prePromotionAnalysisRunStatus?.name).toBe(`web-${V2}-2-pre.1`);
  });
});

describe('retry of a canary aborted by its background analysis', () => {
  const strategy = {
    canary: {
      analysis: { templates: [{ templateName: 'smoke' }] },
      steps: [{ setWeight: 50 }, { pause: {} }],
    },
  };
  const failedBackground = run(`web-${V2}-2`, 'Background', 'Failed');
  const services: Service[] = [];

  it('measures again with a new run named .1 once the canary runs again', () => {
    const status: RolloutStatus = {
      stableRS: V1,
      currentPodHash: V2,
      currentStepIndex: 1,
      currentStepHash: stepHash(strategy.canary.steps),
      observedGeneration: '3',
      canary: {},
    };
    const result = plan(rollout(strategy, status), services, [failedBackground]);
    expect(result.status.abort).toBeUndefined();
    expect(createdRuns(result)).toEqual([`web-${V2}-2.1`]);
  });
});
