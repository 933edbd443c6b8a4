// The Git-sync controllers: informer caches of ImageWatches and GitTargets, one work queue per
// kind. An ImageWatch key is reconciled when due (polling) or when a webhook names its image; a
// GitTarget key is synced when a watch writing to it gets a new candidate or a new spec, and on
// every resync, so Git converges on desired state even after a lost push or a restart. The Argo CD
// actions check-now and sync-now stamp a request annotation; an open request is served at once.
// PromotionPipelines are watched for their held images: a watch never picks or writes one, and is
// checked again when the holds on its image change.
import { GIT_TARGET_KIND, type GitTarget, type ImageWatch, type ImageWatchStatus } from '../api/gitsync.js';
import { apiResourceOf } from '../api/kinds.js';
import { PROMOTION_PIPELINE_KIND, type PromotionPipeline } from '../api/promotion.js';
import { ControllerBuilder, type StartedController } from '../kube/controller.js';
import type { EventRecorder } from '../kube/events.js';
import type { Informer } from '../kube/informer.js';
import type { InformerCache } from '../kube/informer-cache.js';
import { objectKey, splitObjectKey } from '../kube/object.js';
import type { RestClient } from '../kube/rest.js';
import type { ProcessMetrics } from '../metrics/registry.js';
import type { Logger } from '../process/logger.js';
import { addPush, nextPushRetry, type PendingPush, type PushCheck } from './gittarget/push-retry.js';
import { GIT_TARGETS, type GitTargetDeps, syncGitTarget, syncRequested } from './gittarget/reconciler.js';
import { withoutHeldCandidates } from './gittarget/repository-plan.js';
import { KeyedMutex } from './gittarget/workspace/keyed-mutex.js';
import type { KnownEdits } from './gittarget/workspace/push-batch.js';
import type { RepositoryUrlPolicy } from './gittarget/workspace/repository-url.js';
import { holdsOn, type ImageHold, type ImageSource } from './imagewatch/check.js';
import {
  CANDIDATE_HELD,
  conditionsAfterWrites,
  IMAGE_WATCHES,
  pendingCheckRequest,
  RegistryClients,
  reconcileImageWatch,
} from './imagewatch/reconciler.js';
import { locateRepository, type RepositoryLocation } from './imagewatch/registry/location.js';
import { LruMap } from './imagewatch/registry/shared-repository.js';
import type { PushedImage } from './imagewatch/webhook/push-events.js';
import type { GitSyncMetrics } from './metrics.js';
import { withoutRolledBackWrites } from './promotion/rolled-back-writes.js';

/** What both Git writers of the process (image bumps, promotions) get and share. */
export interface GitWriterOptions {
  readonly client: RestClient;
  readonly logger: Logger;
  readonly events: EventRecorder;
  /** The process's informers, shared by both. */
  readonly caches: InformerCache;
  /** Aborts when the process stops leading. */
  readonly signal?: AbortSignal;
  readonly processMetrics: ProcessMetrics;
  /** Watch only this namespace; undefined = all. */
  readonly namespace?: string;
  /** Cached clones live here. */
  readonly workDir: string;
  readonly sshProgram?: string;
  /** Which repository URLs GitTargets may name; default https and ssh only. */
  readonly urlPolicy?: RepositoryUrlPolicy;
  /** Repository files over this size are refused. */
  readonly maxFileBytes?: number;
  /** One lock per clone, shared by both writers so a clone never has two at once. */
  readonly repositories?: KeyedMutex;
}

export interface GitSyncControllerOptions extends GitWriterOptions {
  readonly metrics: GitSyncMetrics;
  /** How often every GitTarget is synced even without news; default 10 min. */
  readonly resyncMs?: number;
  readonly maxPushAttempts?: number;
  /** Token realm hosts besides the registry's own that may receive pull-secret credentials. */
  readonly registryTokenHosts?: readonly string[];
  /** Test and benchmark seam: a registry stand-in for some images. */
  readonly registryFactory?: (location: RepositoryLocation, watch: ImageWatch) => ImageSource | undefined;
}

