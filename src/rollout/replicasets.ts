// ReplicaSets of a Rollout: naming, revisions, availability and the object we create for a
// new pod template. Pure functions over plain objects.

import { controllerReference } from '../api/kind-definition.js';
import { ROLLOUT_KIND } from '../api/kinds.js';
import {
  DESIRED_REPLICAS_ANNOTATION,
  EPHEMERAL_METADATA_ANNOTATION,
  NOTIFIED_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from '../api/labels.js';
import type { Rollout } from '../api/rollout.js';
import { type GuardedState, guardedStateOf } from '../kube/conditional-writes.js';
import { defaultPodTemplate } from './pod-template-defaults.js';
import { goJsonOfPodTemplate } from './pod-template-hash.js';
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

/**
 * The ReplicaSet as the plan saw it (its generation, annotations and template metadata): act.ts
 * guards each write to that ReplicaSet on it (a JSON patch `test` of metadata.generation and the
 * annotations, see ConditionalWrites), so a stale plan never overwrites a newer spec, while the
 * ReplicaSet controller's status writes do not fail it. Absent when the observed object has no
 * generation.
 */
export interface ReplicaSetVersion {
  planned?: GuardedState;
}

export function versionOf(rs: ReplicaSet): ReplicaSetVersion {
  const planned = guardedStateOf(rs);
  return planned ? { planned } : {};
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

/**
 * Argo's allDesiredAreCreated: asked for `replicas` and has that many pods, ready or not (what
 * its step checks ask of the stable set, which may be crash-looping).
 */
export function isCreatedAt(rs: ReplicaSet | undefined, replicas: number): boolean {
  return rs !== undefined && specReplicas(rs) === replicas && (rs.status?.replicas ?? 0) === replicas;
}

export function replicaSetName(rolloutName: string, hash: string): string {
  return `${rolloutName}-${hash}`;
}

// Argo's annotations.copyRolloutAnnotationsToReplicaSet skips these; the revision and desired
// replicas are the ReplicaSet's own.
const ANNOTATIONS_NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  NOTIFIED_ANNOTATION,
]);

/** The Rollout's annotations a new ReplicaSet carries too (e.g. notifications subscriptions). */
export function rolloutAnnotationsForReplicaSet(
  annotations: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(annotations ?? {}).filter(([key]) => !ANNOTATIONS_NOT_COPIED.has(key)),
  );
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
        ...rolloutAnnotationsForReplicaSet(rollout.metadata.annotations),
        [REVISION_ANNOTATION]: String(revision),
        [DESIRED_REPLICAS_ANNOTATION]: String(rollout.spec.replicas ?? 1),
        ...(roleMetadata ? { [EPHEMERAL_METADATA_ANNOTATION]: JSON.stringify(roleMetadata) } : {}),
      },
      ownerReferences: [controllerReference(ROLLOUT_KIND, rollout)],
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

// ---------------------------------------------------------------------------------------------
// Adoption by template equality (Argo's utils/replicaset FindNewReplicaSet): a ReplicaSet made
// by another controller version (or by Argo Rollouts, whose hash moved when its Kubernetes
// libraries changed the json) is the template's own when its template is semantically equal.

type Json = Record<string, unknown>;
const isJsonObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Argo's PodTemplateEqualIgnoreHash: both templates without the hash label and the deprecated
 * spec.serviceAccount, the desired one defaulted as Kubernetes does, then compared as Go's
 * apiequality.Semantic.DeepEqual would (after a decode into core/v1 types and back, so unknown
 * members, member order and quantity spellings do not count; a nil and an empty list or map
 * are equal).
 */
export function podTemplateEqualIgnoreHash(live: unknown, desired: unknown): boolean {
  const normalize = (template: unknown): unknown => {
    const copy: Json = isJsonObject(template) ? structuredClone(template) : {};
    const metadata = isJsonObject(copy.metadata) ? copy.metadata : undefined;
    if (metadata && isJsonObject(metadata.labels)) delete metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (isJsonObject(copy.spec)) delete copy.spec.serviceAccount;
    return JSON.parse(goJsonOfPodTemplate(copy));
  };
  try {
    return semanticEqual(normalize(live), normalize(defaultPodTemplate(desired)));
  } catch {
    // A template Go could not decode matches nothing; the caller then creates a ReplicaSet,
    // whose creation reports the problem.
    return false;
  }
}

