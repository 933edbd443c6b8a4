// The Job provider: each measurement is a batch/v1 Job created from the metric's spec and owned
// by the AnalysisRun. Names, labels and annotations are Argo Rollouts': the Job is
// `<run uid>.<metric>.<n>` (n = measurements taken + 1), labelled with the run's uid and
// annotated with the run and metric names. A Job with condition Complete is Successful, Failed
// is Failed, and one whose pod cannot pull its image is Inconclusive (it would never start);
// terminating deletes the Job (foreground, so its pods go first) and is Inconclusive, as in
// Argo v1.10.2: the Job never finished, so it proved nothing.
import type { Measurement, Metric } from '../../api/analysis.js';
import { controllerReference } from '../../api/kind-definition.js';
import { ANALYSIS_RUN_KIND } from '../../api/kinds.js';
import {
  ANALYSIS_RUN_METRIC_ANNOTATION,
  ANALYSIS_RUN_NAME_ANNOTATION,
  ANALYSIS_RUN_NAMESPACE_ANNOTATION,
  ANALYSIS_RUN_UID_LABEL,
} from '../../api/labels.js';
import { AlreadyExistsError, NotFoundError } from '../../kube/api-error.js';
import { createObject, deleteObject } from '../../kube/patch.js';
import type { ApiResource } from '../../kube/resource.js';
import {
  errorMeasurement,
  formatMetaTime,
  type JobObject,
  type JobPod,
  type MeasurementTarget,
  type MetricProvider,
  type ProviderContext,
} from './provider.js';

export const JOBS: ApiResource = {
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  kind: 'Job',
  namespaced: true,
};

/** On measurements: the Job they wait for. */
export const JOB_NAME_KEY = 'job-name';

interface JobSpecOfMetric {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

function jobSpecOf(metric: Metric): JobSpecOfMetric {
  const job = metric.provider.job;
  if (!job) throw new Error(`metric ${metric.name} has no job provider`);
  return job as JobSpecOfMetric;
}

/** Kubernetes' DNS label limit: the Job controller copies the Job's name into a pod label. */
const JOB_NAME_LIMIT = 63;

/**
 * `<run uid>.<metric>.<measurements so far + 1>`, as Argo names measurement Jobs; over 63
 * characters the metric name is cut (Argo's newJobName), keeping uid and number whole.
 */
export function measurementJobName(target: MeasurementTarget): string {
  const result = target.run.status?.metricResults?.find((r) => r.name === target.metric.name);
  const id = (result?.count ?? 0) + (result?.error ?? 0) + 1;
  const uid = target.run.metadata.uid;
  const metric = target.metric.name;
  const name = `${uid}.${metric}.${id}`;
  if (name.length <= JOB_NAME_LIMIT) return name;
  const keep = Math.max(0, metric.length - (name.length - JOB_NAME_LIMIT));
  return `${uid}.${metric.slice(0, keep)}.${id}`;
}

/** Container waiting reasons that never resolve on their own (Argo's terminalWaitingReasons). */
const TERMINAL_WAITING_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']);

/** The first pod container stuck for good, as Argo's processJobPods words it; undefined if none. */
export function terminalPodError(pods: readonly JobPod[]): string | undefined {
  for (const pod of pods) {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const status of statuses) {
      const waiting = status.state?.waiting;
      if (waiting?.reason && TERMINAL_WAITING_REASONS.has(waiting.reason)) {
        return `Pod ${pod.metadata?.name ?? ''}, container ${status.name ?? ''} has terminal error (${waiting.reason}): ${waiting.message ?? ''}\n`;
      }
    }
  }
  return undefined;
}

export function measurementJob(target: MeasurementTarget): JobObject {
  const { run, metric } = target;
  const job = jobSpecOf(metric);
  const owner = controllerReference(ANALYSIS_RUN_KIND, run);
  // The run's uid on the pods too: the controller's pod cache selects on it (image pull errors).
  const spec = { ...job.spec } as Record<string, unknown> & {
    template?: { metadata?: { labels?: Record<string, string> } };
  };
  if (spec.template) {
    spec.template = {
      ...spec.template,
      metadata: {
        ...spec.template.metadata,
        labels: { ...spec.template.metadata?.labels, [ANALYSIS_RUN_UID_LABEL]: run.metadata.uid },
      },
    };
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: measurementJobName(target),
      namespace: run.metadata.namespace,
      ownerReferences: [owner],
      labels: { ...job.metadata?.labels, [ANALYSIS_RUN_UID_LABEL]: run.metadata.uid },
      annotations: {
        ...job.metadata?.annotations,
        [ANALYSIS_RUN_NAME_ANNOTATION]: run.metadata.name,
        [ANALYSIS_RUN_NAMESPACE_ANNOTATION]: run.metadata.namespace ?? '',
        [ANALYSIS_RUN_METRIC_ANNOTATION]: metric.name,
      },
    },
    spec,
  };
}

/** Successful or Failed once the Job has that condition; undefined while it runs. */
export function jobOutcome(job: JobObject): 'Successful' | 'Failed' | undefined {
  let outcome: 'Successful' | 'Failed' | undefined;
  for (const condition of job.status?.conditions ?? []) {
    if (condition.status !== 'True') continue;
    if (condition.type === 'Complete') outcome = 'Successful';
    else if (condition.type === 'Failed') outcome = 'Failed';
  }
  return outcome;
}

