// Shared data for the router tables: a traffic-routed Rollout, and a tiny in-memory API
// server that applies TrafficWrites to a list of objects (RFC 7386 merge patches, creates,
// deletes, resourceVersion bumps) so a test can plan again on the result.
import type { CanaryStrategy, TrafficRouting } from '../../../src/api/rollout.js';
import type { KubeObject } from '../../../src/kube/object.js';
import type { RoutedRollout, TrafficRoutingInput, TrafficWrite } from '../../../src/trafficrouting/router.js';
import { findLive } from '../../../src/trafficrouting/router-objects.js';

export const UID = 'rollout-uid';

export function routedRollout(
  trafficRouting: TrafficRouting,
  canary: Partial<CanaryStrategy> = {},
  extra: Partial<RoutedRollout> = {},
): RoutedRollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop', uid: UID, ...extra.metadata },
    spec: {
      replicas: 4,
      strategy: {
        canary: {
          canaryService: 'web-canary',
          stableService: 'web-stable',
          trafficRouting,
          steps: [{ setWeight: 20 }, { pause: {} }],
          ...canary,
        },
      },
      ...extra.spec,
    },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

export const ownedByRollout = [
  {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    name: 'web',
    uid: UID,
    controller: true,
    blockOwnerDeletion: true,
  },
];

export function input(
  rollout: RoutedRollout,
  live: KubeObject[],
  desiredWeight: number,
  more: Partial<TrafficRoutingInput> = {},
): TrafficRoutingInput {
  return { rollout, live, desiredWeight, canaryHash: 'c4n4ry', stableHash: 'st4bl3', ...more };
}

function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const base: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = applyMergePatch(base[key], value);
  }
  return base;
}

/** The objects after the writes, as an API server would store them. */
export function applyWrites(live: readonly KubeObject[], writes: readonly TrafficWrite[]): KubeObject[] {
  let objects = live.map((o) => structuredClone(o));
  let version = 100;
  for (const write of writes) {
    const existing = findLive(objects, write.target);
    switch (write.op) {
      case 'create':
        if (existing) throw new Error(`create ${write.target.name}: already exists`);
        objects.push({
          ...structuredClone(write.object),
          metadata: { ...write.object.metadata, resourceVersion: String(++version), uid: `uid-${version}` },
        });
        break;
      case 'mergePatch': {
        if (!existing) throw new Error(`patch ${write.target.name}: not found`);
        if (write.resourceVersion && existing.metadata?.resourceVersion !== write.resourceVersion) {
          throw new Error(`patch ${write.target.name}: conflict`);
        }
        const patched = applyMergePatch(existing, write.patch) as KubeObject;
        patched.metadata = { ...patched.metadata, resourceVersion: String(++version) };
        objects = objects.map((o) => (o === existing ? patched : o));
        break;
      }
      case 'delete':
        if (!existing) throw new Error(`delete ${write.target.name}: not found`);
        objects = objects.filter((o) => o !== existing);
        break;
    }
  }
  return objects;
}

export function writesOf(plan: { writes: TrafficWrite[] } | { error: string }): TrafficWrite[] {
  if ('error' in plan) throw new Error(`unexpected plan error: ${plan.error}`);
  return plan.writes;
}
