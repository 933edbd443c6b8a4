// Reading a metric's spec the way Argo Rollouts does: int-or-string limits, the effective count,
// which provider is set, spec validation, and the dryRun / measurementRetention rules (regular
// expressions matched anywhere in the metric name).
import type { AnalysisRun, Metric, MetricProvider } from '../api/analysis.js';
import { parseGoDuration } from '../api/duration.js';
import { goMatchString, RegexpSyntaxError } from '../go-regexp.js';

/** How Go's IntOrString.IntValue reads a number or string: a string that is not an integer is 0. */
export function intValue(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Math.trunc(value);
  return /^[+-]?\d+$/.test(value.trim()) ? Number.parseInt(value, 10) : 0;
}

/** Measurements to take: count, or 1 when neither count nor interval is set, or unbounded. */
export function effectiveCount(metric: Metric): number | undefined {
  const count = intValue(metric.count) ?? 0;
  if (count === 0) return metric.interval ? undefined : 1;
  return count;
}

export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;

export function failureLimit(metric: Metric): number {
  return intValue(metric.failureLimit) ?? 0;
}

export function inconclusiveLimit(metric: Metric): number {
  return intValue(metric.inconclusiveLimit) ?? 0;
}

export function consecutiveErrorLimit(metric: Metric): number {
  return intValue(metric.consecutiveErrorLimit) ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT;
}

/** 0 when unset: the limit does not apply. */
export function consecutiveSuccessLimit(metric: Metric): number {
  return intValue(metric.consecutiveSuccessLimit) ?? 0;
}

/** The provider keys set on a metric (`plugin` counts once per plugin entry). */
export function providerKeys(provider: MetricProvider | undefined): string[] {
  const keys: string[] = [];
  for (const [key, value] of Object.entries(provider ?? {})) {
    if (value === null || value === undefined || typeof value !== 'object') continue;
    if (key === 'plugin') {
      for (const name of Object.keys(value)) keys.push(`plugin/${name}`);
    } else {
      keys.push(key);
    }
  }
  return keys;
}

function validateMetric(metric: Metric): string | undefined {
  const count = intValue(metric.count) ?? 0;
  const failures = failureLimit(metric);
  const inconclusives = inconclusiveLimit(metric);
  const successes = consecutiveSuccessLimit(metric);
  if (count > 0) {
    if (count < failures) return 'count must be >= failureLimit';
    if (count < inconclusives) return 'count must be >= inconclusiveLimit';
    if (count < successes) return 'count must be >= consecutiveSuccessLimit';
  }
  if (count > 1 && !metric.interval) return 'interval must be specified when count > 1';
  if (metric.interval) {
    try {
      parseGoDuration(metric.interval);
    } catch (error) {
      return `invalid interval string: ${(error as Error).message}`;
    }
  }
  if (metric.initialDelay) {
    try {
      parseGoDuration(metric.initialDelay);
    } catch (error) {
      return `invalid startDelay string: ${(error as Error).message}`;
    }
  }
  if (failures < -1) return 'failureLimit must be >= -1';
  if (inconclusives < 0) return 'inconclusiveLimit must be >= 0';
  if (consecutiveErrorLimit(metric) < 0) return 'consecutiveErrorLimit must be >= 0';
  if (successes < 0) return 'consecutiveSuccessLimit must be >= 0';
  const providers = providerKeys(metric.provider);
  if (providers.length === 0) return 'no provider specified';
  if (providers.length > 1) return 'multiple providers specified';
  return undefined;
}

/** Argo's ValidateMetrics; returns the problem, or undefined when the metrics are valid. */
export function validateMetrics(metrics: readonly Metric[]): string | undefined {
  if (metrics.length === 0) return 'no metrics specified';
  const seen = new Set<string>();
  for (const [i, metric] of metrics.entries()) {
    if (seen.has(metric.name)) return `metrics[${i}]: duplicate name '${metric.name}'`;
    seen.add(metric.name);
    const problem = validateMetric(metric);
    if (problem) return `metrics[${i}]: ${problem}`;
  }
  return undefined;
}

/**
 * A dryRun or measurementRetention rule: a Go (RE2) regular expression matched anywhere in the
 * name, as Argo's regexp.MatchString does, in time linear in the name (the rule comes from a
 * Rollout or template author). An invalid rule matches nothing, as in Argo (it ignores the error).
 * `*` alone (not a valid expression) is read as "every metric".
 */
export function metricNameMatches(rule: string, name: string): boolean {
  if (rule === '*') return true;
  try {
    return goMatchString(rule, name);
  } catch (error) {
    if (error instanceof RegexpSyntaxError) return false;
    throw error;
  }
}

/** Names of the metrics running in dry-run mode; throws when a rule matches no metric. */
export function dryRunMetricNames(run: Pick<AnalysisRun, 'spec'>, metrics: readonly Metric[]): Set<string> {
  const names = new Set<string>();
  for (const [index, rule] of (run.spec.dryRun ?? []).entries()) {
    const matched = metrics.filter((m) => metricNameMatches(rule.metricName, m.name));
    if (matched.length === 0) throw new Error(`dryRun[${index}]: Rule didn't match any metric name(s)`);
    for (const m of matched) names.add(m.name);
  }
  return names;
}

export const DEFAULT_MEASUREMENT_RETENTION = 10;

/** Measurements kept per metric (the last matching rule with a limit > 0 wins, else 10). */
export function measurementRetentionLimits(
  run: Pick<AnalysisRun, 'spec'>,
  metrics: readonly Metric[],
): Map<string, number> {
  const limits = new Map<string, number>();
  for (const metric of metrics) limits.set(metric.name, DEFAULT_MEASUREMENT_RETENTION);
  for (const [index, rule] of (run.spec.measurementRetention ?? []).entries()) {
    const matched = metrics.filter((m) => metricNameMatches(rule.metricName, m.name));
    if (matched.length === 0) {
      throw new Error(`measurementRetention[${index}]: Rule didn't match any metric name(s)`);
    }
    for (const m of matched) {
      limits.set(m.name, rule.limit > 0 ? rule.limit : DEFAULT_MEASUREMENT_RETENTION);
    }
  }
  return limits;
}
