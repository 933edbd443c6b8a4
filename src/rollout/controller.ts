// The Rollout controller: informer caches for Rollouts, their ReplicaSets (only those
// carrying the pod-template-hash label, so we never cache every ReplicaSet of the
// cluster) and Services; a work queue of Rollout keys; each key is observed from the
// caches (observe.ts), planned (plan.ts) and applied (act.ts).
import { analysisTemplateCaches } from '../analysis/template-caches.js';
import type { AnalysisRun } from '../api/analysis.js';
import type { Experiment } from '../api/experiment.js';
import { ANALYSIS_RUN_KIND, apiResourceOf, EXPERIMENT_KIND } from '../api/kinds.js';
import { INSTANCE_ID_LABEL, MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL } from '../api/labels.js';
import { ConflictError } from '../kube/api-error.js';
import {
  ControllerBuilder,
  type ControllerContext,
  type ControllerFactory,
  cacheScopes,
  type RunningController,
} from '../kube/controller.js';
import { type KubeObject, objectKey, splitObjectKey } from '../kube/object.js';
import { coreResources } from '../kube/resource.js';
import { registerRolloutMetrics } from '../metrics/rollout-metrics.js';
import { applyRolloutPlan, OwnRolloutWrites, ROLLOUTS } from './act.js';
import { namedServices, observeRollout } from './observe.js';
import { type ObservedRolloutObject, planRollout } from './plan.js';
import { PodCountWrites } from './pod-count-writes.js';
import type { Deployment, ReplicaSet, Service } from './workload-types.js';

// As Argo Rollouts (--rollout-threadiness 10): a reconcile mostly waits on the API server, and
// at 10,000 Rollouts 4 workers made the first deploy take a pass of ~13 minutes per step.
const WORKERS = 10;
const CONFLICT_REQUEUE_MS = 100;
const RESYNC_MS = 15 * 60 * 1000;

/** The Rollout's spec changed (metadata.generation moved), as opposed to its status or a resync. */
export function specChanged(old: KubeObject, object: KubeObject): boolean {
  return old.metadata?.generation !== object.metadata?.generation;
}

