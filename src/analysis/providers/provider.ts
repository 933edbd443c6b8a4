// The metric provider seam: one small interface every provider implements (take a measurement,
// resume one in flight, terminate one, clean up after trimmed measurements), and what a provider
// may use to do it. Providers are created per metric, because a metric's settings (address,
// credentials, timeouts) shape the client, as in Argo Rollouts.
import type { Measurement, Metric } from '../../api/analysis.js';
import type { KubeObject, ObjectMeta } from '../../kube/object.js';
import type { RestClient } from '../../kube/rest.js';
import { formatTime } from '../../kube/timestamps.js';
import { evaluateMeasurement, type MeasurementPhase } from '../condition/evaluate.js';
import type { ObservedAnalysisRun } from '../plan.js';

/** What a measurement is taken for. */
export interface MeasurementTarget {
  run: ObservedAnalysisRun;
  /** Arguments resolved, secrets included: never log it or write it anywhere. */
  metric: Metric;
}

export interface MetricProvider {
  /** Argo's provider type (Prometheus, Job, Web, Datadog, NewRelic): the metrics' `type` label. */
  readonly type: string;
  /** A new measurement: finished (Successful/Failed/Inconclusive/Error), or Running to resume later. */
  run(target: MeasurementTarget): Promise<Measurement>;
  /** Checks a Running measurement again; returns it unchanged while still running. */
  resume(target: MeasurementTarget, measurement: Measurement): Promise<Measurement>;
  /** Stops a Running measurement because the run is terminating. */
  terminate(target: MeasurementTarget, measurement: Measurement): Promise<Measurement>;
  /** Only the last `limit` measurements are kept: delete anything made for older ones. */
  garbageCollect(target: MeasurementTarget, limit: number): Promise<void>;
  /** Shown on the metric's result (e.g. the resolved query); secrets are redacted by the caller. */
  metadata?(metric: Metric): Record<string, string> | undefined;
}

/**
 * resume, terminate and garbageCollect of a provider whose run() always finishes its
 * measurement: nothing is ever in flight, and nothing is left behind.
 */
export const FINISHES_IN_RUN: Pick<MetricProvider, 'resume' | 'terminate' | 'garbageCollect'> = {
  async resume(_target, measurement) {
    return measurement;
  },
  async terminate(_target, measurement) {
    return measurement;
  },
  async garbageCollect() {},
};

/** What a finished measurement says (its times are set by measure()). */
export type MeasurementOutcome = Omit<Measurement, 'startedAt' | 'finishedAt'>;

/**
 * A provider whose run() finishes its measurement (every one but Job): `take` measures one
 * metric from its start time; what it throws makes the measurement an Error.
 */
export function finishingProvider(
  type: string,
  context: ProviderContext,
  take: (metric: Metric, startedAt: Date) => Promise<MeasurementOutcome>,
  metadata?: MetricProvider['metadata'],
): MetricProvider {
  return {
    type,
    ...FINISHES_IN_RUN,
    ...(metadata ? { metadata } : {}),
    run: (target) => measure(context, (startedAt) => take(target.metric, startedAt)),
  };
}

/**
 * The phase the metric's success and failure conditions give `result`; a condition that cannot
 * be evaluated throws, which makes the measurement an Error.
 */
export function evaluateMetric(metric: Metric, result: unknown): Exclude<MeasurementPhase, 'Error'> {
  const evaluation = evaluateMeasurement({
    successCondition: metric.successCondition,
    failureCondition: metric.failureCondition,
    result,
  });
  if (evaluation.phase === 'Error') throw new Error(evaluation.message);
  return evaluation.phase;
}

