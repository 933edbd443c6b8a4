// The Experiment controller: informer caches for Experiments, the ReplicaSets and Services
// they own (ReplicaSets carrying the pod-template-hash label, as Experiment ones do), their
// AnalysisRuns and the templates runs are built from; a work queue of Experiment keys; each
// key is observed from the caches, planned (plan.ts) and applied (act.ts), and looked at again
// when its duration ends or a progress deadline or scale-down delay falls due.
import { analysisTemplateCaches } from '../analysis/template-caches.js';
import type { AnalysisRun } from '../api/analysis.js';
import { ANALYSIS_RUN_KIND, apiResourceOf } from '../api/kinds.js';
import {
  EXPERIMENT_NAME_ANNOTATION,
  EXPERIMENT_TEMPLATE_NAME_ANNOTATION,
  INSTANCE_ID_LABEL,
  POD_TEMPLATE_HASH_LABEL,
} from '../api/labels.js';
import { NotFoundError } from '../kube/api-error.js';
import {
  ControllerBuilder,
  type ControllerContext,
  type ControllerFactory,
  cacheScopes,
  type EventFilter,
  type RunningController,
  WrittenOver,
} from '../kube/controller.js';
import { type KubeObject, splitObjectKey } from '../kube/object.js';
import { OwnedWrites } from '../kube/owned-writes.js';
import { coreResources } from '../kube/resource.js';
import { discoverStatusSubresource } from '../kube/status-subresource.js';
import type { ReplicaSet } from '../rollout/workload-types.js';
import { EXPERIMENTS, reconcileExperiment } from './act.js';
import { registerExperimentMetrics } from './metrics.js';
import type { ExperimentObject, TemplateService } from './plan.js';

const WORKERS = 4;
const RESYNC_MS = 15 * 60 * 1000;
const COMPLETED = new Set(['Successful', 'Failed', 'Error', 'Inconclusive']);
const ANALYSIS_RUNS = apiResourceOf(ANALYSIS_RUN_KIND);

/** The uid of the object's controller (its owner with controller: true). */
const controllerUid = (object: KubeObject) =>
  object.metadata?.ownerReferences?.find((o) => o.controller)?.uid;

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

/**
 * Which events of a template ReplicaSet wake its Experiment. As Argo: updates that move its
 * replica counters; and, since a pass is skipped while the cache is behind our own last write to
 * a set (OwnedWrites), the update that brings that write in, whatever it changed (the
 * scale-down-deadline annotation moves no counter). A set deleted before the cache showed our
 * write to it is no longer waited for.
 */
export function replicaSetEvents(ownWrites: OwnedWrites): EventFilter<ReplicaSet> {
  return {
    update: (old, rs) =>
      old.spec?.replicas !== rs.spec?.replicas ||
      old.status?.replicas !== rs.status?.replicas ||
      old.status?.readyReplicas !== rs.status?.readyReplicas ||
      old.status?.availableReplicas !== rs.status?.availableReplicas ||
      ownWrites.awaited(controllerUid(rs), rs),
    delete: (rs) => {
      ownWrites.deleted(controllerUid(rs), rs.metadata?.name);
      return true;
    },
  };
}

export const experimentController: ControllerFactory = {
  name: 'experiments',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const { client, logger, caches } = ctx;
    const { all: scope, ours } = cacheScopes(ctx, INSTANCE_ID_LABEL);

    const experiments = caches.informer<ExperimentObject>(EXPERIMENTS, ours);
    const replicaSets = caches.informer<ReplicaSet>(coreResources.replicaSets, {
      ...scope,
      labelSelector: POD_TEMPLATE_HASH_LABEL,
    });
    const services = caches.informer<TemplateService>(coreResources.services, scope);
    const analysisRuns = caches.informer<AnalysisRun & KubeObject>(ANALYSIS_RUNS, ours);
    const templates = analysisTemplateCaches(ctx);

    // Our writes to the template ReplicaSets the cache has not shown yet (as the Rollout controller).
    const ownWrites = new OwnedWrites();
    const metrics = registerExperimentMetrics(ctx.metrics.exposition, () => experiments.list());
    // As Argo: a deleted Experiment's reconcile series go after the cleanup delay.
    const forgetDeleted = experiments.addHandlers({
      delete: (ex) => metrics.deleted(ex.metadata?.namespace ?? '', ex.metadata?.name ?? ''),
    });
    const stopMetrics = () => {
      forgetDeleted();
      metrics.unregister();
    };
    // A run wakes its Experiment once it completes; in between the Experiment only mirrors it.
    const completed = (run: AnalysisRun) => COMPLETED.has(run.status?.phase ?? '');
    const builder = new ControllerBuilder({
      ...ctx,
      name: 'experiments',
      keyField: 'experiment',
      workers: WORKERS,
    })
      .for(experiments, { resyncMs: RESYNC_MS })
      .owns(replicaSets, 'Experiment', replicaSetEvents(ownWrites))
      .owns(services, 'Experiment', { update: false })
      .owns(analysisRuns, 'Experiment', {
        add: completed,
        update: (_, run) => completed(run),
        delete: completed,
      });
    for (const informer of templates.informers) builder.reads(informer);

    // Planning from the copy our last status write replaced would repeat work.
    const writtenOver = new WrittenOver();
    const statusSubresources = await discoverStatusSubresource(client, EXPERIMENTS, logger);
    const actContext = { client, statusSubresources, events: ctx.events, logger, ownWrites };

    const reconcile = async (key: string) => {
      const { namespace, name } = splitObjectKey(key);
      const ex = experiments.get(namespace, name);
      if (!ex) {
        writtenOver.forget(key);
        return;
      }
      if (ex.metadata.deletionTimestamp) return;
      if (writtenOver.isStale(key, ex)) return { requeueAfterMs: 1000 };
      // A set this Experiment controls whose cached copy is older than our last write to it: that
      // write's watch event brings the Experiment back (the ReplicaSet filter above).
      const uid = ex.metadata.uid;
      const ownedSet = (rsName: string) => {
        const rs = replicaSets.get(namespace, rsName);
        return rs && controllerUid(rs) === uid ? rs : undefined;
      };
      if (ownWrites.stale(uid, ownedSet)) return;
      const timer = metrics.startReconcile(namespace, name);
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
          templates: templates.available(namespace),
          now: new Date(),
        });
        if (outcome.writtenResourceVersion) writtenOver.wrote(key, ex);
        return outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : undefined;
      } catch (error) {
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
    logger.info({ experiments: experiments.list().length }, 'experiment caches synced');
    return running;
  },
};
