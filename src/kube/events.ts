// Records core/v1 Events (what `kubectl describe` and Argo's notifications read). Like
// client-go's recorder and its EventCorrelator (which Argo Rollouts uses at its defaults):
// - a repeat of the same (object, type, reason, message) bumps count and lastTimestamp on the
//   existing Event instead of creating another one;
// - from the 10th distinct message of one (object, type, reason) within 10 minutes on, they
//   fold into one "(combined from similar events): ..." Event;
// - optionally (spamBurst), client-go's spam filter: each (object, type) has a token bucket of
//   25 writes refilled one per 5 minutes, beyond which writes are dropped (listeners, i.e.
//   notifications, still hear of every event). Off by default; `slipway controller` turns it on
//   (as in the recorder Argo Rollouts builds with client-go's NewBroadcaster, so an update costs
//   no more Event writes than Argo's, issue 22) unless --no-event-spam-filter.
// Repeats recorded while an earlier write of the same Event is still waiting to start fold
// into that write, so one reconcile never writes the same Event twice.
import { NotFoundError } from './api-error.js';
import { type Clock, systemClock } from './clock.js';
import { describeObject, type KubeObject, type ObjectMeta } from './object.js';
import { createObject, mergePatch } from './patch.js';
import { coreResources } from './resource.js';
import type { RestClient } from './rest.js';
import { formatTime } from './timestamps.js';

export type EventType = 'Normal' | 'Warning';

/** An Event a pure plan asks for; the act step records it on the object it reconciled. */
export interface PlannedEvent {
  type: EventType;
  reason: string;
  message: string;
  /**
   * 'actions': reports a change the plan's actions make, recorded once those are made.
   * 'status' (default): reports a status transition, recorded once the status is written.
   */
  after?: 'actions' | 'status';
}

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface CoreEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: ObjectMeta;
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  type: EventType;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string; host?: string };
  reportingComponent: string;
  reportingInstance: string;
}

export interface EventCountUpdate {
  count: number;
  lastTimestamp: string;
  /** Sent for combined Events, whose message names the latest of the similar events. */
  message?: string;
}

/** Where events go; the API implementation is apiEventSink, tests pass a fake. */
export interface EventSink {
  create(event: CoreEvent): Promise<CoreEvent>;
  /** Must throw NotFoundError when the Event is gone (Events expire after an hour by default). */
  patch(namespace: string, name: string, update: EventCountUpdate): Promise<CoreEvent>;
}

export function apiEventSink(client: RestClient): EventSink {
  const resource = coreResources.events;
  return {
    create: (event) => createObject(client, resource, event),
    patch: (namespace, name, update) =>
      mergePatch<CoreEvent>(client, { resource, namespace, name }, { ...update }),
  };
}

export interface EventRecorderOptions {
  sink: EventSink;
  /** source.component and reportingComponent; default 'slipway-controller'. */
  component?: string;
  /** reportingInstance and source.host, e.g. the pod name; default the component. */
  instance?: string;
  clock?: Clock;
  /** How many distinct events to remember for aggregation; oldest forgotten first. Default 4096. */
  maxCachedEvents?: number;
  /** Recording never throws into a reconcile; failures go here. */
  onError?: (error: Error) => void;
  /** client-go's spam filter (CLIENT_GO_SPAM_BURST there): writes per (object, type) at once. Default: no filter. */
  spamBurst?: number;
  /** One more write allowed per this many ms. Default 300,000 (client-go's 1/300 QPS). */
  spamRefillMs?: number;
}

/** client-go's defaultAggregateMaxEvents and defaultAggregateIntervalInSeconds. */
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const COMBINED_PREFIX = '(combined from similar events): ';
/** client-go's defaultSpamBurst (tools/record/events_cache.go). */
export const CLIENT_GO_SPAM_BURST = 25;

