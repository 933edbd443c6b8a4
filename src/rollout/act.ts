// Applies a RolloutPlan through the API: ReplicaSets, Services and the Rollout's revision
// first, in plan order, then the status through /status with the resourceVersion we read, or
// the one our own patch of the Rollout returned (else every new Rollout's status write would
// conflict with our own revision patch). A concurrent abort or promote still makes that write
// fail with a conflict, and the retry re-plans from what the user wrote. ReplicaSet writes are
// guarded by the generation and annotations the plan saw (ConditionalWrites), so a set's
// /status write by the ReplicaSet controller does not refuse them. Events go out once the
// changes they report are made.
import { isDeepStrictEqual } from 'node:util';
import { ANALYSIS_RUN_KIND, apiResourceOf, ROLLOUT_KIND } from '../api/kinds.js';
import {
  DESIRED_REPLICAS_ANNOTATION,
  EPHEMERAL_METADATA_ANNOTATION,
  MANAGED_BY_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  WORKLOAD_GENERATION_ANNOTATION,
} from '../api/labels.js';
import { KubeApiError, NotFoundError } from '../kube/api-error.js';
import { ConditionalWrites, type GuardedChanges, type GuardedState } from '../kube/conditional-writes.js';
import type { PlannedEvent } from '../kube/events.js';
import { type KubeObject, resourceVersionNumber } from '../kube/object.js';
import { OwnedWrites } from '../kube/owned-writes.js';
import { createObject, deleteObject, jsonPatch, mergePatch, updateStatus } from '../kube/patch.js';
import { coreResources, resourcePath } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import { applyTrafficWrite } from '../trafficrouting/apply.js';
import { destinationRuleResource, releaseDestinationRuleWrite } from '../trafficrouting/istio.js';
import { applyExperimentAction } from './experiment-step.js';
import { formatTime, type ObservedRolloutObject, type RolloutAction, type RolloutPlan } from './plan.js';
import { mayHoldCountOnlyStatusWrite, type PodCountWrites } from './pod-count-writes.js';
import { metadataPatch } from './role-metadata.js';
import { ConditionType, rolloutPhase, withCondition } from './status.js';

export const ROLLOUTS = apiResourceOf(ROLLOUT_KIND);
const ANALYSIS_RUNS = apiResourceOf(ANALYSIS_RUN_KIND);

/**
 * The resourceVersion of our last write to each Rollout, and to each of its ReplicaSets. A
 * reconcile whose cached Rollout, or one of whose cached ReplicaSets, is older than that is
 * skipped: the watch event of our own write enqueues it again, whereas planning from the stale
 * copy would write status on an old version and draw a 409, or plan a ReplicaSet write whose
 * guard fails (Argo avoids the same by writing its result back into its informer). The
 * ReplicaSet case is the common one: a pass scales a set and writes the Rollout's status, and
 * the status' watch event often comes before the set's.
 */
export class OwnRolloutWrites {
  private readonly versions = new Map<string, bigint>();
  /** Our writes to the Rollouts' ReplicaSets, by Rollout uid (shared with the Experiment controller). */
  private readonly replicaSets = new OwnedWrites();

  /** True while the cache has not yet seen our last write to this Rollout. */
  isStale(rollout: { metadata: { uid: string; resourceVersion?: string } }): boolean {
    const ours = this.versions.get(rollout.metadata.uid);
    if (ours === undefined) return false;
    const cached = resourceVersionNumber(rollout.metadata.resourceVersion);
    if (cached === undefined || cached >= ours) {
      this.versions.delete(rollout.metadata.uid);
      return false;
    }
    return true;
  }

  record(uid: string, resourceVersion: string | undefined): void {
    const version = resourceVersionNumber(resourceVersion);
    if (version !== undefined) this.versions.set(uid, version);
  }

  /**
   * True while the cache (`cached` by name) has not yet seen our last write to one of the
   * Rollout's ReplicaSets. A set gone from the cache (deleted) is not waited for, unless we
   * created it moments ago (OwnedWrites' CREATED_WAIT_MS). Every event of
   * a set wakes its Rollout (controller.ts), so the one that brings our write in does too.
   */
  replicaSetsStale(
    rolloutUid: string,
    cached: (name: string) => { metadata?: { resourceVersion?: string } } | undefined,
  ): boolean {
    return this.replicaSets.stale(rolloutUid, cached);
  }

