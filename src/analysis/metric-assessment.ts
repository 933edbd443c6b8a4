// The phase of one metric from its measurements and limits, with Argo Rollouts' rules:
// failureLimit (-1 disables it), inconclusiveLimit, consecutiveErrorLimit (default 4),
// consecutiveSuccessLimit and count; and whether a run is terminating (asked to, or a metric
// that is not a dry run already ended badly, which ends the whole run early).
import type { AnalysisPhase, AnalysisRun, Metric, MetricResult } from '../api/analysis.js';
import {
  consecutiveErrorLimit,
  consecutiveSuccessLimit,
  effectiveCount,
  failureLimit,
  inconclusiveLimit,
} from './metric-spec.js';
import { isCompleted } from './phases.js';

export function isTerminating(run: Pick<AnalysisRun, 'spec' | 'status'>): boolean {
  if (run.spec.terminate) return true;
  return (run.status?.metricResults ?? []).some(
    (result) =>
      !result.dryRun &&
      (result.phase === 'Failed' || result.phase === 'Error' || result.phase === 'Inconclusive'),
  );
}

export interface LimitBreach {
  phase: 'Failed' | 'Inconclusive' | 'Error';
  /** e.g. `failed (2) > failureLimit (1)` */
  message: string;
}

/** Which limit the metric broke; a later check wins (Error over Inconclusive over Failed), as in Argo. */
export function limitBreach(metric: Metric, result: MetricResult): LimitBreach | undefined {
  let breach: LimitBreach | undefined;
  const failures = failureLimit(metric);
  const failed = result.failed ?? 0;
  if (failures >= 0 && failed > failures) {
    breach = { phase: 'Failed', message: `failed (${failed}) > failureLimit (${failures})` };
  }
  const inconclusives = inconclusiveLimit(metric);
  const inconclusive = result.inconclusive ?? 0;
  if (inconclusive > inconclusives) {
    breach = {
      phase: 'Inconclusive',
      message: `inconclusive (${inconclusive}) > inconclusiveLimit (${inconclusives})`,
    };
  }
  const errors = consecutiveErrorLimit(metric);
  const consecutiveError = result.consecutiveError ?? 0;
  if (consecutiveError > errors) {
    breach = {
      phase: 'Error',
      message: `consecutiveErrors (${consecutiveError}) > consecutiveErrorLimit (${errors})`,
    };
  }
  return breach;
}

/** Argo's assessMetricStatus. */
export function assessMetricPhase(metric: Metric, result: MetricResult, terminating: boolean): AnalysisPhase {
  if (isCompleted(result.phase)) return result.phase;
  const measurements = result.measurements ?? [];
  const last = measurements.at(-1);
  if (!last) return terminating ? 'Successful' : 'Pending';
  if (!isCompleted(last.phase)) return 'Running';
  const breach = limitBreach(metric, result);
  if (breach) return breach.phase;
  const successLimit = consecutiveSuccessLimit(metric);
  if (successLimit > 0 && (result.consecutiveSuccess ?? 0) >= successLimit) return 'Successful';
  const count = effectiveCount(metric);
  if (count !== undefined && (result.count ?? 0) >= count) {
    const failureApplies = failureLimit(metric) >= 0;
    const successApplies = successLimit > 0;
    // Neither limit was reached (checked above): with both in play the outcome is undecided; a
    // metric that only waits for consecutive successes failed to get them.
    if (failureApplies && successApplies) return 'Inconclusive';
    if (successApplies) return 'Failed';
    return 'Successful';
  }
  // Runs until stopped: a termination ends it well.
  return terminating ? 'Successful' : 'Running';
}
