// Rollout metrics with Argo Rollouts' names and labels, so existing dashboards and alerts
// work: rollout_info and rollout_info_replicas_* are read from the informer cache at scrape
// time; rollout_reconcile (histogram), rollout_reconcile_error and rollout_events_total
// are updated by the controller as it works, and a deleted Rollout's series go 65 s after
// its deletion, as in Argo. Written as text by object-families.ts (one label string per
// cached Rollout), not through prom-client: at 10,000 Rollouts that is the scrape's bulk.
import type { Rollout } from '../api/rollout.js';
import { type Clock, systemClock } from '../kube/clock.js';
import {
  DelayedRemoval,
  type Exposition,
  familyHeader,
  flat,
  formatValue,
  labelString,
  METRIC_CLEANUP_DELAY_MS,
  ObjectCounter,
  ObjectHistogram,
  PerObject,
  startTimer,
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

export interface RolloutMetricsOptions {
  clock?: Clock;
  cleanupDelayMs?: number;
}

function strategyOf(rollout: Rollout): string {
  if (rollout.spec.strategy.blueGreen) return 'blueGreen';
  if (rollout.spec.strategy.canary) return 'canary';
  return 'none';
}

const ROUTERS = [
  'istio',
  'nginx',
  'alb',
  'smi',
  'ambassador',
  'traefik',
  'apisix',
  'appMesh',
  'plugins',
] as const;

function trafficRouterOf(rollout: Rollout): string {
  const routing = rollout.spec.strategy.canary?.trafficRouting;
  if (!routing) return '';
  return ROUTERS.filter((r) => routing[r] !== undefined).join(',');
}

const INFO = familyHeader('rollout_info', 'Information about rollout.', 'gauge');
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
    value: (ro: Rollout) => Math.max(0, (ro.status?.replicas ?? 0) - (ro.status?.availableReplicas ?? 0)),
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
  options: RolloutMetricsOptions = {},
): RolloutMetrics {
  // Per cached Rollout: the rollout_info line and `{namespace="..",name=".."} ` of the others.
  const lines = new PerObject((ro: CachedRollout) => {
    const namespace = ro.metadata?.namespace ?? '';
    const name = ro.metadata?.name ?? '';
    const labels = labelString([
      ['namespace', namespace],
      ['name', name],
      ['strategy', strategyOf(ro)],
      ['traffic_router', trafficRouterOf(ro)],
      ['phase', ro.status?.phase ?? ''],
    ]);
    return { info: flat(`rollout_info{${labels}} 1\n`), identity: flat(`{${identity(namespace, name)}} `) };
  });
  const reconcile = new ObjectHistogram(
    'rollout_reconcile',
    'Rollout reconciliation performance.',
    [0.01, 0.05, 0.1, 0.5, 1, 5],
  );
  const errors = new ObjectCounter('rollout_reconcile_error', 'Error occurring during the rollout');
  const events = new ObjectCounter('rollout_events_total', 'Count of rollout events');
  const removal = new DelayedRemoval(
    options.clock ?? systemClock,
    options.cleanupDelayMs ?? METRIC_CLEANUP_DELAY_MS,
    (key) => {
      reconcile.remove(key);
      errors.remove(key);
      events.remove(key);
    },
  );

  // One family at a time, each appended to one string: V8 builds that rope fastest.
  const render = () => {
    const cached = rollouts();
    let out = INFO;
    for (const ro of cached) out += lines.get(ro).info;
    for (const family of REPLICAS) {
      out += `\n${family.header}`;
      for (const ro of cached)
        out += `${family.name}${lines.get(ro).identity}${formatValue(family.value(ro))}\n`;
    }
    return `${out}\n${reconcile.render()}\n${errors.render()}\n${events.render()}`;
  };
  const removeSource = exposition.add({ render });

  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const observeReconcile = (namespace: string, name: string, seconds: number) =>
    reconcile.observe(key(namespace, name), () => identity(namespace, name), seconds);
  return {
    startReconcile: (namespace, name) => startTimer((seconds) => observeReconcile(namespace, name, seconds)),
    observeReconcile,
    reconcileError: (namespace, name) => errors.inc(key(namespace, name), identity(namespace, name)),
    eventRecorded: (namespace, name, type, reason) =>
      events.inc(
        key(namespace, name),
        labelString([
          ['namespace', namespace],
          ['name', name],
          ['type', type],
          ['reason', reason],
        ]),
      ),
    deleted: (namespace, name) => removal.schedule(key(namespace, name)),
    unregister: () => {
      removal.cancel();
      removeSource();
    },
  };
}