  /** `createdAtMs` when the write created the set (OwnedWrites waits for it to appear). */
  recordReplicaSet(
    rolloutUid: string,
    name: string,
    resourceVersion: string | undefined,
    createdAtMs?: number,
  ): void {
    this.replicaSets.record(rolloutUid, name, resourceVersion, createdAtMs);
  }
}

export interface ActContext {
  client: RestClient;
  /** Told of each write to the Rollout itself and to its ReplicaSets, so stale reconciles can be skipped. */
  ownWrites?: OwnRolloutWrites;
  /** When set, count-only status writes during an update may wait (pod-count-writes.ts). */
  podCountWrites?: PodCountWrites;
  /** Records one planned event (an Event object and the rollout_events_total metric). */
  recordEvent(event: PlannedEvent): void;
}

/** Returns the Rollout as the API answered when the action patched the Rollout itself. */
async function applyAction(
  ctx: ActContext,
  rollout: ObservedRolloutObject,
  action: RolloutAction,
  versions: ConditionalWrites,
): Promise<KubeObject | undefined> {
  const namespace = rollout.metadata.namespace;
  const { client } = ctx;
  /** A write to one of the Rollout's ReplicaSets, guarded by the state the pass planned from. */
  const patchReplicaSet = (name: string, planned: GuardedState | undefined, changes: GuardedChanges) =>
    versions.patch(client, { resource: coreResources.replicaSets, namespace, name }, planned, changes);
  switch (action.kind) {
    case 'createReplicaSet': {
      const created = await createObject(client, coreResources.replicaSets, action.replicaSet, {
        ifExists: 'ignore',
      });
      const name = action.replicaSet.metadata?.name ?? '';
      versions.record(name, created);
      // A set we created is waited for until the cache has it (its add event wakes the Rollout):
      // a pass planned before that would create it again and draw 409 AlreadyExists.
      if (created) {
        ctx.ownWrites?.recordReplicaSet(
          rollout.metadata.uid,
          name,
          created.metadata?.resourceVersion,
          Date.now(),
        );
      }
      const replicas = action.replicaSet.spec?.replicas ?? 0;
      if (!created && replicas > 0) {
        // Already there (our cache had not seen it yet): the scale-up this pass planned for the
        // set it thought it was creating still has to happen.
        await mergePatch(
          client,
          { resource: coreResources.replicaSets, namespace, name },
          {
            metadata: { annotations: { [DESIRED_REPLICAS_ANNOTATION]: String(rollout.spec.replicas ?? 1) } },
            spec: { replicas },
          },
        );
      }
      return;
    }
    case 'scaleReplicaSet':
      await patchReplicaSet(action.name, action.planned, {
        annotations: { [DESIRED_REPLICAS_ANNOTATION]: String(rollout.spec.replicas ?? 1) },
        replicas: action.to,
      });
      return;
    case 'setReplicaSetRevision':
      await patchReplicaSet(action.name, action.planned, {
        annotations: { [REVISION_ANNOTATION]: String(action.revision) },
      });
      return;
    case 'annotateReplicaSet':
      await patchReplicaSet(action.name, action.planned, { annotations: action.annotations });
      return;
    case 'deleteReplicaSet':
      await deleteObject(
        client,
        { resource: coreResources.replicaSets, namespace, name: action.name },
        { ifMissing: 'ignore' },
      );
      return;
    case 'pointServiceAt':
      await mergePatch(
        client,
        { resource: coreResources.services, namespace, name: action.service },
        {
          metadata: { annotations: { [MANAGED_BY_ANNOTATION]: rollout.metadata.name } },
          spec: { selector: { [POD_TEMPLATE_HASH_LABEL]: action.hash } },
        },
      );
      return;
    case 'releaseService':
      await mergePatch(
        client,
        { resource: coreResources.services, namespace, name: action.service },
        {
          metadata: { annotations: { [MANAGED_BY_ANNOTATION]: null } },
          spec: { selector: { [POD_TEMPLATE_HASH_LABEL]: null } },
        },
      );
      return;
    case 'evictPod':
      await evictPod(client, namespace, action.name);
      return;
    case 'scaleDeployment':
      await mergePatch(
        client,
        { resource: coreResources.deployments, namespace, name: action.name },
        { spec: { replicas: action.to } },
      );
      return;
    case 'setWorkloadGeneration':
      return mergePatch(
        client,
        { resource: ROLLOUTS, namespace, name: rollout.metadata.name },
        { metadata: { annotations: { [WORKLOAD_GENERATION_ANNOTATION]: action.generation } } },
      );
    case 'createAnalysisRun':
      await createObject(client, ANALYSIS_RUNS, action.run, { ifExists: 'ignore' });
      return;
    case 'terminateAnalysisRun':
      await mergePatch(
        client,
        { resource: ANALYSIS_RUNS, namespace, name: action.name },
        { spec: { terminate: true } },
      );
      return;
    case 'deleteAnalysisRun':
      await deleteObject(
        client,
        { resource: ANALYSIS_RUNS, namespace, name: action.name },
        { ifMissing: 'ignore' },
      );
      return;
    case 'trafficWrite':
      await applyTrafficWrite(client, action.write);
      return;
    case 'createExperiment':
    case 'terminateExperiment':
    case 'deleteExperiment':
      await applyExperimentAction(client, namespace, action);
      return;
    case 'releaseDestinationRules': {
      let rules: KubeObject[];
      try {
        rules = (await client.list<KubeObject>(destinationRuleResource(), { namespace })).items;
      } catch (error) {
        // No Istio CRDs in this cluster: nothing can have been managed.
        if (error instanceof NotFoundError) return;
        throw error;
      }
      for (const rule of rules) {
        const write = releaseDestinationRuleWrite(rule, rollout.metadata.name);
        if (write) await applyTrafficWrite(client, write);
      }
      return;
    }
    case 'syncRoleMetadata':
      await syncRoleMetadataOnCluster(client, namespace, action, versions);
      return;
    case 'setRolloutRevision':
      if (action.template !== undefined) {
        // Replaced whole: a merge patch would keep the malformed value.
        await jsonPatch(client, { resource: ROLLOUTS, namespace, name: rollout.metadata.name }, [
          { op: 'replace', path: '/spec/template', value: action.template },
        ]);
      }
      return mergePatch(
        client,
        { resource: ROLLOUTS, namespace, name: rollout.metadata.name },
        { metadata: { annotations: { [REVISION_ANNOTATION]: String(action.revision) } } },
      );
  }
  return undefined;
}

