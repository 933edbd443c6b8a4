// Sends the notifications for one recorded Event, as Argo Rollouts' EventRecorderAdapter
// does (utils/record/record.go): the reason names the trigger (RolloutCompleted →
// on-rollout-completed), global subscriptions and the object's annotations name the
// destinations, the trigger's conditions pick the templates. On top of Argo, delivery is at
// most once per oncePer value: the key is written to notified.notifications.argoproj.io
// before sending (and removed again if sending fails for good), so a restarted or new leader
// that records the same Event again sends nothing twice.

import { createHash } from 'node:crypto';
import { goDurationOrUndefined } from '../api/duration.js';
import { NOTIFIED_ANNOTATION } from '../api/labels.js';
import type { Logger } from '../process/logger.js';
import type { NotificationConfig } from './config.js';
import type { NotificationMetrics } from './metrics.js';
import { type RenderedNotification, renderNotification } from './render.js';
import { createService } from './services/registry.js';
import { DeliveryError } from './services/service.js';
import { type NotifiedState, parseState, stateKey, truncateState } from './state.js';
import { type NotificationSubject, subjectFor } from './subjects.js';
import { type Destination, destinationsFor } from './subscriptions.js';
import { runTrigger } from './triggers.js';

export const NOTIFICATION_FAILED_REASON = 'NotificationFailed';

export interface NotifiedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** What the notifier reads and writes; the controller wires it to the API, tests to fakes. */
export interface NotifierIO {
  /** The configurations that apply to objects of this namespace (controller's, then self-service). */
  configs(namespace: string): Promise<NotificationConfig[]>;
  /**
   * The object as it is now (annotations included), or undefined if it is gone; at least as
   * new as resourceVersion `atLeast` when given (the version of the Event's object).
   */
  fetch(kind: string, namespace: string, name: string, atLeast?: string): Promise<NotifiedObject | undefined>;
  /** Extra template variables for the object, e.g. its AnalysisRuns. */
  extraVars(object: NotifiedObject): Promise<Record<string, unknown>>;
  /** Writes the delivery state annotation (undefined removes it). */
  writeState(object: NotifiedObject, annotation: string | undefined): Promise<void>;
  /** A Warning Event on the object, e.g. a template error. */
  warn(object: NotifiedObject, message: string): void;
}

export interface RetryPolicy {
  /** Sends after the first one; Argo's webhook default is 3. */
  retryMax: number;
  waitMinMs: number;
  waitMaxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retryMax: 3, waitMinMs: 1000, waitMaxMs: 5000 };

export interface NotifierOptions {
  io: NotifierIO;
  metrics?: NotificationMetrics;
  logger?: Logger;
  retry?: RetryPolicy;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * How many notification configurations Argo's recorder sends an Event of an object in
   * `namespace` through (its own namespace's and the controller's, each whether or not it has a
   * ConfigMap): notification_send is observed once per configuration and Event. Default 1.
   */
  configurationsFor?: (namespace: string) => number;
}

export interface DeliveryOutcome {
  trigger: string;
  destination: Destination;
  templates: string[];
  result: 'sent' | 'failed' | 'already-sent';
  error?: string;
  notification?: RenderedNotification;
}

/** Go durations as the engine's options accept them ("1s", "500ms"), or milliseconds. */
function durationMs(value: unknown, fallback: number): number {
  if (typeof value === 'number') return value / 1e6; // a Go time.Duration in nanoseconds
  if (typeof value !== 'string') return fallback;
  const ms = goDurationOrUndefined(value.trim());
  return ms === undefined || ms < 0 ? fallback : ms;
}

function shortHash(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 10);
}

export class Notifier {
  private readonly io: NotifierIO;
  private readonly metrics: NotificationMetrics | undefined;
  private readonly logger: Logger | undefined;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly configurationsFor: (namespace: string) => number;
  /** Work for one object runs in order, so state read-modify-writes never race each other. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(options: NotifierOptions) {
    this.io = options.io;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.configurationsFor = options.configurationsFor ?? (() => 1);
  }

  /**
   * notification_send as Argo's recorder observes it: once per configuration for every Event
   * with a reason, sent or not (an Event no one subscribes to still costs a look).
   */
  observeSend(object: NotifiedObject, seconds: number): void {
    const times = Math.max(1, this.configurationsFor(object.metadata?.namespace ?? ''));
    for (let i = 0; i < times; i++) this.metrics?.observe(object, seconds / times);
  }

  /** Waits until every queued notification has been handled (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  /** Queues the notifications of an Event; never rejects. */
  onEvent(object: NotifiedObject, type: string, reason: string, message: string): Promise<DeliveryOutcome[]> {
    const meta = object.metadata ?? {};
    const key = `${object.kind}/${meta.namespace}/${meta.name}`;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const work = previous
      .catch(() => undefined)
      .then(async () => {
        const started = this.now();
        try {
          return await this.handle(object, type, reason, message);
        } finally {
          this.observeSend(object, (this.now() - started) / 1000);
        }
      })
      .catch((error: Error) => {
        this.logger?.warn({ object: key, reason, err: error.message }, 'notifications failed');
        return [] as DeliveryOutcome[];
      });
    this.chains.set(key, work);
    void work.finally(() => {
      if (this.chains.get(key) === work) this.chains.delete(key);
    });
    return work;
  }

