// Argo Rollouts' Experiment metrics: experiment_info and the deprecated experiment_phase are
// read from the informer cache at scrape time (so deleted experiments disappear);
// experiment_reconcile and experiment_reconcile_error are updated as the controller works and
// a deleted experiment's series go 65 s after its deletion, as in Argo. Written as text by
// ../metrics/object-families.ts (label strings built once per cached experiment).
import type { Experiment } from '../api/experiment.js';
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

const DEPRECATED_PHASES = ['Pending', 'Error', 'Successful', 'Running', 'Inconclusive'] as const;

export interface ExperimentMetrics {
  /** Starts a reconcile timer; call the result when the reconcile ends. */
  startReconcile(namespace: string, name: string): () => void;
  observeReconcile(namespace: string, name: string, seconds: number): void;
  reconcileError(namespace: string, name: string): void;
  /** The experiment is gone: its reconcile series go after the cleanup delay. */
  deleted(namespace: string, name: string): void;
  unregister(): void;
}

const INFO = familyHeader('experiment_info', 'Information about Experiment.', 'gauge');
const PHASE = familyHeader(
  'experiment_phase',
  'Information on the state of the experiment (DEPRECATED - use experiment_info)',
  'gauge',
);

const identity = (namespace: string, name: string) =>
  labelString([
    ['namespace', namespace],
    ['name', name],
  ]);

export function registerExperimentMetrics(
  exposition: Exposition,
  experiments: () => readonly Experiment[],
  options: CleanupOptions = {},
): ExperimentMetrics {
  // Per cached experiment: its experiment_info line and its experiment_phase lines.
  const lines = new PerObject((ex: Experiment) => {
    const base = identity(ex.metadata?.namespace ?? '', ex.metadata?.name ?? '');
    const phase = ex.status?.phase ?? '';
    const info = `experiment_info{${base},${labelString([['phase', phase]])}} 1\n`;
    let phases = '';
    for (const candidate of DEPRECATED_PHASES) {
      const on = candidate === phase || (candidate === 'Pending' && phase === '');
      phases += `experiment_phase{${base},phase="${candidate}"} ${on ? 1 : 0}\n`;
    }
    return { info: flat(info), phases: flat(phases) };
  });
  const reconciles = new ReconcileFamilies(
    'experiment',
    { reconcile: 'Experiments reconciliation performance.', error: 'Error occurring during the experiment' },
    identity,
  );
  const removal = removalAfterDelete(reconciles.families, options);
  const removeSource = exposition.add({
    render() {
      let info = INFO;
      let phases = PHASE;
      for (const ex of experiments()) {
        const own = lines.get(ex);
        info += own.info;
        phases += own.phases;
      }
      return [info, phases, reconciles.render()].join('\n');
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
