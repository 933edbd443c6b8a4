// The Git-sync controllers: informer caches of ImageWatches and GitTargets, one work queue per
// kind. An ImageWatch key is reconciled when due (polling) or when a webhook names its image; a
// GitTarget key is synced when a watch writing to it gets a new candidate or a new spec, and on
// every resync, so Git converges on desired state even after a lost push or a restart. The Argo CD
// actions check-now and sync-now stamp a request annotation; an open request is served at once.
// PromotionPipelines are watched for their held images: a watch never picks or writes one, and is
// checked again when the holds on its image change.
import { GIT_TARGET_KIND, type GitTarget, type ImageWatch } from '../api/gitsync.js';
import { apiResourceOf } from '../api/kinds.js';
import { PROMOTION_PIPELINE_KIND, type PromotionPipeline } from '../api/promotion.js';
import type { EventRecorder } from '../kube/events.js';
import { Informer } from '../kube/informer.js';
import { apiListWatch } from '../kube/list-watch.js';
import type { RestClient } from '../kube/rest.js';
import { WorkQueue } from '../kube/workqueue.js';
import type { ProcessMetrics } from '../metrics/registry.js';
import type { Logger } from '../process/logger.js';
import { GIT_TARGETS, syncGitTarget, syncRequested } from './git-target-reconciler.js';
import { holdsOn, type ImageHold, type ImageSource } from './image-check.js';
import {
  CANDIDATE_HELD,
  IMAGE_WATCHES,
  pendingCheckRequest,
  RegistryClients,
  reconcileImageWatch,
} from './image-watch-reconciler.js';
import type { GitSyncMetrics } from './metrics.js';
import { withoutRolledBackWrites } from './promotion/rolled-back-writes.js';
import { addPush, nextPushRetry, type PendingPush, type PushCheck } from './push-retry.js';
import { locateRepository, type RepositoryLocation } from './registry/location.js';
import { withoutHeldCandidates } from './repository-plan.js';
import type { PushedImage } from './webhook/push-events.js';
import { KeyedMutex } from './workspace/keyed-mutex.js';
import type { RepositoryUrlPolicy } from './workspace/repository-url.js';

export interface GitSyncControllerOptions {
  readonly client: RestClient;
  readonly logger: Logger;
  readonly events: EventRecorder;
  readonly processMetrics: ProcessMetrics;
  readonly metrics: GitSyncMetrics;
  /** Watch only this namespace; undefined = all. */
  readonly namespace?: string;
  /** Cached clones live here. */
  readonly workDir: string;
  /** How often every GitTarget is synced even without news; default 10 min. */
  readonly resyncMs?: number;
  readonly sshProgram?: string;
  readonly maxPushAttempts?: number;
  /** Which repository URLs GitTargets may name; default https and ssh only. */
  readonly urlPolicy?: RepositoryUrlPolicy;
  /** Repository files over this size are refused. */
  readonly maxFileBytes?: number;
  /** Token realm hosts besides the registry's own that may receive pull-secret credentials. */
  readonly registryTokenHosts?: readonly string[];
  /** Test and benchmark seam: a registry stand-in for some images. */
  readonly registryFactory?: (location: RepositoryLocation, watch: ImageWatch) => ImageSource | undefined;
}

const GIT_TARGET_INDEX = 'gitTarget';
const PROMOTION_PIPELINES = apiResourceOf(PROMOTION_PIPELINE_KIND);

export class GitSyncController {
  private readonly watches: Informer<ImageWatch>;
  private readonly targets: Informer<GitTarget>;
  private readonly pipelines: Informer<PromotionPipeline>;
  private readonly watchQueue: WorkQueue;
  private readonly targetQueue: WorkQueue;
  private readonly forced = new Set<string>();
  /** Per ImageWatch key, the last check-requested-at value served. */
  private readonly handledChecks = new Map<string, string>();
  /** Per ImageWatch key, the holds on its image at its last reconcile (a change forces a check). */
  private readonly holdsSeen = new Map<string, string>();
  /** Per ImageWatch key, a webhook push whose tags the registry has not shown yet. */
  private readonly pendingPushes = new Map<string, PendingPush>();
  private running: Promise<void>[] = [];

