// Writes to the API server with the conflict and existence rules controllers need:
// patches of every content type, /status writes, optimistic-concurrency updates, and
// create/delete that can tolerate AlreadyExists/NotFound.
import { createPatch, type Operation } from 'rfc6902';
import { AlreadyExistsError, NotFoundError } from './api-error.js';
import { describeObject, type KubeObject } from './object.js';
import { type ApiResource, apiVersionOf, resourcePath } from './resource.js';
import type { RestClient } from './rest.js';

export type { Operation as JsonPatchOperation } from 'rfc6902';

/** Which object a write goes to. `namespace` is omitted for cluster-scoped resources. */
export interface ObjectTarget {
  resource: ApiResource;
  namespace?: string;
  name: string;
}

export interface PatchOptions {
  subresource?: 'status' | 'scale';
  /**
   * Makes the patch conditional: the server answers 409 (ConflictError) unless the object is
   * still at this resourceVersion. Merge and strategic patches only.
   */
  resourceVersion?: string;
}

const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

/** RFC 7386 JSON merge patch: objects merge, arrays and scalars replace, null deletes. */
export function mergePatch<T extends KubeObject>(
  client: RestClient,
  target: ObjectTarget,
  patch: Record<string, unknown>,
  options: PatchOptions = {},
): Promise<T> {
  return sendObjectPatch<T>(client, target, patch, MERGE_PATCH, options);
}

/**
 * Strategic merge patch: lists merge by their key (containers by name, ...). Built-in kinds
 * only; the API server rejects it with 415 for custom resources such as Rollouts.
 */
export function strategicMergePatch<T extends KubeObject>(
  client: RestClient,
  target: ObjectTarget,
  patch: Record<string, unknown>,
  options: PatchOptions = {},
): Promise<T> {
  return sendObjectPatch<T>(client, target, patch, STRATEGIC_MERGE_PATCH, options);
}

/** RFC 6902 JSON patch; a failed `test` operation makes the server reject the whole patch. */
export function jsonPatch<T extends KubeObject>(
  client: RestClient,
  target: ObjectTarget,
  operations: Operation[],
  options: Pick<PatchOptions, 'subresource'> = {},
): Promise<T> {
  return sendPatch<T>(client, target, operations, JSON_PATCH, options);
}

/** The RFC 6902 operations that turn `before` into `after` (rfc6902's createPatch). */
export function createJsonPatch(before: unknown, after: unknown): Operation[] {
  return createPatch(before, after);
}

/** Merge-patches `status` through the /status subresource (spec changes there are ignored). */
export function patchStatus<T extends KubeObject>(
  client: RestClient,
  target: ObjectTarget,
  status: Record<string, unknown>,
  options: Pick<PatchOptions, 'resourceVersion'> = {},
): Promise<T> {
  return mergePatch<T>(client, target, { status }, { ...options, subresource: 'status' });
}

/**
 * PUT the whole object. Requires metadata.resourceVersion so a concurrent writer is never
 * overwritten: a stale version throws ConflictError.
 */
export async function updateObject<T extends KubeObject>(
  client: RestClient,
  resource: ApiResource,
  object: T,
  options: Pick<PatchOptions, 'subresource'> = {},
): Promise<T> {
  const { namespace, name, resourceVersion } = object.metadata ?? {};
  if (!name) {
    throw new Error(`update ${resource.kind}: metadata.name is empty`);
  }
  if (!resourceVersion) {
    throw new Error(
      `update ${describeObject({ ...object, kind: resource.kind })}: metadata.resourceVersion is empty; ` +
        'update the object as read from the cache, or use a patch',
    );
  }
  return (await client.request({
    method: 'PUT',
    path: resourcePath(resource, { namespace, name, subresource: options.subresource }),
    body: { apiVersion: apiVersionOf(resource), kind: resource.kind, ...object },
    verb: 'update',
    resource: resource.plural,
    namespace,
  })) as T;
}

/** PUT through /status with the object's resourceVersion. */
export function updateStatus<T extends KubeObject>(
  client: RestClient,
  resource: ApiResource,
  object: T,
): Promise<T> {
  return updateObject(client, resource, object, { subresource: 'status' });
}

export interface CreateOptions {
  /** 'ignore' returns undefined instead of throwing AlreadyExistsError. */
  ifExists?: 'fail' | 'ignore';
}

export function createObject<T extends KubeObject>(
  client: RestClient,
  resource: ApiResource,
  object: T,
  options?: { ifExists?: 'fail' },
): Promise<T>;
export function createObject<T extends KubeObject>(
  client: RestClient,
  resource: ApiResource,
  object: T,
  options: { ifExists: 'ignore' },
): Promise<T | undefined>;
export async function createObject<T extends KubeObject>(
  client: RestClient,
  resource: ApiResource,
  object: T,
  options: CreateOptions = {},
): Promise<T | undefined> {
  const namespace = object.metadata?.namespace;
  try {
    return (await client.request({
      method: 'POST',
      path: resourcePath(resource, { namespace }),
      body: { apiVersion: apiVersionOf(resource), kind: resource.kind, ...object },
      verb: 'create',
      resource: resource.plural,
      namespace,
    })) as T;
  } catch (error) {
    if (options.ifExists === 'ignore' && error instanceof AlreadyExistsError) {
      return undefined;
    }
    throw error;
  }
}

export interface DeleteOptions {
  /** 'ignore' returns false instead of throwing NotFoundError. */
  ifMissing?: 'fail' | 'ignore';
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** Delete only this incarnation / version of the object (409 ConflictError otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Returns true when the server accepted the delete, false when it was already gone (ifMissing 'ignore'). */
export async function deleteObject(
  client: RestClient,
  target: ObjectTarget,
  options: DeleteOptions = {},
): Promise<boolean> {
  try {
    await client.request({
      method: 'DELETE',
      path: resourcePath(target.resource, { namespace: target.namespace, name: target.name }),
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: options.propagationPolicy,
        preconditions: options.preconditions,
      },
      verb: 'delete',
      resource: target.resource.plural,
      namespace: target.namespace,
    });
    return true;
  } catch (error) {
    if (options.ifMissing === 'ignore' && error instanceof NotFoundError) {
      return false;
    }
    throw error;
  }
}

async function sendPatch<T>(
  client: RestClient,
  target: ObjectTarget,
  body: unknown,
  contentType: string,
  options: Pick<PatchOptions, 'subresource'>,
): Promise<T> {
  return (await client.request({
    method: 'PATCH',
    path: resourcePath(target.resource, {
      namespace: target.namespace,
      name: target.name,
      subresource: options.subresource,
    }),
    body,
    contentType,
    verb: 'patch',
    resource: target.resource.plural,
    namespace: target.namespace,
  })) as T;
}

/** A merge or strategic merge patch, with options.resourceVersion as its precondition. */
function sendObjectPatch<T>(
  client: RestClient,
  target: ObjectTarget,
  patch: Record<string, unknown>,
  contentType: string,
  options: PatchOptions,
): Promise<T> {
  return sendPatch<T>(
    client,
    target,
    withResourceVersion(patch, options.resourceVersion),
    contentType,
    options,
  );
}

function withResourceVersion(
  patch: Record<string, unknown>,
  resourceVersion: string | undefined,
): Record<string, unknown> {
  if (resourceVersion === undefined) {
    return patch;
  }
  const metadata = typeof patch.metadata === 'object' && patch.metadata !== null ? patch.metadata : {};
  return { ...patch, metadata: { ...metadata, resourceVersion } };
}