/** The `<n>` of `<uid>.<metric>.<n>`: the order Jobs were created in (timestamps have whole seconds). */
function measurementNumber(job: JobObject): number {
  const n = Number(job.metadata.name.slice(job.metadata.name.lastIndexOf('.') + 1));
  return Number.isFinite(n) ? n : 0;
}

function jobNameOf(measurement: Measurement): string {
  const name = measurement.metadata?.[JOB_NAME_KEY];
  if (!name) throw new Error('job metadata reference missing');
  return name;
}

/**
 * When a running Job is looked at again: after sqrt(2 × seconds since it started) seconds, as
 * Argo's Resume schedules it. Argo reads Job pods (image pull errors) only then, never on a pod
 * event, and its e2e suite relies on that order (TestCanaryBackgroundAnalysisInvalidImageJob:
 * the canary's step analysis starts before the background Job is found stuck).
 */
export function nextLook(measurement: Measurement, now: Date): Date {
  const started = Date.parse(measurement.startedAt ?? '');
  const elapsedSeconds = Number.isNaN(started) ? 0 : Math.max(0, (now.getTime() - started) / 1000);
  return new Date(now.getTime() + Math.sqrt(2 * elapsedSeconds) * 1000);
}

export function jobProvider(_target: MeasurementTarget, context: ProviderContext): MetricProvider {
  const { client } = context;
  const deleteJob = (namespace: string, name: string) =>
    deleteObject(
      client,
      { resource: JOBS, namespace, name },
      { ifMissing: 'ignore', propagationPolicy: 'Foreground' },
    );

  return {
    type: 'Job',
    async run(target) {
      const measurement: Measurement = { phase: 'Running', startedAt: formatMetaTime(context.now()) };
      const job = measurementJob(target);
      const namespace = target.run.metadata.namespace;
      try {
        try {
          await createObject(client, JOBS, job);
        } catch (error) {
          if (!(error instanceof AlreadyExistsError)) throw error;
          // A retry after a conflict: the Job is ours when its controller is this run.
          const existing = (await client.get<JobObject & { metadata: { name: string } }>(
            JOBS,
            namespace,
            job.metadata.name,
          )) as JobObject;
          const controller = existing.metadata.ownerReferences?.find((ref) => ref.controller);
          if (controller?.uid !== target.run.metadata.uid) throw error;
        }
        // Looked at again at once, to catch short-lived Jobs (Argo's Run sets ResumeAt to now).
        return {
          ...measurement,
          metadata: { [JOB_NAME_KEY]: job.metadata.name },
          resumeAt: measurement.startedAt,
        };
      } catch (error) {
        return errorMeasurement(measurement, error, context.now());
      }
    },
    async resume(target, measurement) {
      try {
        const name = jobNameOf(measurement);
        const namespace = target.run.metadata.namespace;
        let job = context.jobs.get(namespace, name);
        if (!job) {
          // Not in the cache yet (just created): ask the API server before calling it lost.
          try {
            job = (await client.get<JobObject & { metadata: { name: string } }>(
              JOBS,
              namespace,
              name,
            )) as JobObject;
          } catch (error) {
            if (error instanceof NotFoundError) throw new Error(`job.batch "${name}" not found`);
            throw error;
          }
        }
        const outcome = jobOutcome(job);
        if (outcome) return { ...measurement, phase: outcome, finishedAt: formatMetaTime(context.now()) };
        const stuck = job.metadata.uid
          ? terminalPodError(context.jobPods?.(job.metadata.uid) ?? [])
          : undefined;
        if (stuck) {
          return {
            ...measurement,
            phase: 'Inconclusive',
            message: stuck,
            finishedAt: formatMetaTime(context.now()),
          };
        }
        return { ...measurement, resumeAt: formatMetaTime(nextLook(measurement, context.now())) };
      } catch (error) {
        return errorMeasurement(measurement, error, context.now());
      }
    },
    async terminate(target, measurement) {
      try {
        await deleteJob(target.run.metadata.namespace, jobNameOf(measurement));
        return { ...measurement, phase: 'Inconclusive', finishedAt: formatMetaTime(context.now()) };
      } catch (error) {
        return errorMeasurement(measurement, error, context.now());
      }
    },
    async garbageCollect(target, limit) {
      // Argo lists every Job of the run here; we keep to this metric's Jobs, so a metric with
      // few measurements never loses its Jobs to a busier one.
      const jobs = context.jobs
        .ownedBy(target.run.metadata.uid)
        .filter((job) => job.metadata.annotations?.[ANALYSIS_RUN_METRIC_ANNOTATION] === target.metric.name)
        .filter((job) => !job.metadata.deletionTimestamp)
        .sort((a, b) => measurementNumber(a) - measurementNumber(b));
      for (const job of jobs.slice(0, Math.max(0, jobs.length - limit))) {
        await deleteJob(target.run.metadata.namespace, job.metadata.name);
      }
    },
  };
}
