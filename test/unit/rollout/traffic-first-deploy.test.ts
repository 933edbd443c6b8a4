// A traffic-routed canary's first deploy writes no step weight: Argo's reconcileTrafficRouting
// runs before the pass promotes ("Initial deploy") and its AtDesiredReplicaCountsForCanary
// needs the stable ReplicaSet of the status the pass started from, which a first deploy does
// not have, so the weight stays 0 (Argo's e2e TestALBMesh_PingPong_StableCanary_Update reads the
// router right after Healthy).
import { describe, expect, it } from 'vitest';
import { type ObservedRolloutObject, planRollout } from '../../../src/rollout/plan.js';
import { stepHash } from '../../../src/rollout/steps.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';
import { istioVirtualService, observedRollout, ownedReplicaSet, V1 } from './fixtures.js';

const steps = [{ setWeight: 25 }, { pause: {} }];

const rollout: ObservedRolloutObject = observedRollout(
  {
    replicas: 2,
    image: 'web:1',
    generation: 1,
    strategy: {
      canary: {
        canaryService: 'web-canary',
        stableService: 'web-stable',
        steps,
        trafficRouting: { istio: { virtualService: { name: 'web-vs', routes: ['primary'] } } },
      },
    },
  },
  // The pass after the one that created the ReplicaSet: no stable set yet.
  {
    currentPodHash: V1,
    currentStepHash: stepHash(steps),
    currentStepIndex: 0,
    observedGeneration: '1',
  },
);

const replicaSet: ReplicaSet = ownedReplicaSet(V1, 1, { replicas: 2 });

const service = (name: string): Service => ({
  metadata: { name, namespace: 'shop' },
  spec: { selector: { app: 'web' } },
});

const virtualService = istioVirtualService({ name: 'web-vs', namespace: 'shop', resourceVersion: '1' });

describe('first deploy of a traffic-routed canary', () => {
  it('promotes with the canary weight left at 0, never the first step weight', () => {
    const result = planRollout({
      rollout,
      replicaSets: [replicaSet],
      services: new Map(['web-canary', 'web-stable'].map((name) => [name, service(name)])),
      now: new Date('2026-11-21T12:00:00Z'),
      trafficObjects: [virtualService],
    });
    expect(result.status.stableRS).toBe(V1);
    expect(result.status.canary?.weights?.canary.weight ?? 0).toBe(0);
    const written = JSON.stringify(result.actions.filter((a) => a.kind === 'trafficWrite'));
    expect(written).not.toContain('"weight":25');
    expect(result.events.map((e) => e.message)).not.toContain('Traffic weight updated to 25');
  });
});
