// Argo Rollouts' AnalysisRun metrics: analysis_run_info and analysis_run_metric_phase are read
// from the informer cache at scrape time (so deleted runs disappear), analysis_run_reconcile is
// observed per reconcile and a deleted run's series go 65 s after its deletion, as in Argo.
// Written as text by ../metrics/object-families.ts (label strings built once per cached run).
import type { AnalysisRun } from '../api/analysis.js';
import { type Clock, systemClock } from '../kube/clock.js';
import {
  DelayedRemoval,
  type Exposition,
  familyHeader,
  flat,
  labelString,
  METRIC_CLEANUP_DELAY_MS,
  ObjectHistogram,
  PerObject,
  startTimer,
} from '../metrics/object-families.js';
import { PHASE_ORDER } from './phases.js';
import { providerTypeName } from './providers/registry.js';

export interface AnalysisMetrics {
  /** Starts a reconcile timer; call the result when the reconcile ends. */
  startReconcile(namespace: string, name: string): () => void;
  observeReconcile(namespace: string, name: string, seconds: number): void;
  /** The run is gone: its reconcile series goes after the cleanup delay. */
  deleted(namespace: string, name: string): void;
  /** Removes every family this module wrote. */
  unregister(): void;
}

const INFO = familyHeader('analysis_run_info', 'Information about analysis run.', 'gauge');
const METRIC_PHASE = familyHeader(
  'analysis_run_metric_phase',
  'Information on the duration of a specific metric in the Analysis Run',
  'gauge',
);

export function registerAnalysisMetrics(
  exposition: Exposition,
  runs: () => readonly AnalysisRun[],
  options: { clock?: Clock; cleanupDelayMs?: number } = {},
): AnalysisMetrics {
  // Per cached run: its analysis_run_info line and its analysis_run_metric_phase lines.
  const lines = new PerObject((run: AnalysisRun) => {
    const name = run.metadata?.name ?? '';
    const namespace = run.metadata?.namespace ?? '';
    const info = `analysis_run_info{${labelString([
      ['name', name],
      ['namespace', namespace],
      ['phase', run.status?.phase || 'Pending'],
    ])}} 1\n`;
    let metricPhase = '';
    for (const metric of run.spec?.metrics ?? []) {
      const current = run.status?.metricResults?.find((r) => r.name === metric.name)?.phase ?? 'Pending';
      const type = providerTypeName(metric);
      for (const phase of PHASE_ORDER) {
        const labels = labelString([
          ['name', name],
          ['namespace', namespace],
          ['metric', metric.name],
          ['type', type],
          ['phase', phase],
        ]);
        metricPhase += `analysis_run_metric_phase{${labels}} ${phase === current ? 1 : 0}\n`;
      }
    }
    return { info: flat(info), metricPhase: flat(metricPhase) };
  });
  const reconcile = new ObjectHistogram(
    'analysis_run_reconcile',
    'Analysis Run reconciliation performance.',
    [0.01, 0.15, 0.25, 0.5, 1],
  );
  const removal = new DelayedRemoval(
    options.clock ?? systemClock,
    options.cleanupDelayMs ?? METRIC_CLEANUP_DELAY_MS,
    (key) => reconcile.remove(key),
  );
  const removeSource = exposition.add({
    render() {
      let info = INFO;
      let metricPhase = METRIC_PHASE;
      for (const run of runs()) {
        const own = lines.get(run);
        info += own.info;
        metricPhase += own.metricPhase;
      }
      return [info, metricPhase, reconcile.render()].join('\n');
    },
  });
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  // Argo's label order for this histogram: name, then namespace.
  const observeReconcile = (namespace: string, name: string, seconds: number) =>
    reconcile.observe(
      key(namespace, name),
      () =>
        labelString([
          ['name', name],
          ['namespace', namespace],
        ]),
      seconds,
    );
  return {
    startReconcile: (namespace, name) => startTimer((seconds) => observeReconcile(namespace, name, seconds)),
    observeReconcile,
    deleted: (namespace, name) => removal.schedule(key(namespace, name)),
    unregister() {
      removal.cancel();
      removeSource();
    },
  };
}