function isEmptyCollection(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isJsonObject(value) && Object.keys(value).length === 0;
}

function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isEmptyCollection(a) && isEmptyCollection(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((value, i) => semanticEqual(value, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!semanticEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

/**
 * The ReplicaSet's template without what the controller injected after hashing: the ephemeral
 * role metadata it records in an annotation, and the anti-affinity term on the stable hash.
 */
export function templateWithoutInjected(rs: ReplicaSet, rollout: Rollout): unknown {
  const template: Json = structuredClone((rs.spec?.template ?? {}) as Json);
  const recorded = rs.metadata?.annotations?.[EPHEMERAL_METADATA_ANNOTATION];
  if (recorded) {
    let injected: { labels?: Record<string, string>; annotations?: Record<string, string> } = {};
    try {
      injected = JSON.parse(recorded);
    } catch {
      // Unreadable annotation: nothing known to be injected.
    }
    const metadata = isJsonObject(template.metadata) ? template.metadata : {};
    for (const key of ['labels', 'annotations'] as const) {
      const own = metadata[key];
      if (!isJsonObject(own)) continue;
      for (const name of Object.keys(injected[key] ?? {})) delete own[name];
    }
  }
  const { canary, blueGreen } = rollout.spec.strategy;
  const antiAffinity = (canary ?? blueGreen)?.antiAffinity;
  const spec = isJsonObject(template.spec) ? template.spec : undefined;
  const affinity = spec && isJsonObject(spec.affinity) ? spec.affinity : undefined;
  const anti = affinity && isJsonObject(affinity.podAntiAffinity) ? affinity.podAntiAffinity : undefined;
  if (antiAffinity && spec && affinity && anti) {
    const preferred = antiAffinity.preferredDuringSchedulingIgnoredDuringExecution !== undefined;
    const key = preferred
      ? 'preferredDuringSchedulingIgnoredDuringExecution'
      : 'requiredDuringSchedulingIgnoredDuringExecution';
    const terms = Array.isArray(anti[key]) ? (anti[key] as Json[]) : [];
    const injectedTerm = (term: Json) => {
      const podAffinityTerm = preferred ? term.podAffinityTerm : term;
      const selector = isJsonObject(podAffinityTerm) ? podAffinityTerm.labelSelector : undefined;
      const expressions = isJsonObject(selector) ? selector.matchExpressions : undefined;
      return (
        Array.isArray(expressions) &&
        expressions.some((e) => isJsonObject(e) && e.key === POD_TEMPLATE_HASH_LABEL)
      );
    };
    const index = terms.findIndex(injectedTerm);
    if (index >= 0) {
      const kept = terms.filter((_, i) => i !== index);
      if (kept.length > 0) anti[key] = kept;
      else delete anti[key];
      if (
        isEmptyCollection(anti.requiredDuringSchedulingIgnoredDuringExecution) &&
        isEmptyCollection(anti.preferredDuringSchedulingIgnoredDuringExecution)
      ) {
        delete affinity.podAntiAffinity;
      }
      if (
        affinity.podAntiAffinity === undefined &&
        affinity.podAffinity == null &&
        affinity.nodeAffinity == null
      ) {
        delete spec.affinity;
      }
    }
  }
  return template;
}

/**
 * The ReplicaSet of the Rollout's current template, as Argo's FindNewReplicaSet finds it: by
 * the hash first, else the oldest ReplicaSet whose template (less what was injected) is
 * semantically equal to the template.
 */
export function findNewReplicaSet(
  rollout: Rollout,
  replicaSets: readonly ReplicaSet[],
  hash: string,
): ReplicaSet | undefined {
  const byHash = replicaSets.find((rs) => hashOf(rs) === hash);
  if (byHash) return byHash;
  const oldestFirst = [...replicaSets].sort(
    (a, b) =>
      Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? '') ||
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
  const desired = rollout.spec.template ?? {};
  return oldestFirst.find(
    (rs) =>
      hashOf(rs) !== undefined && podTemplateEqualIgnoreHash(templateWithoutInjected(rs, rollout), desired),
  );
}
