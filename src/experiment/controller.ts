// The Experiment controller: informer caches for Experiments, the ReplicaSets and Services
// they own (ReplicaSets carrying the pod-template-hash label, as Experiment ones do), their
// AnalysisRuns and the templates runs are built from; a work queue of Experiment keys; each
// key is observed from the caches, planned (plan.ts) and applied (act.ts), and looked at again
// when its duration ends or a progress deadline or scale-down delay falls due.
import type { AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate } from '../api/analysis.js';
import {
  ANALYSIS_RUN_KIND,
  ANALYSIS_TEMPLATE_KIND,
  apiResourceOf,
  CLUSTER_ANALYSIS_TEMPLATE_KIND,
} from '../api/kinds.js';
import {
  EXPERIMENT_NAME_ANNOTATION,
  EXPERIMENT_TEMPLATE_NAME_ANNOTATION,
  INSTANCE_ID_LABEL,
  POD_TEMPLATE_HASH_LABEL,
} from '../api/labels.js';
import { NotFoundError } from '../kube/api-error.js';
import { Informer } from '../kube/informer.js';
import { apiListWatch } from '../kube/list-watch.js';
import type { KubeObject } from '../kube/object.js';
import { coreResources } from '../kube/resource.js';
import { WorkQueue } from '../kube/workqueue.js';
import type {
  ControllerContext,
  ControllerFactory,
  RunningController,
} from '../process/controller-process.js';
import type { ReplicaSet } from '../rollout/workload-types.js';
import { EXPERIMENTS, reconcileExperiment } from './act.js';
import { registerExperimentMetrics } from './metrics.js';
import type { ExperimentObject, TemplateService } from './plan.js';

const WORKERS = 4;
const RESYNC_MS = 15 * 60 * 1000;
const COMPLETED = new Set(['Successful', 'Failed', 'Error', 'Inconclusive']);
const ANALYSIS_RUNS = apiResourceOf(ANALYSIS_RUN_KIND);

function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

function experimentOwnerOf(object: KubeObject): string | undefined {
  const owner = object.metadata?.ownerReferences?.find((ref) => ref.controller && ref.kind === 'Experiment');
  return owner ? keyOf(object.metadata?.namespace, owner.name) : undefined;
}

/**
 * Objects of the experiment by template name: controlled by it, annotated with its name and a
 * template it declares (getReplicaSetsForExperiment / getServicesForExperiment).
 */
export function claimByTemplate<T extends KubeObject>(
  ex: ExperimentObject,
  owned: readonly T[],
  what: string,
): Map<string, T> {
  const declared = new Set(ex.spec.templates.map((t) => t.name));
  const claimed = new Map<string, T>();
  for (const object of owned) {
    const controller = object.metadata?.ownerReferences?.find((o) => o.controller);
    const annotations = object.metadata?.annotations ?? {};
    if (controller?.uid !== ex.metadata.uid || annotations[EXPERIMENT_NAME_ANNOTATION] !== ex.metadata.name)
      continue;
    const template = annotations[EXPERIMENT_TEMPLATE_NAME_ANNOTATION];
    if (!template) continue;
    if (claimed.has(template))
      throw new Error(`multiple ${what} match single experiment template: ${template}`);
    if (declared.has(template)) claimed.set(template, object);
  }
  return claimed;
}

