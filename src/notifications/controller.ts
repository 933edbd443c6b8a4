// Notifications inside `slipway controller`: listens to the Events the controllers record and
// hands Rollout Events to the Notifier, wired to the API. The configuration is kept by
// informers (config-source.ts) on argo-rollouts-notification-configmap/-secret in the
// controller's namespace (POD_NAMESPACE, or the watched namespace when namespaced) and, with
// SLIPWAY_SELF_SERVICE_NOTIFICATIONS=true (Argo's --self-service-notification-enabled), also
// in the Rollout's own namespace. The notified object and its AnalysisRuns come from the
// Rollout controller's informer caches when they are fresh enough, else from a LIST.

import type { Registry } from 'prom-client';
import { IMAGE_WATCH_KIND } from '../api/gitsync.js';
import { ANALYSIS_RUN_KIND, apiResourceOf, EXPERIMENT_KIND, ROLLOUT_KIND } from '../api/kinds.js';
import {
  INSTANCE_ID_LABEL,
  NOTIFIED_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
} from '../api/labels.js';
import { PROMOTION_PIPELINE_KIND } from '../api/promotion.js';
import { type ControllerContext, type ControllerFactory, cacheScopes } from '../kube/controller.js';
import type { EventRecorder } from '../kube/events.js';
import type { Informer } from '../kube/informer.js';
import { type KubeObject, resourceVersionNumber } from '../kube/object.js';
import { mergePatch } from '../kube/patch.js';
import type { RestClient } from '../kube/rest.js';
import type { Exposition } from '../metrics/object-families.js';
import type { Logger } from '../process/logger.js';
import { NotificationConfigSource } from './config-source.js';
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
const EXPERIMENTS = apiResourceOf(EXPERIMENT_KIND);

export interface ApiNotifierOptions {
  client: RestClient;
  /** The configurations that apply to a namespace's objects (a NotificationConfigSource). */
  config: Pick<NotificationConfigSource, 'configs'>;
  /**
   * The process's informer caches of notified kinds (by kind, e.g. Rollout) and of AnalysisRuns,
   * where it has them: read instead of LISTs once synced. Without them, LISTs by name.
   */
  caches?: { objects?: Partial<Record<string, Informer<KubeObject>>>; analysisRuns?: Informer<KubeObject> };
  logger?: Logger;
  warn: (object: NotifiedObject, message: string) => void;
}

export function apiNotifierIO(options: ApiNotifierOptions): NotifierIO {
  const { client } = options;
  /** The resourceVersion our last delivery-state write produced, per object, until cached. */
  const ownWrites = new Map<string, bigint>();
  const synced = (informer: Informer<KubeObject> | undefined) =>
    informer?.hasSynced() ? informer : undefined;

  /**
   * The cached copy when it is at least as new as `atLeast` (the version of the Event's object,
   * e.g. the one a controller just wrote) and as our own last state write: a copy older than
   * what is known to exist is never used, the LIST answers instead. Templates render from the
   * Event's object (see Notifier), so what matters here is the delivery-state annotation.
   */
  const fromCache = (kind: string, namespace: string, name: string, atLeast: string | undefined) => {
    const informer = synced(options.caches?.objects?.[kind]);
    const cached = informer?.get(namespace, name);
    if (!cached) return undefined;
    const version = resourceVersionNumber(cached.metadata?.resourceVersion);
    if (version === undefined) return undefined;
    const key = `${kind}/${namespace}/${name}`;
    const ours = ownWrites.get(key);
    if (ours !== undefined) {
      if (version < ours) return undefined;
      ownWrites.delete(key);
    }
    if (atLeast !== undefined) {
      const wanted = resourceVersionNumber(atLeast);
      if (wanted === undefined || version < wanted) return undefined;
    }
    return cached;
  };

  return {
    configs: (namespace) => options.config.configs(namespace),
    async fetch(kind, namespace, name, atLeast) {
      const resource = resourceOf(kind);
      if (!resource) return undefined;
      const cached = fromCache(kind, namespace, name, atLeast);
      if (cached) return { ...cached, kind } as NotifiedObject;
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
      const namespace = object.metadata?.namespace;
      // The Rollout controller plans from this cache, so it holds every run the Event is about.
      const cache = synced(options.caches?.analysisRuns);
      const items = cache
        ? cache
            .list(namespace ?? '')
            .filter((r) => r.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] === status.currentPodHash)
        : (
            await client.list<KubeObject>(ANALYSIS_RUNS, {
              namespace,
              labelSelector: `${POD_TEMPLATE_HASH_LABEL}=${status.currentPodHash}`,
            })
          ).items;
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
      const namespace = object.metadata?.namespace ?? '';
      const name = object.metadata?.name ?? '';
      const written = await mergePatch(
        client,
        { resource, namespace, name },
        { metadata: { annotations: { [NOTIFIED_ANNOTATION]: annotation ?? null } } },
      );
      const version = resourceVersionNumber(written?.metadata?.resourceVersion);
      if (version !== undefined && options.caches?.objects?.[object.kind ?? '']) {
        ownWrites.set(`${object.kind}/${namespace}/${name}`, version);
      }
    },
    warn: options.warn,
  };
}

