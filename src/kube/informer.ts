// An informer: a local cache of one resource kept current by list+watch, with event handlers
// and indexes. The loop is ours rather than the library's makeInformer, which stops for good on
// any non-410 watch error, has no resync and no indexes, and deserializes into classes.
import { isGone, isKubeStatus, type KubeStatus } from './api-error.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { type KubeObject, objectKey } from './object.js';

export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: KubeStatus };

export interface WatchHandle {
  stop(): void;
}

/** Where an informer gets its data; list-watch.ts implements it over the API server. */
export interface ListWatchSource<T extends KubeObject> {
  /** For messages, e.g. `replicasets.apps in namespace shop (labels rollouts-pod-template-hash)`. */
  readonly description: string;
  list(): Promise<{ items: T[]; resourceVersion: string }>;
  /**
   * Starts a watch from `resourceVersion`. `onClose` is called once when the stream ends:
   * without an error for a normal server-side close, with one otherwise (410 included).
   */
  watch(
    resourceVersion: string,
    onEvent: (event: WatchEvent<T>) => void,
    onClose: (error?: unknown) => void,
  ): Promise<WatchHandle>;
}

export interface InformerHandlers<T> {
  add?(object: T): void;
  /** Also called on resync with the same object twice (equal resourceVersions). */
  update?(oldObject: T, newObject: T): void;
  /** The last state seen; after a relist it may be older than the real final state. */
  delete?(object: T): void;
}

export type IndexFunction<T> = (object: T) => string[];

export interface InformerOptions<T> {
  /** Re-emit every cached object as an update this often; 0 (default) disables resync. */
  resyncPeriodMs?: number;
  /** Reconnect backoff after list/watch errors: doubles from initialMs up to maxMs. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Extra indexes by name; `namespace` and `ownerUid` always exist. */
  indexers?: Record<string, IndexFunction<T>>;
  clock?: Clock;
  /** List/watch failures and handler exceptions; the informer keeps going after each. */
  onError?: (error: Error) => void;
}

export const NAMESPACE_INDEX = 'namespace';
export const OWNER_UID_INDEX = 'ownerUid';

// A watch that closes this fast without delivering anything counts as a failure, so a
// server that keeps closing immediately is not hammered in a tight loop.
const MIN_HEALTHY_WATCH_MS = 1000;

export class Informer<T extends KubeObject> {
  private readonly source: ListWatchSource<T>;
  private readonly clock: Clock;
  private readonly resyncPeriodMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly reportError: (error: Error) => void;
  private readonly objects = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunction<T>>();
  /** index name -> index value -> object keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private syncWaiters: { resolve(): void; reject(error: Error): void }[] = [];
  private running = false;
  private synced = false;
  /** Bumped whenever a list or watch is superseded, so late callbacks from it are ignored. */
  private epoch = 0;
  private resourceVersion = '';
  private watchHandle: WatchHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private backoffMs: number;
  private lastError: Error | undefined;

  constructor(source: ListWatchSource<T>, options: InformerOptions<T> = {}) {
    this.source = source;
    this.clock = options.clock ?? systemClock;
    this.resyncPeriodMs = options.resyncPeriodMs ?? 0;
    this.initialBackoffMs = options.backoff?.initialMs ?? 800;
    this.maxBackoffMs = options.backoff?.maxMs ?? 30_000;
    this.backoffMs = this.initialBackoffMs;
    this.reportError = options.onError ?? ((error) => console.error(error));
    this.indexers.set(NAMESPACE_INDEX, (object) => [object.metadata?.namespace ?? '']);
    this.indexers.set(OWNER_UID_INDEX, (object) =>
      (object.metadata?.ownerReferences ?? []).map((ref) => ref.uid),
    );
    for (const [name, indexer] of Object.entries(options.indexers ?? {})) {
      this.indexers.set(name, indexer);
    }
    for (const name of this.indexers.keys()) {
      this.indices.set(name, new Map());
    }
  }

