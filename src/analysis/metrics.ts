// Argo Rollouts' AnalysisRun metrics (controller/metrics/analysis.go): analysis_run_info,
// analysis_run_metric_type, analysis_run_metric_phase and the deprecated analysis_run_phase are
// read from the informer cache at scrape time (so deleted runs disappear); analysis_run_reconcile
// and analysis_run_reconcile_error are updated per reconcile, and a deleted run's series go 65 s
// after its deletion, as in Argo.
// Written as text by ../metrics/object-families.ts (label strings built once per cached run).
import type { AnalysisRun } from '../api/analysis.js';
import {
  type CleanupOptions,
  type Exposition,
  familyHeader,
  flat,
  labelString,
  objectKey,
  PerObject,
  ReconcileFamilies,
  removalAfterDelete,
} from '../metrics/object-families.js';
import { metricNameMatches } from './metric-spec.js';
import { providerTypeName } from './providers/registry.js';

export interface AnalysisMetrics {
  /** Starts a reconcile timer; call the result when the reconcile ends. */
  startReconcile(namespace: string, name: string): () => void;
  observeReconcile(namespace: string, name: string, seconds: number): void;
  reconcileError(namespace: string, name: string): void;
  /** The run is gone: its reconcile and error series go after the cleanup delay. */
  deleted(namespace: string, name: string): void;
  /** Removes every family this module wrote. */
  unregister(): void;
}

const INFO = familyHeader('analysis_run_info', 'Information about analysis run.', 'gauge');
const PHASE = familyHeader(
  'analysis_run_phase',
  'Information on the state of the Analysis Run (DEPRECATED - use analysis_run_info)',
  'gauge',
);
const METRIC_TYPE = familyHeader(
  'analysis_run_metric_type',
  'Information on the type of a specific metric in the Analysis Runs',
  'gauge',
);
const METRIC_PHASE = familyHeader(
  'analysis_run_metric_phase',
  'Information on the duration of a specific metric in the Analysis Run',
  'gauge',
);

/** The phases analysis_run_phase and analysis_run_metric_phase have a series for, in Argo's order. */
const PHASES = ['Pending', 'Error', 'Failed', 'Successful', 'Running', 'Inconclusive'] as const;

/**
 * The metrics of `run` Argo labels dry_run="true" (GetDryRunMetrics): those a dryRun rule's
 * pattern matches, up to the first rule that matches nothing (Argo keeps what it had then).
 */
function dryRunNames(run: AnalysisRun): Set<string> {
  const names = new Set<string>();
  const metrics = run.spec?.metrics ?? [];
  for (const rule of run.spec?.dryRun ?? []) {
    const matched = metrics.filter((m) => metricNameMatches(rule.metricName, m.name));
    if (matched.length === 0) break;
    for (const m of matched) names.add(m.name);
  }
  return names;
}

export function registerAnalysisMetrics(
  exposition: Exposition,
  runs: () => readonly AnalysisRun[],
  options: CleanupOptions = {},
): AnalysisMetrics {
  // Per cached run: its lines of the families read from the cache.
  const lines = new PerObject((run: AnalysisRun) => {
    const name = run.metadata?.name ?? '';
    const namespace = run.metadata?.namespace ?? '';
    const runPhase = run.status?.phase ?? '';
    const info = `analysis_run_info{${labelString([
      ['name', name],
      ['namespace', namespace],
      ['phase', runPhase],
    ])}} 1\n`;
    let phase = '';
    for (const candidate of PHASES) {
      const on = candidate === runPhase || (candidate === 'Pending' && runPhase === '');
      const labels = labelString([
        ['name', name],
        ['namespace', namespace],
        ['phase', candidate],
      ]);
      phase += `analysis_run_phase{${labels}} ${on ? 1 : 0}\n`;
    }
    let metricType = '';
    let metricPhase = '';
    const dryRun = dryRunNames(run);
    for (const metric of run.spec?.metrics ?? []) {
      const current = run.status?.metricResults?.find((r) => r.name === metric.name)?.phase ?? '';
      const type = providerTypeName(metric);
      metricType += `analysis_run_metric_type{${labelString([
        ['name', name],
        ['namespace', namespace],
        ['metric', metric.name],
        ['type', type],
      ])}} 1\n`;
      for (const candidate of PHASES) {
        const on = candidate === current || (candidate === 'Pending' && current === '');
        const labels = labelString([
          ['name', name],
          ['namespace', namespace],
          ['metric', metric.name],
          ['type', type],
          ['dry_run', dryRun.has(metric.name) ? 'true' : 'false'],
          ['phase', candidate],
        ]);
        metricPhase += `analysis_run_metric_phase{${labels}} ${on ? 1 : 0}\n`;
      }
    }
    return {
      info: flat(info),
      phase: flat(phase),
      metricType: flat(metricType),
      metricPhase: flat(metricPhase),
    };
  });
  const reconciles = new ReconcileFamilies(
    'analysis_run',
    {
      reconcile: 'Analysis Run reconciliation performance.',
      error: 'Error occurring during the analysis run',
    },
    // Argo's label order for these: name, then namespace.
    (namespace, name) =>
      labelString([
        ['name', name],
        ['namespace', namespace],
      ]),
  );
  const removal = removalAfterDelete(reconciles.families, options);
  const removeSource = exposition.add({
    render() {
      let info = INFO;
      let phase = PHASE;
      let metricType = METRIC_TYPE;
      let metricPhase = METRIC_PHASE;
      for (const run of runs()) {
        const own = lines.get(run);
        info += own.info;
        phase += own.phase;
        metricType += own.metricType;
        metricPhase += own.metricPhase;
      }
      return [info, phase, metricType, metricPhase, reconciles.render()].join('\n');
    },
  });
  return {
    startReconcile: reconciles.start,
    observeReconcile: reconciles.observe,
    reconcileError: reconciles.error,
    deleted: (namespace, name) => removal.schedule(objectKey(namespace, name)),
    unregister() {
      removal.cancel();
      removeSource();
    },
  };
}
