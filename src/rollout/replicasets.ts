// ReplicaSets of a Rollout: naming, revisions, availability and the object we create for a
// new pod template. Pure functions over plain objects.
import type { Rollout } from '../api/rollout.js';
import {
  DESIRED_REPLICAS_ANNOTATION,
  EPHEMERAL_METADATA_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
} from './labels.js';
import type { ReplicaSet } from './workload-types.js';

export function revisionOf(rs: { metadata?: { annotations?: Record<string, string> } }): number {
  const value = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? '0');
  return Number.isFinite(value) ? value : 0;
}

export function maxRevision(replicaSets: readonly ReplicaSet[]): number {
  return replicaSets.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

export function hashOf(rs: ReplicaSet): string | undefined {
  return rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
}

export function specReplicas(rs: ReplicaSet | undefined): number {
  return rs?.spec?.replicas ?? 0;
}

export function availableReplicas(rs: ReplicaSet | undefined): number {
  return rs?.status?.availableReplicas ?? 0;
}

/** The ReplicaSet runs exactly `replicas` pods and all of them are available. */
export function isSettledAt(rs: ReplicaSet | undefined, replicas: number): boolean {
  if (!rs) return replicas === 0;
  return (
    specReplicas(rs) === replicas &&
    (rs.status?.replicas ?? 0) === replicas &&
    availableReplicas(rs) >= replicas
  );
}

export function replicaSetName(rolloutName: string, hash: string): string {
  return `${rolloutName}-${hash}`;
}

/** The ReplicaSet for a new pod template, owned by the Rollout and selecting only its own pods. */
type AntiAffinity = NonNullable<NonNullable<Rollout['spec']['strategy']['canary']>['antiAffinity']>;

/**
 * strategy.antiAffinity: the new pods avoid the nodes of the stable pods (required, or
 * preferred with a weight), added to whatever affinity the template already has.
 */
export function withAntiAffinity(
  podSpec: Record<string, unknown> | undefined,
  antiAffinity: AntiAffinity,
  stableHash: string,
): Record<string, unknown> {
  const term = {
    labelSelector: {
      matchExpressions: [{ key: POD_TEMPLATE_HASH_LABEL, operator: 'In', values: [stableHash] }],
    },
    topologyKey: 'kubernetes.io/hostname',
  };
  const spec = structuredClone(podSpec ?? {});
  const affinity = (spec.affinity ?? {}) as Record<string, unknown>;
  const anti = { ...((affinity.podAntiAffinity ?? {}) as Record<string, unknown[]>) };
  if (antiAffinity.requiredDuringSchedulingIgnoredDuringExecution) {
    anti.requiredDuringSchedulingIgnoredDuringExecution = [
      ...(anti.requiredDuringSchedulingIgnoredDuringExecution ?? []),
      term,
    ];
  } else if (antiAffinity.preferredDuringSchedulingIgnoredDuringExecution) {
    anti.preferredDuringSchedulingIgnoredDuringExecution = [
      ...(anti.preferredDuringSchedulingIgnoredDuringExecution ?? []),
      { weight: antiAffinity.preferredDuringSchedulingIgnoredDuringExecution.weight, podAffinityTerm: term },
    ];
  }
  return { ...spec, affinity: { ...affinity, podAntiAffinity: anti } };
}

export function newReplicaSet(
  rollout: Rollout & { metadata: { name: string; namespace: string; uid: string } },
  hash: string,
  revision: number,
  replicas: number,
  stableHash?: string,
  roleMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> },
): ReplicaSet {
  const { canary, blueGreen } = rollout.spec.strategy;
  const antiAffinity = (canary ?? blueGreen)?.antiAffinity;
  const base = rollout.spec.template ?? {};
  // Injected after the hash is computed, as Argo does: the hash stays that of the user's template.
  const template =
    antiAffinity && stableHash && stableHash !== hash
      ? { ...base, spec: withAntiAffinity(base.spec, antiAffinity, stableHash) }
      : base;
  const templateLabels = {
    ...(template.metadata?.labels ?? {}),
    ...(roleMetadata?.labels ?? {}),
    [POD_TEMPLATE_HASH_LABEL]: hash,
  };
  const templateAnnotations = {
    ...(template.metadata?.annotations ?? {}),
    ...(roleMetadata?.annotations ?? {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: replicaSetName(rollout.metadata.name, hash),
      namespace: rollout.metadata.namespace,
      labels: templateLabels,
      annotations: {
        [REVISION_ANNOTATION]: String(revision),
        [DESIRED_REPLICAS_ANNOTATION]: String(rollout.spec.replicas ?? 1),
        ...(roleMetadata ? { [EPHEMERAL_METADATA_ANNOTATION]: JSON.stringify(roleMetadata) } : {}),
      },
      ownerReferences: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          name: rollout.metadata.name,
          uid: rollout.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas,
      minReadySeconds: rollout.spec.minReadySeconds ?? 0,
      selector: {
        ...rollout.spec.selector,
        matchLabels: { ...(rollout.spec.selector?.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash },
      },
      template: {
        ...template,
        metadata: {
          ...(template.metadata ?? {}),
          labels: templateLabels,
          ...(Object.keys(templateAnnotations).length > 0 ? { annotations: templateAnnotations } : {}),
        },
      },
    },
  };
}