  private async handle(
    observed: NotifiedObject,
    type: string,
    reason: string,
    message: string,
  ): Promise<DeliveryOutcome[]> {
    const namespace = observed.metadata?.namespace ?? '';
    const name = observed.metadata?.name ?? '';
    const subject: NotificationSubject | undefined = subjectFor(observed.kind);
    const trigger = subject?.trigger(reason, message);
    if (!subject || !trigger) return [];
    const configs = await this.io.configs(namespace);
    // Cheap test on what the Event carried before reading anything else.
    if (!configs.some((c) => destinationsFor(c, observed.metadata ?? {}, trigger).length > 0)) return [];
    const current = await this.io.fetch(subject.kind, namespace, name, observed.metadata?.resourceVersion);
    if (!current) return [];
    // Templates see the object the controller recorded the Event about (Argo passes c.rollout,
    // whose status is the one before the pass's write); the delivery state is read fresh.
    const object: NotifiedObject = observed.spec !== undefined ? observed : current;
    const outcomes: DeliveryOutcome[] = [];
    let state: NotifiedState = parseState(current.metadata?.annotations?.[NOTIFIED_ANNOTATION]);
    let vars: Record<string, unknown> | undefined;
    for (const config of configs) {
      const destinations = destinationsFor(config, object.metadata ?? {}, trigger);
      if (destinations.length === 0) continue;
      const conditions = config.triggers.get(trigger);
      if (!conditions) {
        this.logger?.debug({ trigger }, 'trigger is not configured');
        continue;
      }
      vars ??= {
        ...subject.eventVars(reason, message),
        ...(await this.io.extraVars(object)),
        [subject.variable]: object,
      };
      const configVars = { ...vars, secrets: config.secrets };
      const results = runTrigger(conditions, configVars);
      // A default oncePer: this occurrence of the Event (for a Rollout its revision and step, and
      // the message), so the same Event recorded again after a restart is recognised.
      const occurrence = `${subject.occurrence(object)}.${shortHash(`${reason}\n${message}`)}`;
      const pending: {
        key: string;
        destination: Destination;
        templates: string[];
        notification: RenderedNotification;
      }[] = [];
      for (const result of results) {
        if (result.error) {
          this.io.warn(object, `trigger ${trigger}: ${result.error}`);
          this.metrics?.failed({ object, type, reason, trigger, service: '' });
        }
        if (!result.triggered) continue;
        let notification: RenderedNotification;
        try {
          notification = renderNotification(config.templates, result.templates, configVars);
        } catch (error) {
          const text = `trigger ${trigger}: ${(error as Error).message}`;
          this.io.warn(object, text);
          for (const destination of destinations) {
            this.metrics?.failed({ object, type, reason, trigger, service: destination.service });
            outcomes.push({
              trigger,
              destination,
              templates: result.templates,
              result: 'failed',
              error: text,
            });
          }
          continue;
        }
        for (const destination of destinations) {
          const key = stateKey({
            trigger,
            conditionKey: result.key,
            destination,
            oncePer: result.oncePer || occurrence,
            ...(config.isSelfService ? { selfServiceNamespace: config.namespace } : {}),
          });
          if (state[key] !== undefined) {
            outcomes.push({ trigger, destination, templates: result.templates, result: 'already-sent' });
            continue;
          }
          pending.push({ key, destination, templates: result.templates, notification });
        }
      }
      if (pending.length === 0) continue;
      // Claim first: at most once, even if we die while sending.
      const claimed = { ...state };
      const stamp = Math.floor(this.now() / 1000);
      for (const p of pending) claimed[p.key] = stamp;
      state = truncateState(claimed);
      await this.io.writeState(current, JSON.stringify(state));
      const failedKeys: string[] = [];
      for (const p of pending) {
        const error = await this.deliver(config, p.notification, p.destination);
        if (error) {
          failedKeys.push(p.key);
          this.io.warn(
            object,
            `notification ${trigger} to ${p.destination.service}${p.destination.recipient ? `:${p.destination.recipient}` : ''} failed: ${error}`,
          );
          this.metrics?.failed({ object, type, reason, trigger, service: p.destination.service });
        } else {
          this.metrics?.sent({ object, type, reason, trigger, service: p.destination.service });
        }
        outcomes.push({
          trigger,
          destination: p.destination,
          templates: p.templates,
          result: error ? 'failed' : 'sent',
          notification: p.notification,
          ...(error ? { error } : {}),
        });
      }
      if (failedKeys.length > 0) {
        // Failed for good: release the claim so a later occurrence may try again.
        const released = { ...state };
        for (const key of failedKeys) delete released[key];
        state = released;
        await this.io.writeState(current, Object.keys(state).length > 0 ? JSON.stringify(state) : undefined);
      }
    }
    return outcomes;
  }

  /** Sends with retries and exponential backoff; returns the final error text, if any. */
  private async deliver(
    config: NotificationConfig,
    notification: RenderedNotification,
    destination: Destination,
  ): Promise<string | undefined> {
    const service = config.services.get(destination.service);
    if (!service) return `notification service '${destination.service}' is not configured`;
    let sender: ReturnType<typeof createService>;
    try {
      sender = createService(service);
    } catch (error) {
      return (error as Error).message;
    }
    const retryMax =
      typeof service.options.retryMax === 'number' ? service.options.retryMax : this.retry.retryMax;
    const waitMin = durationMs(service.options.retryWaitMin, this.retry.waitMinMs);
    const waitMax = durationMs(service.options.retryWaitMax, this.retry.waitMaxMs);
    for (let attempt = 0; ; attempt++) {
      try {
        await sender.send(notification, destination);
        return undefined;
      } catch (error) {
        const retryable = error instanceof DeliveryError ? error.retryable : true;
        const text = (error as Error).message;
        if (!retryable || attempt >= retryMax) return text;
        const wait = Math.min(waitMax, waitMin * 2 ** attempt);
        this.logger?.debug(
          { service: destination.service, attempt: attempt + 1, err: text },
          'retrying notification',
        );
        await this.sleep(wait);
      }
    }
  }
}
