// Applies an AnalysisRun reconcile: asks plan.ts what to measure, reads secret arguments (only
// here, only into memory), takes the measurements through the providers, asks plan.ts for the
// new status, then writes it (through /status or with the object, as the installed CRD has it;
// see kube/status-subresource.ts) with the resourceVersion we read (a concurrent
// change makes it conflict, and the retry re-plans), records Events, and lets providers clean
// up after trimmed measurements. Secret values are redacted from anything that leaves memory.
import type { Argument, Measurement, Metric } from '../api/analysis.js';
import { ANALYSIS_RUN_KIND, apiResourceOf } from '../api/kinds.js';
import { NotFoundError } from '../kube/api-error.js';
import type { EventRecorder, PlannedEvent } from '../kube/events.js';
import type { KubeObject } from '../kube/object.js';
import { deleteObject } from '../kube/patch.js';
import { coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import { type StatusSubresources, updateChangedStatus } from '../kube/status-subresource.js';
import type { Logger } from '../process/logger.js';
import { resolveMetricArgs } from './metric-args.js';
import {
  assessRun,
  erroredRunStatus,
  type MeasurementOutcome,
  type MeasurementTask,
  type ObservedAnalysisRun,
  planMeasurements,
} from './plan.js';
import {
  boundMeasurement,
  boundStatusText,
  errorMeasurement,
  formatMetaTime,
  type MeasurementTarget,
  type MetricProvider,
  type ProviderContext,
  type ProviderFactory,
} from './providers/provider.js';
import { providerFactoryFor } from './providers/registry.js';

export const ANALYSIS_RUNS = apiResourceOf(ANALYSIS_RUN_KIND);

export const REDACTED = '*****';

export interface AnalysisActContext {
  client: RestClient;
  /** Whether AnalysisRuns have /status (Argo's CRD and ours: no; an older Slipway's: yes). */
  statusSubresources: StatusSubresources;
  events: EventRecorder;
  logger: Logger;
  providers: ProviderContext;
  now(): Date;
  /** Which factory measures a metric; the registry unless a test injects one. */
  factoryFor?: (metric: Metric) => ProviderFactory;
}

export interface ReconcileOutcome {
  requeueAfterMs?: number;
  /** The resourceVersion our status write produced, when we wrote one. */
  writtenResourceVersion?: string;
}

/** Arguments with secret values read, and those values (to redact them). */
export async function resolveSecretArgs(
  client: RestClient,
  namespace: string,
  args: readonly Argument[],
): Promise<{ args: { name: string; value?: string }[]; secretValues: string[] }> {
  const secretValues = new Set<string>();
  const resolved: { name: string; value?: string }[] = [];
  for (const arg of args) {
    const ref = arg.valueFrom?.secretKeyRef;
    if (!ref) {
      resolved.push(arg.value === undefined ? { name: arg.name } : { name: arg.name, value: arg.value });
      continue;
    }
    let secret: KubeObject & { data?: Record<string, string> };
    try {
      secret = await client.get<KubeObject & { data?: Record<string, string> }>(
        coreResources.secrets,
        namespace,
        ref.name,
      );
    } catch (error) {
      if (error instanceof NotFoundError) throw new Error(`secrets "${ref.name}" not found`);
      throw error;
    }
    const encoded = secret.data?.[ref.key];
    if (encoded === undefined) throw new Error(`key '${ref.key}' does not exist in secret '${ref.name}'`);
    const value = Buffer.from(encoded, 'base64').toString('utf8');
    if (value !== '') secretValues.add(value);
    resolved.push({ name: arg.name, value });
  }
  return { args: resolved, secretValues: [...secretValues] };
}

export function redact(text: string, secretValues: readonly string[]): string {
  let out = text;
  for (const secret of secretValues) out = out.split(secret).join(REDACTED);
  return out;
}

function redactMeasurement(measurement: Measurement, secretValues: readonly string[]): Measurement {
  if (secretValues.length === 0) return measurement;
  const out: Measurement = { ...measurement };
  if (out.message !== undefined) out.message = redact(out.message, secretValues);
  if (out.value !== undefined) out.value = redact(out.value, secretValues);
  if (out.metadata) {
    out.metadata = Object.fromEntries(
      Object.entries(out.metadata).map(([k, v]) => [k, redact(v, secretValues)]),
    );
  }
  return out;
}

/** A provider built for a measurement this pass, kept for cleaning up after trimming. */
type BuiltProviders = Map<string, { provider: MetricProvider; metric: Metric }>;

async function measure(
  ctx: AnalysisActContext,
  run: ObservedAnalysisRun,
  task: MeasurementTask,
  metric: Metric,
  secretValues: readonly string[],
  built: BuiltProviders,
): Promise<MeasurementOutcome> {
  const target: MeasurementTarget = { run, metric };
  const replacesLast = task.action !== 'run';
  const isNewResult = !run.status?.metricResults?.some((r) => r.name === task.metricName);
  let measurement: Measurement;
  let metadata: Record<string, string> | undefined;
  try {
    const provider = await (ctx.factoryFor ?? providerFactoryFor)(metric)(target, ctx.providers);
    built.set(task.metricName, { provider, metric });
    if (isNewResult) metadata = provider.metadata?.(metric);
    switch (task.action) {
      case 'run':
        measurement = await provider.run(target);
        break;
      case 'resume':
        measurement = await provider.resume(target, task.inFlight as Measurement);
        break;
      case 'terminate':
        measurement = await provider.terminate(target, task.inFlight as Measurement);
        if (measurement.phase === 'Successful')
          measurement = { ...measurement, message: 'Metric Terminated' };
        break;
    }
  } catch (error) {
    // The provider could not be built (bad settings, missing credentials) or threw.
    const started = task.inFlight ?? { phase: 'Running' as const, startedAt: formatMetaTime(ctx.now()) };
    measurement = errorMeasurement(started, error, ctx.now());
  }
  // Redacted first, then cut: a secret is never left half-visible by the cut.
  const redactedMetadata =
    metadata &&
    Object.fromEntries(
      Object.entries(metadata).map(([k, v]) => [k, boundStatusText(redact(v, secretValues))]),
    );
  return {
    metricName: task.metricName,
    replacesLast,
    measurement: boundMeasurement(redactMeasurement(measurement, secretValues)),
    ...(redactedMetadata ? { metadata: redactedMetadata } : {}),
  };
}

function recordEvents(
  ctx: AnalysisActContext,
  run: ObservedAnalysisRun,
  events: readonly PlannedEvent[],
): void {
  for (const event of events) {
    void ctx.events.record(
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', metadata: run.metadata },
      event.type,
      event.reason,
      event.message,
    );
  }
}

/** One reconcile of one AnalysisRun (already read from the cache). */
export async function reconcileAnalysisRun(
  ctx: AnalysisActContext,
  run: ObservedAnalysisRun,
): Promise<ReconcileOutcome> {
  const { namespace, name } = run.metadata;
  const plan = planMeasurements(run, ctx.now());
  switch (plan.kind) {
    case 'completed': {
      if (plan.ttl.action === 'delete') {
        ctx.logger.info({ analysisrun: `${namespace}/${name}` }, 'deleting AnalysisRun: ttlStrategy expired');
        await deleteObject(
          ctx.client,
          { resource: ANALYSIS_RUNS, namespace, name },
          { ifMissing: 'ignore', preconditions: { uid: run.metadata.uid } },
        );
        return {};
      }
      return plan.ttl.action === 'wait' ? { requeueAfterMs: plan.ttl.requeueAfterMs } : {};
    }
    case 'invalid': {
      const written = await updateChangedStatus(
        ctx.client,
        ctx.statusSubresources,
        ANALYSIS_RUNS,
        run,
        plan.status,
      );
      recordEvents(ctx, run, plan.events);
      return written ? { writtenResourceVersion: written } : {};
    }
    case 'measure':
      break;
  }

  let outcomes: MeasurementOutcome[] = [];
  let secretValues: string[] = [];
  const built: BuiltProviders = new Map();
  if (plan.tasks.length > 0) {
    let args: { name: string; value?: string }[];
    try {
      ({ args, secretValues } = await resolveSecretArgs(ctx.client, namespace, run.spec.args ?? []));
    } catch (error) {
      const failed = erroredRunStatus(
        run,
        `Unable to resolve metric arguments: ${(error as Error).message}`,
        ctx.now(),
      );
      const written = await updateChangedStatus(
        ctx.client,
        ctx.statusSubresources,
        ANALYSIS_RUNS,
        run,
        failed.status,
      );
      recordEvents(ctx, run, failed.events);
      return written ? { writtenResourceVersion: written } : {};
    }
    ctx.logger.debug(
      { analysisrun: `${namespace}/${name}`, tasks: plan.tasks.map((t) => `${t.metricName}:${t.action}`) },
      'taking measurements',
    );
    outcomes = await Promise.all(
      plan.tasks.map((task) => {
        const metric = resolveMetricArgs(run.spec.metrics[task.metricIndex] as Metric, args);
        return measure(ctx, run, task, metric, secretValues, built);
      }),
    );
  }

  const assessment = assessRun(run, plan, outcomes, ctx.now());
  const written = await updateChangedStatus(
    ctx.client,
    ctx.statusSubresources,
    ANALYSIS_RUNS,
    run,
    assessment.status,
  );
  recordEvents(ctx, run, assessment.events);

  // Measurements are trimmed only after one was added this pass, so its provider was built.
  for (const gc of assessment.garbageCollect) {
    const measured = built.get(gc.metricName);
    if (!measured) continue;
    try {
      const target: MeasurementTarget = {
        run: { ...run, status: assessment.status },
        metric: measured.metric,
      };
      await measured.provider.garbageCollect(target, gc.limit);
    } catch (error) {
      ctx.logger.warn(
        {
          analysisrun: `${namespace}/${name}`,
          metric: gc.metricName,
          err: redact((error as Error).message, secretValues),
        },
        'garbage collecting measurements failed',
      );
    }
  }
  return {
    ...(assessment.requeueAfterMs !== undefined ? { requeueAfterMs: assessment.requeueAfterMs } : {}),
    ...(written ? { writtenResourceVersion: written } : {}),
  };
}
