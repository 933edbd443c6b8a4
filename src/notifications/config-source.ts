// The notifications configuration (argo-rollouts-notification-configmap and -secret) kept from
// informers, as Argo's notifications controller does, instead of GETs per notification (issue
// 22). Each informer lists and watches one name (a metadata.name fieldSelector, which is also
// what lets RBAC restrict list/watch by resourceNames, kubernetes#63469): in the controller's
// namespace and, with self-service notifications and no namespace restriction, in every
// namespace. A namespace's configuration is parsed once per change of its ConfigMap or Secret,
// when first asked for after it, not per notification. A source the controller may not list or
// watch (403) is retried with a backoff of up to FORBIDDEN_RETRY_MAX_MS, warned about once per
// outage, and notifications from it resume, without a restart, once RBAC allows it.

import { KubeApiError } from '../kube/api-error.js';
import { type Clock, systemClock, type TimerHandle } from '../kube/clock.js';
import { Informer, type ListWatchSource } from '../kube/informer.js';
import { type ApiListWatchOptions, apiListWatch } from '../kube/list-watch.js';
import type { KubeObject } from '../kube/object.js';
import { type ApiResource, coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import type { Logger } from '../process/logger.js';
import {
  decodeSecretData,
  NOTIFICATION_CONFIGMAP,
  NOTIFICATION_SECRET,
  type NotificationConfig,
  parseNotificationConfig,
} from './config.js';

type DataObject = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };

export type ListWatchFactory = (
  resource: ApiResource,
  scope: ApiListWatchOptions,
) => ListWatchSource<KubeObject>;

export interface ConfigSourceOptions {
  /** Lists and watches through the API server; unit tests pass `listWatch` instead. */
  client?: RestClient;
  listWatch?: ListWatchFactory;
  /** Where the controller's own configuration lives. */
  controllerNamespace: string;
  /** Also the configuration of the namespace an object lives in (Argo's self-service mode). */
  selfService: boolean;
  /** The one namespace the process watches (--namespace); undefined when cluster-wide. */
  watchedNamespace?: string;
  logger?: Logger;
  /** How long notifications wait for the first lists at start-up before going on without. */
  syncTimeoutMs?: number;
  clock?: Clock;
}

interface Entry {
  configMap?: DataObject;
  secret?: DataObject;
  /** Parsed from configMap and secret; undefined until asked for after a change. */
  parsed?: NotificationConfig;
}

const SYNC_TIMEOUT_MS = 30_000;
/** After a 403, the first retry waits this long; each next one twice as long, up to the max. */
export const FORBIDDEN_RETRY_INITIAL_MS = 5_000;
export const FORBIDDEN_RETRY_MAX_MS = 5 * 60_000;

const isForbidden = (error: unknown): boolean => {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (cause instanceof KubeApiError) return cause.statusCode === 403;
  return (cause as { statusCode?: unknown } | undefined)?.statusCode === 403;
};

export class NotificationConfigSource {
  private readonly entries = new Map<string, Entry>();
  private readonly informers: Informer<DataObject>[] = [];
  private readonly logger: Logger | undefined;
  private readonly controllerNamespace: string;
  private readonly selfService: boolean;
  private readonly syncTimeoutMs: number;
  private readonly clock: Clock;
  private synced: Promise<void> | undefined;
  private removers: (() => void)[] = [];
  /** The pending retry of each source turned off by a 403. */
  private readonly retries = new Set<TimerHandle>();
  private stopped = false;

