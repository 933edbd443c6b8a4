// The per-object families written through prom-client, as they were before the hand-written
// renderer (src/metrics/object-families.ts), kept as the oracle its output is compared with:
// the same names, help, labels, label order, buckets and collect() over the cache. The label
// values Argo derives (the rollout phase, the traffic router) come from the module under test;
// their own tests and test/switch/metrics-compat.test.ts check them against Argo.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { metricNameMatches } from '../../../src/analysis/metric-spec.js';
import { providerTypeName } from '../../../src/analysis/providers/registry.js';
import type { AnalysisRun } from '../../../src/api/analysis.js';
import type { Experiment } from '../../../src/api/experiment.js';
import type { Rollout } from '../../../src/api/rollout.js';
import { metricsPhase, trafficRouterOf } from '../../../src/metrics/rollout-metrics.js';

function strategyOf(rollout: Rollout): string {
  if (rollout.spec.strategy.blueGreen) return 'blueGreen';
  if (rollout.spec.strategy.canary) return 'canary';
  return 'none';
}

export function promClientRolloutFamilies(registry: Registry, rollouts: () => readonly Rollout[]) {
  const identity = (ro: Rollout) => ({
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
            phase: metricsPhase(ro),
          },
          1,
        );
      }
    },
  });
  new Gauge({
    name: 'rollout_phase',
    help: 'Information on the state of the rollout (DEPRECATED - use rollout_info)',
    labelNames: ['namespace', 'name', 'strategy', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const ro of rollouts()) {
        const phase = metricsPhase(ro);
        for (const candidate of ['Completed', 'Progressing', 'Paused', 'Timeout', 'Error', 'Abort']) {
          this.set(
            { ...identity(ro), strategy: strategyOf(ro), phase: candidate },
            candidate === phase ? 1 : 0,
          );
        }
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
  replicaGauge(
    'rollout_info_replicas_unavailable',
    'The number of unavailable replicas per rollout.',
    (ro) => (ro.status?.replicas ?? 0) - (ro.status?.availableReplicas ?? 0),
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
    buckets: [0.01, 0.15, 0.25, 0.5, 1],
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
    observeReconcile: (namespace: string, name: string, seconds: number) =>
      reconcile.observe({ namespace, name }, seconds),
    reconcileError: (namespace: string, name: string) => errors.inc({ namespace, name }),
    eventRecorded: (namespace: string, name: string, type: string, reason: string) =>
      events.inc({ namespace, name, type, reason }),
  };
}

const ANALYSIS_PHASES = ['Pending', 'Error', 'Failed', 'Successful', 'Running', 'Inconclusive'] as const;

export function promClientAnalysisFamilies(registry: Registry, runs: () => readonly AnalysisRun[]) {
  const identity = (run: AnalysisRun) => ({
    name: run.metadata?.name ?? '',
    namespace: run.metadata?.namespace ?? '',
  });
  new Gauge({
    name: 'analysis_run_info',
    help: 'Information about analysis run.',
    labelNames: ['name', 'namespace', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const run of runs()) this.set({ ...identity(run), phase: run.status?.phase ?? '' }, 1);
    },
  });
  new Gauge({
    name: 'analysis_run_phase',
    help: 'Information on the state of the Analysis Run (DEPRECATED - use analysis_run_info)',
    labelNames: ['name', 'namespace', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const run of runs()) {
        const phase = run.status?.phase ?? '';
        for (const candidate of ANALYSIS_PHASES) {
          const on = candidate === phase || (candidate === 'Pending' && phase === '');
          this.set({ ...identity(run), phase: candidate }, on ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: 'analysis_run_metric_type',
    help: 'Information on the type of a specific metric in the Analysis Runs',
    labelNames: ['name', 'namespace', 'metric', 'type'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const run of runs()) {
        for (const metric of run.spec?.metrics ?? []) {
          this.set({ ...identity(run), metric: metric.name, type: providerTypeName(metric) }, 1);
        }
      }
    },
  });
  new Gauge({
    name: 'analysis_run_metric_phase',
    help: 'Information on the duration of a specific metric in the Analysis Run',
    labelNames: ['name', 'namespace', 'metric', 'type', 'dry_run', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const run of runs()) {
        const rules = run.spec?.dryRun ?? [];
        for (const metric of run.spec?.metrics ?? []) {
          const current = run.status?.metricResults?.find((r) => r.name === metric.name)?.phase ?? '';
          const dryRun = rules.some((rule) => metricNameMatches(rule.metricName, metric.name));
          for (const phase of ANALYSIS_PHASES) {
            const on = phase === current || (phase === 'Pending' && current === '');
            this.set(
              {
                ...identity(run),
                metric: metric.name,
                type: providerTypeName(metric),
                dry_run: String(dryRun),
                phase,
              },
              on ? 1 : 0,
            );
          }
        }
      }
    },
  });
  const reconcile = new Histogram({
    name: 'analysis_run_reconcile',
    help: 'Analysis Run reconciliation performance.',
    labelNames: ['name', 'namespace'] as const,
    buckets: [0.01, 0.15, 0.25, 0.5, 1],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'analysis_run_reconcile_error',
    help: 'Error occurring during the analysis run',
    labelNames: ['name', 'namespace'] as const,
    registers: [registry],
  });
  return {
    observeReconcile: (namespace: string, name: string, seconds: number) =>
      reconcile.observe({ name, namespace }, seconds),
    reconcileError: (namespace: string, name: string) => errors.inc({ name, namespace }),
  };
}

const DEPRECATED_PHASES = ['Pending', 'Error', 'Successful', 'Running', 'Inconclusive'] as const;

export function promClientExperimentFamilies(registry: Registry, experiments: () => readonly Experiment[]) {
  const identity = (ex: Experiment) => ({
    namespace: ex.metadata?.namespace ?? '',
    name: ex.metadata?.name ?? '',
  });
  new Gauge({
    name: 'experiment_info',
    help: 'Information about Experiment.',
    labelNames: ['namespace', 'name', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const ex of experiments()) this.set({ ...identity(ex), phase: ex.status?.phase ?? '' }, 1);
    },
  });
  new Gauge({
    name: 'experiment_phase',
    help: 'Information on the state of the experiment (DEPRECATED - use experiment_info)',
    labelNames: ['namespace', 'name', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const ex of experiments()) {
        const phase = ex.status?.phase ?? '';
        for (const candidate of DEPRECATED_PHASES) {
          const on = candidate === phase || (candidate === 'Pending' && phase === '');
          this.set({ ...identity(ex), phase: candidate }, on ? 1 : 0);
        }
      }
    },
  });
  const reconcile = new Histogram({
    name: 'experiment_reconcile',
    help: 'Experiments reconciliation performance.',
    labelNames: ['namespace', 'name'] as const,
    buckets: [0.01, 0.15, 0.25, 0.5, 1],
    registers: [registry],
  });
  const reconcileError = new Counter({
    name: 'experiment_reconcile_error',
    help: 'Error occurring during the experiment',
    labelNames: ['namespace', 'name'] as const,
    registers: [registry],
  });
  return {
    observeReconcile: (namespace: string, name: string, seconds: number) =>
      reconcile.observe({ namespace, name }, seconds),
    reconcileError: (namespace: string, name: string) => reconcileError.inc({ namespace, name }),
  };
}
