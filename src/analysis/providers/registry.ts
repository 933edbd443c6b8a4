// The one place metric providers are registered: a metric's provider key (`prometheus`, `web`,
// ...) maps to the factory that measures it. Adding a provider is one module and one line here.
import type { Metric } from '../../api/analysis.js';
import { providerKeys } from '../metric-spec.js';
import { datadogProvider } from './datadog.js';
import { jobProvider } from './job.js';
import { newRelicProvider } from './newrelic.js';
import { prometheusProvider } from './prometheus.js';
import type { ProviderFactory } from './provider.js';
import { webProvider } from './web.js';

export const PROVIDERS = {
  prometheus: prometheusProvider,
  web: webProvider,
  job: jobProvider,
  datadog: datadogProvider,
  newRelic: newRelicProvider,
} as const satisfies Record<string, ProviderFactory>;

export type ProviderKey = keyof typeof PROVIDERS;

/** Argo's provider type names, for the `type` label of analysis_run_metric_phase. */
const TYPE_NAMES: Record<string, string> = {
  prometheus: 'Prometheus',
  job: 'Job',
  kayenta: 'Kayenta',
  web: 'Web',
  datadog: 'Datadog',
  wavefront: 'Wavefront',
  newRelic: 'NewRelic',
  cloudWatch: 'CloudWatch',
  graphite: 'Graphite',
  influxdb: 'Influxdb',
  skywalking: 'SkyWalking',
};

export function providerTypeName(metric: Metric): string {
  const key = providerKeys(metric.provider)[0];
  if (key === undefined) return 'Unknown Provider';
  if (key.startsWith('plugin/')) return 'RpcPlugin';
  return TYPE_NAMES[key] ?? key;
}

/** The factory for a metric, or an error naming what is not supported. */
export function providerFactoryFor(metric: Metric): ProviderFactory {
  const key = providerKeys(metric.provider)[0];
  if (key !== undefined && Object.hasOwn(PROVIDERS, key)) return PROVIDERS[key as ProviderKey];
  if (key === undefined) throw new Error(`no valid provider in metric '${metric.name}'`);
  throw new Error(
    `metric '${metric.name}': provider ${key} is not supported by Slipway (supported: ${Object.keys(PROVIDERS).join(', ')})`,
  );
}
