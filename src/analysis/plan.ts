// The pure plan of one AnalysisRun reconcile, in two halves around the measurements:
//
//   planMeasurements(run, now)          which metrics to measure, resume or terminate now
//   (act.ts takes the measurements through the providers: the only I/O)
//   assessRun(run, plan, outcomes, now) the new status, Events, measurement trimming and when
//                                       to look again
//
// The rules follow Argo Rollouts' analysis controller: measurements are scheduled by interval,
// initialDelay and count; an errored measurement is retried after 10 s; a metric that ends
// badly terminates the others; the run takes the worst metric phase, dry-run metrics aside.
import type {
  AnalysisPhase,
  AnalysisRun,
  AnalysisRunStatus,
  Measurement,
  Metric,
  MetricResult,
} from '../api/analysis.js';
import { goDurationOrUndefined } from '../api/duration.js';
import type { PlannedEvent } from '../kube/events.js';
import { formatTime } from '../kube/timestamps.js';
import { ArgumentResolutionError, resolveMetricArgs } from './metric-args.js';
import { assessMetricPhase, isTerminating, limitBreach } from './metric-assessment.js';
import {
  dryRunMetricNames,
  effectiveCount,
  measurementRetentionLimits,
  validateMetrics,
} from './metric-spec.js';
import { isCompleted, isWorse } from './phases.js';

