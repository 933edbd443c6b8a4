// A traffic-routed canary's first deploy writes no step weight: Argo's reconcileTrafficRouting
// runs before the pass promotes ("Initial deploy") and its AtDesiredReplicaCountsForCanary
// needs the stable ReplicaSet of the status the pass started from, which a first deploy does
// not have, so the weight stays 0 (Argo's e2e TestALBMesh_PingPong_StableCanary_Update reads the
// router right after Healthy).
import { describe, expect, it } from 'vitest';
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
const steps = [{ setWeight: 25 }, { pause: {} }];

const rollout: ObservedRolloutObject = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'shop', uid: UID, generation: 1, annotations: {} },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template,
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
  status: {
    currentPodHash: V1,
    currentStepHash: stepHash(steps),
    currentStepIndex: 0,
    observedGeneration: '1',
  },
};

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
  spec: { replicas: 2 },
  status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 },
};

const service = (name: string): Service => ({
  metadata: { name, namespace: 'shop' },
  spec: { selector: { app: 'web' } },
});

const virtualService = {
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'VirtualService',
  metadata: { name: 'web-vs', namespace: 'shop', resourceVersion: '1' },
  spec: {
    http: [
      {
        name: 'primary',
        route: [
          { destination: { host: 'web-stable' }, weight: 100 },
          { destination: { host: 'web-canary' }, weight: 0 },
        ],
      },
    ],
  },
};

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
