// The promotion controller: informer caches of PromotionPipelines, the Rollouts and AnalysisRuns
// they watch, and GitTargets; one work queue of pipelines. A pipeline is reconciled when it
// changes, when one of its Rollouts or their AnalysisRuns changes, when a soak time runs out, and
// on every resync. Each pass: observe, decide (pure), carry out, write status.
import type { AnalysisRun } from '../../api/analysis.js';
import { type GitTarget, IMAGE_WATCH_KIND, type ImageWatch } from '../../api/gitsync.js';
import { canonicalImageName, parseImageRef } from '../../api/image-ref.js';
import { ANALYSIS_RUN_KIND, apiResourceOf, ROLLOUT_KIND } from '../../api/kinds.js';
import { RELEASE_HOLD_ANNOTATION } from '../../api/labels.js';
import { PROMOTION_PIPELINE_KIND, type PromotionPipeline } from '../../api/promotion.js';
import type { Rollout } from '../../api/rollout.js';
import { NotFoundError } from '../../kube/api-error.js';
import { ControllerBuilder, type StartedController } from '../../kube/controller.js';
import type { Informer } from '../../kube/informer.js';
import { objectKey, splitObjectKey } from '../../kube/object.js';
import { mergePatch, patchStatus } from '../../kube/patch.js';
import { formatTime } from '../../kube/timestamps.js';
import { conditionsFor, sameConditions } from '../conditions.js';
import type { GitWriterOptions } from '../controller.js';
import { GIT_TARGETS } from '../gittarget/reconciler.js';
import { createScmProvider } from '../gittarget/scm/factory.js';
import type { ScmProvider } from '../gittarget/scm/provider.js';
import { KeyedMutex } from '../gittarget/workspace/keyed-mutex.js';
import { readSecretData } from '../secrets.js';
import { carryOut } from './act.js';
import { decidePromotions, type ImageWatchWrite } from './decide.js';
import { type ObservedRollout, observeRollout } from './observe.js';

export const PROMOTION_PIPELINES = apiResourceOf(PROMOTION_PIPELINE_KIND);
const ROLLOUTS = apiResourceOf(ROLLOUT_KIND);
const ANALYSIS_RUNS = apiResourceOf(ANALYSIS_RUN_KIND);
const ROLLOUT_INDEX = 'rollout';
const IMAGE_WATCHES = apiResourceOf(IMAGE_WATCH_KIND);

export interface PromotionControllerOptions extends GitWriterOptions {
  readonly resyncMs?: number;
  /** Test seam: the SCM provider for a pipeline. */
  readonly scmFactory?: (pipeline: PromotionPipeline) => ScmProvider | undefined;
  readonly now?: () => number;
}

/** PromotionPipelines by the Rollouts (`namespace/name`) their environments watch. */
function rolloutsOf(p: PromotionPipeline): string[] {
  return p.spec.environments.flatMap((e) =>
    e.rollouts.map((r) => `${r.namespace ?? p.metadata.namespace}/${r.name}`),
  );
}

export class PromotionController {
  private readonly pipelines: Informer<PromotionPipeline>;
  private readonly rollouts: Informer<Rollout>;
  private readonly runs: Informer<AnalysisRun>;
  private readonly targets: Informer<GitTarget>;
  /** Their writes to an environment's file move its desiredImage (see withImageWatchWrite). */
  private readonly watches: Informer<ImageWatch>;
  private readonly builder: ControllerBuilder;
  private running: StartedController | undefined;

