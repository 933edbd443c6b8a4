// The Rollout controller: informer caches for Rollouts, their ReplicaSets (only those
// carrying the pod-template-hash label, so we never cache every ReplicaSet of the
// cluster) and Services; a work queue of Rollout keys; each key is observed from the
// caches, planned (plan.ts) and applied (act.ts).
import type { AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate } from '../api/analysis.js';
import type { Experiment } from '../api/experiment.js';
import {
  ANALYSIS_RUN_KIND,
  ANALYSIS_TEMPLATE_KIND,
  apiResourceOf,
  CLUSTER_ANALYSIS_TEMPLATE_KIND,
  EXPERIMENT_KIND,
} from '../api/kinds.js';
import { INSTANCE_ID_LABEL, MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL } from '../api/labels.js';
import { ConflictError, NotFoundError } from '../kube/api-error.js';
import { Informer } from '../kube/informer.js';
import { apiListWatch } from '../kube/list-watch.js';
import type { KubeObject } from '../kube/object.js';
import { coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import { WorkQueue } from '../kube/workqueue.js';
import { registerRolloutMetrics } from '../metrics/rollout-metrics.js';
import type {
  ControllerContext,
  ControllerFactory,
  RunningController,
} from '../process/controller-process.js';
import { trafficRoutingObjects } from '../trafficrouting/registry.js';
import { applyRolloutPlan, OwnRolloutWrites, ROLLOUTS } from './act.js';
import { selectorString } from './pass.js';
import { type ObservedRolloutObject, planRollout } from './plan.js';
import { isRestartPending } from './restart.js';
import type { Deployment, Pod, ReplicaSet, Service } from './workload-types.js';

const WORKERS = 4;
const CONFLICT_REQUEUE_MS = 100;
const RESYNC_MS = 15 * 60 * 1000;

function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/** The Services a Rollout's strategy names (they are observed even before it manages them). */
function namedServices(rollout: ObservedRolloutObject): string[] {
  const { canary, blueGreen } = rollout.spec.strategy ?? {};
  return [
    canary?.canaryService,
    canary?.stableService,
    canary?.pingPong?.pingService,
    canary?.pingPong?.pongService,
    blueGreen?.activeService,
    blueGreen?.previewService,
  ].filter((n): n is string => typeof n === 'string' && n !== '');
}

function rolloutOwnerOf(object: KubeObject): string | undefined {
  const owner = object.metadata?.ownerReferences?.find((ref) => ref.controller && ref.kind === 'Rollout');
  return owner ? keyOf(object.metadata?.namespace, owner.name) : undefined;
}

async function readTrafficObjects(client: RestClient, rollout: ObservedRolloutObject): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const ref of trafficRoutingObjects(rollout)) {
    try {
      objects.push(await client.get<KubeObject>(ref.resource, ref.namespace, ref.name));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return objects;
}

export const rolloutController: ControllerFactory = {
  name: 'rollouts',
  async start(ctx: ControllerContext): Promise<RunningController> {
    const { client, logger } = ctx;
    const scope = ctx.namespace ? { namespace: ctx.namespace } : {};
    const instanceSelector = ctx.instanceId
      ? `${INSTANCE_ID_LABEL}=${ctx.instanceId}`
      : `!${INSTANCE_ID_LABEL}`;
    const onError = (what: string) => (error: Error) => logger.warn({ err: error.message }, what);

    const rollouts = new Informer<ObservedRolloutObject>(
      apiListWatch(client, ROLLOUTS, { ...scope, labelSelector: instanceSelector }),
      { resyncPeriodMs: RESYNC_MS, onError: onError('rollout watch') },
    );
    const replicaSets = new Informer<ReplicaSet>(
      apiListWatch(client, coreResources.replicaSets, { ...scope, labelSelector: POD_TEMPLATE_HASH_LABEL }),
      { onError: onError('replicaset watch') },
    );
    // Deployments referenced by spec.workloadRef: a change of the Deployment's template is an update.
    const deployments = new Informer<Deployment>(apiListWatch(client, coreResources.deployments, scope), {
      onError: onError('deployment watch'),
    });
    // AnalysisRuns (owned by Rollouts) and the templates new runs are built from. Cluster-scoped
    // templates cannot be watched by a namespaced install, so there they are not offered.
    const analysisRuns = new Informer<AnalysisRun & KubeObject>(
      apiListWatch(client, apiResourceOf(ANALYSIS_RUN_KIND), scope),
      { onError: onError('analysisrun watch') },
    );
    const analysisTemplates = new Informer<AnalysisTemplate & KubeObject>(
      apiListWatch(client, apiResourceOf(ANALYSIS_TEMPLATE_KIND), scope),
      { onError: onError('analysistemplate watch') },
    );
    const clusterAnalysisTemplates = ctx.namespace
      ? undefined
      : new Informer<ClusterAnalysisTemplate & KubeObject>(
          apiListWatch(client, apiResourceOf(CLUSTER_ANALYSIS_TEMPLATE_KIND)),
          { onError: onError('clusteranalysistemplate watch') },
        );
    const services = new Informer<Service>(apiListWatch(client, coreResources.services, scope), {
      onError: onError('service watch'),
    });
    // Experiments of canary experiment steps: their phase completes, aborts or pauses the step.
    const experiments = new Informer<Experiment & KubeObject>(
      apiListWatch(client, apiResourceOf(EXPERIMENT_KIND), scope),
      { onError: onError('experiment watch') },
    );

    const metrics = registerRolloutMetrics(ctx.metrics.registry, () => rollouts.list());

    const queue = new WorkQueue({
      name: 'rollouts',
      metrics: ctx.metrics.workQueue('rollouts'),
      onError: (key, error) =>
        logger.warn({ rollout: key, err: (error as Error).message }, 'reconcile failed; retrying'),
    });
    const enqueue = (key: string | undefined) => {
      if (key) queue.add(key);
    };

    rollouts.addHandlers({
      add: (ro) => {
        enqueue(keyOf(ro.metadata.namespace, ro.metadata.name));
        // Argo records this on every informer add (a new Rollout, or each one at start-up).
        void ctx.events.record(
          { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: ro.metadata },
          'Normal',
          'RolloutAddedToInformer',
          `Rollout resource added to informer: ${ro.metadata.namespace}/${ro.metadata.name}`,
        );
      },
      update: (_, ro) => enqueue(keyOf(ro.metadata.namespace, ro.metadata.name)),
    });
    analysisRuns.addHandlers({
      add: (run) => enqueue(rolloutOwnerOf(run)),
      update: (_, run) => enqueue(rolloutOwnerOf(run)),
      delete: (run) => enqueue(rolloutOwnerOf(run)),
    });
    experiments.addHandlers({
      add: (ex) => enqueue(rolloutOwnerOf(ex)),
      update: (_, ex) => enqueue(rolloutOwnerOf(ex)),
      delete: (ex) => enqueue(rolloutOwnerOf(ex)),
    });
    replicaSets.addHandlers({
      add: (rs) => enqueue(rolloutOwnerOf(rs)),
      update: (_, rs) => enqueue(rolloutOwnerOf(rs)),
      delete: (rs) => enqueue(rolloutOwnerOf(rs)),
    });
    const enqueueReferencing = (deployment: Deployment) => {
      for (const ro of rollouts.list(deployment.metadata?.namespace)) {
        if (ro.spec.workloadRef?.name === deployment.metadata?.name)
          enqueue(keyOf(ro.metadata.namespace, ro.metadata.name));
      }
    };
    deployments.addHandlers({
      add: enqueueReferencing,
      update: (_, d) => enqueueReferencing(d),
      delete: enqueueReferencing,
    });
    const serviceOwner = (svc: Service) => {
      const managedBy = svc.metadata?.annotations?.[MANAGED_BY_ANNOTATION];
      return managedBy ? keyOf(svc.metadata?.namespace, managedBy) : undefined;
    };
    // A Service is also looked at by every Rollout naming it: a blue-green Rollout waits
    // (InvalidSpec) for its active and preview Services to exist.
    const onService = (svc: Service) => {
      enqueue(serviceOwner(svc));
      const svcName = svc.metadata?.name ?? '';
      for (const ro of rollouts.list(svc.metadata?.namespace)) {
        if (namedServices(ro).includes(svcName)) enqueue(keyOf(ro.metadata.namespace, ro.metadata.name));
      }
    };
    // A template created after the Rollout that names it: look again at once instead of at the
    // next InvalidSpec requeue.
    const onTemplate = (template: KubeObject) => {
      for (const ro of rollouts.list(template.metadata?.namespace || undefined)) {
        if (ro.status?.conditions?.some((c) => c.type === 'InvalidSpec' && c.status === 'True'))
          enqueue(keyOf(ro.metadata.namespace, ro.metadata.name));
      }
    };
    for (const informer of [analysisTemplates, clusterAnalysisTemplates]) {
      informer?.addHandlers({ add: onTemplate, update: (_, t) => onTemplate(t), delete: onTemplate });
    }
    services.addHandlers({
      add: onService,
      update: (_, svc) => onService(svc),
      delete: onService,
    });

    const ownWrites = new OwnRolloutWrites();
    const reconcile = async (key: string) => {
      const [namespace, name] = key.split('/') as [string, string];
      const rollout = rollouts.get(namespace, name);
      if (!rollout || rollout.metadata.deletionTimestamp) return;
      if (ownWrites.isStale(rollout)) return; // our own write's watch event brings it back
      const timer = metrics.startReconcile(namespace, name);
      try {
        const owned = replicaSets
          .byOwner(rollout.metadata.uid)
          .filter((rs) =>
            rs.metadata?.ownerReferences?.some((o) => o.uid === rollout.metadata.uid && o.controller),
          );
        const named = namedServices(rollout);
        const relevant = new Map<string, Service>();
        for (const svc of services.list(namespace)) {
          const svcName = svc.metadata?.name ?? '';
          if (named.includes(svcName) || svc.metadata?.annotations?.[MANAGED_BY_ANNOTATION] === name) {
            relevant.set(svcName, svc);
          }
        }
        const now = new Date();
        // Pods are read only while a restart is pending, so no cache holds every pod of the cluster.
        const pods = isRestartPending(rollout.spec.restartAt, rollout.status?.restartedAt, now)
          ? (
              await client.list<Pod>(coreResources.pods, {
                namespace,
                labelSelector: selectorString(rollout.spec.selector),
              })
            ).items
          : undefined;
        // Router objects are read live, only for Rollouts with trafficRouting (a few GETs).
        const trafficObjects = rollout.spec.strategy.canary?.trafficRouting
          ? await readTrafficObjects(client, rollout)
          : undefined;
        const workloadName = rollout.spec.workloadRef?.name;
        const workload = workloadName ? deployments.get(namespace, workloadName) : undefined;
        const plan = planRollout({
          rollout,
          replicaSets: owned,
          services: relevant,
          now,
          ...(pods ? { pods } : {}),
          ...(workload ? { workload } : {}),
          ...(trafficObjects ? { trafficObjects } : {}),
          experiments: experiments.byOwner(rollout.metadata.uid),
          analysis: {
            runs: analysisRuns.byOwner(rollout.metadata.uid),
            templates: {
              analysisTemplates: analysisTemplates.list(namespace),
              clusterAnalysisTemplates: clusterAnalysisTemplates?.list() ?? [],
            },
            ...(ctx.instanceId ? { instanceId: ctx.instanceId } : {}),
          },
        });
        if (plan.actions.length > 0 || plan.events.length > 0) {
          logger.debug(
            { rollout: key, actions: plan.actions.map((a) => a.kind), phase: plan.status.phase },
            'applying plan',
          );
        }
        await applyRolloutPlan(
          {
            client,
            ownWrites,
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
        return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
      } catch (error) {
        if (error instanceof ConflictError) {
          // Our cache is behind our own last write; look again once the watch catches up.
          logger.debug({ rollout: key }, 'status write conflict; requeue');
          return { requeueAfterMs: CONFLICT_REQUEUE_MS };
        }
        metrics.reconcileError(namespace, name);
        throw error;
      } finally {
        timer();
      }
    };

    const informers = [
      replicaSets,
      services,
      deployments,
      analysisRuns,
      analysisTemplates,
      ...(clusterAnalysisTemplates ? [clusterAnalysisTemplates] : []),
      experiments,
      rollouts,
    ];
    for (const informer of informers) informer.start();
    // Leadership can end while the caches sync (an API outage): stop at once, so the next term
    // does not wait for this one's informers to come back from their backoff.
    const abandon = () => {
      for (const informer of informers) informer.stop();
    };
    ctx.signal.addEventListener('abort', abandon, { once: true });
    if (ctx.signal.aborted) abandon();
    await Promise.all(informers.map((i) => i.waitForSync()));
    ctx.signal.removeEventListener('abort', abandon);
    const workers = queue.run(reconcile, WORKERS);
    logger.info({ rollouts: rollouts.list().length }, 'rollout caches synced');

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
