// Notifications inside `slipway controller`: listens to the Events the controllers record and
// hands Rollout Events to the Notifier, wired to the API. The configuration is read from
// argo-rollouts-notification-configmap/-secret in the controller's namespace (POD_NAMESPACE,
// or the watched namespace when namespaced) and, with SLIPWAY_SELF_SERVICE_NOTIFICATIONS=true
// (Argo's --self-service-notification-enabled), also from the Rollout's own namespace.

import type { Registry } from 'prom-client';
import { IMAGE_WATCH_KIND } from '../api/gitsync.js';
import { ANALYSIS_RUN_KIND, apiResourceOf, ROLLOUT_KIND } from '../api/kinds.js';
import { NOTIFIED_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/labels.js';
import { PROMOTION_PIPELINE_KIND } from '../api/promotion.js';
import { KubeApiError, NotFoundError } from '../kube/api-error.js';
import type { ControllerFactory } from '../kube/controller.js';
import type { EventRecorder } from '../kube/events.js';
import type { KubeObject } from '../kube/object.js';
import { mergePatch } from '../kube/patch.js';
import { coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import type { Logger } from '../process/logger.js';
import {
  decodeSecretData,
  NOTIFICATION_CONFIGMAP,
  NOTIFICATION_SECRET,
  type NotificationConfig,
  parseNotificationConfig,
} from './config.js';
import { createNotificationMetrics } from './metrics.js';
import { NOTIFICATION_FAILED_REASON, type NotifiedObject, Notifier, type NotifierIO } from './notifier.js';

/** The kinds notifications are about (see subjects.ts). */
const RESOURCES = {
  Rollout: apiResourceOf(ROLLOUT_KIND),
  ImageWatch: apiResourceOf(IMAGE_WATCH_KIND),
  PromotionPipeline: apiResourceOf(PROMOTION_PIPELINE_KIND),
} as const;
const resourceOf = (kind: string | undefined) =>
  RESOURCES[(kind ?? '') as keyof typeof RESOURCES] as (typeof RESOURCES)['Rollout'] | undefined;
const ANALYSIS_RUNS = apiResourceOf(ANALYSIS_RUN_KIND);
const CONFIG_TTL_MS = 2000;

/** Reads and parses one namespace's configuration, caching it briefly (Events come in bursts). */
export class ConfigReader {
  private readonly cache = new Map<string, { at: number; config: Promise<NotificationConfig | undefined> }>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly client: RestClient,
    private readonly logger: Logger | undefined,
  ) {}

  read(namespace: string, isSelfService: boolean): Promise<NotificationConfig | undefined> {
    const key = `${namespace}/${isSelfService}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CONFIG_TTL_MS) return hit.config;
    const config = this.load(namespace, isSelfService);
    this.cache.set(key, { at: Date.now(), config });
    return config;
  }

  private async getOptional<T extends KubeObject>(
    resource: (typeof coreResources)['configMaps' | 'secrets'],
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.client.get<T>(resource, namespace, name);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      if (error instanceof KubeApiError && error.statusCode === 403) {
        const key = `${namespace}/${name}`;
        if (!this.reported.has(key)) {
          this.reported.add(key);
          this.logger?.warn({ namespace, name }, 'notifications: not allowed to read the configuration');
        }
        return undefined;
      }
      throw error;
    }
  }

  private async load(namespace: string, isSelfService: boolean): Promise<NotificationConfig | undefined> {
    const configMap = await this.getOptional<KubeObject & { data?: Record<string, string> }>(
      coreResources.configMaps,
      namespace,
      NOTIFICATION_CONFIGMAP,
    );
    if (!configMap) return undefined;
    const secret = await this.getOptional<KubeObject & { data?: Record<string, string> }>(
      coreResources.secrets,
      namespace,
      NOTIFICATION_SECRET,
    );
    const config = parseNotificationConfig(configMap.data, decodeSecretData(secret), {
      namespace,
      isSelfService,
    });
    for (const problem of config.problems) {
      this.logger?.warn(
        { namespace, configMap: NOTIFICATION_CONFIGMAP, problem },
        'notifications: configuration problem',
      );
    }
    return config;
  }
}

export interface ApiNotifierOptions {
  client: RestClient;
  /** Where the controller's own configuration lives. */
  controllerNamespace: string;
  selfService: boolean;
  logger?: Logger;
  warn: (object: NotifiedObject, message: string) => void;
}

export function apiNotifierIO(options: ApiNotifierOptions): NotifierIO {
  const { client } = options;
  const reader = new ConfigReader(client, options.logger);
  return {
    async configs(namespace) {
      const out: NotificationConfig[] = [];
      const own = await reader.read(options.controllerNamespace, false);
      if (own) out.push(own);
      if (options.selfService && namespace !== options.controllerNamespace) {
        const selfService = await reader.read(namespace, true);
        if (selfService) out.push(selfService);
      }
      return out;
    },
    async fetch(kind, namespace, name) {
      const resource = resourceOf(kind);
      if (!resource) return undefined;
      // A list by name, not a get: the controller's RBAC reads Rollouts through list/watch only.
      const { items } = await client.list<KubeObject>(resource, {
        namespace,
        fieldSelector: `metadata.name=${name}`,
      });
      const found = items[0];
      return found ? ({ ...found, kind } as NotifiedObject) : undefined;
    },
    async extraVars(object) {
      // Argo's analysisRuns: the runs of the current pod hash and revision, newest first.
      if (object.kind !== 'Rollout') return {};
      const status = (object.status ?? {}) as { currentPodHash?: string };
      const revision = object.metadata?.annotations?.[REVISION_ANNOTATION];
      if (!status.currentPodHash) return {};
      const { items } = await client.list<KubeObject>(ANALYSIS_RUNS, {
        namespace: object.metadata?.namespace,
        labelSelector: `${POD_TEMPLATE_HASH_LABEL}=${status.currentPodHash}`,
      });
      const runs = items
        .filter((r) => r.metadata?.annotations?.[REVISION_ANNOTATION] === revision)
        .sort((a, b) =>
          String(b.metadata?.creationTimestamp ?? '').localeCompare(
            String(a.metadata?.creationTimestamp ?? ''),
          ),
        );
      return runs.length > 0 ? { analysisRuns: runs } : {};
    },
    async writeState(object, annotation) {
      const resource = resourceOf(object.kind);
      if (!resource) return;
      await mergePatch(
        client,
        {
          resource,
          namespace: object.metadata?.namespace ?? '',
          name: object.metadata?.name ?? '',
        },
        { metadata: { annotations: { [NOTIFIED_ANNOTATION]: annotation ?? null } } },
      );
    },
    warn: options.warn,
  };
}

export interface AttachOptions {
  client: RestClient;
  events: EventRecorder;
  registry: Registry;
  logger: Logger;
  /** Where the configuration lives: the watched namespace when namespaced, else POD_NAMESPACE. */
  namespace: string | undefined;
  /** Which kinds' Events this process notifies about. */
  kinds: readonly string[];
}

/** Starts notifying on the Events `events` records; returns the function that stops it. */
export function attachNotifications(options: AttachOptions): () => Promise<void> {
  const { events } = options;
  const notifier = new Notifier({
    io: apiNotifierIO({
      client: options.client,
      controllerNamespace: options.namespace ?? process.env.POD_NAMESPACE ?? 'argo-rollouts',
      selfService: process.env.SLIPWAY_SELF_SERVICE_NOTIFICATIONS === 'true',
      logger: options.logger,
      warn: (object, message) => {
        void events.warning(object as KubeObject, NOTIFICATION_FAILED_REASON, message);
      },
    }),
    metrics: createNotificationMetrics(options.registry),
    logger: options.logger,
  });
  const removeListener = events.addListener((object, type, reason, message) => {
    if (!options.kinds.includes(object.kind ?? '') || reason === NOTIFICATION_FAILED_REASON) return;
    void notifier.onEvent(object as NotifiedObject, type, reason, message);
  });
  return async () => {
    removeListener();
    await notifier.idle();
  };
}

/** Notifications about these kinds' Events, as a controller of the process. */
export function notificationsControllerFor(kinds: readonly string[]): ControllerFactory {
  return {
    name: 'notifications',
    async start(ctx) {
      const stop = attachNotifications({
        client: ctx.client,
        events: ctx.events,
        registry: ctx.metrics.registry,
        logger: ctx.logger,
        namespace: ctx.namespace,
        kinds,
      });
      return { hasSynced: () => true, stop };
    },
  };
}

export const notificationsController = notificationsControllerFor(['Rollout']);
