// The AnalysisRun controller: informer caches for AnalysisRuns and for the Jobs measurements
// create (only Jobs labelled with an AnalysisRun uid); a work queue of run keys; each key is
// reconciled by act.ts (plan, measure, assess, write) and looked at again when its next
// measurement is due. A finished Job wakes its run at once.

import { ANALYSIS_RUN_UID_LABEL, INSTANCE_ID_LABEL } from '../api/labels.js';
import {
  ControllerBuilder,
  type ControllerContext,
  type ControllerFactory,
  cacheScopes,
  controllerOwnerKey,
  type RunningController,
  WrittenOver,
} from '../kube/controller.js';
import { type KubeObject, splitObjectKey } from '../kube/object.js';
import { coreResources } from '../kube/resource.js';
import { discoverStatusSubresource } from '../kube/status-subresource.js';
import { ANALYSIS_RUNS, reconcileAnalysisRun } from './act.js';
import { registerAnalysisMetrics } from './metrics.js';
import type { ObservedAnalysisRun } from './plan.js';
import { JOBS, jobOutcome, terminalPodError } from './providers/job.js';
import type { JobObject, JobPod } from './providers/provider.js';
import { analysisTemplateCaches } from './template-caches.js';
import { registerAnalysisTemplateMetrics } from './template-metrics.js';

const WORKERS = 4;
const RESYNC_MS = 15 * 60 * 1000;
/** Where provider credential Secrets live when the controller watches the whole cluster. */
export const DEFAULT_CONTROLLER_NAMESPACE = 'argo-rollouts';
const RUN_UID_INDEX = 'analysisRunUid';

export const analysisRunController: ControllerFactory = {
  name: 'analysisruns',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const { client, logger, caches } = ctx;
    const { all: scope, ours } = cacheScopes(ctx, INSTANCE_ID_LABEL);

    const runs = caches.informer<ObservedAnalysisRun>(ANALYSIS_RUNS, ours);
    const jobs = caches.informer<JobObject & { metadata: { name: string } }>(
      JOBS,
      { ...scope, labelSelector: ANALYSIS_RUN_UID_LABEL },
      { [RUN_UID_INDEX]: runUidOf },
    );
    // Pods of measurement Jobs (Argo labels them with the run's uid too): a pod that can never
    // pull its image makes the measurement Inconclusive instead of waiting forever.
    const jobPods = caches.informer<JobPod & KubeObject & { metadata: { name: string } }>(
      coreResources.pods,
      {
        ...scope,
        labelSelector: ANALYSIS_RUN_UID_LABEL,
      },
    );

    const metrics = registerAnalysisMetrics(ctx.metrics.exposition, () => runs.list());
    // The same template caches the Rollout and Experiment controllers read (shared informers),
    // for Argo's analysis_template_info and analysis_template_metric_info.
    const templates = analysisTemplateCaches(ctx);
    const templateMetrics = registerAnalysisTemplateMetrics(ctx.metrics.registry, () => templates.all());
    // As Argo: a deleted run's reconcile series goes after the cleanup delay.
    const forgetDeleted = runs.addHandlers({
      delete: (run) => metrics.deleted(run.metadata?.namespace ?? '', run.metadata?.name ?? ''),
    });
    const stopMetrics = () => {
      forgetDeleted();
      metrics.unregister();
      templateMetrics.unregister();
    };
    const finished = (job: JobObject) => jobOutcome(job) !== undefined;
    const podFailed = (pod: JobPod) => terminalPodError([pod]) !== undefined;
    const builder = new ControllerBuilder({
      ...ctx,
      name: 'analysisruns',
      keyField: 'analysisrun',
      workers: WORKERS,
    })
      .for(runs, { resyncMs: RESYNC_MS })
      .owns(jobs, 'AnalysisRun', { add: finished, update: (_, job) => finished(job), delete: finished })
      .watches(
        jobPods,
        (pod) => {
          const owners = new Set((pod.metadata.ownerReferences ?? []).map((ref) => ref.uid));
          return jobs
            .list(pod.metadata.namespace)
            .filter((job) => job.metadata.uid && owners.has(job.metadata.uid))
            .map((job) => controllerOwnerKey(job, 'AnalysisRun'));
        },
        { add: podFailed, update: (_, pod) => podFailed(pod), delete: false },
      );
    for (const informer of templates.informers) builder.reads(informer);

    // Measuring from the copy our last status write replaced would repeat work.
    const writtenOver = new WrittenOver();

    const controllerNamespace = ctx.namespace ?? process.env.POD_NAMESPACE ?? DEFAULT_CONTROLLER_NAMESPACE;
    const statusSubresources = await discoverStatusSubresource(client, ANALYSIS_RUNS, logger);
    const actContext = {
      client,
      statusSubresources,
      events: ctx.events,
      logger,
      now: () => new Date(),
      providers: {
        client,
        now: () => new Date(),
        controllerNamespace,
        env: process.env,
        jobs: {
          get: (namespace: string, name: string) => jobs.get(namespace, name),
          ownedBy: (runUid: string) => jobs.byIndex(RUN_UID_INDEX, runUid),
        },
        jobPods: (jobUid: string) => jobPods.byOwner(jobUid),
      },
    };

    const reconcile = async (key: string) => {
      const { namespace, name } = splitObjectKey(key);
      const run = runs.get(namespace, name);
      if (!run) {
        writtenOver.forget(key);
        return;
      }
      if (run.metadata.deletionTimestamp) return;
      // The update event of our write enqueues the key again; the requeue is a safety net.
      if (writtenOver.isStale(key, run)) return { requeueAfterMs: 1000 };
      const timer = metrics.startReconcile(namespace, name);
      try {
        const outcome = await reconcileAnalysisRun(actContext, run);
        if (outcome.writtenResourceVersion) writtenOver.wrote(key, run);
        return outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : undefined;
      } catch (error) {
        // As Argo counts a reconcile that returns an error.
        metrics.reconcileError(namespace, name);
        throw error;
      } finally {
        timer();
      }
    };

    const running = await builder.start(reconcile, { onStop: stopMetrics }).catch((error: unknown) => {
      stopMetrics();
      throw error;
    });
    logger.info({ analysisruns: runs.list().length }, 'analysisrun caches synced');
    return running;
  },
};

/** Jobs by the uid of the AnalysisRun they measure for (the label Argo puts on them). */
function runUidOf(job: JobObject): string[] {
  return [job.metadata?.labels?.[ANALYSIS_RUN_UID_LABEL] ?? ''];
}
