// Our own writes to the objects an owner controls (a Rollout's or an Experiment's ReplicaSets)
// that the informer cache has not shown yet.
import { type KubeObject, resourceVersionNumber } from './object.js';

type Cached = { metadata?: { resourceVersion?: string } } | undefined;

/**
 * How long a reconcile waits for an object we created to show up in the cache. Its add event
 * normally wakes the owner well within this; the bound only matters for one that was deleted
 * again before the cache saw it while the watch was relisting (no event at all).
 */
export const CREATED_WAIT_MS = 10_000;

interface OwnWrite {
  version: bigint;
  /** Set for a create: the object's absence from the cache is then a lag, not a deletion. */
  createdAtMs?: number;
}

/**
 * The resourceVersion our last write to each object of an owner returned, by owner uid and
 * object name. A reconcile of the owner while one of them is cached at an older version (or, one
 * we created, not yet) is skipped (stale): planning from that copy would repeat the write, or
 * make one whose guard (ConditionalWrites) fails or whose create answers AlreadyExists. The
 * watch event that brings the write into the cache must wake the owner again: a controller whose
 * event filter lets only some updates through adds `awaited(owner, object)` to it. Objects are
 * keyed by name: an owner's objects share its namespace.
 */
export class OwnedWrites {
  /** Owner uid → object name → our last write to it. */
  private readonly byOwner = new Map<string, Map<string, OwnWrite>>();

  /**
   * Remembers our write to `name` of `ownerUid` (the version the API server answered);
   * `createdAtMs` when the write created the object.
   */
  record(ownerUid: string, name: string, resourceVersion: string | undefined, createdAtMs?: number): void {
    const version = resourceVersionNumber(resourceVersion);
    if (version === undefined) return;
    let objects = this.byOwner.get(ownerUid);
    if (!objects) {
      objects = new Map();
      this.byOwner.set(ownerUid, objects);
    }
    objects.set(name, createdAtMs === undefined ? { version } : { version, createdAtMs });
  }

  /**
   * True while the cache (`cached` by name) has not yet seen our last write to one of the
   * owner's objects. A write the cache has caught up with is forgotten; so is one to an object
   * gone from the cache (deleted: nothing brings it back to wait for), unless we created it less
   * than CREATED_WAIT_MS ago.
   */
  stale(ownerUid: string, cached: (name: string) => Cached, nowMs = Date.now()): boolean {
    const objects = this.byOwner.get(ownerUid);
    if (!objects) return false;
    let stale = false;
    for (const [name, ours] of objects) {
      const object = cached(name);
      if (object === undefined) {
        if (ours.createdAtMs !== undefined && nowMs - ours.createdAtMs < CREATED_WAIT_MS) stale = true;
        else objects.delete(name);
        continue;
      }
      const version = resourceVersionNumber(object.metadata?.resourceVersion);
      if (version === undefined || version >= ours.version) objects.delete(name);
      else stale = true;
    }
    if (objects.size === 0) this.byOwner.delete(ownerUid);
    return stale;
  }

  /**
   * True when `object` (the new copy of a watch event) is at or past a write of ours that a
   * skipped reconcile of `ownerUid` waits for: that event must wake the owner, whatever else it
   * changed (an annotation-only write moves no counter).
   */
  awaited(ownerUid: string | undefined, object: KubeObject): boolean {
    if (ownerUid === undefined) return false;
    const ours = this.byOwner.get(ownerUid)?.get(object.metadata?.name ?? '');
    if (ours === undefined) return false;
    const version = resourceVersionNumber(object.metadata?.resourceVersion);
    return version === undefined || version >= ours.version;
  }

  /** The object is deleted: a write to it is no longer waited for. */
  deleted(ownerUid: string | undefined, name: string | undefined): void {
    if (ownerUid === undefined || name === undefined) return;
    const objects = this.byOwner.get(ownerUid);
    objects?.delete(name);
    if (objects?.size === 0) this.byOwner.delete(ownerUid);
  }
}