/**
 * Swaps role metadata on the ReplicaSet's pod template (new pods) and on its running pods
 * (one list of the ReplicaSet's pods, only when a role changes), then records it.
 */
async function syncRoleMetadataOnCluster(
  client: RestClient,
  namespace: string,
  action: Extract<RolloutAction, { kind: 'syncRoleMetadata' }>,
  versions: ConditionalWrites,
): Promise<void> {
  const patch = metadataPatch(action.previous, action.desired);
  await versions.patch(
    client,
    { resource: coreResources.replicaSets, namespace, name: action.name },
    action.planned,
    {
      annotations: {
        [EPHEMERAL_METADATA_ANNOTATION]: action.desired ? JSON.stringify(action.desired) : null,
      },
      templateMetadata: patch,
    },
  );
  const pods = await client.list<KubeObject>(coreResources.pods, {
    namespace,
    labelSelector: `${POD_TEMPLATE_HASH_LABEL}=${action.hash}`,
  });
  for (const pod of pods.items) {
    if (pod.metadata?.deletionTimestamp) continue;
    try {
      await mergePatch(
        client,
        { resource: coreResources.pods, namespace, name: pod.metadata?.name ?? '' },
        { metadata: patch },
      );
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode === 404)) throw error;
    }
  }
}

/**
 * Evicts through the eviction API so PodDisruptionBudgets hold. A PDB that refuses (429) or
 * a pod already gone (404) is not an error: the restart tries again on the next pass.
 */
async function evictPod(client: RestClient, namespace: string, name: string): Promise<void> {
  try {
    await client.request({
      method: 'POST',
      path: `${resourcePath(coreResources.pods, { namespace, name })}/eviction`,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
      verb: 'create',
      resource: 'pods/eviction',
      namespace,
    });
  } catch (error) {
    if (error instanceof KubeApiError && (error.statusCode === 429 || error.statusCode === 404)) return;
    throw error;
  }
}

/** Argo's FailedRSCreateReason / FailedRSCreateMessage (utils/conditions). */
export const REPLICA_SET_CREATE_ERROR = 'ReplicaSetCreateError';
// An API refusal quotes at most this much of the server's message into status and the Event.
const MAX_REFUSAL_MESSAGE = 1024;

