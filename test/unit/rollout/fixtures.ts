// Shared builders of the plain objects the Rollout plan tests feed in: the Rollout `web` in
// namespace `shop`, the ReplicaSets it owns and the Services it selects.
import type { CanaryStep, Rollout, RolloutStatus } from '../../../src/api/rollout.js';
import type { ObservedRolloutObject } from '../../../src/rollout/plan.js';
import { podTemplateHash } from '../../../src/rollout/pod-template-hash.js';
import { stepHash } from '../../../src/rollout/steps.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';

export const UID = 'rollout-uid';
export const HASH_LABEL = 'rollouts-pod-template-hash';
export const templateFor = (image: string) => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image }] },
});
export const V1 = podTemplateHash(templateFor('web:1'));
export const V2 = podTemplateHash(templateFor('web:2'));
export const V3 = podTemplateHash(templateFor('web:3'));

export interface RolloutShape {
  replicas: number;
  strategy: Rollout['spec']['strategy'];
  /** The pod template's image; `web:2` when not given. */
  image?: string;
  generation?: number;
  /** The `rollout.argoproj.io/revision` annotation; no annotations when not given. */
  revision?: string;
  labels?: Record<string, string>;
  /** Written over the spec the fields above make. */
  spec?: Partial<Rollout['spec']>;
}

/** The Rollout `web` as the controller observes it. */
export function observedRollout(shape: RolloutShape, status: RolloutStatus): ObservedRolloutObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: UID,
      generation: shape.generation ?? 2,
      annotations: shape.revision === undefined ? {} : { 'rollout.argoproj.io/revision': shape.revision },
      ...(shape.labels ? { labels: shape.labels } : {}),
    },
    spec: {
      replicas: shape.replicas,
      selector: { matchLabels: { app: 'web' } },
      template: templateFor(shape.image ?? 'web:2'),
      strategy: shape.strategy,
      ...shape.spec,
    },
    status,
  };
}

export interface ReplicaSetShape {
  /** spec.replicas. */
  replicas: number;
  /** status.replicas; `replicas` when not given. */
  current?: number;
  /** status.readyReplicas and availableReplicas; `replicas` when not given. */
  available?: number;
  annotations?: Record<string, string>;
  /** Written over the spec `replicas` makes. */
  spec?: Partial<ReplicaSet['spec']>;
}

/** A ReplicaSet of pod template hash `hash` that the Rollout `web` controls. */
export function ownedReplicaSet(hash: string, revision: number, shape: ReplicaSetShape): ReplicaSet {
  const available = shape.available ?? shape.replicas;
  return {
    metadata: {
      name: `web-${hash}`,
      namespace: 'shop',
      labels: { app: 'web', [HASH_LABEL]: hash },
      annotations: { 'rollout.argoproj.io/revision': String(revision), ...shape.annotations },
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: UID, controller: true },
      ],
    },
    spec: { replicas: shape.replicas, ...shape.spec },
    status: {
      replicas: shape.current ?? shape.replicas,
      readyReplicas: available,
      availableReplicas: available,
    },
  };
}

/** The selector a ReplicaSet of pod template hash `hash` has. */
export const hashSelector = (hash: string) => ({ matchLabels: { app: 'web', [HASH_LABEL]: hash } });

/** A Service of the Rollout `web`; with a hash, one the controller manages and points at it. */
export function rolloutService(name: string, hash?: string): Service {
  return {
    metadata: {
      name,
      namespace: 'shop',
      ...(hash ? { annotations: { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' } } : {}),
    },
    spec: { selector: { app: 'web', ...(hash ? { [HASH_LABEL]: hash } : {}) } },
  };
}

/** The status of a canary update from V1 to V2 at step `index` of `steps`. */
export const canaryUpdateAt = (
  steps: CanaryStep[],
  index: number,
  extra: RolloutStatus = {},
): RolloutStatus => ({
  stableRS: V1,
  currentPodHash: V2,
  currentStepHash: stepHash(steps),
  currentStepIndex: index,
  observedGeneration: '2',
  ...extra,
});

/** An Istio VirtualService whose route `primary` sends `canaryWeight` to web-canary, the rest to web-stable. */
export const istioVirtualService = (
  metadata: { name: string; namespace: string; resourceVersion?: string },
  canaryWeight = 0,
  apiVersion = 'networking.istio.io/v1alpha3',
) => ({
  apiVersion,
  kind: 'VirtualService',
  metadata,
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