/** Told of every Event as it is recorded (notifications map reasons to triggers, as Argo does). */
export type EventListener = (object: KubeObject, type: EventType, reason: string, message: string) => void;

interface RecordedEvent {
  namespace: string;
  name: string;
  count: number;
}

interface SimilarEvents {
  messages: Set<string>;
  lastSeen: number;
}

interface TokenBucket {
  tokens: number;
  updated: number;
}

/** A write not yet started: later repeats add to `repeats` instead of queueing another. */
interface QueuedWrite {
  repeats: number;
  message: string;
  done: Promise<void>;
}

export class EventRecorder {
  private readonly sink: EventSink;
  private readonly component: string;
  private readonly instance: string;
  private readonly clock: Clock;
  private readonly maxCachedEvents: number;
  private readonly onError: (error: Error) => void;
  /** Insertion-ordered, so the first entry is the least recently used. */
  private readonly recorded = new Map<string, RecordedEvent>();
  /** Writes for one aggregation key run in order, so a repeat never races the create. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, QueuedWrite>();
  private readonly similar = new Map<string, SimilarEvents>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly spamBurst: number;
  private readonly spamRefillMs: number;
  private sequence = 0;
  private readonly listeners = new Set<EventListener>();

  constructor(options: EventRecorderOptions) {
    this.sink = options.sink;
    this.component = options.component ?? 'slipway-controller';
    this.instance = options.instance ?? this.component;
    this.clock = options.clock ?? systemClock;
    this.maxCachedEvents = options.maxCachedEvents ?? 4096;
    this.onError = options.onError ?? ((error) => console.error(error));
    this.spamBurst = options.spamBurst ?? Number.POSITIVE_INFINITY;
    this.spamRefillMs = options.spamRefillMs ?? 300_000;
  }

  /** Adds a listener; returns the function that removes it. A throwing listener goes to onError. */
  addListener(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  normal(object: KubeObject, reason: string, message: string): Promise<void> {
    return this.record(object, 'Normal', reason, message);
  }

  warning(object: KubeObject, reason: string, message: string): Promise<void> {
    return this.record(object, 'Warning', reason, message);
  }

  /**
   * Records an event about `object` (which needs kind, metadata.name and, if namespaced,
   * metadata.namespace). Never rejects; await it only to know the write finished.
   */
  record(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = object.metadata ?? {};
    if (!object.kind || !meta.name) {
      this.onError(
        new Error(
          `event ${reason} on ${describeObject(object)}: the object needs kind and metadata.name to be referenced`,
        ),
      );
      return Promise.resolve();
    }
    for (const listener of this.listeners) {
      try {
        listener(object, type, reason, message);
      } catch (error) {
        this.onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
    const involvedObject: ObjectReference = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: meta.namespace,
      name: meta.name,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
    };
    const objectKey = [object.kind, meta.namespace ?? '', meta.name, meta.uid ?? '', type].join('\u0000');
    const similarKey = `${objectKey}\u0000${reason}`;
    const combined = this.correlate(similarKey, message);
    const key = combined ? `${similarKey}\u0000combined` : `${similarKey}\u0000${message}`;
    const text = combined ? `${COMBINED_PREFIX}${message}` : message;
    const waiting = this.queued.get(key);
    if (waiting) {
      // Same Event again before its write started (e.g. twice in one reconcile): one write.
      waiting.repeats += 1;
      waiting.message = text;
      return waiting.done;
    }
    if (Number.isFinite(this.spamBurst) && !this.takeToken(`${objectKey}\u0000${object.apiVersion ?? ''}`)) {
      return Promise.resolve();
    }
    const queued: QueuedWrite = { repeats: 1, message: text, done: Promise.resolve() };
    // One chain per involved object: its Events reach the API server in the order recorded
    // (Argo's e2e suite compares a Rollout's Event reasons in order).
    const chain = [object.kind, meta.namespace ?? '', meta.name, meta.uid ?? ''].join('\u0000');
    const previous = this.pending.get(chain) ?? Promise.resolve();
    const write = previous.then(() => {
      this.queued.delete(key);
      return this.write(key, involvedObject, type, reason, queued.message, queued.repeats, combined);
    });
    queued.done = write;
    this.queued.set(key, queued);
    this.pending.set(chain, write);
    return write.finally(() => {
      if (this.pending.get(chain) === write) {
        this.pending.delete(chain);
      }
    });
  }

  /** client-go's EventAggregator: true once this is the 10th+ distinct message within 10 minutes. */
  private correlate(similarKey: string, message: string): boolean {
    const now = this.clock.now();
    let entry = this.similar.get(similarKey);
    if (!entry || now - entry.lastSeen > AGGREGATE_INTERVAL_MS) {
      entry = { messages: new Set(), lastSeen: now };
    }
    this.similar.delete(similarKey);
    this.similar.set(similarKey, entry);
    entry.lastSeen = now;
    if (entry.messages.size < AGGREGATE_MAX_EVENTS) entry.messages.add(message);
    this.trim(this.similar);
    return entry.messages.size >= AGGREGATE_MAX_EVENTS;
  }

  /** client-go's EventSourceObjectSpamFilter: a token bucket per (object, type). */
  private takeToken(spamKey: string): boolean {
    const now = this.clock.now();
    const bucket = this.buckets.get(spamKey) ?? { tokens: this.spamBurst, updated: now };
    const refilled = Math.floor((now - bucket.updated) / this.spamRefillMs);
    if (refilled > 0) {
      bucket.tokens = Math.min(this.spamBurst, bucket.tokens + refilled);
      bucket.updated += refilled * this.spamRefillMs;
    }
    if (bucket.tokens >= this.spamBurst) bucket.updated = now;
    this.buckets.delete(spamKey);
    this.buckets.set(spamKey, bucket);
    this.trim(this.buckets);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private trim(map: Map<string, unknown>): void {
    while (map.size > this.maxCachedEvents) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) break;
      map.delete(oldest);
    }
  }

  private async write(
    key: string,
    involvedObject: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    repeats: number,
    combined: boolean,
  ): Promise<void> {
    const now = formatTime(this.clock.now());
    const seen = this.recorded.get(key);
    try {
      if (seen) {
        try {
          await this.sink.patch(seen.namespace, seen.name, {
            count: seen.count + repeats,
            lastTimestamp: now,
            ...(combined ? { message } : {}),
          });
          seen.count += repeats;
          this.remember(key, seen);
          return;
        } catch (error) {
          if (!(error instanceof NotFoundError)) {
            throw error;
          }
          // Expired since we last wrote it: start a new Event.
          this.recorded.delete(key);
        }
      }
      const namespace = involvedObject.namespace || 'default';
      const created = await this.sink.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: this.eventName(involvedObject.name ?? 'object'), namespace },
        involvedObject,
        reason,
        message,
        type,
        count: repeats,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: this.component, host: this.instance },
        reportingComponent: this.component,
        reportingInstance: this.instance,
      });
      this.remember(key, { namespace, name: created.metadata.name ?? '', count: repeats });
    } catch (error) {
      const what = `${involvedObject.kind} ${involvedObject.namespace ? `${involvedObject.namespace}/` : ''}${involvedObject.name}`;
      this.onError(
        new Error(
          `event ${type} ${reason} on ${what}: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        ),
      );
    }
  }

  private remember(key: string, event: RecordedEvent): void {
    this.recorded.delete(key);
    this.recorded.set(key, event);
    this.trim(this.recorded);
  }

  /** client-go's `<object name>.<hex nanoseconds>`, with a sequence so same-millisecond names differ. */
  private eventName(objectName: string): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    const nanos = BigInt(this.clock.now()) * 1_000_000n + BigInt(this.sequence);
    return `${objectName}.${nanos.toString(16)}`;
  }
}