const GIT_TARGET_INDEX = 'gitTarget';
/** A repository sync waits this long after the last new candidate of its watches. */
const SETTLE_QUIET_MS = 1000;
/** ... while checks of its watches are running, polling this often ... */
const SETTLE_POLL_MS = 100;
/** ... but never longer than this after the first one. */
const MAX_SETTLE_MS = 20_000;
/** ImageWatch reconciles at once: they wait on the registry and the API server, not the CPU. */
const WATCH_WORKERS = 16;
/** GitTargets whose branch contents are remembered (KnownEdits) at once. */
const MAX_KNOWN_TARGETS = 1024;
const PROMOTION_PIPELINES = apiResourceOf(PROMOTION_PIPELINE_KIND);

/** ImageWatches by the GitTargets (`namespace/name`) they write to. */
function gitTargetsOf(w: ImageWatch): string[] {
  return [...new Set(w.spec.targets.map((t) => `${w.metadata.namespace}/${t.gitTarget}`))];
}

export class GitSyncController {
  private readonly watches: Informer<ImageWatch>;
  private readonly targets: Informer<GitTarget>;
  private readonly pipelines: Informer<PromotionPipeline>;
  private readonly watchController: ControllerBuilder;
  private readonly targetController: ControllerBuilder;
  /** Keys to check now, with when they were asked to (a listing from before that will not do). */
  private readonly forced = new Map<string, number>();
  /** Per ImageWatch key, the last check-requested-at value served. */
  private readonly handledChecks = new Map<string, string>();
  /** Per ImageWatch key, the holds on its image at its last reconcile (a change forces a check). */
  private readonly holdsSeen = new Map<string, string>();
  /** Per ImageWatch key, a webhook push whose tags the registry has not shown yet. */
  private readonly pendingPushes = new Map<string, PendingPush>();
  private running: StartedController[] = [];
  /**
   * ImageWatches with a check asked for (new, new spec, pushed) that has not finished yet, each
   * with the number of its ask (an ask during a running check outlives that check).
   */
  private readonly awaitingCheck = new Map<string, number>();
  private asks = 0;
  /** Per GitTarget key, a round of candidates being gathered: since when, and quiet from when. */
  private readonly settling = new Map<string, { first: number; quietAt: number }>();