export const rolloutController: ControllerFactory = {
  name: 'rollouts',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const { client, logger, caches } = ctx;
    // Argo kinds are cached per instance id, as Argo's shared informer factory does.
    const { all: scope, ours } = cacheScopes(ctx, INSTANCE_ID_LABEL);

    const rollouts = caches.informer<ObservedRolloutObject>(ROLLOUTS, ours);
    const replicaSets = caches.informer<ReplicaSet>(coreResources.replicaSets, {
      ...scope,
      labelSelector: POD_TEMPLATE_HASH_LABEL,
    });
    // Deployments referenced by spec.workloadRef: a change of the Deployment's template is an update.
    const deployments = caches.informer<Deployment>(coreResources.deployments, scope);
    // AnalysisRuns (owned by Rollouts) and the templates new runs are built from.
    const analysisRuns = caches.informer<AnalysisRun & KubeObject>(apiResourceOf(ANALYSIS_RUN_KIND), ours);
    const templates = analysisTemplateCaches(ctx);
    const services = caches.informer<Service>(coreResources.services, scope);
    // Experiments of canary experiment steps: their phase completes, aborts or pauses the step.
    const experiments = caches.informer<Experiment & KubeObject>(apiResourceOf(EXPERIMENT_KIND), ours);

    const metrics = registerRolloutMetrics(ctx.metrics.exposition, () => rollouts.list());
    // As Argo: a deleted Rollout's reconcile and event series go after the cleanup delay.
    const forgetDeleted = rollouts.addHandlers({
      delete: (ro) => metrics.deleted(ro.metadata?.namespace ?? '', ro.metadata?.name ?? ''),
    });
    const stopMetrics = () => {
      forgetDeleted();
      metrics.unregister();
    };

    const serviceOwner = (svc: Service) => {
      const managedBy = svc.metadata?.annotations?.[MANAGED_BY_ANNOTATION];
      return managedBy
        ? objectKey({ metadata: { namespace: svc.metadata?.namespace, name: managedBy } })
        : undefined;
    };
    // A Service is also looked at by every Rollout naming it: a blue-green Rollout waits
    // (InvalidSpec) for its active and preview Services to exist.
    const rolloutsOfService = (svc: Service) => [
      serviceOwner(svc),
      ...rollouts
        .list(svc.metadata?.namespace)
        .filter((ro) => namedServices(ro).includes(svc.metadata?.name ?? ''))
        .map(objectKey),
    ];
    // A template created after the Rollout that names it: look again at once instead of at the
    // next InvalidSpec requeue.
    const rolloutsWaitingForTemplates = (template: KubeObject) =>
      rollouts
        .list(template.metadata?.namespace || undefined)
        .filter((ro) => ro.status?.conditions?.some((c) => c.type === 'InvalidSpec' && c.status === 'True'))
        .map(objectKey);

    const builder = new ControllerBuilder({ ...ctx, name: 'rollouts', keyField: 'rollout', workers: WORKERS })
      .for(rollouts, {
        resyncMs: RESYNC_MS,
        // A spec change (e.g. a new pod template) is what a user waits on: it goes ahead
        // of resync waves and of follow-up passes (issue 22: a 50-Rollout burst at 10,000).
        urgent: specChanged,
        // Argo records this on every informer add (a new Rollout, or each one at start-up),
        // and counts it in rollout_events_total as every Event of a Rollout.
        onAdd: (ro) => {
          metrics.eventRecorded(
            ro.metadata.namespace ?? '',
            ro.metadata.name,
            'Normal',
            'RolloutAddedToInformer',
          );
          void ctx.events.record(
            { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: ro.metadata },
            'Normal',
            'RolloutAddedToInformer',
            `Rollout resource added to informer: ${ro.metadata.namespace}/${ro.metadata.name}`,
          );
        },
      })
      .owns(analysisRuns, 'Rollout')
      .owns(experiments, 'Rollout')
      .owns(replicaSets, 'Rollout')
      .watches(deployments, (d) =>
        rollouts
          .list(d.metadata?.namespace)
          .filter((ro) => ro.spec.workloadRef?.name === d.metadata?.name)
          .map(objectKey),
      )
      .watches(services, rolloutsOfService);
    for (const informer of templates.informers) builder.watches(informer, rolloutsWaitingForTemplates);

    const ownWrites = new OwnRolloutWrites();
    const podCountWrites = new PodCountWrites();
    const reconcile = async (key: string) => {
      const { namespace, name } = splitObjectKey(key);
      const rollout = rollouts.get(namespace, name);
      if (!rollout || rollout.metadata.deletionTimestamp) return;
      // Our own write's watch event brings it back.
      if (ownWrites.isStale(rollout)) return;
      // Only a set this Rollout still controls: its watch events are what bring the Rollout back.
      const ownedSet = (rsName: string) => {
        const rs = replicaSets.get(namespace, rsName);
        const uid = rollout.metadata.uid;
        return rs?.metadata?.ownerReferences?.some((o) => o.uid === uid && o.controller) ? rs : undefined;
      };
      if (ownWrites.replicaSetsStale(rollout.metadata.uid, ownedSet)) return;
      const timer = metrics.startReconcile(namespace, name);
      try {
        const observed = await observeRollout(
          client,
          { replicaSets, services, deployments, analysisRuns, templates, experiments },
          rollout,
          { instanceId: ctx.instanceId, now: new Date() },
        );
        const plan = planRollout(observed);
        // Argo's syncHandler returns a validation failure as an error, once per pass.
        if (plan.invalidSpecError) metrics.reconcileError(namespace, name);
        if (plan.actions.length > 0 || plan.events.length > 0) {
          logger.debug(
            { rollout: key, actions: plan.actions.map((a) => a.kind), phase: plan.status.phase },
            'applying plan',
          );
        }
        const held = await applyRolloutPlan(
          {
            client,
            ownWrites,
            podCountWrites,
            recordEvent: (event) => {
              metrics.eventRecorded(namespace, name, event.type, event.reason);
              void ctx.events.record(
                // The whole Rollout: notifications render their templates from it, as Argo does.
                { ...rollout, apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' },
                event.type,
                event.reason,
                event.message,
              );
            },
          },
          rollout,
          plan,
        );
        const requeueAfterMs = Math.min(
          plan.requeueAfterMs ?? Number.POSITIVE_INFINITY,
          held?.requeueAfterMs ?? Number.POSITIVE_INFINITY,
        );
        return Number.isFinite(requeueAfterMs) ? { requeueAfterMs } : undefined;
      } catch (error) {
        if (error instanceof ConflictError) {
          // A stale status write, or a ReplicaSet guard that failed (a TestFailedError): the
          // cache is behind; look again once the watch catches up.
          logger.debug({ rollout: key, err: error.message }, 'write conflict; requeue');
          return { requeueAfterMs: CONFLICT_REQUEUE_MS };
        }
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
    logger.info({ rollouts: rollouts.list().length }, 'rollout caches synced');
    return running;
  },
};