export const experimentController: ControllerFactory = {
  name: 'experiments',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const { client, logger } = ctx;
    const scope = ctx.namespace ? { namespace: ctx.namespace } : {};
    const instanceSelector = ctx.instanceId
      ? `${INSTANCE_ID_LABEL}=${ctx.instanceId}`
      : `!${INSTANCE_ID_LABEL}`;
    const onError = (what: string) => (error: Error) => logger.warn({ err: error.message }, what);

    const experiments = new Informer<ExperimentObject>(
      apiListWatch(client, EXPERIMENTS, { ...scope, labelSelector: instanceSelector }),
      { resyncPeriodMs: RESYNC_MS, onError: onError('experiment watch') },
    );
    const replicaSets = new Informer<ReplicaSet>(
      apiListWatch(client, coreResources.replicaSets, { ...scope, labelSelector: POD_TEMPLATE_HASH_LABEL }),
      { onError: onError('replicaset watch') },
    );
    const services = new Informer<TemplateService>(apiListWatch(client, coreResources.services, scope), {
      onError: onError('service watch'),
    });
    const analysisRuns = new Informer<AnalysisRun & KubeObject>(apiListWatch(client, ANALYSIS_RUNS, scope), {
      onError: onError('analysisrun watch'),
    });
    const analysisTemplates = new Informer<AnalysisTemplate & KubeObject>(
      apiListWatch(client, apiResourceOf(ANALYSIS_TEMPLATE_KIND), scope),
      { onError: onError('analysistemplate watch') },
    );
    // Cluster-scoped templates cannot be watched by a namespaced install.
    const clusterAnalysisTemplates = ctx.namespace
      ? undefined
      : new Informer<ClusterAnalysisTemplate & KubeObject>(
          apiListWatch(client, apiResourceOf(CLUSTER_ANALYSIS_TEMPLATE_KIND)),
          { onError: onError('clusteranalysistemplate watch') },
        );

    const metrics = registerExperimentMetrics(ctx.metrics.registry, () => experiments.list());
    const queue = new WorkQueue({
      name: 'experiments',
      metrics: ctx.metrics.workQueue('experiments'),
      onError: (key, error) =>
        logger.warn({ experiment: key, err: (error as Error).message }, 'reconcile failed; retrying'),
    });
    const enqueue = (key: string | undefined) => {
      if (key) queue.add(key);
    };
    experiments.addHandlers({
      add: (ex) => enqueue(keyOf(ex.metadata.namespace, ex.metadata.name)),
      update: (_, ex) => enqueue(keyOf(ex.metadata.namespace, ex.metadata.name)),
    });
    // As Argo: a ReplicaSet wakes its Experiment when its replica counters move.
    replicaSets.addHandlers({
      add: (rs) => enqueue(experimentOwnerOf(rs)),
      update: (old, rs) => {
        const moved =
          old.spec?.replicas !== rs.spec?.replicas ||
          old.status?.replicas !== rs.status?.replicas ||
          old.status?.readyReplicas !== rs.status?.readyReplicas ||
          old.status?.availableReplicas !== rs.status?.availableReplicas;
        if (moved) enqueue(experimentOwnerOf(rs));
      },
      delete: (rs) => enqueue(experimentOwnerOf(rs)),
    });
    services.addHandlers({
      add: (svc) => enqueue(experimentOwnerOf(svc)),
      delete: (svc) => enqueue(experimentOwnerOf(svc)),
    });
    // A run wakes its Experiment once it completes; in between the Experiment only mirrors it.
    const onRun = (run: AnalysisRun & KubeObject) => {
      if (COMPLETED.has(run.status?.phase ?? '')) enqueue(experimentOwnerOf(run));
    };
    analysisRuns.addHandlers({ add: onRun, update: (_, run) => onRun(run), delete: onRun });

    // Our own status write reaches the cache a moment later; planning from the stale copy
    // would repeat work. Key → resourceVersion we wrote over.
    const writtenOver = new Map<string, string>();
    const actContext = { client, events: ctx.events, logger };

    const reconcile = async (key: string) => {
      const slash = key.indexOf('/');
      const namespace = key.slice(0, slash);
      const name = key.slice(slash + 1);
      const ex = experiments.get(namespace, name);
      if (!ex) {
        writtenOver.delete(key);
        return;
      }
      if (ex.metadata.deletionTimestamp) return;
      if (writtenOver.get(key) === ex.metadata.resourceVersion) return { requeueAfterMs: 1000 };
      writtenOver.delete(key);
      const timer = metrics.reconcile.startTimer({ namespace, name });
      try {
        const runs = new Map<string, AnalysisRun>();
        for (const entry of ex.status?.analysisRuns ?? []) {
          if (!entry.analysisRun || COMPLETED.has(entry.phase)) continue;
          // A run we just created may not be in the cache yet: ask the API, as Argo does.
          const run =
            analysisRuns.get(namespace, entry.analysisRun) ??
            (await client.get<AnalysisRun>(ANALYSIS_RUNS, namespace, entry.analysisRun).catch((error) => {
              if (error instanceof NotFoundError) return undefined;
              throw error;
            }));
          if (run) runs.set(entry.analysisRun, run);
        }
        const outcome = await reconcileExperiment(actContext, {
          experiment: ex,
          replicaSets: claimByTemplate(ex, replicaSets.byOwner(ex.metadata.uid), 'ReplicaSets'),
          services: claimByTemplate(ex, services.byOwner(ex.metadata.uid), 'Services'),
          analysisRuns: runs,
          templates: {
            analysisTemplates: analysisTemplates.list(namespace),
            clusterAnalysisTemplates: clusterAnalysisTemplates?.list() ?? [],
          },
          now: new Date(),
        });
        if (outcome.writtenResourceVersion && ex.metadata.resourceVersion) {
          writtenOver.set(key, ex.metadata.resourceVersion);
        }
        return outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : undefined;
      } catch (error) {
        metrics.reconcileError.inc({ namespace, name });
        throw error;
      } finally {
        timer();
      }
    };

    const informers = [
      replicaSets,
      services,
      analysisRuns,
      analysisTemplates,
      ...(clusterAnalysisTemplates ? [clusterAnalysisTemplates] : []),
      experiments,
    ];
    for (const informer of informers) informer.start();
    await Promise.all(informers.map((i) => i.waitForSync()));
    const workers = queue.run(reconcile, WORKERS);
    logger.info({ experiments: experiments.list().length }, 'experiment caches synced');

    return {
      hasSynced: () => informers.every((i) => i.hasSynced()),
      async stop() {
        for (const informer of informers) informer.stop();
        await queue.shutDown();
        await workers;
        metrics.unregister();
      },
    };
  },
};
