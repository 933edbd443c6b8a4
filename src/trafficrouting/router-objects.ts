// How routers find the objects they observed, own the ones they create, and turn a desired
// object into the smallest write. The RFC 7386 diff is written here by hand: rfc6902 (our
// JSON Patch library) computes JSON Patches only, and a merge patch reads better in tests.
import { isDeepStrictEqual } from 'node:util';
import { controllerReference } from '../api/kind-definition.js';
import { ROLLOUT_KIND } from '../api/kinds.js';
import type { KubeObject, OwnerReference } from '../kube/object.js';
import type { ApiResource } from '../kube/resource.js';
import type { ObjectRef, RoutedRollout, RouterEvent, TrafficWrite } from './router.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The observed object `ref` names, matched by API group, kind, namespace and name (any version). */
export function findLive<T extends KubeObject = KubeObject>(
  live: readonly KubeObject[],
  ref: ObjectRef,
): T | undefined {
  return live.find(
    (obj) =>
      obj.kind === ref.resource.kind &&
      groupOf(obj.apiVersion) === ref.resource.group &&
      (obj.metadata?.namespace ?? '') === ref.namespace &&
      obj.metadata?.name === ref.name,
  ) as T | undefined;
}

function groupOf(apiVersion: string | undefined): string {
  const slash = (apiVersion ?? '').indexOf('/');
  return slash < 0 ? '' : (apiVersion ?? '').slice(0, slash);
}

export function ref(resource: ApiResource, namespace: string, name: string): ObjectRef {
  return { resource, namespace, name };
}

/** The ownerReferences of an object a router creates: the Rollout controls it. */
export function ownedByRollout(rollout: RoutedRollout): OwnerReference[] {
  return [controllerReference(ROLLOUT_KIND, rollout)];
}

export function isControlledBy(obj: KubeObject, rollout: RoutedRollout): boolean {
  return (obj.metadata?.ownerReferences ?? []).some(
    (owner) => owner.controller === true && owner.uid === rollout.metadata.uid,
  );
}

/** A deep copy of plain JSON data. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The RFC 7386 merge patch that turns `before` into `after`: objects recurse, removed keys
 * become null, arrays and scalars are replaced whole. Undefined when nothing changes.
 */
export function mergePatchBetween(before: unknown, after: unknown): JsonObject | undefined {
  if (!isObject(after)) throw new Error('mergePatchBetween: the desired value must be an object');
  const base = isObject(before) ? before : {};
  const patch: JsonObject = {};
  for (const key of Object.keys(base)) {
    if (!(key in after) || after[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const previous = base[key];
    if (isDeepStrictEqual(previous, value)) continue;
    if (isObject(value) && isObject(previous)) {
      const nested = mergePatchBetween(previous, value);
      if (nested) patch[key] = nested;
    } else {
      patch[key] = value;
    }
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Read a field of loosely typed JSON without casts at every step. */
/** A merge patch of `live`, conditional on the resourceVersion the patch was computed from. */
export function mergePatchOf(
  target: ObjectRef,
  patch: Record<string, unknown>,
  live: KubeObject,
  event?: RouterEvent,
): Extract<TrafficWrite, { op: 'mergePatch' }> {
  return {
    op: 'mergePatch',
    target,
    patch,
    ...(live.metadata?.resourceVersion ? { resourceVersion: live.metadata.resourceVersion } : {}),
    ...(event !== undefined && { event }),
  };
}

export function field(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[key];
    } else {
      if (!isObject(current)) return undefined;
      current = current[key];
    }
  }
  return current;
}

export function asArray(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A weight as written by users or other controllers: 10, "10" (SMI v1alpha1 quantities). */
export function asWeight(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}
