// Experiment metrics carry Argo Rollouts' names and labels, read from the cache at scrape time.
import { describe, expect, it } from 'vitest';
import type { Experiment } from '../../../src/api/experiment.js';
import { registerExperimentMetrics } from '../../../src/experiment/metrics.js';
import { Exposition } from '../../../src/metrics/object-families.js';

const ex = (name: string, phase?: string) =>
  ({
    metadata: { name, namespace: 'shop' },
    spec: { templates: [] },
    ...(phase ? { status: { phase } } : {}),
  }) as Experiment;

describe('experiment metrics', () => {
  it('exposes experiment_info and the deprecated experiment_phase per experiment', () => {
    const exposition = new Exposition();
    let experiments = [ex('a', 'Running'), ex('b')];
    const metrics = registerExperimentMetrics(exposition, () => experiments);
    metrics.observeReconcile('shop', 'a', 0.02);
    metrics.reconcileError('shop', 'a');
    const text = exposition.render();
    expect(text).toContain('experiment_info{namespace="shop",name="a",phase="Running"} 1');
    expect(text).toContain('experiment_info{namespace="shop",name="b",phase=""} 1');
    expect(text).toContain('experiment_phase{namespace="shop",name="a",phase="Running"} 1');
    expect(text).toContain('experiment_phase{namespace="shop",name="b",phase="Pending"} 1');
    expect(text).toContain('experiment_reconcile_count{namespace="shop",name="a"} 1');
    expect(text).toContain('experiment_reconcile_error{namespace="shop",name="a"} 1');
    experiments = [];
    expect(exposition.render()).not.toContain('experiment_info{');
    metrics.unregister();
    expect(exposition.render()).not.toContain('experiment_info');
  });
});