/** A batch/v1 Job as the Job provider reads it. */
export interface JobObject extends KubeObject {
  metadata: ObjectMeta & { name: string };
  spec?: Record<string, unknown>;
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** A pod of a measurement Job, as far as the Job provider reads it. */
export interface JobPod {
  metadata?: { name?: string };
  status?: {
    initContainerStatuses?: { name?: string; state?: { waiting?: { reason?: string; message?: string } } }[];
    containerStatuses?: { name?: string; state?: { waiting?: { reason?: string; message?: string } } }[];
  };
}

/** Everything providers may use; the controller builds it once. */
export interface ProviderContext {
  client: RestClient;
  now(): Date;
  /** Where provider credential Secrets (`datadog`, `newrelic`) live: the controller's namespace. */
  controllerNamespace: string;
  /** Jobs from the controller's cache (labelled with an AnalysisRun uid). */
  jobs: {
    get(namespace: string, name: string): JobObject | undefined;
    ownedBy(runUid: string): JobObject[];
  };
  /** Pods of the Job with this uid, from the controller's cache (absent: pods are not looked at). */
  jobPods?(jobUid: string): JobPod[];
  /** Environment variables for provider defaults (DD_API_KEY, ARGO_ROLLOUTS_PROMETHEUS_ADDRESS, ...). */
  env: Readonly<Record<string, string | undefined>>;
}

/** Builds the provider for one metric of one run; throwing makes the measurement an Error. */
export type ProviderFactory = (
  target: MeasurementTarget,
  context: ProviderContext,
) => MetricProvider | Promise<MetricProvider>;

/** A finished measurement with Error phase, as Argo's MarkMeasurementError makes it. */
/**
 * One measurement, Running from now: the outcome `body` returns (phase, value, ...), finished
 * when it returns, or an Error measurement when it throws. `body` is given the start time.
 */
export async function measure(
  context: ProviderContext,
  body: (startedAt: Date) => Promise<MeasurementOutcome>,
): Promise<Measurement> {
  const now = context.now();
  const measurement: Measurement = { phase: 'Running', startedAt: formatMetaTime(now) };
  try {
    return { ...measurement, ...(await body(now)), finishedAt: formatMetaTime(context.now()) };
  } catch (error) {
    return errorMeasurement(measurement, error, context.now());
  }
}

export function errorMeasurement(measurement: Measurement, error: unknown, now: Date): Measurement {
  return {
    ...measurement,
    phase: 'Error',
    message: describeProviderError(error),
    finishedAt: measurement.finishedAt ?? formatMetaTime(now),
  };
}

/**
 * The message of a provider failure. Providers name the malformed parts of an answer they know
 * about; a JavaScript TypeError or RangeError that still slips through (an answer shaped in a
 * way nobody checked) is described, not quoted: "Cannot read properties of undefined (reading
 * 'trim')" tells an operator nothing about their metric.
 */
export function describeProviderError(error: unknown): string {
  if (error instanceof TypeError) return 'the provider answered with a result of an unexpected shape';
  if (error instanceof RangeError) {
    return 'the provider answered with a result too large or too deeply nested to process';
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Longest measurement value, message and metadata value written to AnalysisRun status, in
 * characters. A run keeps up to 10 measurements per metric by default (more with
 * measurementRetention) and the whole object must stay under etcd's 1.5 MiB request limit:
 * 10 measurements × (1 KiB value + 1 KiB message) is 20 KiB per metric, so even a run of 50
 * metrics stays near 1 MiB. A metric value (a number, a short vector, a small JSON object)
 * fits easily; a longer one is cut with a marker saying so.
 */
export const MAX_STATUS_TEXT = 1024;

/** Cuts `text` to MAX_STATUS_TEXT characters, ending with a marker naming the original length. */
export function boundStatusText(text: string, limit = MAX_STATUS_TEXT): string {
  if (text.length <= limit) return text;
  const marker = `...[truncated, ${text.length} characters in all]`;
  return text.slice(0, Math.max(0, limit - marker.length)) + marker;
}

/** A measurement whose texts fit in status. */
export function boundMeasurement(measurement: Measurement): Measurement {
  const out: Measurement = { ...measurement };
  if (out.value !== undefined) out.value = boundStatusText(out.value);
  if (out.message !== undefined) out.message = boundStatusText(out.message);
  if (out.metadata) {
    out.metadata = Object.fromEntries(
      Object.entries(out.metadata).map(([key, value]) => [key, boundStatusText(value)]),
    );
  }
  return out;
}

/** metav1.Time: RFC 3339 with whole seconds. */
export function formatMetaTime(date: Date): string {
  return formatTime(date.getTime());
}
