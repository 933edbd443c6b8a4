// Observe, the first step of a Rollout reconcile: everything one pass plans from, read from the
// informer caches (ReplicaSets and Experiments it owns, the Services it names or manages, its
// AnalysisRuns and the templates new ones are built from, a workloadRef's Deployment), plus the
// few live reads no cache holds (pods while a restart is pending, the traffic routers' objects).
import type { AvailableTemplates } from '../analysis/run-from-templates.js';
import type { AnalysisRun } from '../api/analysis.js';
import type { Experiment } from '../api/experiment.js';
import { MANAGED_BY_ANNOTATION } from '../api/labels.js';
import { NotFoundError } from '../kube/api-error.js';
import type { KubeObject } from '../kube/object.js';
import { coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import { trafficRoutingObjects } from '../trafficrouting/registry.js';
import { type ObservedRollout, type ObservedRolloutObject, selectorString } from './pass.js';
import { isRestartPending } from './restart.js';
import type { Deployment, Pod, ReplicaSet, Service } from './workload-types.js';

/** The caches a Rollout is observed from (the informers' read side). */
export interface RolloutCaches {
  replicaSets: { byOwner(uid: string): ReplicaSet[] };
  services: { list(namespace?: string): Service[] };
  deployments: { get(namespace: string | undefined, name: string): Deployment | undefined };
  analysisRuns: { byOwner(uid: string): (AnalysisRun & KubeObject)[] };
  /** The templates new runs are built from (analysis/template-caches.ts). */
  templates: { available(namespace: string): AvailableTemplates };
  experiments: { byOwner(uid: string): (Experiment & KubeObject)[] };
}

/** The Services a Rollout's strategy names (they are observed even before it manages them). */
export function namedServices(rollout: ObservedRolloutObject): string[] {
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

export async function observeRollout(
  client: RestClient,
  caches: RolloutCaches,
  rollout: ObservedRolloutObject,
  options: { instanceId?: string | undefined; now: Date },
): Promise<ObservedRollout> {
  const { namespace, name, uid } = rollout.metadata;
  const { now } = options;
  const owned = caches.replicaSets
    .byOwner(uid)
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === uid && o.controller));
  const named = namedServices(rollout);
  const services = new Map<string, Service>();
  for (const svc of caches.services.list(namespace)) {
    const svcName = svc.metadata?.name ?? '';
    if (named.includes(svcName) || svc.metadata?.annotations?.[MANAGED_BY_ANNOTATION] === name) {
      services.set(svcName, svc);
    }
  }
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
  const workload = workloadName ? caches.deployments.get(namespace, workloadName) : undefined;
  return {
    rollout,
    replicaSets: owned,
    services,
    now,
    ...(pods ? { pods } : {}),
    ...(workload ? { workload } : {}),
    ...(trafficObjects ? { trafficObjects } : {}),
    experiments: caches.experiments.byOwner(uid),
    analysis: {
      runs: caches.analysisRuns.byOwner(uid),
      templates: caches.templates.available(namespace),
      ...(options.instanceId ? { instanceId: options.instanceId } : {}),
    },
  };
}
