// Under dynamicStableScale the stable ReplicaSet shrinks only after traffic moved off it, so
// Argo's AtDesiredReplicaCountsForCanary leaves the stable set out: a stable set still scaling
// down must not send the weight back to the previous step (Argo's e2e
// TestCanaryDynamicStableScale, where a pod scaled back up would never be Ready again).
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../../src/api/rollout.js';
import { type ObservedRolloutObject, planRollout } from '../../../src/rollout/plan.js';
import { podTemplateHash } from '../../../src/rollout/pod-template-hash.js';
import { stepHash } from '../../../src/rollout/steps.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';

const UID = 'rollout-uid';
const templateFor = (image: string) => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image }] },
});
const V1 = podTemplateHash(templateFor('web:1'));
const V2 = podTemplateHash(templateFor('web:2'));
const steps = [{ setWeight: 25 }, { pause: {} }, { setWeight: 75 }, { pause: {} }];

const weights = (canary: number) => ({
  canary: { podTemplateHash: V2, serviceName: 'web-canary', weight: canary },
  stable: { podTemplateHash: V1, serviceName: 'web-stable', weight: 100 - canary },
});

function rollout(status: RolloutStatus): ObservedRolloutObject {
  return {
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
  };
}

function rs(hash: string, revision: number, spec: number, current: number, available: number): ReplicaSet {
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
    spec: { replicas: spec },
    status: { replicas: current, readyReplicas: available, availableReplicas: available },
  };
}

const service = (name: string, hash: string): Service => ({
  metadata: {
    name,
    namespace: 'shop',
    annotations: { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' },
  },
  spec: { selector: { app: 'web', 'rollouts-pod-template-hash': hash } },
});

const virtualService = (canaryWeight: number) => ({
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'VirtualService',
  metadata: { name: 'web-vs', namespace: 'shop', resourceVersion: '7' },
  spec: {
    http: [
      {
        name: 'primary',
        route: [
          { destination: { host: 'web-stable' }, weight: 100 - canaryWeight },
          { destination: { host: 'web-canary' }, weight: canaryWeight },
        ],
      },
    ],
  },
});

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
