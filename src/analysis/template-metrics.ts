// Argo Rollouts' AnalysisTemplate metrics (controller/metrics/analysis.go collectAnalysisTemplate):
// analysis_template_info{namespace,name} and analysis_template_metric_info{namespace,name,type,metric},
// one series per template and per metric of a template, ClusterAnalysisTemplates with
// namespace="". Read from the template caches at scrape time, so deleted templates disappear.
import { Gauge, type Registry } from 'prom-client';
import type { Metric } from '../api/analysis.js';
import { providerTypeName } from './providers/registry.js';

export const ANALYSIS_TEMPLATE_METRIC_NAMES = [
  'analysis_template_info',
  'analysis_template_metric_info',
] as const;

interface TemplateLike {
  metadata?: { namespace?: string; name?: string };
  spec?: { metrics?: readonly Metric[] };
}

export interface AnalysisTemplateMetrics {
  unregister(): void;
}

export function registerAnalysisTemplateMetrics(
  registry: Registry,
  templates: () => readonly TemplateLike[],
): AnalysisTemplateMetrics {
  const identity = (t: TemplateLike) => ({
    namespace: t.metadata?.namespace ?? '',
    name: t.metadata?.name ?? '',
  });
  new Gauge({
    name: 'analysis_template_info',
    help: 'Information about analysis templates.',
    labelNames: ['namespace', 'name'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of templates()) this.set(identity(t), 1);
    },
  });
  new Gauge({
    name: 'analysis_template_metric_info',
    help: 'Information on metrics in analysis templates.',
    labelNames: ['namespace', 'name', 'type', 'metric'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of templates()) {
        for (const metric of t.spec?.metrics ?? []) {
          this.set({ ...identity(t), type: providerTypeName(metric), metric: metric.name }, 1);
        }
      }
    },
  });
  return {
    unregister() {
      for (const name of ANALYSIS_TEMPLATE_METRIC_NAMES) registry.removeSingleMetric(name);
    },
  };
}