  constructor(private readonly options: GitSyncControllerOptions) {
    const { caches, logger, namespace } = options;
    const scope = namespace === undefined ? {} : { namespace };
    // What both queues take from the process: the logger, queue metrics and leadership signal.
    const fromProcess = { logger, metrics: options.processMetrics, signal: options.signal };
    this.watches = caches.informer<ImageWatch>(IMAGE_WATCHES, scope, { [GIT_TARGET_INDEX]: gitTargetsOf });
    this.targets = caches.informer<GitTarget>(GIT_TARGETS, scope);
    this.pipelines = caches.informer<PromotionPipeline>(PROMOTION_PIPELINES, scope);

    // A changed held list: reconcile the watches of the held images' repositories (the reconcile
    // sees the holds changed and checks the registry again).
    const heldOf = (p: PromotionPipeline) =>
      JSON.stringify((p.status?.held ?? []).map((h) => h.image).sort());
    const watchesHolding = (p: PromotionPipeline, old?: PromotionPipeline) => {
      const pipelines = old === undefined ? [p] : [old, p];
      return this.watches
        .list(p.metadata.namespace)
        .filter((w) => holdsOn(w.spec.image, pipelines).length > 0)
        .map(objectKey);
    };
    const watchesOfTarget = (t: GitTarget) =>
      this.watches.byIndex(GIT_TARGET_INDEX, objectKey(t)).map(objectKey);
    this.watchController = new ControllerBuilder({
      ...fromProcess,
      name: 'imagewatches',
      keyField: 'imageWatch',
      workers: WATCH_WORKERS,
    })
      // A deleted watch is reconciled once more, to forget what was kept for it.
      .for(this.watches, {
        delete: true,
        // A new watch or a new spec asks for a check; the GitTarget's round waits for it.
        onAdd: (w) => this.askCheck(objectKey(w)),
        update: (old, w) => {
          if (old.metadata.generation !== w.metadata.generation) this.askCheck(objectKey(w));
          return true;
        },
      })
      .watches(this.targets, watchesOfTarget, { update: false })
      .watches(this.pipelines, watchesHolding, { update: (old, p) => heldOf(old) !== heldOf(p) });

    this.targetController = new ControllerBuilder({
      ...fromProcess,
      name: 'gittargets',
      keyField: 'gitTarget',
      failureMessage: 'sync failed; retrying',
      rateLimit: { baseDelayMs: 1000, maxDelayMs: 5 * 60_000 },
      workers: 2,
    })
      // Every GitTarget is synced on each resync, so Git converges even after a lost push.
      .for(this.targets, {
        resyncMs: options.resyncMs ?? 10 * 60_000,
        update: (old, t) => {
          const requested = syncRequested(old, t);
          if (requested !== undefined)
            logger.info({ gitTarget: objectKey(t), requestedAt: requested }, 'sync requested');
          return (
            old.metadata.generation !== t.metadata.generation ||
            old.metadata.resourceVersion === t.metadata.resourceVersion ||
            requested !== undefined
          );
        },
      })
      // Woken targets wait for the round of candidates to settle (see settleTargets).
      .watches(
        this.watches,
        (w, old) =>
          this.settleTargets([
            ...gitTargetsOf(w),
            ...(old !== undefined && old.metadata.generation !== w.metadata.generation
              ? gitTargetsOf(old)
              : []),
          ]),
        {
          update: (old, w) =>
            old.status?.latest?.image !== w.status?.latest?.image ||
            old.metadata.generation !== w.metadata.generation ||
            old.status?.observedGeneration !== w.status?.observedGeneration,
          delete: false,
        },
      );
  }

  async start(): Promise<void> {
    const { client, logger, events, metrics } = this.options;
    const registries = new RegistryClients(
      client,
      () => metrics.throttled.inc(),
      this.options.registryFactory,
      this.options.registryTokenHosts,
    );
    const watchDeps = {
      client,
      events,
      logger,
      metrics,
      registries,
      now: () => Date.now(),
      gitTargetExists: (ns: string, name: string) => this.targets.get(ns, name) !== undefined,
      holdsFor: (w: ImageWatch) => this.holdsFor(w),
    };
    const targetDeps: GitTargetDeps = {
      currentWatch: (ns: string, name: string) => this.watches.get(ns, name),
      watchConditions: (w: ImageWatch, writes: NonNullable<ImageWatchStatus['writes']>, now: string) =>
        conditionsAfterWrites(w, writes, now, watchDeps.gitTargetExists),
      knownEdits: new LruMap<string, KnownEdits>(MAX_KNOWN_TARGETS),
      client,
      events,
      logger,
      metrics,
      repositories: this.options.repositories ?? new KeyedMutex(),
      watchStatus: new KeyedMutex(),
      workDir: this.options.workDir,
      now: () => Date.now(),
      ...(this.options.sshProgram !== undefined && { sshProgram: this.options.sshProgram }),
      ...(this.options.maxPushAttempts !== undefined && { maxPushAttempts: this.options.maxPushAttempts }),
      ...(this.options.urlPolicy !== undefined && { urlPolicy: this.options.urlPolicy }),
      ...(this.options.maxFileBytes !== undefined && { maxFileBytes: this.options.maxFileBytes }),
    };

    try {
      await this.startControllers(watchDeps, targetDeps);
    } catch (error) {
      await this.stop();
      throw error;
    }
    logger.info(
      { namespace: this.options.namespace ?? '*', kind: GIT_TARGET_KIND.kind },
      'git-sync controllers started',
    );
  }

