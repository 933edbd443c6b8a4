// The AnalysisRun controller: informer caches for AnalysisRuns and for the Jobs measurements
// create (only Jobs labelled with an AnalysisRun uid); a work queue of run keys; each key is
// reconciled by act.ts (plan, measure, assess, write) and looked at again when its next
// measurement is due. A finished Job wakes its run at once.
import { ANALYSIS_RUN_UID_LABEL, INSTANCE_ID_LABEL } from '../api/labels.js';
import { Informer } from '../kube/informer.js';
import { apiListWatch } from '../kube/list-watch.js';
import { coreResources } from '../kube/resource.js';
import { WorkQueue } from '../kube/workqueue.js';
import type {
  ControllerContext,
  ControllerFactory,
  RunningController,
} from '../process/controller-process.js';
import { ANALYSIS_RUNS, reconcileAnalysisRun } from './act.js';
import { registerAnalysisMetrics } from './metrics.js';
import type { ObservedAnalysisRun } from './plan.js';
import { JOBS, jobOutcome, terminalPodError } from './providers/job.js';
import type { JobObject, JobPod } from './providers/provider.js';

const WORKERS = 4;
const RESYNC_MS = 15 * 60 * 1000;
/** Where provider credential Secrets live when the controller watches the whole cluster. */
export const DEFAULT_CONTROLLER_NAMESPACE = 'argo-rollouts';
const RUN_UID_INDEX = 'analysisRunUid';

function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

function runOwnerOf(job: JobObject): string | undefined {
  const owner = job.metadata.ownerReferences?.find((ref) => ref.controller && ref.kind === 'AnalysisRun');
  return owner ? keyOf(job.metadata.namespace, owner.name) : undefined;
}

export const analysisRunController: ControllerFactory = {
  name: 'analysisruns',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const { client, logger } = ctx;
    const scope = ctx.namespace ? { namespace: ctx.namespace } : {};
    const instanceSelector = ctx.instanceId
      ? `${INSTANCE_ID_LABEL}=${ctx.instanceId}`
      : `!${INSTANCE_ID_LABEL}`;
    const onError = (what: string) => (error: Error) => logger.warn({ err: error.message }, what);

    const runs = new Informer<ObservedAnalysisRun>(
      apiListWatch(client, ANALYSIS_RUNS, { ...scope, labelSelector: instanceSelector }),
      { resyncPeriodMs: RESYNC_MS, onError: onError('analysisrun watch') },
    );
    const jobs = new Informer<JobObject & { metadata: { name: string } }>(
      apiListWatch(client, JOBS, { ...scope, labelSelector: ANALYSIS_RUN_UID_LABEL }),
      {
        onError: onError('job watch'),
        indexers: { [RUN_UID_INDEX]: (job) => [job.metadata?.labels?.[ANALYSIS_RUN_UID_LABEL] ?? ''] },
      },
    );

    // Pods of measurement Jobs (Argo labels them with the run's uid too): a pod that can never
    // pull its image makes the measurement Inconclusive instead of waiting forever.
    const jobPods = new Informer<JobPod & { metadata: { name: string } }>(
      apiListWatch(client, coreResources.pods, { ...scope, labelSelector: ANALYSIS_RUN_UID_LABEL }),
      { onError: onError('job pod watch') },
    );

    const metrics = registerAnalysisMetrics(ctx.metrics.registry, () => runs.list());
    const queue = new WorkQueue({
      name: 'analysisruns',
      metrics: ctx.metrics.workQueue('analysisruns'),
      onError: (key, error) =>
        logger.warn({ analysisrun: key, err: (error as Error).message }, 'reconcile failed; retrying'),
    });
    const enqueue = (key: string | undefined) => {
      if (key) queue.add(key);
    };
    runs.addHandlers({
      add: (run) => enqueue(keyOf(run.metadata.namespace, run.metadata.name)),
      update: (_, run) => enqueue(keyOf(run.metadata.namespace, run.metadata.name)),
    });
    const onJob = (job: JobObject) => {
      if (jobOutcome(job)) enqueue(runOwnerOf(job));
    };
    jobs.addHandlers({ add: onJob, update: (_, job) => onJob(job), delete: onJob });
    const onJobPod = (
      pod: JobPod & { metadata: { namespace?: string; ownerReferences?: { uid: string }[] } },
    ) => {
      if (!terminalPodError([pod])) return;
      const owners = new Set((pod.metadata.ownerReferences ?? []).map((ref) => ref.uid));
      for (const job of jobs.list(pod.metadata.namespace)) {
        if (job.metadata.uid && owners.has(job.metadata.uid)) enqueue(runOwnerOf(job));
      }
    };
    jobPods.addHandlers({ add: onJobPod, update: (_, pod) => onJobPod(pod) });

    // Our own status write reaches the cache a moment later; until it does, the cached run is
    // stale and measuring from it would repeat work. Key → resourceVersion we wrote over.
    const writtenOver = new Map<string, string>();

    const controllerNamespace = ctx.namespace ?? process.env.POD_NAMESPACE ?? DEFAULT_CONTROLLER_NAMESPACE;
    const actContext = {
      client,
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
      const slash = key.indexOf('/');
      const namespace = key.slice(0, slash);
      const name = key.slice(slash + 1);
      const run = runs.get(namespace, name);
      if (!run) {
        writtenOver.delete(key);
        return;
      }
      if (run.metadata.deletionTimestamp) return;
      if (writtenOver.get(key) === run.metadata.resourceVersion) {
        // The update event of our write enqueues the key again; this is a safety net.
        return { requeueAfterMs: 1000 };
      }
      writtenOver.delete(key);
      const timer = metrics.reconcile.startTimer({ name, namespace });
      try {
        const outcome = await reconcileAnalysisRun(actContext, run);
        if (outcome.writtenResourceVersion && run.metadata.resourceVersion) {
          writtenOver.set(key, run.metadata.resourceVersion);
        }
        return outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : undefined;
      } finally {
        timer();
      }
    };

    for (const informer of [jobs, jobPods, runs]) informer.start();
    await Promise.all([jobs.waitForSync(), jobPods.waitForSync(), runs.waitForSync()]);
    const workers = queue.run(reconcile, WORKERS);
    logger.info({ analysisruns: runs.list().length }, 'analysisrun caches synced');

    return {
      hasSynced: () => runs.hasSynced() && jobs.hasSynced() && jobPods.hasSynced(),
      async stop() {
        for (const informer of [runs, jobs, jobPods]) informer.stop();
        await queue.shutDown();
        await workers;
        metrics.unregister();
      },
    };
  },
};