  constructor(private readonly options: PromotionControllerOptions) {
    const { caches, logger, namespace } = options;
    const scope = namespace === undefined ? {} : { namespace };
    this.pipelines = caches.informer<PromotionPipeline>(PROMOTION_PIPELINES, scope, {
      [ROLLOUT_INDEX]: rolloutsOf,
    });
    this.rollouts = caches.informer<Rollout>(ROLLOUTS, scope);
    this.runs = caches.informer<AnalysisRun>(ANALYSIS_RUNS, scope);
    this.targets = caches.informer<GitTarget>(GIT_TARGETS, scope);
    this.watches = caches.informer<ImageWatch>(IMAGE_WATCHES, scope);
    const pipelinesOf = (rolloutKey: string) =>
      this.pipelines.byIndex(ROLLOUT_INDEX, rolloutKey).map(objectKey);
    this.builder = new ControllerBuilder({
      name: 'promotionpipelines',
      logger,
      keyField: 'pipeline',
      failureMessage: 'promotion failed; retrying',
      metrics: options.processMetrics,
      signal: options.signal,
      rateLimit: { baseDelayMs: 1000, maxDelayMs: 5 * 60_000 },
      workers: 2,
    })
      .for(this.pipelines, { resyncMs: options.resyncMs ?? 5 * 60_000 })
      .watches(this.rollouts, (r) => pipelinesOf(objectKey(r)))
      .watches(
        this.runs,
        (run) =>
          (run.metadata?.ownerReferences ?? [])
            .filter((owner) => owner.kind === 'Rollout')
            .flatMap((owner) => pipelinesOf(`${run.metadata?.namespace}/${owner.name}`)),
        { delete: false },
      )
      .watches(this.watches, (w) => this.pipelines.list(w.metadata.namespace).map(objectKey), {
        add: false,
        update: (old, w) => JSON.stringify(old.status?.writes) !== JSON.stringify(w.status?.writes),
        delete: false,
      })
      .reads(this.targets);
  }

  async start(): Promise<void> {
    this.running = await this.builder.start(async (key) => {
      const { namespace: ns, name } = splitObjectKey(key);
      if (this.pipelines.get(ns, name) === undefined) return;
      // Fresh from the API: the cache may not have our last status write yet, and decisions
      // already carried out are known only from status.
      const pipeline = await this.options.client
        .get<PromotionPipeline>(PROMOTION_PIPELINES, ns, name)
        .catch((error: unknown) => {
          // Gone since the event: nothing to do. Anything else (403, network) is a retry.
          if (error instanceof NotFoundError) return undefined;
          throw error;
        });
      if (pipeline === undefined || pipeline.metadata.deletionTimestamp !== undefined) return;
      return this.reconcile(pipeline);
    });
    this.options.logger.info({ namespace: this.options.namespace ?? '*' }, 'promotion controller started');
  }

  hasSynced(): boolean {
    return this.running?.hasSynced() === true;
  }

  async stop(): Promise<void> {
    await this.running?.stop();
  }

  /** Per environment, the newest Applied write of an ImageWatch of the pipeline's image to its file. */
  private imageWatchWrites(pipeline: PromotionPipeline): Map<string, ImageWatchWrite> {
    const canonical = (image: string) => {
      const parsed = parseImageRef(image);
      return parsed.ok ? canonicalImageName(parsed.ref) : image;
    };
    const image = canonical(pipeline.spec.image);
    const writes = new Map<string, ImageWatchWrite>();
    for (const watch of this.watches.list(pipeline.metadata.namespace)) {
      if (canonical(watch.spec.image) !== image) continue;
      for (const env of pipeline.spec.environments) {
        for (const w of watch.status?.writes ?? []) {
          if (w.gitTarget !== env.target.gitTarget || w.path !== env.target.path) continue;
          if (w.state !== 'Applied' || w.image === undefined || w.updatedAt === undefined) continue;
          const seen = writes.get(env.name);
          if (seen !== undefined && Date.parse(seen.at) >= Date.parse(w.updatedAt)) continue;
          writes.set(env.name, {
            image: w.image,
            at: w.updatedAt,
            watch: `${watch.metadata.namespace}/${watch.metadata.name}`,
          });
        }
      }
    }
    return writes;
  }

