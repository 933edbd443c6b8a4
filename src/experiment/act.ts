// Applies an Experiment plan: ReplicaSets, Services and AnalysisRuns in plan order, then the
// status (through /status or with the object, as the installed CRD has it; see
// kube/status-subresource.ts) with the resourceVersion we read (a concurrent terminate makes it
// conflict and the retry re-plans), then Events. ReplicaSet writes are guarded by the
// generation and annotations the plan saw (then by our own last write; see ConditionalWrites):
// a failed guard (a ConflictError) drops the pass and re-plans; each write's version goes to
// ownWrites, so that passes planned before the cache has it are skipped (controller.ts). A
// failed write is reported the way Argo reports it, in the template's or analysis' status
// (phase Error with the reason), so the Experiment ends in Error rather than retrying forever
// behind a log line.
import { isDeepStrictEqual } from 'node:util';
import type { AnalysisRun } from '../api/analysis.js';
import { ANALYSIS_RUN_KIND, apiResourceOf, EXPERIMENT_KIND } from '../api/kinds.js';
import { EXPERIMENT_NAME_ANNOTATION, EXPERIMENT_TEMPLATE_NAME_ANNOTATION } from '../api/labels.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../kube/api-error.js';
import { ConditionalWrites, type GuardedChanges } from '../kube/conditional-writes.js';
import type { EventRecorder } from '../kube/events.js';
import type { OwnedWrites } from '../kube/owned-writes.js';
import { createObject, deleteObject, mergePatch } from '../kube/patch.js';
import { coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import { type StatusSubresources, updateChangedStatus } from '../kube/status-subresource.js';
import { formatTime } from '../kube/timestamps.js';
import type { Logger } from '../process/logger.js';
import type { ReplicaSet } from '../rollout/workload-types.js';
import { terminateExperimentPatch } from './operations.js';
import {
  type ExperimentAction,
  type ExperimentEvent,
  type ExperimentObject,
  type ExperimentPlan,
  invalidSpecMessage,
  invalidSpecStatus,
  type ObservedExperiment,
  planExperiment,
  type TemplateService,
} from './plan.js';

export const EXPERIMENTS = apiResourceOf(EXPERIMENT_KIND);
const ANALYSIS_RUNS = apiResourceOf(ANALYSIS_RUN_KIND);
/** After a 409 our cache is behind; its watch catches up within this. */
const CONFLICT_REQUEUE_MS = 100;
/** Name collisions tried before giving up (Argo tries without end). */
const MAX_RUN_COLLISIONS = 10;

export interface ExperimentActContext {
  client: RestClient;
  /** Whether Experiments have /status (Argo's CRD and ours: no; an older Slipway's: yes). */
  statusSubresources: StatusSubresources;
  events: EventRecorder;
  logger: Logger;
  /** Told of each write to the Experiment's ReplicaSets, so stale reconciles can be skipped. */
  ownWrites?: OwnedWrites;
}

export interface ExperimentOutcome {
  requeueAfterMs?: number;
  writtenResourceVersion?: string;
}

type Status = ExperimentPlan['status'];
type ReplicaSetWrite = Extract<ExperimentAction, { kind: 'scaleReplicaSet' | 'annotateReplicaSet' }>;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function templateError(status: Status, template: string, text: string): void {
  const ts = status.templateStatuses?.find((t) => t.name === template);
  if (!ts) return;
  ts.status = 'Error';
  ts.message = text;
}

function analysisError(status: Status, analysis: string, text: string): void {
  const entry = status.analysisRuns?.find((r) => r.name === analysis);
  if (!entry) return;
  entry.phase = 'Error';
  entry.message = text;
}

/** Argo's CreateWithCollisionCounter: reuse our own unfinished run, else try `<name>.<n>`. */
async function createAnalysisRun(
  client: RestClient,
  ex: ExperimentObject,
  run: AnalysisRun,
): Promise<string> {
  const base = run.metadata?.name ?? '';
  for (let n = 0; n <= MAX_RUN_COLLISIONS; n++) {
    const name = n === 0 ? base : `${base}.${n}`;
    try {
      await createObject(client, ANALYSIS_RUNS, { ...run, metadata: { ...run.metadata, name } });
      return name;
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      const existing = await client.get<AnalysisRun>(ANALYSIS_RUNS, ex.metadata.namespace, name);
      const ours = existing.metadata?.ownerReferences?.some((o) => o.controller && o.uid === ex.metadata.uid);
      const finished = ['Successful', 'Failed', 'Error', 'Inconclusive'].includes(
        existing.status?.phase ?? '',
      );
      if (ours && !finished && isDeepStrictEqual(existing.spec, run.spec)) return name;
    }
  }
  throw new Error(`analysisruns "${base}" and ${MAX_RUN_COLLISIONS} collision names are taken`);
}

async function applyAction(
  ctx: ExperimentActContext,
  ex: ExperimentObject,
  action: ExperimentAction,
  status: Status,
  events: ExperimentEvent[],
  writes: ConditionalWrites,
): Promise<void> {
  const { client } = ctx;
  const namespace = ex.metadata.namespace;
  /**
   * A write to a template's ReplicaSet, guarded by the state the plan saw (or our last write).
   * A failed guard ends the pass (thrown on); any other failure is the action's to report.
   */
  const patchReplicaSet = async (
    write: ReplicaSetWrite,
    changes: GuardedChanges,
    failed: (error: unknown) => void,
  ): Promise<void> => {
    try {
      await writes.patch<ReplicaSet>(
        client,
        { resource: coreResources.replicaSets, namespace, name: write.name },
        write.planned,
        changes,
      );
    } catch (error) {
      if (error instanceof ConflictError) throw error;
      failed(error);
    }
  };
  switch (action.kind) {
    case 'createReplicaSet':
      try {
        const created = await createObject(client, coreResources.replicaSets, action.replicaSet);
        ctx.ownWrites?.record(
          ex.metadata.uid,
          action.replicaSet.metadata?.name ?? '',
          created?.metadata?.resourceVersion,
          Date.now(),
        );
      } catch (error) {
        // Already there: our cache is behind; the next pass claims it.
        if (error instanceof AlreadyExistsError) return;
        const name = action.replicaSet.metadata?.name ?? '';
        templateError(
          status,
          action.template,
          `Failed to create ReplicaSet for template '${action.template}': ${message(error)}`,
        );
        events.push({
          type: 'Normal',
          reason: 'ReplicaSetCreateError',
          message: `Failed to create new replica set ${JSON.stringify(name)}: ${message(error)}`,
        });
      }
      return;
    case 'scaleReplicaSet':
      await patchReplicaSet(action, { replicas: action.to }, (error) => {
        const operation = action.to > action.from ? 'up' : 'down';
        templateError(
          status,
          action.template,
          `Unable to scale ReplicaSet for template '${action.template}' to desired replica count '${action.to}': ${message(error)}`,
        );
        events.push({
          type: 'Warning',
          reason: 'ReplicaSetUpdateError',
          message: `Failed to scale ${action.name} ${operation}: ${message(error)}`,
        });
      });
      return;
    case 'annotateReplicaSet':
      await patchReplicaSet(action, { annotations: action.annotations }, (error) =>
        ctx.logger.warn(
          { experiment: `${namespace}/${ex.metadata.name}`, err: message(error) },
          'scale-down-deadline not set',
        ),
      );
      return;
    case 'createService': {
      const name = action.service.metadata?.name ?? '';
      try {
        await createObject(client, coreResources.services, action.service);
      } catch (error) {
        let reason = `cannot create service: ${message(error)}`;
        if (error instanceof AlreadyExistsError) {
          const existing = await client.get<TemplateService>(coreResources.services, namespace, name);
          const annotations = existing.metadata?.annotations ?? {};
          const ours =
            existing.metadata?.ownerReferences?.some((o) => o.controller && o.uid === ex.metadata.uid) &&
            annotations[EXPERIMENT_NAME_ANNOTATION] === ex.metadata.name &&
            annotations[EXPERIMENT_TEMPLATE_NAME_ANNOTATION] === action.template;
          if (ours) return;
          reason = `service ${name} already exists and is not owned by experiment template ${action.template}`;
        }
        templateError(
          status,
          action.template,
          `Failed to create Service ${name} for template '${action.template}': ${reason}`,
        );
        const ts = status.templateStatuses?.find((t) => t.name === action.template);
        if (ts) {
          delete ts.serviceName;
          delete ts.podTemplateHash;
        }
      }
      return;
    }
    case 'deleteService':
      try {
        await deleteObject(
          client,
          { resource: coreResources.services, namespace, name: action.name },
          { ifMissing: 'ignore' },
        );
      } catch (error) {
        templateError(
          status,
          action.template,
          `Failed to delete Service for template '${action.template}': ${message(error)}`,
        );
      }
      return;
    case 'createAnalysisRun': {
      const entry = status.analysisRuns?.find((r) => r.name === action.analysis);
      try {
        const name = await createAnalysisRun(client, ex, action.run);
        if (entry) entry.analysisRun = name;
      } catch (error) {
        if (entry) entry.analysisRun = '';
        analysisError(
          status,
          action.analysis,
          `Failed to create AnalysisRun for analysis '${action.analysis}': ${message(error)}`,
        );
      }
      return;
    }
    case 'terminateAnalysisRun':
      try {
        // An AnalysisRun stops on the same `spec.terminate` patch an Experiment does.
        await mergePatch(
          client,
          { resource: ANALYSIS_RUNS, namespace, name: action.name },
          terminateExperimentPatch(),
        );
      } catch (error) {
        if (error instanceof NotFoundError) return;
        analysisError(status, action.analysis, message(error));
      }
      return;
  }
}

function recordEvents(
  ctx: ExperimentActContext,
  ex: ExperimentObject,
  events: readonly ExperimentEvent[],
): void {
  for (const event of events) {
    const object = event.onRollout
      ? {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          metadata: {
            name: event.onRollout.name,
            namespace: ex.metadata.namespace,
            uid: event.onRollout.uid,
          },
        }
      : { apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment', metadata: ex.metadata };
    void ctx.events.record(object, event.type, event.reason, event.message);
  }
}

/** One reconcile of one Experiment (read from the caches). */
export async function reconcileExperiment(
  ctx: ExperimentActContext,
  observed: ObservedExperiment,
): Promise<ExperimentOutcome> {
  const ex = observed.experiment;
  const invalid = invalidSpecMessage(ex);
  if (invalid) {
    const status = invalidSpecStatus(ex, invalid, formatTime(observed.now.getTime()));
    const written = await updateChangedStatus(ctx.client, ctx.statusSubresources, EXPERIMENTS, ex, status);
    return written ? { writtenResourceVersion: written } : {};
  }
  const plan = planExperiment(observed);
  const failures: ExperimentEvent[] = [];
  const writes = new ConditionalWrites((name, answer) =>
    ctx.ownWrites?.record(ex.metadata.uid, name, answer.metadata?.resourceVersion),
  );
  for (const action of plan.actions) {
    try {
      await applyAction(ctx, ex, action, plan.status, failures, writes);
    } catch (error) {
      // A ReplicaSet changed after the cache showed it to the plan: the rest of the plan, its
      // status and Events rest on that stale copy, so none of it is written. Argo's Update
      // would mark the template Error; a transient race is no failure, so plan again instead.
      if (error instanceof ConflictError) return { requeueAfterMs: CONFLICT_REQUEUE_MS };
      throw error;
    }
  }
  recordEvents(ctx, ex, [...plan.events.filter((e) => e.after === 'actions'), ...failures]);
  let written: string | undefined;
  try {
    written = await updateChangedStatus(ctx.client, ctx.statusSubresources, EXPERIMENTS, ex, plan.status);
  } catch (error) {
    // Our cache is behind (or the spec changed, e.g. terminate): plan again from the watch.
    if (error instanceof ConflictError) return { requeueAfterMs: CONFLICT_REQUEUE_MS };
    throw error;
  }
  recordEvents(
    ctx,
    ex,
    plan.events.filter((e) => (e.after ?? 'status') === 'status'),
  );
  return {
    ...(plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {}),
    ...(written ? { writtenResourceVersion: written } : {}),
  };
}
