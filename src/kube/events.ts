// Records core/v1 Events (what `kubectl describe` and Argo's notifications read). Like
// client-go's recorder, a repeat of the same (object, type, reason, message) bumps count and
// lastTimestamp on the existing Event instead of creating another one.
import { NotFoundError } from './api-error.js';
import { type Clock, systemClock } from './clock.js';
import { describeObject, type KubeObject, type ObjectMeta } from './object.js';
import { createObject, mergePatch } from './patch.js';
import { coreResources } from './resource.js';
import type { RestClient } from './rest.js';
import { formatTime } from './timestamps.js';

export type EventType = 'Normal' | 'Warning';

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
}

/** Told of every Event as it is recorded (notifications map reasons to triggers, as Argo does). */
export type EventListener = (object: KubeObject, type: EventType, reason: string, message: string) => void;

interface RecordedEvent {
  namespace: string;
  name: string;
  count: number;
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
  private sequence = 0;
  private readonly listeners = new Set<EventListener>();

  constructor(options: EventRecorderOptions) {
    this.sink = options.sink;
    this.component = options.component ?? 'slipway-controller';
    this.instance = options.instance ?? this.component;
    this.clock = options.clock ?? systemClock;
    this.maxCachedEvents = options.maxCachedEvents ?? 4096;
    this.onError = options.onError ?? ((error) => console.error(error));
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
    const key = [object.kind, meta.namespace ?? '', meta.name, meta.uid ?? '', type, reason, message].join(
      '\u0000',
    );
    // One chain per involved object: its Events reach the API server in the order recorded
    // (Argo's e2e suite compares a Rollout's Event reasons in order).
    const chain = [object.kind, meta.namespace ?? '', meta.name, meta.uid ?? ''].join('\u0000');
    const previous = this.pending.get(chain) ?? Promise.resolve();
    const write = previous.then(() => this.write(key, involvedObject, type, reason, message));
    this.pending.set(chain, write);
    return write.finally(() => {
      if (this.pending.get(chain) === write) {
        this.pending.delete(chain);
      }
    });
  }

  private async write(
    key: string,
    involvedObject: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = formatTime(this.clock.now());
    const seen = this.recorded.get(key);
    try {
      if (seen) {
        try {
          await this.sink.patch(seen.namespace, seen.name, { count: seen.count + 1, lastTimestamp: now });
          seen.count += 1;
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
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: this.component, host: this.instance },
        reportingComponent: this.component,
        reportingInstance: this.instance,
      });
      this.remember(key, { namespace, name: created.metadata.name ?? '', count: 1 });
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
    while (this.recorded.size > this.maxCachedEvents) {
      const oldest = this.recorded.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.recorded.delete(oldest);
    }
  }

  /** client-go's `<object name>.<hex nanoseconds>`, with a sequence so same-millisecond names differ. */
  private eventName(objectName: string): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    const nanos = BigInt(this.clock.now()) * 1_000_000n + BigInt(this.sequence);
    return `${objectName}.${nanos.toString(16)}`;
  }
}
