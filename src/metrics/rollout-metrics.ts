// Rollout metrics with Argo Rollouts' names, labels and values, so existing dashboards and
// alerts work: rollout_info, rollout_info_replicas_* and the deprecated rollout_phase are read
// from the informer cache at scrape time; rollout_reconcile (histogram), rollout_reconcile_error
// and rollout_events_total are updated by the controller as it works, and a deleted Rollout's
// series go 65 s after its deletion, as in Argo. Written as text by object-families.ts (one
// label string per cached Rollout), not through prom-client: at 10,000 Rollouts that is the
// scrape's bulk.
import type { Rollout } from '../api/rollout.js';
import {
  type CleanupOptions,
  type Exposition,
  familyHeader,
  flat,
  formatValue,
  labelString,
  ObjectCounter,
  objectKey,
  PerObject,
  ReconcileFamilies,
  removalAfterDelete,
} from './object-families.js';

export interface RolloutMetrics {
  /** Starts a reconcile timer; call the result when the reconcile ends. */
  startReconcile(namespace: string, name: string): () => void;
  /** Records one reconcile of `seconds`. */
  observeReconcile(namespace: string, name: string, seconds: number): void;
  reconcileError(namespace: string, name: string): void;
  eventRecorded(namespace: string, name: string, type: string, reason: string): void;
  /** The Rollout is gone: its reconcile, error and event series go after the cleanup delay. */
  deleted(namespace: string, name: string): void;
  /** Removes every family this module wrote (controller stop). */
  unregister(): void;
}

type CachedRollout = Rollout & { metadata?: { namespace?: string; name?: string } };

function strategyOf(rollout: Rollout): string {
  if (rollout.spec.strategy.blueGreen) return 'blueGreen';
  if (rollout.spec.strategy.canary) return 'canary';
  return 'none';
}

/**
 * The traffic_router label as Argo writes it (controller/metrics/rollouts.go): one name, the
 * last of ALB, Ambassador, Istio, Nginx, SMI, AppMesh that the canary routes through; Traefik,
 * APISIX, Gateway API and other plugins give "".
 */
export function trafficRouterOf(rollout: Rollout): string {
  const routing = rollout.spec.strategy.canary?.trafficRouting;
  if (!routing) return '';
  let router = '';
  if (routing.alb !== undefined) router = 'ALB';
  if (routing.ambassador !== undefined) router = 'Ambassador';
  if (routing.istio !== undefined) router = 'Istio';
  if (routing.nginx !== undefined) router = 'Nginx';
  if (routing.smi !== undefined) router = 'SMI';
  if (routing.appMesh !== undefined) router = 'AppMesh';
  return router;
}

/** The phases rollout_phase has a series for, in Argo's order; InvalidSpec has none. */
const DEPRECATED_PHASES = ['Completed', 'Progressing', 'Paused', 'Timeout', 'Error', 'Abort'] as const;

/**
 * The phase label of rollout_info and rollout_phase: Argo's calculatePhase, from the Progressing
 * condition's reason (not status.phase), InvalidSpec over everything.
 */
export function metricsPhase(rollout: Rollout): string {
  const conditions = rollout.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'InvalidSpec')) return 'InvalidSpec';
  switch (conditions.find((c) => c.type === 'Progressing')?.reason) {
    case 'NewReplicaSetAvailable':
      return 'Completed';
    case 'RolloutPaused':
      return 'Paused';
    case 'ReplicaSetCreateError':
      return 'Error';
    case 'ProgressDeadlineExceeded':
      return 'Timeout';
    case 'RolloutAborted':
      return 'Abort';
    default:
      return 'Progressing';
  }
}