/** The API server's own words for a refusal (Go's StatusError.Error()), bounded. */
function refusalText(error: unknown): string {
  const text =
    error instanceof KubeApiError
      ? (error.status?.message ?? `HTTP ${error.statusCode}`)
      : error instanceof Error
        ? error.message
        : String(error);
  return text.length > MAX_REFUSAL_MESSAGE ? `${text.slice(0, MAX_REFUSAL_MESSAGE)}...` : text;
}

/**
 * The new ReplicaSet was refused (too large, invalid, forbidden): as Argo's createDesiredReplicaSet
 * does, a Warning Event and Progressing=False/ReplicaSetCreateError in status, then the error
 * goes back to the work queue, which retries with per-key backoff.
 */
async function reportReplicaSetCreateError(
  ctx: ActContext,
  rollout: ObservedRolloutObject,
  name: string,
  error: unknown,
): Promise<void> {
  const message = `Failed to create new replica set "${name}": ${refusalText(error)}`;
  ctx.recordEvent({ type: 'Warning', reason: REPLICA_SET_CREATE_ERROR, message });
  const previous = rollout.status ?? {};
  const conditions = withCondition(
    previous.conditions,
    { type: ConditionType.Progressing, status: 'False', reason: REPLICA_SET_CREATE_ERROR, message },
    formatTime(new Date()),
  );
  const status = { ...previous, conditions, observedGeneration: String(rollout.metadata.generation ?? 0) };
  const { phase, message: phaseMessage } = rolloutPhase(rollout.spec, status);
  const next = { ...status, phase, message: phaseMessage };
  if (isDeepStrictEqual(next, previous)) return;
  try {
    await updateStatus(ctx.client, ROLLOUTS, { ...rollout, status: next });
  } catch {
    // The create error is what gets reported and retried; a stale status write is retried with it.
  }
}

function sameSpecAndStatus(patched: KubeObject, observed: ObservedRolloutObject): boolean {
  const answer = patched as { spec?: unknown; status?: unknown };
  return (
    isDeepStrictEqual(answer.spec, observed.spec) &&
    isDeepStrictEqual(answer.status ?? {}, observed.status ?? {})
  );
}

/** Returns when to look again because a count-only status write was held back. */
export async function applyRolloutPlan(
  ctx: ActContext,
  rollout: ObservedRolloutObject,
  plan: RolloutPlan,
): Promise<{ requeueAfterMs: number } | undefined> {
  const record = (after: 'actions' | 'status') => {
    for (const event of plan.events.filter((e) => (e.after ?? 'status') === after)) ctx.recordEvent(event);
  };
  let resourceVersion = rollout.metadata.resourceVersion;
  const versions = new ConditionalWrites((name, answer) =>
    ctx.ownWrites?.recordReplicaSet(rollout.metadata.uid, name, answer.metadata?.resourceVersion),
  );
  for (const action of plan.actions) {
    try {
      const patched = await applyAction(ctx, rollout, action, versions);
      // Our patch changed only metadata; if spec and status are still what we planned from
      // (no abort or promote slipped in between), the plan stands on the patched version.
      if (patched?.metadata?.resourceVersion) {
        ctx.ownWrites?.record(rollout.metadata.uid, patched.metadata.resourceVersion);
        if (sameSpecAndStatus(patched, rollout)) resourceVersion = patched.metadata.resourceVersion;
      }
    } catch (error) {
      if (action.kind === 'createReplicaSet') {
        await reportReplicaSetCreateError(ctx, rollout, action.replicaSet.metadata?.name ?? '', error);
      }
      throw error;
    }
  }
  record('actions');
  const uid = rollout.metadata.uid;
  const previous = rollout.status ?? {};
  if (
    ctx.podCountWrites &&
    mayHoldCountOnlyStatusWrite({
      previous,
      next: plan.status,
      desiredReplicas: rollout.spec.replicas ?? 1,
      withEvents: plan.events.some((e) => (e.after ?? 'status') === 'status'),
    })
  ) {
    const wait = ctx.podCountWrites.holdBack(uid);
    if (wait !== undefined) return { requeueAfterMs: wait };
  }
  ctx.podCountWrites?.settled(uid);
  if (!isDeepStrictEqual(plan.status, previous)) {
    const written = await updateStatus(ctx.client, ROLLOUTS, {
      ...rollout,
      metadata: { ...rollout.metadata, resourceVersion },
      status: plan.status,
    });
    ctx.ownWrites?.record(uid, written?.metadata?.resourceVersion);
  }
  record('status');
  return undefined;
}
