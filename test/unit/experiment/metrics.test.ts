// Experiment metrics carry Argo Rollouts' names and labels, read from the cache at scrape time.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Experiment } from '../../../src/api/experiment.js';
import { registerExperimentMetrics } from '../../../src/experiment/metrics.js';

const ex = (name: string, phase?: string) =>
  ({
    metadata: { name, namespace: 'shop' },
    spec: { templates: [] },
    ...(phase ? { status: { phase } } : {}),
  }) as Experiment;

describe('experiment metrics', () => {
  it('exposes experiment_info and the deprecated experiment_phase per experiment', async () => {
    const registry = new Registry();
    let experiments = [ex('a', 'Running'), ex('b')];
    const metrics = registerExperimentMetrics(registry, () => experiments);
    metrics.reconcile.observe({ namespace: 'shop', name: 'a' }, 0.02);
    metrics.reconcileError.inc({ namespace: 'shop', name: 'a' });
    const text = await registry.metrics();
    expect(text).toContain('experiment_info{namespace="shop",name="a",phase="Running"} 1');
    expect(text).toContain('experiment_info{namespace="shop",name="b",phase=""} 1');
    expect(text).toContain('experiment_phase{namespace="shop",name="a",phase="Running"} 1');
    expect(text).toContain('experiment_phase{namespace="shop",name="b",phase="Pending"} 1');
    expect(text).toContain('experiment_reconcile_count{namespace="shop",name="a"} 1');
    expect(text).toContain('experiment_reconcile_error{namespace="shop",name="a"} 1');
    experiments = [];
    expect(await registry.metrics()).not.toContain('experiment_info{');
    metrics.unregister();
    expect(registry.getSingleMetric('experiment_info')).toBeUndefined();
  });
});