  constructor(private readonly options: GitSyncControllerOptions) {
    const { client, logger, namespace } = options;
    const scope = namespace === undefined ? {} : { namespace };
    const onError = (what: string) => (error: Error) => logger.warn({ err: error.message }, what);
    this.watches = new Informer<ImageWatch>(apiListWatch(client, IMAGE_WATCHES, scope), {
      onError: onError('imagewatch watch'),
      indexers: {
        [GIT_TARGET_INDEX]: (w) => [
          ...new Set(w.spec.targets.map((t) => `${w.metadata.namespace}/${t.gitTarget}`)),
        ],
      },
    });
    this.targets = new Informer<GitTarget>(apiListWatch(client, GIT_TARGETS, scope), {
      resyncPeriodMs: options.resyncMs ?? 10 * 60_000,
      onError: onError('gittarget watch'),
    });
    this.pipelines = new Informer<PromotionPipeline>(apiListWatch(client, PROMOTION_PIPELINES, scope), {
      onError: onError('promotionpipeline watch'),
    });
    this.watchQueue = new WorkQueue({
      name: 'imagewatches',
      metrics: options.processMetrics.workQueue('imagewatches'),
      onError: (key, error) =>
        logger.warn({ imageWatch: key, err: (error as Error).message }, 'reconcile failed; retrying'),
    });
    this.targetQueue = new WorkQueue({
      name: 'gittargets',
      baseDelayMs: 1000,
      maxDelayMs: 5 * 60_000,
      metrics: options.processMetrics.workQueue('gittargets'),
      onError: (key, error) =>
        logger.warn({ gitTarget: key, err: (error as Error).message }, 'sync failed; retrying'),
    });
  }

