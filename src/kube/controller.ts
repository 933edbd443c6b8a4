// The controller runtime: what a controller gets from its process (ControllerContext), what it
// gives back (RunningController), and a small builder for the part every controller shares:
// a work queue of primary keys, woken by the primary kind (`for`), by objects it controls
// (`owns`) and by anything else that maps to its keys (`watches`), with workers, a per-key
// rate limiter and a periodic resync; controller-runtime's builder in a few dozen lines.
import type { ProcessMetrics } from '../metrics/registry.js';
import type { Logger } from '../process/logger.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import type { EventRecorder } from './events.js';
import type { Informer } from './informer.js';
import type { CacheScope, InformerCache } from './informer-cache.js';
import { type KubeObject, objectKey } from './object.js';
import type { RestClient } from './rest.js';
import { type KeyHandler, WorkQueue, type WorkQueueMetrics } from './workqueue.js';

export interface ControllerContext {
  client: RestClient;
  /** Only this namespace is watched and changed (--namespaced); undefined = cluster-wide. */
  namespace: string | undefined;
  /** Only objects labelled argo-rollouts.argoproj.io/controller-instance-id=<id> are ours. */
  instanceId: string | undefined;
  logger: Logger;
  metrics: ProcessMetrics;
  events: EventRecorder;
  /** This term's informers, shared by every controller of the process. */
  caches: InformerCache;
  /** Aborts when this process stops leading. */
  signal: AbortSignal;
}

export interface RunningController {
  /** Informer caches have their first full list. */
  hasSynced(): boolean;
  stop(): Promise<void>;
}

/** One controller (Rollout, AnalysisRun, Experiment, ...): started when the process leads. */
export interface ControllerFactory {
  name: string;
  start(context: ControllerContext): Promise<RunningController>;
}

/**
 * A controller's cache scopes: `all` of its namespace (or the cluster), and `ours`, only the
 * objects labelled with its instance id (`<label>=<id>`, or without the label when it has none).
 */
export function cacheScopes(
  ctx: Pick<ControllerContext, 'namespace' | 'instanceId'>,
  instanceLabel: string,
): { all: CacheScope; ours: CacheScope } {
  const all = ctx.namespace ? { namespace: ctx.namespace } : {};
  const labelSelector = ctx.instanceId ? `${instanceLabel}=${ctx.instanceId}` : `!${instanceLabel}`;
  return { all, ours: { ...all, labelSelector } };
}

/** The key of the object's controller of `ownerKind` (`namespace/name`), if it has one. */
export function controllerOwnerKey(object: KubeObject, ownerKind: string): string | undefined {
  const owner = object.metadata?.ownerReferences?.find((ref) => ref.controller && ref.kind === ownerKind);
  return owner
    ? objectKey({ metadata: { namespace: object.metadata?.namespace, name: owner.name } })
    : undefined;
}

/**
 * Our own write reaches the cache a moment later; until it does, the cached copy is the one we
 * wrote over, and planning from it would repeat work. Remembers, per key, that copy's version.
 */
export class WrittenOver {
  private readonly versions = new Map<string, string>();

  /** True while the cache still holds the copy our last write to `key` replaced. */
  isStale(key: string, cached: KubeObject): boolean {
    const ours = this.versions.get(key);
    if (ours !== undefined && ours === cached.metadata?.resourceVersion) return true;
    this.versions.delete(key);
    return false;
  }

  /** We wrote over `cached` (the copy the reconcile read). */
  wrote(key: string, cached: KubeObject): void {
    const version = cached.metadata?.resourceVersion;
    if (version !== undefined) this.versions.set(key, version);
  }

  forget(key: string): void {
    this.versions.delete(key);
  }
}

/** Which events of a watched kind wake keys: all by default; a predicate narrows one. */
export interface EventFilter<T> {
  add?: boolean | ((object: T) => boolean);
  update?: boolean | ((oldObject: T, object: T) => boolean);
  delete?: boolean | ((object: T) => boolean);
}

/** The keys an object maps to; `old` is set on updates. */
export type KeyMapper<T> = (object: T, old?: T) => Iterable<string | undefined>;

/**
 * How a controller's queue runs. A ControllerContext carries the logger, metrics and signal, so
 * `{ ...ctx, name, keyField }` is a whole set.
 */
export interface ControllerOptions {
  /** The queue's name (metrics label, messages). */
  name: string;
  logger: Logger;
  /** The log field that names a failed key, e.g. `rollout`. */
  keyField: string;
  /** Message logged when a reconcile throws; default `reconcile failed; retrying`. */
  failureMessage?: string;
  /** The process's metrics; the queue reports as workqueue_*{name=<name>}. */
  metrics?: { workQueue(name: string): WorkQueueMetrics };
  /** Waiting for the caches is abandoned when this aborts (leadership lost). */
  signal?: AbortSignal;
  workers?: number;
  /** Per-key retry backoff after failures: doubles from baseDelayMs up to maxDelayMs. */
  rateLimit?: { baseDelayMs?: number; maxDelayMs?: number };
  clock?: Clock;
}

interface Watched {
  informer: Informer<KubeObject>;
  handlers?: {
    add?(object: KubeObject): void;
    update?(oldObject: KubeObject, object: KubeObject): void;
    delete?(object: KubeObject): void;
  };
}

export interface StartedController extends RunningController {
  /** Queues a key now (e.g. a webhook names an object). */
  enqueue(key: string | undefined): void;
}

function allows<A extends unknown[]>(filter: boolean | ((...args: A) => boolean) | undefined, ...args: A) {
  return filter === undefined || (typeof filter === 'boolean' ? filter : filter(...args));
}

export class ControllerBuilder {
  private readonly queue: WorkQueue;
  private readonly watched: Watched[] = [];
  private primary: { informer: Informer<KubeObject>; resyncMs: number } | undefined;

