// AnalysisTemplate metrics carry Argo Rollouts' names and labels (analysis_template_info,
// analysis_template_metric_info), read from the template caches at scrape time.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerAnalysisTemplateMetrics } from '../../../src/analysis/template-metrics.js';
import type { Metric } from '../../../src/api/analysis.js';

const template = (namespace: string | undefined, name: string, metrics: Metric[]) => ({
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec: { metrics },
});

describe('analysis template metrics', () => {
  it('exposes one info series per template and one per metric, cluster templates with namespace ""', async () => {
    const registry = new Registry();
    let templates = [
      template('shop', 'smoke', [
        { name: 'job', provider: { job: { spec: {} } } } as Metric,
        { name: 'web', provider: { web: { url: 'http://x' } } } as Metric,
      ]),
      template(undefined, 'shared', [{ name: 'prom', provider: { prometheus: { query: 'up' } } } as Metric]),
    ];
    const metrics = registerAnalysisTemplateMetrics(registry, () => templates);
    const text = await registry.metrics();
    expect(text).toContain('# HELP analysis_template_info Information about analysis templates.');
    expect(text).toContain('analysis_template_info{namespace="shop",name="smoke"} 1');
    expect(text).toContain('analysis_template_info{namespace="",name="shared"} 1');
    expect(text).toContain(
      'analysis_template_metric_info{namespace="shop",name="smoke",type="Job",metric="job"} 1',
    );
    expect(text).toContain(
      'analysis_template_metric_info{namespace="shop",name="smoke",type="Web",metric="web"} 1',
    );
    expect(text).toContain(
      'analysis_template_metric_info{namespace="",name="shared",type="Prometheus",metric="prom"} 1',
    );
    templates = [];
    expect(await registry.metrics()).not.toContain('analysis_template_info{');
    metrics.unregister();
    expect(registry.getSingleMetric('analysis_template_metric_info')).toBeUndefined();
  });
});