  async start(): Promise<void> {
    const { client, logger, events, metrics } = this.options;
    const registries = new RegistryClients(
      client,
      () => metrics.throttled.inc(),
      this.options.registryFactory,
      this.options.registryTokenHosts,
    );
    const keyOf = (o: { metadata: { namespace: string; name: string } }) =>
      `${o.metadata.namespace}/${o.metadata.name}`;
    const enqueueTargets = (w: ImageWatch) => {
      for (const t of new Set(w.spec.targets.map((x) => x.gitTarget)))
        this.targetQueue.add(`${w.metadata.namespace}/${t}`);
    };
    this.watches.addHandlers({
      add: (w) => {
        this.watchQueue.add(keyOf(w));
        enqueueTargets(w);
      },
      update: (old, w) => {
        this.watchQueue.add(keyOf(w));
        const newCandidate = old.status?.latest?.image !== w.status?.latest?.image;
        const newSpec = old.metadata.generation !== w.metadata.generation;
        const caughtUp = old.status?.observedGeneration !== w.status?.observedGeneration;
        if (newCandidate || newSpec || caughtUp) {
          enqueueTargets(w);
          if (newSpec)
            for (const t of old.spec.targets)
              this.targetQueue.add(`${old.metadata.namespace}/${t.gitTarget}`);
        }
      },
      delete: (w) => {
        this.forced.delete(keyOf(w));
        this.handledChecks.delete(keyOf(w));
        this.holdsSeen.delete(keyOf(w));
        this.pendingPushes.delete(keyOf(w));
        registries.forget(keyOf(w));
      },
    });
    this.targets.addHandlers({
      add: (t) => {
        this.targetQueue.add(keyOf(t));
        for (const w of this.watches.byIndex(GIT_TARGET_INDEX, keyOf(t))) this.watchQueue.add(keyOf(w));
      },
      update: (old, t) => {
        const requested = syncRequested(old, t);
        if (requested !== undefined)
          logger.info({ gitTarget: keyOf(t), requestedAt: requested }, 'sync requested');
        if (
          old.metadata.generation !== t.metadata.generation ||
          old.metadata.resourceVersion === t.metadata.resourceVersion ||
          requested !== undefined
        ) {
          this.targetQueue.add(keyOf(t));
        }
      },
      delete: (t) => {
        for (const w of this.watches.byIndex(GIT_TARGET_INDEX, keyOf(t))) this.watchQueue.add(keyOf(w));
      },
    });

    // A changed held list: reconcile the watches of the held images' repositories (the reconcile
    // sees the holds changed and checks the registry again).
    const heldOf = (p: PromotionPipeline) =>
      JSON.stringify((p.status?.held ?? []).map((h) => h.image).sort());
    const onHeldChange = (pipelines: readonly PromotionPipeline[]) => {
      const namespace = pipelines[0]!.metadata.namespace;
      for (const w of this.watches.list(namespace))
        if (holdsOn(w.spec.image, pipelines).length > 0) this.watchQueue.add(keyOf(w));
    };
    this.pipelines.addHandlers({
      add: (p) => onHeldChange([p]),
      update: (old, p) => {
        if (heldOf(old) !== heldOf(p)) onHeldChange([old, p]);
      },
      delete: (p) => onHeldChange([p]),
    });

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
    const targetDeps = {
      client,
      events,
      logger,
      metrics,
      repositories: new KeyedMutex(),
      watchStatus: new KeyedMutex(),
      workDir: this.options.workDir,
      now: () => Date.now(),
      ...(this.options.sshProgram !== undefined && { sshProgram: this.options.sshProgram }),
      ...(this.options.maxPushAttempts !== undefined && { maxPushAttempts: this.options.maxPushAttempts }),
      ...(this.options.urlPolicy !== undefined && { urlPolicy: this.options.urlPolicy }),
      ...(this.options.maxFileBytes !== undefined && { maxFileBytes: this.options.maxFileBytes }),
    };

    this.watches.start();
    this.targets.start();
    this.pipelines.start();
    await Promise.all([this.watches.waitForSync(), this.targets.waitForSync(), this.pipelines.waitForSync()]);
    this.running = [
      this.watchQueue.run(async (key) => {
        const [ns, name] = key.split('/') as [string, string];
        const watch = this.watches.get(ns, name);
        if (watch === undefined || watch.metadata.deletionTimestamp !== undefined) return;
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
        const forced = this.forced.delete(key) || requested !== undefined || holdsChanged || pushDue;
        const result = await reconcileImageWatch(watchDeps, watch, forced);
        if (requested !== undefined) this.handledChecks.set(key, requested);
        this.holdsSeen.set(key, holds);
        return this.afterPushCheck(key, result, pushDue);
      }, 4),
      this.targetQueue.run(async (key) => {
        const [ns, name] = key.split('/') as [string, string];
        const target = this.targets.get(ns, name);
        if (target === undefined || target.metadata.deletionTimestamp !== undefined) return;
        const watches = this.watches.byIndex(GIT_TARGET_INDEX, key);
        await syncGitTarget(
          targetDeps,
          target,
          withoutRolledBackWrites(
            withoutHeldCandidates(watches, (w) => this.holdsFor(w)),
            (namespace) => this.pipelines.list(namespace),
          ),
        );
      }, 2),
    ];
    logger.info(
      { namespace: this.options.namespace ?? '*', kind: GIT_TARGET_KIND.kind },
      'git-sync controllers started',
    );
  }

  hasSynced(): boolean {
    return this.watches.hasSynced() && this.targets.hasSynced() && this.pipelines.hasSynced();
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
      const key = `${watch.metadata.namespace}/${watch.metadata.name}`;
      const tags = images.flatMap((i) =>
        i.tag !== undefined &&
        (i.name === watch.spec.image || i.name === `${location.host}/${location.repository}`)
          ? [i.tag]
          : [],
      );
      this.pendingPushes.set(key, addPush(this.pendingPushes.get(key), tags, Date.now()));
      this.forced.add(key);
      this.watchQueue.add(key);
      matched += 1;
    }
    return matched;
  }

  async stop(): Promise<void> {
    this.watches.stop();
    this.targets.stop();
    this.pipelines.stop();
    await Promise.all([this.watchQueue.shutDown(), this.targetQueue.shutDown()]);
    await Promise.all(this.running);
  }
}

function holdsKey(holds: readonly ImageHold[]): string {
  return JSON.stringify(holds.map((h) => `${h.pipeline} ${h.image}`).sort());
}