export interface AttachOptions {
  client: RestClient;
  events: EventRecorder;
  registry: Registry;
  /** Where the per-object notification families are written (ProcessMetrics.exposition). */
  exposition: Exposition;
  logger: Logger;
  /** Where the configuration lives: the watched namespace when namespaced, else POD_NAMESPACE. */
  namespace: string | undefined;
  /** Which kinds' Events this process notifies about. */
  kinds: readonly string[];
  /** Informer caches of the notified objects, when the process has them (see ApiNotifierOptions). */
  caches?: ApiNotifierOptions['caches'];
  /** Informers whose deletions drop the deleted object's notification series (after a delay). */
  deletions?: readonly Informer<KubeObject>[];
}

/** The kinds whose Events Argo's recorder passes through notifications (notification_send). */
const ARGO_RECORDED_KINDS: ReadonlySet<string> = new Set(['Rollout', 'AnalysisRun', 'Experiment']);

/** Starts notifying on the Events `events` records; returns the function that stops it. */
export function attachNotifications(options: AttachOptions): () => Promise<void> {
  const { events } = options;
  const controllerNamespace = options.namespace ?? process.env.POD_NAMESPACE ?? 'argo-rollouts';
  const config = new NotificationConfigSource({
    client: options.client,
    controllerNamespace,
    selfService: process.env.SLIPWAY_SELF_SERVICE_NOTIFICATIONS === 'true',
    ...(options.namespace !== undefined && { watchedNamespace: options.namespace }),
    logger: options.logger,
  });
  config.start();
  const metrics = createNotificationMetrics(options.registry, options.exposition);
  const forgetDeleted = (options.deletions ?? []).map((informer) =>
    informer.addHandlers({
      delete: (object) => metrics.deleted(object.metadata?.namespace ?? '', object.metadata?.name ?? ''),
    }),
  );
  const notifier = new Notifier({
    io: apiNotifierIO({
      client: options.client,
      config,
      ...(options.caches && { caches: options.caches }),
      logger: options.logger,
      warn: (object, message) => {
        void events.warning(object as KubeObject, NOTIFICATION_FAILED_REASON, message);
      },
    }),
    metrics,
    logger: options.logger,
    // Argo's recorder looks in the object's namespace and in its own (notifications-engine's
    // GetAPIsFromNamespace), ConfigMap or not.
    configurationsFor: (namespace) => new Set([namespace, controllerNamespace]).size,
  });
  const removeListener = events.addListener((object, type, reason, message) => {
    if (reason === NOTIFICATION_FAILED_REASON || !reason) return;
    if (options.kinds.includes(object.kind ?? '')) {
      void notifier.onEvent(object as NotifiedObject, type, reason, message);
    } else if (ARGO_RECORDED_KINDS.has(object.kind ?? '')) {
      // Argo's recorder sends these kinds' Events through notifications too; none subscribes.
      notifier.observeSend(object as NotifiedObject, 0);
    }
  });
  return async () => {
    removeListener();
    for (const forget of forgetDeleted) forget();
    await notifier.idle();
    metrics.unregister();
    config.stop();
  };
}

/**
 * The caches fetch() reads notified objects from instead of a LIST per notification: each kind's
 * in the scope its own controller reads it, so the same shared informer (the Rollout
 * controller's Rollouts and AnalysisRuns, per instance id; git-sync's ImageWatches and
 * PromotionPipelines, in the watched namespace or cluster-wide). Used once that controller has
 * started and synced them; until then, and for a kind no controller of the process caches, LISTs.
 */
export function notifiedObjectCaches(
  ctx: Pick<ControllerContext, 'caches' | 'namespace' | 'instanceId'>,
  kinds: readonly string[],
): ApiNotifierOptions['caches'] {
  const { all, ours } = cacheScopes(ctx, INSTANCE_ID_LABEL);
  const objects: Partial<Record<string, Informer<KubeObject>>> = {};
  for (const kind of kinds) {
    const resource = resourceOf(kind);
    if (resource) objects[kind] = ctx.caches.informer<KubeObject>(resource, kind === 'Rollout' ? ours : all);
  }
  return {
    objects,
    ...(kinds.includes('Rollout') && { analysisRuns: ctx.caches.informer<KubeObject>(ANALYSIS_RUNS, ours) }),
  };
}

/** Notifications about these kinds' Events, as a controller of the process. */
export function notificationsControllerFor(kinds: readonly string[]): ControllerFactory {
  return {
    name: 'notifications',
    async start(ctx) {
      const caches = notifiedObjectCaches(ctx, kinds);
      // The shared informers the controllers of these objects start (an Experiment's Events
      // are counted under Argo's notification_send too); only their deletions are listened to.
      const experiments = kinds.includes('Rollout')
        ? [ctx.caches.informer<KubeObject>(EXPERIMENTS, cacheScopes(ctx, INSTANCE_ID_LABEL).ours)]
        : [];
      const deletions = [
        ...Object.values(caches?.objects ?? {}),
        ...(caches?.analysisRuns ? [caches.analysisRuns] : []),
        ...experiments,
      ].filter((informer): informer is Informer<KubeObject> => informer !== undefined);
      const stop = attachNotifications({
        client: ctx.client,
        events: ctx.events,
        registry: ctx.metrics.registry,
        exposition: ctx.metrics.exposition,
        deletions,
        logger: ctx.logger,
        namespace: ctx.namespace,
        kinds,
        ...(caches && { caches }),
      });
      return { hasSynced: () => true, stop };
    },
  };
}

export const notificationsController = notificationsControllerFor(['Rollout']);