const INFO = familyHeader('rollout_info', 'Information about rollout.', 'gauge');
const PHASE = familyHeader(
  'rollout_phase',
  'Information on the state of the rollout (DEPRECATED - use rollout_info)',
  'gauge',
);
const REPLICAS = [
  {
    name: 'rollout_info_replicas_available',
    header: familyHeader(
      'rollout_info_replicas_available',
      'The number of available replicas per rollout.',
      'gauge',
    ),
    value: (ro: Rollout) => ro.status?.availableReplicas ?? 0,
  },
  {
    name: 'rollout_info_replicas_unavailable',
    header: familyHeader(
      'rollout_info_replicas_unavailable',
      'The number of unavailable replicas per rollout.',
      'gauge',
    ),
    // As Argo: not clamped at 0.
    value: (ro: Rollout) => (ro.status?.replicas ?? 0) - (ro.status?.availableReplicas ?? 0),
  },
  {
    name: 'rollout_info_replicas_desired',
    header: familyHeader(
      'rollout_info_replicas_desired',
      'The number of desired replicas per rollout.',
      'gauge',
    ),
    value: (ro: Rollout) => ro.spec.replicas ?? 1,
  },
  {
    name: 'rollout_info_replicas_updated',
    header: familyHeader(
      'rollout_info_replicas_updated',
      'The number of updated replicas per rollout.',
      'gauge',
    ),
    value: (ro: Rollout) => ro.status?.updatedReplicas ?? 0,
  },
] as const;

const identity = (namespace: string, name: string) =>
  labelString([
    ['namespace', namespace],
    ['name', name],
  ]);

export function registerRolloutMetrics(
  exposition: Exposition,
  rollouts: () => readonly CachedRollout[],
  options: CleanupOptions = {},
): RolloutMetrics {
  // Per cached Rollout: its whole lines of every family read from the cache (the informer
  // replaces the object when its status changes, so the values in them are never stale), so a
  // scrape of an unchanged Rollout builds no string at all.
  const lines = new PerObject((ro: CachedRollout) => {
    const namespace = ro.metadata?.namespace ?? '';
    const name = ro.metadata?.name ?? '';
    const strategy = strategyOf(ro);
    const phase = metricsPhase(ro);
    const labels = labelString([
      ['namespace', namespace],
      ['name', name],
      ['strategy', strategy],
      ['traffic_router', trafficRouterOf(ro)],
      ['phase', phase],
    ]);
    let phases = '';
    for (const candidate of DEPRECATED_PHASES) {
      const series = labelString([
        ['namespace', namespace],
        ['name', name],
        ['strategy', strategy],
        ['phase', candidate],
      ]);
      phases += `rollout_phase{${series}} ${candidate === phase ? 1 : 0}\n`;
    }
    const series = identity(namespace, name);
    return {
      info: flat(`rollout_info{${labels}} 1\n`),
      phases: flat(phases),
      replicas: REPLICAS.map((family) =>
        flat(`${family.name}{${series}} ${formatValue(family.value(ro))}\n`),
      ),
    };
  });
  const reconciles = new ReconcileFamilies(
    'rollout',
    { reconcile: 'Rollout reconciliation performance.', error: 'Error occurring during the rollout' },
    identity,
  );
  const events = new ObjectCounter('rollout_events_total', 'Count of rollout events');
  const removal = removalAfterDelete([...reconciles.families, events], options);

  // One family at a time, each appended to one string: V8 builds that rope fastest.
  const render = () => {
    const cached = rollouts();
    let out = INFO;
    for (const ro of cached) out += lines.get(ro).info;
    out += `\n${PHASE}`;
    for (const ro of cached) out += lines.get(ro).phases;
    REPLICAS.forEach((family, i) => {
      out += `\n${family.header}`;
      for (const ro of cached) out += lines.get(ro).replicas[i];
    });
    return `${out}\n${reconciles.render()}\n${events.render()}`;
  };
  const removeSource = exposition.add({ render });

  return {
    startReconcile: reconciles.start,
    observeReconcile: reconciles.observe,
    reconcileError: reconciles.error,
    eventRecorded: (namespace, name, type, reason) =>
      events.inc(
        objectKey(namespace, name),
        labelString([
          ['namespace', namespace],
          ['name', name],
          ['type', type],
          ['reason', reason],
        ]),
      ),
    deleted: (namespace, name) => removal.schedule(objectKey(namespace, name)),
    unregister: () => {
      removal.cancel();
      removeSource();
    },
  };
}
