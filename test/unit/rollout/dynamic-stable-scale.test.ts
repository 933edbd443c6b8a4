// Under dynamicStableScale the stable ReplicaSet shrinks only after traffic moved off it, so
// Argo's AtDesiredReplicaCountsForCanary leaves the stable set out: a stable set still scaling
// down must not send the weight back to the previous step (Argo's e2e
// TestCanaryDynamicStableScale, where a pod scaled back up would never be Ready again).
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../../src/api/rollout.js';
import { type ObservedRolloutObject, planRollout } from '../../../src/rollout/plan.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';
import {
  canaryUpdateAt,
  istioVirtualService,
  observedRollout,
  ownedReplicaSet,
  rolloutService,
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

/** A pass over the update in `status` with `canaryWeight` on the canary, in the status and the VirtualService. */
const pass = (canaryWeight: number, status: RolloutStatus, replicaSets: ReplicaSet[]) =>
  planRollout({
    rollout: rollout({ ...status, canary: { weights: weights(canaryWeight) } }),
    replicaSets,
    services: new Map([
      ['web-stable', rolloutService('web-stable', V1)],
      ['web-canary', rolloutService('web-canary', V2)],
    ]),
    now: new Date('2026-11-21T12:00:00Z'),
    trafficObjects: [virtualService(canaryWeight)],
  });

describe('dynamicStableScale: the stable set scaling down after the weight moved', () => {
  it('keeps the step weight and the stable set at its new size', () => {
    const result = pass(
      25,
      canaryUpdateAt(steps, 0),
      // The stable set was told 3 and still has its 4th pod terminating.
      [rs(V1, 1, 3, 4, 3), rs(V2, 2, 1, 1, 1)],
    );
    expect(result.status.canary?.weights?.canary.weight).toBe(25);
    const scaled = result.actions.flatMap((a) => (a.kind === 'scaleReplicaSet' ? [[a.name, a.to]] : []));
    expect(scaled).not.toContainEqual([`web-${V1}`, 4]);
  });
});

describe('dynamicStableScale: abort without abortScaleDownDelaySeconds', () => {
  it('sets no scale-down deadline and steps the sets by the setWeight steps, not all at once', () => {
    const result = pass(75, canaryUpdateAt(steps, 3, { abort: true, abortedAt: '2026-11-21T11:59:59Z' }), [
      rs(V1, 1, 1, 1, 1),
      rs(V2, 2, 3, 3, 3),
    ]);
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
