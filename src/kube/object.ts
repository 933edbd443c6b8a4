// The shape every Kubernetes object shares, as plain JSON (no class instances, no Date
// objects): informer caches, patches and events all work on these.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface KubeList<T extends KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key work queues use. */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits a key made by objectKey back into its namespace ('' when cluster-scoped) and name. */
export function splitObjectKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** `Kind namespace/name` for error messages and logs. */
export function describeObject(obj: KubeObject): string {
  return `${obj.kind ?? 'object'} ${objectKey(obj) || '<unnamed>'}`;
}

/**
 * A resourceVersion as a number, to tell which of two copies of an object is newer. etcd's are
 * integers; anything else (another storage) is undefined, and callers then never compare.
 */
export function resourceVersionNumber(resourceVersion: string | undefined): bigint | undefined {
  return resourceVersion && /^\d{1,30}$/.test(resourceVersion) ? BigInt(resourceVersion) : undefined;
}