  constructor(options: ConfigSourceOptions) {
    this.logger = options.logger;
    this.controllerNamespace = options.controllerNamespace;
    this.selfService = options.selfService;
    this.syncTimeoutMs = options.syncTimeoutMs ?? SYNC_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
    const client = options.client;
    const listWatch =
      options.listWatch ??
      ((resource: ApiResource, scope: ApiListWatchOptions) => {
        if (!client) throw new Error('NotificationConfigSource: no client and no listWatch');
        return apiListWatch<KubeObject>(client, resource, scope);
      });
    // The controller's own configuration: its namespace. Self-service also reads the namespace
    // of every notified object: one more watch across namespaces (which leaves the controller's
    // namespace to the first, so a 403 on it turns off only self-service), unless the process is
    // confined to one namespace, which is then the controller's.
    const scopes: { namespace?: string; skip?: string }[] = [{ namespace: this.controllerNamespace }];
    if (this.selfService && options.watchedNamespace === undefined) {
      scopes.push({ skip: this.controllerNamespace });
    }
    const sources = [
      { kind: 'configMap' as const, resource: coreResources.configMaps, name: NOTIFICATION_CONFIGMAP },
      { kind: 'secret' as const, resource: coreResources.secrets, name: NOTIFICATION_SECRET },
    ];
    for (const { namespace, skip } of scopes) {
      for (const { kind, resource, name } of sources) {
        const where = { namespace: namespace ?? '(all)', name };
        /** Set while a 403 keeps this source off: since when, and the next retry's wait. */
        let forbidden: { sinceMs: number; retryMs: number } | undefined;
        const inner = listWatch(resource, {
          ...(namespace !== undefined && { namespace }),
          fieldSelector: `metadata.name=${name}`,
        }) as ListWatchSource<DataObject>;
        // A watch that starts means both its list and it are allowed: the outage is over.
        const source: ListWatchSource<DataObject> = {
          description: inner.description,
          list: () => inner.list(),
          watch: async (resourceVersion, onEvent, onClose) => {
            const handle = await inner.watch(resourceVersion, onEvent, onClose);
            if (forbidden) {
              this.logger?.info(
                { ...where, forbiddenForMs: this.clock.now() - forbidden.sinceMs },
                'notifications: allowed to list/watch the configuration again; notifications from it are on',
              );
              forbidden = undefined;
            }
            return handle;
          },
        };
        let reported = false;
        const informer: Informer<DataObject> = new Informer<DataObject>(source, {
          ...(options.clock && { clock: options.clock }),
          onError: (error) => {
            if (isForbidden(error)) {
              // Not allowed to list or watch it (RBAC): notifications go on without what this
              // source holds (no ConfigMap: no notifications from it; no Secret: services without
              // their $secrets). The informer stops, and starts again after a backoff that grows
              // up to FORBIDDEN_RETRY_MAX_MS, until RBAC allows it: one warning per outage.
              informer.stop();
              if (this.stopped) return;
              if (forbidden) {
                forbidden.retryMs = Math.min(forbidden.retryMs * 2, FORBIDDEN_RETRY_MAX_MS);
                this.logger?.debug(
                  { ...where, retryInMs: forbidden.retryMs, err: error.message },
                  'notifications: still not allowed to list/watch the configuration',
                );
              } else {
                forbidden = { sinceMs: this.clock.now(), retryMs: FORBIDDEN_RETRY_INITIAL_MS };
                this.logger?.warn(
                  { ...where, retryInMs: forbidden.retryMs, err: error.message },
                  'notifications: not allowed to list/watch the configuration; notifications from it are off until it is',
                );
              }
              const retry = this.clock.setTimer(forbidden.retryMs, () => {
                this.retries.delete(retry);
                if (!this.stopped) informer.start();
              });
              this.retries.add(retry);
              return;
            }
            // Other failures are retried by the informer with backoff; say so once, then quietly.
            if (!reported)
              this.logger?.warn({ err: error.message }, 'notifications: configuration watch failed');
            else this.logger?.debug({ err: error.message }, 'notifications: configuration watch failed');
            reported = true;
          },
        });
        const ours = (object: DataObject) => skip === undefined || object.metadata?.namespace !== skip;
        this.removers.push(
          informer.addHandlers({
            add: (object) => ours(object) && this.set(kind, object, 'added'),
            update: (old, object) => {
              if (ours(object) && old.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
                this.set(kind, object, 'changed');
              }
            },
            delete: (object) => ours(object) && this.set(kind, object, 'deleted'),
          }),
        );
        this.informers.push(informer);
      }
    }
  }

  start(): void {
    this.stopped = false;
    for (const informer of this.informers) informer.start();
  }

  stop(): void {
    this.stopped = true;
    for (const retry of this.retries) retry.cancel();
    this.retries.clear();
    for (const remove of this.removers) remove();
    this.removers = [];
    for (const informer of this.informers) informer.stop();
  }

  /**
   * Resolves once every informer has its first list, was turned off by a 403 (until a retry
   * is allowed), or the sync timeout passed: Events right after start-up wait for the
   * configuration instead of finding none.
   */
  ready(): Promise<void> {
    this.synced ??= Promise.allSettled(
      this.informers.map((informer) => informer.waitForSync(this.syncTimeoutMs)),
    ).then(() => undefined);
    return this.synced;
  }

  /** The configurations that apply to objects of `namespace`: the controller's, then self-service. */
  async configs(namespace: string): Promise<NotificationConfig[]> {
    await this.ready();
    const out: NotificationConfig[] = [];
    const own = this.config(this.controllerNamespace);
    if (own) out.push(own);
    if (this.selfService && namespace !== this.controllerNamespace) {
      const selfService = this.config(namespace);
      if (selfService) out.push(selfService);
    }
    return out;
  }

  /** One namespace's parsed configuration; undefined when it has no notification ConfigMap. */
  config(namespace: string): NotificationConfig | undefined {
    const entry = this.entries.get(namespace);
    if (!entry?.configMap) return undefined;
    if (entry.parsed) return entry.parsed;
    const parsed = parseNotificationConfig(entry.configMap.data, decodeSecretData(entry.secret), {
      namespace,
      isSelfService: namespace !== this.controllerNamespace,
    });
    for (const problem of parsed.problems) {
      this.logger?.warn(
        { namespace, configMap: NOTIFICATION_CONFIGMAP, problem },
        'notifications: configuration problem',
      );
    }
    entry.parsed = parsed;
    return parsed;
  }

  private set(
    kind: 'configMap' | 'secret',
    object: DataObject,
    change: 'added' | 'changed' | 'deleted',
  ): void {
    const namespace = object.metadata?.namespace ?? '';
    // Rare (someone edits the configuration), and worth knowing when notifications change.
    this.logger?.info(
      { namespace, name: object.metadata?.name, resourceVersion: object.metadata?.resourceVersion, change },
      'notifications: configuration object seen',
    );
    const entry = this.entries.get(namespace) ?? {};
    entry[kind] = change === 'deleted' ? undefined : object;
    entry.parsed = undefined;
    if (entry.configMap || entry.secret) this.entries.set(namespace, entry);
    else this.entries.delete(namespace);
  }
}
