// Under dynamicStableScale the stable ReplicaSet shrinks only after traffic moved off it, so
// Argo's AtDesiredReplicaCountsForCanary leaves the stable set out: a stable set still scaling
// down must not send the weight back to the previous step (Argo's e2e
// TestCanaryDynamicStableScale, where a pod scaled back up would never be Ready again).
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../../src/api/rollout.js';
import { type ObservedRolloutObject, planRollout } from '../../../src/rollout/plan.js';
import { stepHash } from '../../../src/rollout/steps.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';
import {
  istioVirtualService,
  observedRollout,
  ownedReplicaSet,
  rolloutService as service,
  V1,
  V2,
} from './fixtures.js';

const steps = [{ setWeight: 25 }, { pause: {} }, { setWeight: 75 }, { pause: {} }];

const weights = (canary: number) => ({
  canary: { podTemplateHash: V2, serviceName: 'web-canary', weight: canary },
  stable: { podTemplateHash: V1, serviceName: 'web-stable', weight: 100 - canary },
});

function rollout(status: RolloutStatus): ObservedRolloutObject {
  return observedRollout(
    {
      replicas: 4,
      revision: '2',
      strategy: {
        canary: {
          dynamicStableScale: true,
          canaryService: 'web-canary',
          stableService: 'web-stable',
          steps,
          trafficRouting: { istio: { virtualService: { name: 'web-vs', routes: ['primary'] } } },
        },
      },
    },
    status,
  );
}

const rs = (hash: string, revision: number, spec: number, current: number, available: number): ReplicaSet =>
  ownedReplicaSet(hash, revision, { replicas: spec, current, available });

const virtualService = (canaryWeight: number) =>
  istioVirtualService({ name: 'web-vs', namespace: 'shop', resourceVersion: '7' }, canaryWeight);

describe('dynamicStableScale: the stable set scaling down after the weight moved', () => {
  it('keeps the step weight and the stable set at its new size', () => {
    const result = planRollout({
      rollout: rollout({
        stableRS: V1,
        currentPodHash: V2,
        currentStepHash: stepHash(steps),
        currentStepIndex: 0,
        observedGeneration: '2',
        canary: { weights: weights(25) },
      }),
      // The stable set was told 3 and still has its 4th pod terminating.
      replicaSets: [rs(V1, 1, 3, 4, 3), rs(V2, 2, 1, 1, 1)],
      services: new Map([
        ['web-stable', service('web-stable', V1)],
        ['web-canary', service('web-canary', V2)],
      ]),
      now: new Date('2026-11-21T12:00:00Z'),
      trafficObjects: [virtualService(25)],
    });
    expect(result.status.canary?.weights?.canary.weight).toBe(25);
    const scaled = result.actions.flatMap((a) => (a.kind === 'scaleReplicaSet' ? [[a.name, a.to]] : []));
    expect(scaled).not.toContainEqual([`web-${V1}`, 4]);
  });
});

describe('dynamicStableScale: abort without abortScaleDownDelaySeconds', () => {
  it('sets no scale-down deadline and steps the sets by the setWeight steps, not all at once', () => {
    const result = planRollout({
      rollout: rollout({
        stableRS: V1,
        currentPodHash: V2,
        currentStepHash: stepHash(steps),
        currentStepIndex: 3,
        observedGeneration: '2',
        abort: true,
        abortedAt: '2026-11-21T11:59:59Z',
        canary: { weights: weights(75) },
      }),
      replicaSets: [rs(V1, 1, 1, 1, 1), rs(V2, 2, 3, 3, 3)],
      services: new Map([
        ['web-stable', service('web-stable', V1)],
        ['web-canary', service('web-canary', V2)],
      ]),
      now: new Date('2026-11-21T12:00:00Z'),
      trafficObjects: [virtualService(75)],
    });
    const scaled = Object.fromEntries(
      result.actions.flatMap((a) => (a.kind === 'scaleReplicaSet' ? [[a.name, a.to]] : [])),
    );
    // Argo's GetDesiredCanaryWeight: 3 canary pods needed (4 - 1 stable available), so the abort
    // weight is 25 (1 pod < 3): stable to 3 (75%), canary held at 3 by its 75% of traffic.
    expect(scaled[`web-${V1}`]).toBe(3);
    expect(scaled[`web-${V2}`]).toBeUndefined();
    expect(result.actions.some((a) => a.kind === 'annotateReplicaSet')).toBe(false);
  });
});