  private async startControllers(
    watchDeps: Parameters<typeof reconcileImageWatch>[0],
    targetDeps: Parameters<typeof syncGitTarget>[0],
  ): Promise<void> {
    const { logger } = this.options;
    const watchController = await this.watchController.start(async (key) => {
      const { namespace: ns, name } = splitObjectKey(key);
      const watch = this.watches.get(ns, name);
      if (watch === undefined) {
        this.forget(key);
        return;
      }
      if (watch.metadata.deletionTimestamp !== undefined) return;
      const requested = pendingCheckRequest(watch, this.handledChecks.get(key));
      if (requested !== undefined)
        logger.info({ imageWatch: key, requestedAt: requested }, 'check requested');
      const holds = holdsKey(this.holdsFor(watch));
      const seen = this.holdsSeen.get(key);
      // First reconcile since start: check if holds exist or one blocked the last check (it may
      // have been released while we were away); later, whenever the holds changed.
      const holdsChanged =
        seen === undefined
          ? holds !== '[]' || watch.status?.conditions?.some((c) => c.reason === CANDIDATE_HELD) === true
          : seen !== holds;
      const pending = this.pendingPushes.get(key);
      // A retry of a webhook-triggered check waits for its backoff, whatever else wakes the key.
      const pushDue = pending !== undefined && (pending.dueAt ?? 0) <= Date.now();
      const forcedAt = this.forced.get(key);
      this.forced.delete(key);
      const forced = forcedAt !== undefined || requested !== undefined || holdsChanged || pushDue;
      // Asked for news (webhook, check-now, a push retry): a tag listing from before will not do;
      // watches of one repository pushed together still share the one listing made after it.
      const askedAt = [
        forcedAt,
        requested === undefined ? undefined : Date.now(),
        pushDue ? pending?.dueAt : undefined,
      ].filter((t): t is number => t !== undefined);
      const freshAfter = askedAt.length === 0 ? undefined : Math.max(...askedAt);
      const ask = this.awaitingCheck.get(key);
      let result: Awaited<ReturnType<typeof reconcileImageWatch>>;
      try {
        result = await reconcileImageWatch(watchDeps, watch, forced, freshAfter);
      } finally {
        if (this.awaitingCheck.get(key) === ask) this.awaitingCheck.delete(key);
      }
      if (requested !== undefined) this.handledChecks.set(key, requested);
      this.holdsSeen.set(key, holds);
      return this.afterPushCheck(key, result, pushDue);
    });
    this.running.push(watchController);
    const targetController = await this.targetController.start(async (key) => {
      const { namespace: ns, name } = splitObjectKey(key);
      const target = this.targets.get(ns, name);
      if (target === undefined) this.settling.delete(key);
      if (target === undefined || target.metadata.deletionTimestamp !== undefined) return;
      const watches = this.watches.byIndex(GIT_TARGET_INDEX, key);
      // One commit per round: wait while the round's checks of this target's watches are still
      // running or their candidates still arriving, bounded so a steady trickle cannot starve it.
      const settle = this.settling.get(key);
      if (settle !== undefined) {
        const now = Date.now();
        const checking = watches.some((w) => this.awaitingCheck.has(objectKey(w)));
        const until = Math.min(
          settle.first + MAX_SETTLE_MS,
          checking ? now + SETTLE_POLL_MS : settle.quietAt,
        );
        if (until > now) return { requeueAfterMs: until - now };
        this.settling.delete(key);
      }
      await syncGitTarget(
        targetDeps,
        target,
        withoutRolledBackWrites(
          withoutHeldCandidates(watches, (w) => this.holdsFor(w)),
          (namespace) => this.pipelines.list(namespace),
        ),
      );
    });
    this.running.push(targetController);
  }