  /** Starts listing and watching; a second call does nothing. */
  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    void this.relist();
    this.scheduleResync();
  }

  /** Stops the watch and timers; the cache keeps its last contents. */
  stop(): void {
    this.running = false;
    this.epoch += 1;
    this.watchHandle?.stop();
    this.watchHandle = undefined;
    this.retryTimer?.cancel();
    this.resyncTimer?.cancel();
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const waiter of waiters) {
      waiter.reject(new Error(`informer ${this.source.description}: stopped before the cache synced`));
    }
  }

  /**
   * Adds indexes (e.g. when a second controller shares this cache), built over what is cached.
   * A name already taken by another function is refused: two meanings under one name would
   * answer one controller's lookups with the other's values.
   */
  addIndexers(indexers: Record<string, IndexFunction<T>>): void {
    for (const [name, indexer] of Object.entries(indexers)) {
      const existing = this.indexers.get(name);
      if (existing === indexer) continue;
      if (existing !== undefined) {
        throw new Error(`informer ${this.source.description}: index "${name}" is already defined`);
      }
      this.indexers.set(name, indexer);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, object] of this.objects) {
        for (const value of this.indexValues(name, indexer, object)) {
          let keys = index.get(value);
          if (!keys) {
            keys = new Set();
            index.set(value, keys);
          }
          keys.add(key);
        }
      }
    }
  }

  /**
   * Registers handlers; returns the function that removes them. Handlers registered after the
   * first sync get an `add` for every cached object first, so no late subscriber misses state.
   */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    if (this.synced && handlers.add) {
      for (const object of this.objects.values()) {
        this.call('add', () => handlers.add?.(object));
      }
    }
    return () => this.handlers.delete(handlers);
  }

  /** True once the first list has been loaded into the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves when the first list is in the cache; rejects on stop() or after timeoutMs. */
  waitForSync(timeoutMs?: number): Promise<void> {
    if (this.synced) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : this.clock.setTimer(timeoutMs, () => {
              this.syncWaiters = this.syncWaiters.filter((waiter) => waiter !== entry);
              const cause = this.lastError ? `; last error: ${this.lastError.message}` : '';
              reject(
                new Error(
                  `informer ${this.source.description}: cache not synced after ${timeoutMs} ms${cause}`,
                ),
              );
            });
      const entry = {
        resolve: () => {
          timer?.cancel();
          resolve();
        },
        reject: (error: Error) => {
          timer?.cancel();
          reject(error);
        },
      };
      this.syncWaiters.push(entry);
    });
  }

  /** Cached objects, all or in one namespace ('' for cluster-scoped). */
  list(namespace?: string): T[] {
    return namespace === undefined ? [...this.objects.values()] : this.byIndex(NAMESPACE_INDEX, namespace);
  }

  /** One cached object; namespace '' (or undefined) for cluster-scoped resources. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Objects whose ownerReferences name this UID, e.g. the ReplicaSets a Rollout owns. */
  byOwner(ownerUid: string): T[] {
    return this.byIndex(OWNER_UID_INDEX, ownerUid);
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) {
      throw new Error(
        `informer ${this.source.description}: no index "${indexName}"; known: ${[...this.indices.keys()].join(', ')}`,
      );
    }
    const result: T[] = [];
    for (const key of index.get(value) ?? []) {
      const object = this.objects.get(key);
      if (object) {
        result.push(object);
      }
    }
    return result;
  }

  /** The resourceVersion the cache is current to ('' before the first list). */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  private async relist(): Promise<void> {
    this.endWatch();
    const epoch = this.epoch;
    let result: { items: T[]; resourceVersion: string };
    try {
      result = await this.source.list();
    } catch (error) {
      if (epoch === this.epoch && this.running) {
        this.fail('list', error);
        this.retryLater(() => void this.relist());
      }
      return;
    }
    if (epoch !== this.epoch || !this.running) {
      return;
    }
    this.replace(result.items);
    this.resourceVersion = result.resourceVersion;
    this.backoffMs = this.initialBackoffMs;
    if (!this.synced) {
      this.synced = true;
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const waiter of waiters) {
        waiter.resolve();
      }
    }
    await this.startWatch();
  }

  private async startWatch(): Promise<void> {
    this.endWatch();
    const epoch = this.epoch;
    const startedAt = this.clock.now();
    let delivered = 0;
    let closed = false;
    const current = (): boolean => epoch === this.epoch && this.running && !closed;

    const onEvent = (event: WatchEvent<T>): void => {
      if (!current()) {
        return;
      }
      delivered += 1;
      if (event.type === 'ERROR') {
        closed = true;
        this.endWatch();
        if (isGone(event.object)) {
          // Our resourceVersion is older than etcd's compaction window: start over.
          void this.relist();
        } else {
          this.fail('watch', new Error(event.object.message ?? JSON.stringify(event.object)));
          this.retryLater(() => void this.startWatch());
        }
        return;
      }
      this.backoffMs = this.initialBackoffMs;
      this.apply(event);
    };

    const onClose = (error?: unknown): void => {
      if (!current()) {
        return;
      }
      closed = true;
      this.watchHandle = undefined;
      if (error !== undefined && error !== null) {
        if (isGone(error)) {
          void this.relist();
          return;
        }
        this.fail('watch', error);
        this.retryLater(() => void this.startWatch());
        return;
      }
      // A normal close (the server's watch timeout): continue from where we are.
      if (delivered === 0 && this.clock.now() - startedAt < MIN_HEALTHY_WATCH_MS) {
        this.retryLater(() => void this.startWatch());
      } else {
        this.backoffMs = this.initialBackoffMs;
        void this.startWatch();
      }
    };

    let handle: WatchHandle;
    try {
      handle = await this.source.watch(this.resourceVersion, onEvent, onClose);
    } catch (error) {
      if (current()) {
        closed = true;
        this.fail('watch', error);
        this.retryLater(() => void this.startWatch());
      }
      return;
    }
    if (current()) {
      this.watchHandle = handle;
    } else if (epoch !== this.epoch || !this.running) {
      handle.stop();
    }
  }

  private endWatch(): void {
    this.epoch += 1;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.watchHandle?.stop();
    this.watchHandle = undefined;
  }

  private apply(event: Exclude<WatchEvent<T>, { type: 'ERROR' }>): void {
    const object = event.object;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const key = objectKey(object);
        const old = this.objects.get(key);
        this.store(key, object);
        if (old) {
          this.emitUpdate(old, object);
        } else {
          this.emitAdd(object);
        }
        break;
      }
      case 'DELETED': {
        const key = objectKey(object);
        const old = this.objects.get(key);
        if (old) {
          this.unstore(key, old);
        }
        // The event carries the final state, which is newer than what the cache held.
        this.emitDelete(object);
        break;
      }
      case 'BOOKMARK':
        break;
    }
    this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
  }

  /** Makes the cache equal to a fresh list, emitting the differences as events. */
  private replace(items: T[]): void {
    const incoming = new Map<string, T>();
    for (const item of items) {
      incoming.set(objectKey(item), item);
    }
    for (const [key, old] of [...this.objects]) {
      if (!incoming.has(key)) {
        this.unstore(key, old);
        this.emitDelete(old);
      }
    }
    for (const [key, object] of incoming) {
      const old = this.objects.get(key);
      this.store(key, object);
      if (!old) {
        this.emitAdd(object);
      } else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
        this.emitUpdate(old, object);
      }
    }
  }

  private store(key: string, object: T): void {
    const old = this.objects.get(key);
    if (old) {
      this.unstore(key, old);
    }
    this.objects.set(key, object);
    for (const [name, indexer] of this.indexers) {
      const index = this.indices.get(name);
      for (const value of this.indexValues(name, indexer, object)) {
        let keys = index?.get(value);
        if (!keys) {
          keys = new Set();
          index?.set(value, keys);
        }
        keys.add(key);
      }
    }
  }

  private unstore(key: string, object: T): void {
    this.objects.delete(key);
    for (const [name, indexer] of this.indexers) {
      const index = this.indices.get(name);
      for (const value of this.indexValues(name, indexer, object)) {
        const keys = index?.get(value);
        keys?.delete(key);
        if (keys?.size === 0) {
          index?.delete(value);
        }
      }
    }
  }

  private indexValues(name: string, indexer: IndexFunction<T>, object: T): string[] {
    try {
      return indexer(object);
    } catch (error) {
      this.fail(`index "${name}" of ${objectKey(object)}`, error);
      return [];
    }
  }

  private scheduleResync(): void {
    if (this.resyncPeriodMs <= 0) {
      return;
    }
    this.resyncTimer = this.clock.setTimer(this.resyncPeriodMs, () => {
      if (!this.running) {
        return;
      }
      if (this.synced) {
        for (const object of [...this.objects.values()]) {
          this.emitUpdate(object, object);
        }
      }
      this.scheduleResync();
    });
  }

  private retryLater(action: () => void): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    this.retryTimer?.cancel();
    this.retryTimer = this.clock.setTimer(delay, () => {
      this.retryTimer = undefined;
      if (this.running) {
        action();
      }
    });
  }

  private emitAdd(object: T): void {
    for (const handlers of [...this.handlers]) {
      this.call('add', () => handlers.add?.(object));
    }
  }

  private emitUpdate(oldObject: T, newObject: T): void {
    for (const handlers of [...this.handlers]) {
      this.call('update', () => handlers.update?.(oldObject, newObject));
    }
  }

  private emitDelete(object: T): void {
    for (const handlers of [...this.handlers]) {
      this.call('delete', () => handlers.delete?.(object));
    }
  }

  private call(kind: string, invoke: () => void): void {
    try {
      invoke();
    } catch (error) {
      this.fail(`${kind} handler`, error);
    }
  }

  private fail(what: string, error: unknown): void {
    const message =
      error instanceof Error ? error.message : isKubeStatus(error) ? error.message : String(error);
    const wrapped = new Error(`informer ${this.source.description}: ${what} failed: ${message}`, {
      cause: error,
    });
    this.lastError = wrapped;
    this.reportError(wrapped);
  }
}