export type ObservedAnalysisRun = AnalysisRun & {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

/** Retry interval after an errored measurement, or when a metric has no interval. */
export const ERROR_RETRY_INTERVAL_MS = 10_000;

/** Stands in for secret arguments while the plan resolves metrics (the real values never reach it). */
export const SECRET_PLACEHOLDER = 'temp-for-secret';

export interface MeasurementTask {
  /** Index into run.spec.metrics (the unresolved metric; act.ts resolves it with secrets). */
  metricIndex: number;
  metricName: string;
  action: 'run' | 'resume' | 'terminate';
  /** The in-flight measurement, for resume and terminate. */
  inFlight?: Measurement;
}

export type MeasurementPlan =
  /** Completed earlier: nothing to measure; maybe delete it (ttlStrategy). */
  | { kind: 'completed'; ttl: TtlDecision }
  /** The spec cannot run: write this Error status. */
  | { kind: 'invalid'; status: AnalysisRunStatus; events: PlannedEvent[] }
  | {
      kind: 'measure';
      tasks: MeasurementTask[];
      /** The metrics with arguments resolved, secrets stood in for. */
      metrics: Metric[];
      dryRun: ReadonlySet<string>;
      retention: ReadonlyMap<string, number>;
    };

export type TtlDecision =
  | { action: 'keep' }
  | { action: 'delete' }
  | { action: 'wait'; requeueAfterMs: number };

export interface MeasurementOutcome {
  metricName: string;
  /** Resume and terminate replace the in-flight measurement; run appends. */
  replacesLast: boolean;
  /** Secrets already redacted by the caller. */
  measurement: Measurement;
  /** Provider metadata kept on a metric's first result (e.g. the resolved Prometheus query). */
  metadata?: Record<string, string>;
}

export interface RunAssessment {
  /** The whole status to write (act.ts skips the write when it equals the observed one). */
  status: AnalysisRunStatus;
  events: PlannedEvent[];
  /** Trimmed measurements, so providers can delete what they made for them (Jobs). */
  garbageCollect: { metricName: string; limit: number }[];
  /** Look again after this long (next measurement, initialDelay, resumeAt or ttl). */
  requeueAfterMs?: number;
}

function resultOf(status: AnalysisRunStatus | undefined, name: string): MetricResult | undefined {
  return status?.metricResults?.find((r) => r.name === name);
}

function timeOf(timestamp: string | undefined): number | undefined {
  if (!timestamp) return undefined;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The metrics with `{{args.*}}` resolved and secret arguments replaced by a placeholder. */
export function metricsWithoutSecrets(run: Pick<AnalysisRun, 'spec'>): Metric[] {
  const args = (run.spec.args ?? []).map((arg) =>
    arg.valueFrom?.secretKeyRef ? { name: arg.name, value: SECRET_PLACEHOLDER } : arg,
  );
  return run.spec.metrics.map((metric) => resolveMetricArgs(metric, args));
}

/** The status of a run that stops with Error before measuring (bad spec, unreadable secret). */
export function erroredRunStatus(
  run: ObservedAnalysisRun,
  message: string,
  now: Date,
): { status: AnalysisRunStatus; events: PlannedEvent[] } {
  return {
    status: {
      ...run.status,
      metricResults: run.status?.metricResults ?? [],
      phase: 'Error',
      message,
      completedAt: run.status?.completedAt ?? formatTime(now.getTime()),
    },
    events: [completionEvent('Error')],
  };
}

function completionEvent(phase: AnalysisPhase): PlannedEvent {
  return {
    type: phase === 'Error' || phase === 'Failed' ? 'Warning' : 'Normal',
    reason: `AnalysisRun${phase}`,
    message: `Analysis Completed. Result: ${phase}`,
  };
}

function metricCompletionEvent(name: string, phase: AnalysisPhase): PlannedEvent {
  return {
    type: phase === 'Error' || phase === 'Failed' ? 'Warning' : 'Normal',
    reason: `Metric${phase}`,
    message: `Metric '${name}' Completed. Result: ${phase}`,
  };
}

/** ttlStrategy: delete a completed run once the seconds for its phase have passed. */
export function ttlDecision(run: AnalysisRun, now: Date): TtlDecision {
  const ttl = run.spec.ttlStrategy;
  const phase = run.status?.phase;
  const completedAt = timeOf(run.status?.completedAt);
  if (!ttl || !isCompleted(phase) || completedAt === undefined) return { action: 'keep' };
  let seconds: number | undefined;
  if (phase === 'Successful' && ttl.secondsAfterSuccess !== undefined) seconds = ttl.secondsAfterSuccess;
  else if (phase === 'Failed' && ttl.secondsAfterFailure !== undefined) seconds = ttl.secondsAfterFailure;
  else seconds = ttl.secondsAfterCompletion;
  if (seconds === undefined) return { action: 'keep' };
  // Argo compares whole elapsed seconds with `>`: the run goes one second after the ttl.
  const deleteAt = completedAt + (seconds + 1) * 1000;
  const wait = deleteAt - now.getTime();
  return wait <= 0 ? { action: 'delete' } : { action: 'wait', requeueAfterMs: Math.max(1, wait) };
}

/** First half of a reconcile: what to measure now. */
export function planMeasurements(run: ObservedAnalysisRun, now: Date): MeasurementPlan {
  if (isCompleted(run.status?.phase)) return { kind: 'completed', ttl: ttlDecision(run, now) };
  let metrics: Metric[];
  try {
    metrics = metricsWithoutSecrets(run);
  } catch (error) {
    if (!(error instanceof ArgumentResolutionError || error instanceof SyntaxError)) throw error;
    return {
      kind: 'invalid',
      ...erroredRunStatus(run, `Unable to resolve metric arguments: ${error.message}`, now),
    };
  }
  const problem = validateMetrics(metrics);
  if (problem) return { kind: 'invalid', ...erroredRunStatus(run, `Analysis spec invalid: ${problem}`, now) };
  let dryRun: Set<string>;
  let retention: Map<string, number>;
  try {
    dryRun = dryRunMetricNames(run, metrics);
    retention = measurementRetentionLimits(run, metrics);
  } catch (error) {
    return {
      kind: 'invalid',
      ...erroredRunStatus(run, `Analysis spec invalid: ${(error as Error).message}`, now),
    };
  }
  return { kind: 'measure', tasks: measurementTasks(run, metrics, now), metrics, dryRun, retention };
}

/** Argo's generateMetricTasks. */
export function measurementTasks(
  run: ObservedAnalysisRun,
  metrics: readonly Metric[],
  now: Date,
): MeasurementTask[] {
  const tasks: MeasurementTask[] = [];
  const terminating = isTerminating(run);
  const nowMs = now.getTime();
  for (const [metricIndex, metric] of metrics.entries()) {
    const result = resultOf(run.status, metric.name);
    if (isCompleted(result?.phase)) continue;
    const last = result?.measurements?.at(-1);
    if (last && !last.finishedAt) {
      const resumeAt = timeOf(last.resumeAt);
      // A terminating run stops its in-flight measurements now, not at their resumeAt (Argo).
      if (!terminating && resumeAt !== undefined && resumeAt > nowMs) continue;
      tasks.push({
        metricIndex,
        metricName: metric.name,
        action: terminating ? 'terminate' : 'resume',
        inFlight: last,
      });
      continue;
    }
    if (terminating) continue;
    if (!last) {
      if (metric.initialDelay) {
        const startedAt = timeOf(run.status?.startedAt);
        const delay = goDurationOrUndefined(metric.initialDelay);
        if (startedAt === undefined || delay === undefined || startedAt + delay > nowMs) continue;
      }
      tasks.push({ metricIndex, metricName: metric.name, action: 'run' });
      continue;
    }
    const count = effectiveCount(metric);
    if (count !== undefined && (result?.count ?? 0) >= count) continue;
    const interval = retryInterval(metric, last);
    const finishedAt = timeOf(last.finishedAt);
    if (interval === undefined || finishedAt === undefined) continue;
    if (nowMs > finishedAt + interval) tasks.push({ metricIndex, metricName: metric.name, action: 'run' });
  }
  return tasks;
}

/** After an error: 10 s; otherwise the metric's interval (10 s when it has none, e.g. retrying). */
function retryInterval(metric: Metric, last: Measurement): number | undefined {
  if (last.phase === 'Error' || !metric.interval) return ERROR_RETRY_INTERVAL_MS;
  return goDurationOrUndefined(metric.interval);
}

/** The MetricResult counter each completed measurement phase adds to. */
const OUTCOME_COUNTERS: Partial<Record<AnalysisPhase, 'successful' | 'failed' | 'inconclusive' | 'error'>> = {
  Successful: 'successful',
  Failed: 'failed',
  Inconclusive: 'inconclusive',
  Error: 'error',
};

function applyOutcome(
  results: MetricResult[],
  outcome: MeasurementOutcome,
  dryRun: ReadonlySet<string>,
  now: Date,
): void {
  let index = results.findIndex((r) => r.name === outcome.metricName);
  if (index < 0) {
    results.push({
      name: outcome.metricName,
      phase: 'Running',
      ...(dryRun.has(outcome.metricName) ? { dryRun: true } : {}),
      ...(outcome.metadata && Object.keys(outcome.metadata).length > 0 ? { metadata: outcome.metadata } : {}),
    });
    index = results.length - 1;
  }
  const result = { ...(results[index] as MetricResult) };
  const measurement = { ...outcome.measurement };
  if (isCompleted(measurement.phase)) {
    measurement.finishedAt ??= formatTime(now.getTime());
    const counter = OUTCOME_COUNTERS[measurement.phase];
    if (counter !== undefined) {
      // As Argo counts: an Error is not in `count` and extends the error streak; any other
      // outcome ends it. Only a Successful one extends the success streak.
      const bump = (n: number | undefined) => (n ?? 0) + 1;
      result[counter] = bump(result[counter]);
      if (measurement.phase === 'Error') {
        result.consecutiveError = bump(result.consecutiveError);
      } else {
        result.count = bump(result.count);
        result.consecutiveError = 0;
      }
      result.consecutiveSuccess = measurement.phase === 'Successful' ? bump(result.consecutiveSuccess) : 0;
    }
  }
  const measurements = [...(result.measurements ?? [])];
  if (outcome.replacesLast && measurements.length > 0) measurements[measurements.length - 1] = measurement;
  else measurements.push(measurement);
  result.measurements = measurements;
  results[index] = withoutZeroCounters(result);
}

// Argo's counters are `omitempty`: a zero is left out of the status.
function withoutZeroCounters(result: MetricResult): MetricResult {
  const out: MetricResult = { ...result };
  for (const key of [
    'count',
    'successful',
    'failed',
    'inconclusive',
    'error',
    'consecutiveError',
    'consecutiveSuccess',
  ] as const) {
    if (out[key] === 0) delete out[key];
  }
  return out;
}

type Summary = NonNullable<AnalysisRunStatus['runSummary']>;

function countInto(summary: Summary, phase: AnalysisPhase | undefined): void {
  const key =
    phase === 'Error'
      ? 'error'
      : phase === 'Failed'
        ? 'failed'
        : phase === 'Inconclusive'
          ? 'inconclusive'
          : 'successful';
  summary[key] = (summary[key] ?? 0) + 1;
}

function compactSummary(summary: Summary): Summary {
  return Object.fromEntries(Object.entries(summary).filter(([, v]) => v !== 0)) as Summary;
}

/** Second half of a reconcile: fold the measurements in and assess metrics and run. */
export function assessRun(
  run: ObservedAnalysisRun,
  plan: Extract<MeasurementPlan, { kind: 'measure' }>,
  outcomes: readonly MeasurementOutcome[],
  now: Date,
): RunAssessment {
  const events: PlannedEvent[] = [];
  const results = (run.status?.metricResults ?? []).map((r) => ({ ...r }));
  for (const outcome of outcomes) applyOutcome(results, outcome, plan.dryRun, now);
  const status: AnalysisRunStatus = { ...run.status, metricResults: results };
  // Whether the run is terminating is decided on the phases before this pass, as Argo does.
  const terminating = isTerminating({ spec: run.spec, status });
  status.startedAt ??= formatTime(now.getTime());

  let worst: AnalysisPhase | undefined;
  let worstMessage = run.spec.terminate ? 'Run Terminated' : '';
  let everythingCompleted = true;
  const runSummary: Summary = { count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 };
  const dryRunSummary: Summary = { count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 };

  for (const metric of plan.metrics) {
    const dry = plan.dryRun.has(metric.name);
    const summary = dry ? dryRunSummary : runSummary;
    summary.count = (summary.count ?? 0) + 1;
    const index = results.findIndex((r) => r.name === metric.name);
    const current = results[index];
    if (!current) {
      everythingCompleted = false;
      continue;
    }
    const result = { ...current };
    const phase = assessMetricPhase(metric, result, terminating);
    if (result.phase !== phase) {
      if (isCompleted(phase)) events.push(metricCompletionEvent(metric.name, phase));
      const lastMessage = result.measurements?.at(-1)?.message;
      if (lastMessage) result.message = lastMessage;
      else delete result.message;
      result.phase = phase;
    }
    if (!isCompleted(phase)) {
      everythingCompleted = false;
    } else {
      const breach = limitBreach(metric, result);
      if (!dry) {
        if (worst === undefined || isWorse(worst, phase)) {
          worst = phase;
          if (breach) {
            worstMessage = `Metric "${metric.name}" assessed ${phase} due to ${breach.message}`;
            if (result.message) worstMessage += `: "Error Message: ${result.message}"`;
          }
        }
      } else {
        worst ??= 'Successful';
        if (breach) result.message = `Metric assessed ${phase} due to ${breach.message}`;
      }
      countInto(summary, breach?.phase);
    }
    results[index] = result;
  }
  status.runSummary = compactSummary(runSummary);
  status.dryRunSummary = compactSummary(dryRunSummary);

  let phase: AnalysisPhase;
  let message = worstMessage.trim();
  if (terminating) phase = worst ?? 'Successful';
  else if (!everythingCompleted || worst === undefined) {
    phase = 'Running';
    message = '';
  } else phase = worst;

  if (phase !== run.status?.phase) {
    status.phase = phase;
    if (message) status.message = message;
    else delete status.message;
    if (isCompleted(phase)) {
      status.completedAt ??= formatTime(now.getTime());
      events.push(completionEvent(phase));
    }
  }

  const garbageCollect: RunAssessment['garbageCollect'] = [];
  for (const [i, result] of results.entries()) {
    const limit = plan.retention.get(result.name);
    const measurements = result.measurements ?? [];
    if (limit !== undefined && measurements.length > limit) {
      results[i] = { ...result, measurements: measurements.slice(measurements.length - limit) };
      garbageCollect.push({ metricName: result.name, limit });
    }
  }

  const assessment: RunAssessment = { status, events, garbageCollect };
  const requeueAt = isCompleted(status.phase)
    ? undefined
    : nextReconcileTime({ spec: run.spec, status }, plan.metrics, now);
  if (requeueAt !== undefined) assessment.requeueAfterMs = Math.max(1, requeueAt - now.getTime());
  if (isCompleted(status.phase)) {
    const ttl = ttlDecision({ ...run, status }, now);
    if (ttl.action === 'wait') assessment.requeueAfterMs = ttl.requeueAfterMs;
  } else if (!terminating && isTerminating({ spec: run.spec, status })) {
    // A metric just ended badly: the next pass terminates the others right away.
    assessment.requeueAfterMs = 1;
  }
  return assessment;
}

/** Argo's calculateNextReconcileTime: the earliest time any metric needs attention. */
export function nextReconcileTime(
  run: Pick<AnalysisRun, 'spec' | 'status'>,
  metrics: readonly Metric[],
  now: Date,
): number | undefined {
  let earliest: number | undefined;
  const consider = (at: number | undefined) => {
    if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
  };
  for (const metric of metrics) {
    const result = resultOf(run.status, metric.name);
    if (isCompleted(result?.phase)) continue;
    const last = result?.measurements?.at(-1);
    if (!last) {
      if (metric.initialDelay) {
        const delay = goDurationOrUndefined(metric.initialDelay);
        const start = timeOf(run.status?.startedAt) ?? now.getTime();
        if (delay !== undefined) consider(start + delay);
      }
      continue;
    }
    if (!last.finishedAt) {
      consider(timeOf(last.resumeAt));
      continue;
    }
    const count = effectiveCount(metric);
    if (count !== undefined && (result?.count ?? 0) >= count) continue;
    let interval: number | undefined;
    if (last.phase === 'Error') interval = ERROR_RETRY_INTERVAL_MS;
    else if (metric.interval) interval = goDurationOrUndefined(metric.interval);
    const finishedAt = timeOf(last.finishedAt);
    if (interval !== undefined && finishedAt !== undefined) consider(finishedAt + interval);
  }
  // A measurement is due strictly after its time; a millisecond later it is.
  return earliest === undefined ? undefined : earliest + 1;
}