  /** What was kept for a watch that is gone. */
  private forget(key: string): void {
    this.forced.delete(key);
    this.awaitingCheck.delete(key);
    this.handledChecks.delete(key);
    this.holdsSeen.delete(key);
    this.pendingPushes.delete(key);
  }

  private askCheck(key: string): void {
    this.awaitingCheck.set(key, ++this.asks);
  }

  /**
   * Watches of these GitTargets have a new candidate (or spec): each syncs once candidates stop
   * arriving for SETTLE_QUIET_MS (its reconcile requeues until then), so a round of new tags lands
   * in one commit. Returns the keys, to be queued at once.
   */
  private settleTargets(keys: readonly string[]): string[] {
    const now = Date.now();
    for (const key of keys) {
      const first = this.settling.get(key)?.first ?? now;
      this.settling.set(key, { first, quietAt: now + SETTLE_QUIET_MS });
    }
    return [...keys];
  }

  hasSynced(): boolean {
    return this.running.length === 2 && this.running.every((c) => c.hasSynced());
  }

  /** Holds of the PromotionPipelines in the watch's namespace on its image repository. */
  private holdsFor(watch: ImageWatch): ImageHold[] {
    return holdsOn(watch.spec.image, this.pipelines.list(watch.metadata.namespace));
  }

  /**
   * A webhook-triggered check that has not seen the pushed tags yet (or failed) is checked again
   * with backoff, within the window of push-retry.ts; otherwise the pending push is done.
   */
  private afterPushCheck(
    key: string,
    result: { requeueAfterMs?: number; check?: PushCheck },
    checkedForPush: boolean,
  ): { requeueAfterMs?: number } {
    const pending = this.pendingPushes.get(key);
    const requeue = result.requeueAfterMs === undefined ? {} : { requeueAfterMs: result.requeueAfterMs };
    if (pending === undefined) return requeue;
    if (!checkedForPush) {
      const wait = Math.max(1, (pending.dueAt ?? 0) - Date.now());
      return { requeueAfterMs: Math.min(wait, result.requeueAfterMs ?? wait) };
    }
    const next = nextPushRetry(pending, result.check, Date.now());
    if (next.kind === 'retry') {
      this.pendingPushes.set(key, next.pending);
      this.options.logger.debug(
        { imageWatch: key, retryInMs: next.afterMs, attempt: next.pending.attempts },
        'pushed tag not readable yet; checking again',
      );
      return { requeueAfterMs: Math.min(next.afterMs, result.requeueAfterMs ?? next.afterMs) };
    }
    this.pendingPushes.delete(key);
    if (next.kind === 'gave-up') {
      this.options.logger.warn(
        { imageWatch: key, tags: next.missing },
        'registry did not show the pushed tag within the retry window; the next poll will',
      );
    }
    return requeue;
  }

  /** A webhook said these images were pushed: check every ImageWatch of them now. */
  onPush(images: readonly PushedImage[]): number {
    const names = new Set(images.map((i) => i.name));
    let matched = 0;
    for (const watch of this.watches.list()) {
      const location = locateRepository(watch.spec.image, watch.spec.insecure === true);
      if ('error' in location) continue;
      if (!names.has(`${location.host}/${location.repository}`) && !names.has(watch.spec.image)) continue;
      const key = objectKey(watch);
      const tags = images.flatMap((i) =>
        i.tag !== undefined &&
        (i.name === watch.spec.image || i.name === `${location.host}/${location.repository}`)
          ? [i.tag]
          : [],
      );
      this.pendingPushes.set(key, addPush(this.pendingPushes.get(key), tags, Date.now()));
      this.forced.set(key, Date.now());
      this.awaitingCheck.set(key, ++this.asks);
      this.watchController.enqueue(key);
      matched += 1;
    }
    return matched;
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = [];
    await Promise.all(running.map((c) => c.stop()));
  }
}

function holdsKey(holds: readonly ImageHold[]): string {
  return JSON.stringify(holds.map((h) => `${h.pipeline} ${h.image}`).sort());
}
