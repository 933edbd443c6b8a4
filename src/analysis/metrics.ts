// Argo Rollouts' AnalysisRun metrics on the controller's registry: analysis_run_info and
// analysis_run_metric_phase are read from the informer cache at scrape time (so deleted runs
// disappear), analysis_run_reconcile is observed per reconcile.
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { AnalysisRun } from '../api/analysis.js';
import { PHASE_ORDER } from './phases.js';
import { providerTypeName } from './providers/registry.js';

export const ANALYSIS_METRIC_NAMES = [
  'analysis_run_info',
  'analysis_run_metric_phase',
  'analysis_run_reconcile',
] as const;

export interface AnalysisMetrics {
  reconcile: Histogram<'name' | 'namespace'>;
  /** Removes every metric this module registered. */
  unregister(): void;
}

export function registerAnalysisMetrics(
  registry: Registry,
  runs: () => readonly AnalysisRun[],
): AnalysisMetrics {
  new Gauge({
    name: 'analysis_run_info',
    help: 'Information about analysis run.',
    labelNames: ['name', 'namespace', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const run of runs()) {
        this.set(
          {
            name: run.metadata?.name ?? '',
            namespace: run.metadata?.namespace ?? '',
            phase: run.status?.phase || 'Pending',
          },
          1,
        );
      }
    },
  });
  new Gauge({
    name: 'analysis_run_metric_phase',
    help: 'Information on the duration of a specific metric in the Analysis Run',
    labelNames: ['name', 'namespace', 'metric', 'type', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const run of runs()) {
        for (const metric of run.spec?.metrics ?? []) {
          const current = run.status?.metricResults?.find((r) => r.name === metric.name)?.phase ?? 'Pending';
          const type = providerTypeName(metric);
          for (const phase of PHASE_ORDER) {
            this.set(
              {
                name: run.metadata?.name ?? '',
                namespace: run.metadata?.namespace ?? '',
                metric: metric.name,
                type,
                phase,
              },
              phase === current ? 1 : 0,
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
  return {
    reconcile,
    unregister() {
      for (const name of ANALYSIS_METRIC_NAMES) registry.removeSingleMetric(name);
    },
  };
}
