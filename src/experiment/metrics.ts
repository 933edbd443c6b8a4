// Argo Rollouts' Experiment metrics on the controller's registry: experiment_info and the
// deprecated experiment_phase are read from the informer cache at scrape time (so deleted
// experiments disappear); experiment_reconcile and experiment_reconcile_error are updated as
// the controller works.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Experiment } from '../api/experiment.js';

export const EXPERIMENT_METRIC_NAMES = [
  'experiment_info',
  'experiment_phase',
  'experiment_reconcile',
  'experiment_reconcile_error',
] as const;

const DEPRECATED_PHASES = ['Pending', 'Error', 'Successful', 'Running', 'Inconclusive'] as const;

export interface ExperimentMetrics {
  reconcile: Histogram<'name' | 'namespace'>;
  reconcileError: Counter<'name' | 'namespace'>;
  unregister(): void;
}

export function registerExperimentMetrics(
  registry: Registry,
  experiments: () => readonly Experiment[],
): ExperimentMetrics {
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
    reconcile,
    reconcileError,
    unregister() {
      for (const name of EXPERIMENT_METRIC_NAMES) registry.removeSingleMetric(name);
    },
  };
}