  private async reconcile(pipeline: PromotionPipeline): Promise<{ requeueAfterMs?: number } | undefined> {
    const { client, events, logger } = this.options;
    const now = (this.options.now ?? Date.now)();
    const namespace = pipeline.metadata.namespace;
    const observed = new Map<string, ObservedRollout[]>();
    for (const env of pipeline.spec.environments) {
      observed.set(
        env.name,
        env.rollouts.map((ref) => {
          const ns = ref.namespace ?? namespace;
          return observeRollout(
            ref,
            namespace,
            pipeline.spec.image,
            this.rollouts.get(ns, ref.name),
            this.runs.list(ns),
          );
        }),
      );
    }
    const plan = decidePromotions({
      pipeline,
      observed,
      now,
      imageWatchWrites: this.imageWatchWrites(pipeline),
    });
    const target = { resource: PROMOTION_PIPELINES, namespace, name: pipeline.metadata.name };
    const previousConditions = pipeline.status?.conditions;
    if (plan.problems.length > 0) {
      const message = plan.problems.join('; ');
      const conditions = conditionsFor(
        previousConditions,
        { ready: false, error: true, reason: 'InvalidSpec', message },
        formatTime(now),
      );
      await patchStatus(client, target, { environments: plan.environments, conditions });
      return undefined;
    }
    const repositories = this.options.repositories ?? sharedMutex;
    let status: Awaited<ReturnType<typeof carryOut>>;
    try {
      status = await carryOut(
        {
          workDir: this.options.workDir,
          now: () => now,
          gitTarget: (ns, name) => this.targets.get(ns, name),
          secretData: async (ns, name) => (await readSecretData(client, ns, name)).data,
          scm: async (p) => {
            if (this.options.scmFactory !== undefined) return this.options.scmFactory(p);
            if (p.spec.scm === undefined) return undefined;
            return createScmProvider(
              p.spec.scm,
              (await readSecretData(client, namespace, p.spec.scm.secretRef.name)).data,
            );
          },
          serialize: (key, work) => repositories.run(key, work),
          ...(this.options.sshProgram !== undefined && { sshProgram: this.options.sshProgram }),
          ...(this.options.urlPolicy !== undefined && { urlPolicy: this.options.urlPolicy }),
          ...(this.options.maxFileBytes !== undefined && { maxFileBytes: this.options.maxFileBytes }),
          onDecision: (p, record) => {
            logger.info(
              { pipeline: `${namespace}/${p.metadata.name}`, ...record },
              `decision: ${record.type}`,
            );
            const message = `${record.type} ${record.image} in ${record.environment}${record.commit ? ` (commit ${record.commit.slice(0, 12)})` : ''}${record.pullRequest ? ` (${record.pullRequest})` : ''}: ${record.reason}`;
            void (record.type === 'rollback' || record.type === 'hold'
              ? events.warning(p, 'PromotionDecision', message)
              : events.normal(p, 'PromotionDecision', message));
          },
        },
        pipeline,
        plan,
      );
    } catch (error) {
      const message = (error as Error).message;
      const conditions = conditionsFor(
        previousConditions,
        { ready: false, error: true, reason: 'DecisionFailed', message },
        formatTime(now),
      );
      await patchStatus(client, target, { conditions }).catch(() => undefined);
      void events.warning(pipeline, 'DecisionFailed', message);
      throw new Error(`PromotionPipeline ${namespace}/${pipeline.metadata.name}: ${message}`);
    }
    const waiting = plan.environments.find((e) => e.waiting !== undefined);
    const conditions = conditionsFor(
      previousConditions,
      {
        ready: true,
        error: false,
        reason: waiting === undefined ? 'Observed' : 'Waiting',
        message: waiting === undefined ? 'all environments observed' : `${waiting.name}: ${waiting.waiting}`,
      },
      formatTime(now),
    );
    await patchStatus(client, target, {
      ...status,
      conditions: sameConditions(previousConditions, conditions) ? previousConditions : conditions,
    });
    if (plan.decisions.some((d) => d.type === 'release')) {
      await mergePatch(client, target, { metadata: { annotations: { [RELEASE_HOLD_ANNOTATION]: null } } });
    }
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }
}

const sharedMutex = new KeyedMutex();
