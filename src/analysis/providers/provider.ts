// The metric provider seam: one small interface every provider implements (take a measurement,
// resume one in flight, terminate one, clean up after trimmed measurements), and what a provider
// may use to do it. Providers are created per metric, because a metric's settings (address,
// credentials, timeouts) shape the client, as in Argo Rollouts.
import type { Measurement, Metric } from '../../api/analysis.js';
import type { RestClient } from '../../kube/rest.js';
import { formatTime } from '../../kube/timestamps.js';
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

/** A batch/v1 Job as the Job provider reads it. */
export interface JobObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
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
  /** Environment variables for provider defaults (DD_API_KEY, ARGO_ROLLOUTS_PROMETHEUS_ADDRESS, ...). */
  env: Readonly<Record<string, string | undefined>>;
}

/** Builds the provider for one metric of one run; throwing makes the measurement an Error. */
export type ProviderFactory = (
  target: MeasurementTarget,
  context: ProviderContext,
) => MetricProvider | Promise<MetricProvider>;

/** A finished measurement with Error phase, as Argo's MarkMeasurementError makes it. */
export function errorMeasurement(measurement: Measurement, error: unknown, now: Date): Measurement {
  return {
    ...measurement,
    phase: 'Error',
    message: error instanceof Error ? error.message : String(error),
    finishedAt: measurement.finishedAt ?? formatMetaTime(now),
  };
}

/** metav1.Time: RFC 3339 with whole seconds. */
export function formatMetaTime(date: Date): string {
  return formatTime(date.getTime());
}
