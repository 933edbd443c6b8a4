// Ephemeral metadata: labels and annotations a pod carries only while it plays a role
// (canaryMetadata/stableMetadata, previewMetadata/activeMetadata). The ReplicaSet records
// what it injected in the rollout.argoproj.io/ephemeral-metadata annotation, so when a
// canary becomes stable its template and its running pods swap one set for the other.
import { EPHEMERAL_METADATA_ANNOTATION } from '../api/labels.js';
import type { Rollout } from '../api/rollout.js';
import type { ReplicaSet } from './workload-types.js';

export interface RoleMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type Role = 'new' | 'stable';

/** The metadata of a role under the Rollout's strategy, if any is set. */
export function roleMetadata(rollout: Rollout, role: Role): RoleMetadata | undefined {
  const { canary, blueGreen } = rollout.spec.strategy;
  const metadata = canary
    ? role === 'new'
      ? canary.canaryMetadata
      : canary.stableMetadata
    : role === 'new'
      ? blueGreen?.previewMetadata
      : blueGreen?.activeMetadata;
  if (
    !metadata ||
    (Object.keys(metadata.labels ?? {}).length === 0 && Object.keys(metadata.annotations ?? {}).length === 0)
  ) {
    return undefined;
  }
  return metadata;
}

/** What a ReplicaSet says it injected (undefined: nothing). */
export function injectedMetadata(rs: ReplicaSet): RoleMetadata | undefined {
  const text = rs.metadata?.annotations?.[EPHEMERAL_METADATA_ANNOTATION];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as RoleMetadata;
  } catch {
    return undefined;
  }
}

export function sameRoleMetadata(a: RoleMetadata | undefined, b: RoleMetadata | undefined): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}

/**
 * A merge patch for `metadata` that removes what `previous` injected and adds `desired`
 * (a key in both keeps the desired value).
 */
export function metadataPatch(previous: RoleMetadata | undefined, desired: RoleMetadata | undefined) {
  const part = (field: 'labels' | 'annotations') => {
    const out: Record<string, string | null> = {};
    for (const key of Object.keys(previous?.[field] ?? {})) out[key] = null;
    for (const [key, value] of Object.entries(desired?.[field] ?? {})) out[key] = value;
    return out;
  };
  return { labels: part('labels'), annotations: part('annotations') };
}