  constructor(private readonly options: ControllerOptions) {
    const { logger, keyField } = options;
    const message = options.failureMessage ?? 'reconcile failed; retrying';
    this.queue = new WorkQueue({
      name: options.name,
      ...(options.clock && { clock: options.clock }),
      ...(options.rateLimit?.baseDelayMs !== undefined && { baseDelayMs: options.rateLimit.baseDelayMs }),
      ...(options.rateLimit?.maxDelayMs !== undefined && { maxDelayMs: options.rateLimit.maxDelayMs }),
      ...(options.metrics && { metrics: options.metrics.workQueue(options.name) }),
      onError: (key, error) => logger.warn({ [keyField]: key, err: (error as Error).message }, message),
    });
  }

  /** Queues a key; usable before start (handlers of another controller may call it). */
  readonly enqueue = (key: string | undefined): void => {
    if (key) this.queue.add(key);
  };

  /**
   * The primary kind: its own key is queued on add and update (not delete, by default), and
   * every `resyncMs` for each cached object, as an update with the same object twice. Updates
   * `urgent` picks (e.g. a new spec) go to the queue's front lane (WorkQueue.addUrgent).
   */
  for<T extends KubeObject>(
    informer: Informer<T>,
    options: EventFilter<T> & {
      resyncMs?: number;
      onAdd?: (object: T) => void;
      urgent?: (oldObject: T, object: T) => boolean;
    } = {},
  ): this {
    const { resyncMs = 0, onAdd, urgent, ...filter } = options;
    this.primary = { informer: informer as unknown as Informer<KubeObject>, resyncMs };
    return this.watches(
      informer,
      (object) => [objectKey(object)],
      { delete: false, ...filter },
      onAdd,
      urgent,
    );
  }

  /** Objects whose controller ownerReference is of `ownerKind` wake that owner. */
  owns<T extends KubeObject>(informer: Informer<T>, ownerKind: string, filter: EventFilter<T> = {}): this {
    return this.watches(informer, (object) => [controllerOwnerKey(object, ownerKind)], filter);
  }

  /**
   * Any other kind: each event the filter lets through wakes the keys `map` returns (updates
   * `urgent` picks through the queue's front lane).
   */
  watches<T extends KubeObject>(
    informer: Informer<T>,
    map: KeyMapper<T>,
    filter: EventFilter<T> = {},
    onAdd?: (object: T) => void,
    urgent?: (oldObject: T, object: T) => boolean,
  ): this {
    const wake = (object: T, old?: T, urgently = false) => {
      for (const key of map(object, old)) {
        if (key && urgently) this.queue.addUrgent(key);
        else this.enqueue(key);
      }
    };
    const handlers = {
      add: (object: T) => {
        if (allows(filter.add, object)) wake(object);
        onAdd?.(object);
      },
      update: (old: T, object: T) => {
        if (allows(filter.update, old, object)) wake(object, old, urgent?.(old, object));
      },
      delete: (object: T) => {
        if (allows(filter.delete, object)) wake(object);
      },
    };
    this.watched.push({
      informer: informer as unknown as Informer<KubeObject>,
      handlers: handlers as Watched['handlers'],
    });
    return this;
  }

  /** A cache the reconcile reads without being woken by it: synced before workers start. */
  reads<T extends KubeObject>(informer: Informer<T>): this {
    this.watched.push({ informer: informer as unknown as Informer<KubeObject> });
    return this;
  }

  /**
   * Registers the handlers, starts the informers, waits for their first lists (or the signal),
   * then runs the workers. Stopping removes the handlers, drains the queue and calls onStop; the
   * informers belong to the process's InformerCache and stop with it.
   */
  async start(reconcile: KeyHandler, hooks: { onStop?: () => void } = {}): Promise<StartedController> {
    const { signal } = this.options;
    const clock = this.options.clock ?? systemClock;
    const removers = this.watched.flatMap((w) => (w.handlers ? [w.informer.addHandlers(w.handlers)] : []));
    const informers = [...new Set(this.watched.map((w) => w.informer))];
    const removeHandlers = () => {
      for (const remove of removers) remove();
    };
    for (const informer of informers) informer.start();
    try {
      await new Promise<void>((resolve, reject) => {
        const abandon = () => reject(new Error(`${this.options.name}: stopped leading while caches synced`));
        if (signal?.aborted) return abandon();
        signal?.addEventListener('abort', abandon, { once: true });
        Promise.all(informers.map((i) => i.waitForSync())).then(
          () => {
            signal?.removeEventListener('abort', abandon);
            resolve();
          },
          (error: Error) => {
            signal?.removeEventListener('abort', abandon);
            reject(error);
          },
        );
      });
    } catch (error) {
      removeHandlers();
      await this.queue.shutDown();
      throw error;
    }
    const workers = this.queue.run(reconcile, this.options.workers ?? 1);
    let resyncTimer: TimerHandle | undefined;
    const primary = this.primary;
    const primaryHandlers = this.watched.find((w) => w.informer === primary?.informer)?.handlers;
    const resync = () => {
      for (const object of primary?.informer.list() ?? []) primaryHandlers?.update?.(object, object);
      resyncTimer = clock.setTimer(primary?.resyncMs ?? 0, resync);
    };
    if (primary && primary.resyncMs > 0) resyncTimer = clock.setTimer(primary.resyncMs, resync);
    return {
      enqueue: this.enqueue,
      hasSynced: () => informers.every((i) => i.hasSynced()),
      stop: async () => {
        resyncTimer?.cancel();
        resyncTimer = undefined;
        removeHandlers();
        await this.queue.shutDown();
        await workers;
        hooks.onStop?.();
      },
    };
  }
}
