// Rollout metrics with Argo Rollouts' names and labels, so existing dashboards and alerts
// work: rollout_info and rollout_info_replicas_* are read from the informer cache at scrape
// time; rollout_reconcile (histogram), rollout_reconcile_error and rollout_events_total
// are updated by the controller as it works.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Rollout } from '../api/rollout.js';

export interface RolloutMetrics {
  /** Starts a reconcile timer; call the result when the reconcile ends. */
  startReconcile(namespace: string, name: string): () => void;
  reconcileError(namespace: string, name: string): void;
  eventRecorded(namespace: string, name: string, type: string, reason: string): void;
  /** Removes every metric this module registered (controller stop). */
  unregister(): void;
}

const NAMES = [
  'rollout_info',
  'rollout_info_replicas_available',
  'rollout_info_replicas_unavailable',
  'rollout_info_replicas_desired',
  'rollout_info_replicas_updated',
  'rollout_reconcile',
  'rollout_reconcile_error',
  'rollout_events_total',
] as const;

function strategyOf(rollout: Rollout): string {
  if (rollout.spec.strategy.blueGreen) return 'blueGreen';
  if (rollout.spec.strategy.canary) return 'canary';
  return 'none';
}

function trafficRouterOf(rollout: Rollout): string {
  const routing = rollout.spec.strategy.canary?.trafficRouting;
  if (!routing) return '';
  const routers = [
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
  return routers.filter((r) => routing[r] !== undefined).join(',');
}

export function registerRolloutMetrics(
  registry: Registry,
  rollouts: () => readonly (Rollout & { metadata?: { namespace?: string; name?: string } })[],
): RolloutMetrics {
  const identity = (ro: Rollout & { metadata?: { namespace?: string; name?: string } }) => ({
    namespace: ro.metadata?.namespace ?? '',
    name: ro.metadata?.name ?? '',
  });
  new Gauge({
    name: 'rollout_info',
    help: 'Information about rollout.',
    labelNames: ['namespace', 'name', 'strategy', 'traffic_router', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const ro of rollouts()) {
        this.set(
          {
            ...identity(ro),
            strategy: strategyOf(ro),
            traffic_router: trafficRouterOf(ro),
            phase: ro.status?.phase ?? '',
          },
          1,
        );
      }
    },
  });
  const replicaGauge = (name: string, help: string, value: (ro: Rollout) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace', 'name'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const ro of rollouts()) this.set(identity(ro), value(ro));
      },
    });
  replicaGauge(
    'rollout_info_replicas_available',
    'The number of available replicas per rollout.',
    (ro) => ro.status?.availableReplicas ?? 0,
  );
  replicaGauge('rollout_info_replicas_unavailable', 'The number of unavailable replicas per rollout.', (ro) =>
    Math.max(0, (ro.status?.replicas ?? 0) - (ro.status?.availableReplicas ?? 0)),
  );
  replicaGauge(
    'rollout_info_replicas_desired',
    'The number of desired replicas per rollout.',
    (ro) => ro.spec.replicas ?? 1,
  );
  replicaGauge(
    'rollout_info_replicas_updated',
    'The number of updated replicas per rollout.',
    (ro) => ro.status?.updatedReplicas ?? 0,
  );

  const reconcile = new Histogram({
    name: 'rollout_reconcile',
    help: 'Rollout reconciliation performance.',
    labelNames: ['namespace', 'name'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'rollout_reconcile_error',
    help: 'Error occurring during the rollout',
    labelNames: ['namespace', 'name'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'rollout_events_total',
    help: 'Count of rollout events',
    labelNames: ['namespace', 'name', 'type', 'reason'] as const,
    registers: [registry],
  });

  return {
    startReconcile: (namespace, name) => reconcile.startTimer({ namespace, name }),
    reconcileError: (namespace, name) => errors.inc({ namespace, name }),
    eventRecorded: (namespace, name, type, reason) => events.inc({ namespace, name, type, reason }),
    unregister: () => {
      for (const name of NAMES) registry.removeSingleMetric(name);
    },
  };
}
