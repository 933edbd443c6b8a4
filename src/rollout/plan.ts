// The pure plan of one Rollout reconcile: from what we observed (the Rollout, its
// ReplicaSets and Services) and the clock, decide the changes to make and the status to
// write. No I/O here; act.ts applies the plan and the next observe sees the result.
//
// The order of decisions follows Argo Rollouts: a changed template or step list restarts
// the steps; promote-full and full promotion come first; an abort takes the canary back
// to 0; otherwise the current step completes when its condition holds, one step per pass.
import type { CanaryStep, Rollout, RolloutStatus } from '../api/rollout.js';
import { MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from './labels.js';
import { podTemplateHash } from './pod-template-hash.js';
import {
  approximateWeightedCounts,
  basicCanaryReplicaCounts,
  drainOlderReplicaSets,
  type ObservedReplicaSet,
  resolveMaxSurgeAndUnavailable,
} from './replica-math.js';
import {
  availableReplicas,
  hashOf,
  isSettledAt,
  maxRevision,
  newReplicaSet,
  replicaSetName,
  revisionOf,
  specReplicas,
} from './replicasets.js';
import {
  ConditionType,
  findCondition,
  Reason,
  type RolloutCondition,
  rolloutPhase,
  withCondition,
} from './status.js';
import { describeStep, stepHash, stepKind, weightAtStep } from './steps.js';
import { validateRollout } from './validate.js';
import type { ReplicaSet, Service } from './workload-types.js';

export type ObservedRolloutObject = Rollout & {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    annotations?: Record<string, string>;
  };
};

export interface ObservedRollout {
  rollout: ObservedRolloutObject;
  /** ReplicaSets whose controller ownerReference is this Rollout. */
  replicaSets: readonly ReplicaSet[];
  /** Services by name: the ones the spec names, and any still annotated as managed by this Rollout. */
  services: ReadonlyMap<string, Service>;
  now: Date;
}

export type RolloutAction =
  | { kind: 'createReplicaSet'; replicaSet: ReplicaSet }
  | { kind: 'scaleReplicaSet'; name: string; from: number; to: number; revision: number }
  | { kind: 'setReplicaSetRevision'; name: string; revision: number }
  | { kind: 'deleteReplicaSet'; name: string }
  | { kind: 'pointServiceAt'; service: string; hash: string }
  | { kind: 'releaseService'; service: string }
  | { kind: 'setRolloutRevision'; revision: number };

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /**
   * 'actions': reports a change to ReplicaSets or Services, recorded once those are made.
   * 'status' (default): reports a status transition, recorded once the status is written.
   */
  after?: 'actions' | 'status';
}

export interface RolloutPlan {
  actions: RolloutAction[];
  /** The whole status to write (only written when it differs from the observed one). */
  status: RolloutStatus;
  events: PlannedEvent[];
  /** Look again after this long even if nothing changes (a timed pause, a progress deadline). */
  requeueAfterMs?: number;
}

const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function observedReplicaSet(rs: ReplicaSet): ObservedReplicaSet {
  return {
    name: rs.metadata?.name ?? '',
    specReplicas: specReplicas(rs),
    availableReplicas: availableReplicas(rs),
    revision: revisionOf(rs),
  };
}

function selectorString(selector: Rollout['spec']['selector']): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const expr of selector?.matchExpressions ?? []) {
    const values = (expr.values ?? []).join(',');
    if (expr.operator === 'In') parts.push(`${expr.key} in (${values})`);
    else if (expr.operator === 'NotIn') parts.push(`${expr.key} notin (${values})`);
    else if (expr.operator === 'Exists') parts.push(expr.key);
    else if (expr.operator === 'DoesNotExist') parts.push(`!${expr.key}`);
  }
  return parts.join(',');
}

/** What changed in the progress of the rollout since the last status; used for the deadline. */
function progressFingerprint(status: RolloutStatus): string {
  return JSON.stringify([
    status.currentPodHash,
    status.currentStepIndex,
    status.stableRS,
    status.replicas,
    status.updatedReplicas,
    status.readyReplicas,
    status.availableReplicas,
  ]);
}

export function planRollout(observed: ObservedRollout): RolloutPlan {
  const { rollout, now } = observed;
  const nowText = formatTime(now);
  const previous: RolloutStatus = rollout.status ?? {};
  const events: PlannedEvent[] = [];
  const actions: RolloutAction[] = [];
  let requeueAt: number | undefined;
  const base: RolloutStatus = {
    ...previous,
    observedGeneration: String(rollout.metadata.generation ?? 0),
  };

  const problem = validateRollout(rollout);
  if (problem) {
    const conditions = withCondition(
      previous.conditions,
      { type: ConditionType.InvalidSpec, status: 'True', reason: Reason.InvalidSpec, message: problem },
      nowText,
    );
    if (findCondition(previous.conditions, ConditionType.InvalidSpec)?.message !== problem) {
      events.push({ type: 'Warning', reason: Reason.InvalidSpec, message: problem });
    }
    const status = { ...base, conditions };
    return { actions, events, status: { ...status, ...rolloutPhase(rollout.spec, status) } };
  }
  const canary = rollout.spec.strategy.canary;
  if (!canary) {
    // Blue-green has its own plan (not yet part of this controller): leave the object alone.
    return { actions, events, status: previous };
  }

  const replicas = rollout.spec.replicas ?? 1;
  const steps: readonly CanaryStep[] = canary.steps ?? [];
  const stepCount = steps.length;
  const hash = podTemplateHash(rollout.spec.template ?? {}, previous.collisionCount);
  const owned = [...observed.replicaSets];
  let newRS = owned.find((rs) => hashOf(rs) === hash);
  const stableHash = previous.stableRS;
  const stableRS = stableHash ? owned.find((rs) => hashOf(rs) === stableHash) : undefined;
  const highestRevision = maxRevision(owned);

  // 1. The ReplicaSet of the current template, created or given the newest revision.
  let revision = newRS ? revisionOf(newRS) : highestRevision + 1;
  if (!newRS) {
    const initialReplicas = stableRS ? 0 : replicas;
    newRS = newReplicaSet(rollout, hash, revision, initialReplicas);
    actions.push({ kind: 'createReplicaSet', replicaSet: newRS });
    events.push({
      type: 'Normal',
      reason: 'NewReplicaSetCreated',
      message: `Created ReplicaSet ${replicaSetName(rollout.metadata.name, hash)} (revision ${revision})`,
      after: 'actions',
    });
    events.push({
      type: 'Normal',
      reason: 'RolloutUpdated',
      message: `Rollout updated to revision ${revision}`,
      after: 'actions',
    });
  } else if (revision < highestRevision && hash !== previous.currentPodHash) {
    // Back to an older template (undo, or a rollback in Git): it becomes the newest revision.
    revision = highestRevision + 1;
    actions.push({ kind: 'setReplicaSetRevision', name: newRS.metadata?.name ?? '', revision });
    events.push({
      type: 'Normal',
      reason: 'RolloutUpdated',
      message: `Rollout updated to revision ${revision}`,
      after: 'actions',
    });
  }
  if (rollout.metadata.annotations?.[REVISION_ANNOTATION] !== String(revision)) {
    actions.push({ kind: 'setRolloutRevision', revision });
  }
  const others = owned.filter((rs) => rs !== newRS && rs !== stableRS);

  // 2. Where the steps stand.
  const currentStepHash = stepHash(steps);
  let status: RolloutStatus = {
    ...base,
    currentPodHash: hash,
    currentStepHash,
    selector: selectorString(rollout.spec.selector),
  };
  let index = Math.min(previous.currentStepIndex ?? 0, stepCount);
  let pauseConditions = [...(previous.pauseConditions ?? [])];
  let controllerPause = previous.controllerPause ?? false;
  let aborted = previous.abort === true;
  let promoteFull = previous.promoteFull === true;
  const templateOrStepsChanged =
    previous.currentPodHash !== hash || previous.currentStepHash !== currentStepHash;
  if (templateOrStepsChanged) {
    index = 0;
    pauseConditions = [];
    controllerPause = false;
    aborted = false;
    promoteFull = false;
    status.abortedAt = undefined;
    if (stableHash === hash && previous.currentPodHash !== undefined && stepCount > 0) {
      index = stepCount;
      events.push({ type: 'Normal', reason: 'SkipSteps', message: 'Rollback to stable ReplicaSets' });
    }
  }
  if (promoteFull) {
    pauseConditions = [];
    aborted = false;
    index = stepCount;
  }

  // 3. Full promotion: the first deploy, or every step done and the new pods all available.
  let newStableHash = stableHash;
  const fullPromotionReason = !stableRS
    ? 'Initial deploy'
    : aborted || stableHash === hash || availableReplicas(newRS) !== replicas
      ? undefined
      : promoteFull
        ? 'Full promotion requested'
        : index >= stepCount
          ? `Completed all ${stepCount} canary steps`
          : undefined;
  if (fullPromotionReason) {
    newStableHash = hash;
    pauseConditions = [];
    controllerPause = false;
    aborted = false;
    promoteFull = false;
    index = stepCount;
    events.push({
      type: 'Normal',
      reason: 'RolloutCompleted',
      message: `Rollout completed update to revision ${revision} (${hash}): ${fullPromotionReason}`,
    });
  } else if (stableHash === hash) {
    index = stepCount;
  }

  // 4. Abort, or the current step.
  if (aborted) {
    index = stepCount > 0 ? (newStableHash === hash ? stepCount : 0) : index;
    pauseConditions = [];
    if (!previous.abort || !previous.abortedAt) {
      status.abortedAt = previous.abortedAt ?? nowText;
    }
    if (!findConditionReason(previous.conditions, Reason.Aborted)) {
      events.push({
        type: 'Warning',
        reason: 'RolloutAborted',
        message: `Rollout aborted update to revision ${revision}`,
      });
    }
  } else if (!rollout.spec.paused && index < stepCount) {
    const step = steps[index]!;
    const progress = completeStep({
      step,
      index,
      stepCount,
      pauseConditions,
      controllerPause,
      now,
      atDesiredCounts: () => atDesiredCounts(rollout, weightAtStep(steps, index), newRS!, stableRS, others),
    });
    index = progress.index;
    pauseConditions = progress.pauseConditions;
    controllerPause = progress.controllerPause;
    events.push(...progress.events);
    if (progress.requeueAfterMs !== undefined) requeue(progress.requeueAfterMs);
  }

  // 5. Replica counts for this pass.
  const weight = aborted ? 0 : newStableHash === hash ? 100 : weightAtStep(steps, index);
  const promotedStable = newStableHash === hash ? newRS : stableRS;
  const promotedOthers = owned.filter((rs) => rs !== newRS && rs !== promotedStable);
  const counts = basicCanaryReplicaCounts({
    replicas,
    weight,
    ...(canary.maxSurge !== undefined ? { maxSurge: canary.maxSurge } : {}),
    ...(canary.maxUnavailable !== undefined ? { maxUnavailable: canary.maxUnavailable } : {}),
    canary: observedReplicaSet(newRS),
    ...(promotedStable ? { stable: observedReplicaSet(promotedStable) } : {}),
    others: promotedOthers.map(observedReplicaSet),
  });
  const isNew = actions.some((a) => a.kind === 'createReplicaSet');
  scaleTo(newRS, counts.canary, isNew);
  if (promotedStable && promotedStable !== newRS) scaleTo(promotedStable, counts.stable, false);
  const drained = drainOlderReplicaSets({
    replicas,
    ...(canary.maxSurge !== undefined ? { maxSurge: canary.maxSurge } : {}),
    ...(canary.maxUnavailable !== undefined ? { maxUnavailable: canary.maxUnavailable } : {}),
    canary: observedReplicaSet(newRS),
    ...(promotedStable ? { stable: observedReplicaSet(promotedStable) } : {}),
    others: promotedOthers.map(observedReplicaSet),
  });
  for (const target of drained) {
    const rs = promotedOthers.find((o) => o.metadata?.name === target.name);
    if (rs) scaleTo(rs, target.replicas, false);
  }

  // 6. Services follow the ReplicaSets once those have pods to serve.
  planServices();

  // 7. History: delete the oldest scaled-down ReplicaSets beyond revisionHistoryLimit.
  const limit = rollout.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  const retired = promotedOthers
    .filter(
      (rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata?.deletionTimestamp,
    )
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of retired.slice(0, Math.max(0, retired.length - limit))) {
    actions.push({ kind: 'deleteReplicaSet', name: rs.metadata?.name ?? '' });
  }

  // 8. Status.
  status = {
    ...status,
    ...replicaCounts(owned, newRS),
    stableRS: newStableHash,
    currentStepIndex: stepCount > 0 ? index : undefined,
    pauseConditions: pauseConditions.length > 0 ? pauseConditions : undefined,
    controllerPause: controllerPause || undefined,
    abort: aborted || undefined,
    abortedAt: aborted ? (status.abortedAt ?? previous.abortedAt ?? nowText) : undefined,
    promoteFull: promoteFull || undefined,
  };
  status.conditions = conditionsFor(status);
  const { phase, message } = rolloutPhase(rollout.spec, status);
  if (phase === 'Healthy' && previous.phase !== 'Healthy') {
    events.push({ type: 'Normal', reason: 'RolloutHealthy', message: 'Rollout is healthy' });
  }
  status = { ...status, phase, message };
  return {
    actions,
    events,
    status: dropUndefined(status),
    ...(requeueAt !== undefined ? { requeueAfterMs: requeueAt } : {}),
  };

  // --- helpers that read the pass's state ---

  function scaleTo(rs: ReplicaSet, to: number, justCreated: boolean): void {
    const from = specReplicas(rs);
    const name = rs.metadata?.name ?? '';
    if (justCreated) {
      const create = actions.find((a) => a.kind === 'createReplicaSet');
      if (create && create.kind === 'createReplicaSet' && create.replicaSet.spec)
        create.replicaSet.spec.replicas = to;
      return;
    }
    if (from === to) return;
    actions.push({ kind: 'scaleReplicaSet', name, from, to, revision: revisionOf(rs) });
    events.push({
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: `Scaled ${to > from ? 'up' : 'down'} ReplicaSet ${name} (revision ${revisionOf(rs)}) from ${from} to ${to}`,
      after: 'actions',
    });
  }

  function planServices(): void {
    const wanted = new Map<string, string | undefined>();
    if (canary?.stableService)
      wanted.set(canary.stableService, promotedStable ? hashOf(promotedStable) : undefined);
    if (canary?.canaryService) wanted.set(canary.canaryService, hash);
    for (const [name, target] of wanted) {
      const service = observed.services.get(name);
      if (!service || !target) continue;
      const rs = owned.find((r) => hashOf(r) === target);
      // Switch only to a ReplicaSet that has available pods, so the Service never goes dark.
      if (!rs || availableReplicas(rs) === 0) continue;
      const current = service.spec?.selector?.[POD_TEMPLATE_HASH_LABEL];
      const managedBy = service.metadata?.annotations?.[MANAGED_BY_ANNOTATION];
      if (current === target && managedBy === rollout.metadata.name) continue;
      actions.push({ kind: 'pointServiceAt', service: name, hash: target });
      if (current !== target) {
        events.push({
          type: 'Normal',
          reason: 'SwitchService',
          message: `Switched selector for service '${name}' from '${current ?? ''}' to '${target}'`,
          after: 'actions',
        });
      }
    }
    for (const [name, service] of observed.services) {
      if (wanted.has(name)) continue;
      if (service.metadata?.annotations?.[MANAGED_BY_ANNOTATION] === rollout.metadata.name) {
        actions.push({ kind: 'releaseService', service: name });
      }
    }
  }

  function conditionsFor(next: RolloutStatus): RolloutCondition[] {
    let conditions = (previous.conditions ?? []).filter((c) => c.type !== ConditionType.InvalidSpec);
    const { maxUnavailable } = resolveMaxSurgeAndUnavailable(
      replicas,
      canary?.maxSurge,
      canary?.maxUnavailable,
    );
    const available = (next.availableReplicas ?? 0) >= replicas - maxUnavailable;
    conditions = withCondition(
      conditions,
      available
        ? {
            type: ConditionType.Available,
            status: 'True',
            reason: Reason.Available,
            message: 'Rollout has minimum availability',
          }
        : {
            type: ConditionType.Available,
            status: 'False',
            reason: Reason.Available,
            message: 'Rollout does not have minimum availability',
          },
      nowText,
    );
    const paused = rollout.spec.paused === true || (next.pauseConditions?.length ?? 0) > 0;
    const wasPaused = findCondition(previous.conditions, ConditionType.Paused)?.status === 'True';
    if (paused) {
      conditions = withCondition(
        conditions,
        { type: ConditionType.Paused, status: 'True', reason: Reason.Paused, message: 'Rollout is paused' },
        nowText,
      );
      if (!wasPaused) {
        const reason = next.pauseConditions?.[0]?.reason ?? 'manually paused';
        events.push({ type: 'Normal', reason: 'RolloutPaused', message: `Rollout is paused (${reason})` });
      }
    } else if (wasPaused) {
      conditions = withCondition(
        conditions,
        {
          type: ConditionType.Paused,
          status: 'False',
          reason: Reason.Resumed,
          message: 'Rollout is resumed',
        },
        nowText,
      );
      events.push({ type: 'Normal', reason: 'RolloutResumed', message: 'Rollout is resumed' });
    }

    const rsName = replicaSetName(rollout.metadata.name, hash);
    const completed = next.stableRS === hash && (next.updatedReplicas ?? 0) === replicas;
    const previousProgressing = findCondition(previous.conditions, ConditionType.Progressing);
    const progressed = progressFingerprint(next) !== progressFingerprint(previous) || actions.length > 0;
    const deadlineSeconds = rollout.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
    if (next.abort) {
      conditions = withCondition(
        conditions,
        {
          type: ConditionType.Progressing,
          status: 'False',
          reason: Reason.Aborted,
          message: `Rollout aborted update to revision ${revision}`,
        },
        nowText,
      );
    } else if (paused) {
      conditions = withCondition(
        conditions,
        {
          type: ConditionType.Progressing,
          status: 'Unknown',
          reason: Reason.Paused,
          message: 'Rollout is paused',
        },
        nowText,
      );
    } else if (completed && (next.availableReplicas ?? 0) >= replicas) {
      conditions = withCondition(
        conditions,
        {
          type: ConditionType.Progressing,
          status: 'True',
          reason: Reason.NewReplicaSetAvailable,
          message: `ReplicaSet "${rsName}" has successfully progressed.`,
        },
        nowText,
      );
    } else if (progressed || !previousProgressing || previousProgressing.reason === Reason.Paused) {
      // Progress (or resuming from a pause) restarts the deadline clock.
      conditions = refreshed(conditions, {
        type: ConditionType.Progressing,
        status: 'True',
        reason: Reason.ReplicaSetUpdated,
        message: `ReplicaSet "${rsName}" is progressing.`,
      });
      requeue(deadlineSeconds * 1000);
    } else if (previousProgressing.reason !== Reason.TimedOut) {
      const since = Date.parse(previousProgressing.lastUpdateTime ?? nowText);
      const remainingMs = since + deadlineSeconds * 1000 - now.getTime();
      if (remainingMs <= 0) {
        conditions = withCondition(
          conditions,
          {
            type: ConditionType.Progressing,
            status: 'False',
            reason: Reason.TimedOut,
            message: `ReplicaSet "${rsName}" has timed out progressing.`,
          },
          nowText,
        );
        events.push({
          type: 'Warning',
          reason: 'RolloutTimedOut',
          message: `Rollout "${rollout.metadata.name}" has timed out progressing.`,
        });
      } else {
        requeue(remainingMs);
      }
    }

    const healthy = completed && (next.availableReplicas ?? 0) >= replicas && !paused && !next.abort;
    conditions = withCondition(
      conditions,
      healthy
        ? {
            type: ConditionType.Healthy,
            status: 'True',
            reason: Reason.Healthy,
            message: 'Rollout is healthy',
          }
        : {
            type: ConditionType.Healthy,
            status: 'False',
            reason: Reason.Healthy,
            message: 'Rollout is not healthy',
          },
      nowText,
    );
    conditions = withCondition(
      conditions,
      completed
        ? {
            type: ConditionType.Completed,
            status: 'True',
            reason: Reason.Completed,
            message: 'Rollout completed update to desired revision',
          }
        : {
            type: ConditionType.Completed,
            status: 'False',
            reason: Reason.Completed,
            message: 'Rollout not completed update to desired revision',
          },
      nowText,
    );
    return conditions;
  }

  function refreshed(
    conditions: RolloutCondition[],
    next: { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string },
  ): RolloutCondition[] {
    const kept = withCondition(conditions, next, nowText);
    return kept.map((c) => (c.type === next.type ? { ...c, lastUpdateTime: nowText } : c));
  }

  function requeue(ms: number): void {
    requeueAt = requeueAt === undefined ? ms : Math.min(requeueAt, ms);
  }
}

function findConditionReason(conditions: readonly RolloutCondition[] | undefined, reason: string): boolean {
  return (conditions ?? []).some((c) => c.reason === reason);
}

function replicaCounts(owned: readonly ReplicaSet[], newRS: ReplicaSet): Partial<RolloutStatus> {
  const sum = (pick: (rs: ReplicaSet) => number) => owned.reduce((total, rs) => total + pick(rs), 0);
  const actual = sum((rs) => rs.status?.replicas ?? 0);
  return {
    replicas: actual,
    updatedReplicas: newRS.status?.replicas ?? 0,
    readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: sum((rs) => rs.status?.availableReplicas ?? 0),
    HPAReplicas: actual,
  };
}

/** The canary and stable ReplicaSets are exactly at the counts for `weight`, all available, and older ones are gone. */
function atDesiredCounts(
  rollout: Rollout,
  weight: number,
  newRS: ReplicaSet,
  stableRS: ReplicaSet | undefined,
  others: readonly ReplicaSet[],
): boolean {
  const canary = rollout.spec.strategy.canary;
  const replicas = rollout.spec.replicas ?? 1;
  const { maxSurge } = resolveMaxSurgeAndUnavailable(replicas, canary?.maxSurge, canary?.maxUnavailable);
  const desired = stableRS
    ? approximateWeightedCounts(replicas, weight, maxSurge)
    : { canary: replicas, stable: 0 };
  if (!isSettledAt(newRS, desired.canary)) return false;
  if (stableRS && !isSettledAt(stableRS, desired.stable)) return false;
  return others.every((rs) => specReplicas(rs) === 0 && availableReplicas(rs) === 0);
}

interface StepProgressInput {
  step: CanaryStep;
  index: number;
  stepCount: number;
  pauseConditions: NonNullable<RolloutStatus['pauseConditions']>;
  controllerPause: boolean;
  now: Date;
  atDesiredCounts: () => boolean;
}

interface StepProgress {
  index: number;
  pauseConditions: NonNullable<RolloutStatus['pauseConditions']>;
  controllerPause: boolean;
  events: PlannedEvent[];
  requeueAfterMs?: number;
}

/** Completes the current step if its condition holds; a pause step pauses first. */
function completeStep(input: StepProgressInput): StepProgress {
  const { step, index, stepCount, now } = input;
  const kind = stepKind(step);
  const done = (extra: Partial<StepProgress> = {}): StepProgress => ({
    index: index + 1,
    pauseConditions: input.pauseConditions.filter((p) => p.reason !== 'CanaryPauseStep'),
    controllerPause: false,
    events: [
      {
        type: 'Normal',
        reason: 'RolloutStepCompleted',
        message: `Rollout step ${index + 1}/${stepCount} completed (${describeStep(step)})`,
      },
    ],
    ...extra,
  });
  const waiting = (extra: Partial<StepProgress> = {}): StepProgress => ({
    index,
    pauseConditions: input.pauseConditions,
    controllerPause: input.controllerPause,
    events: [],
    ...extra,
  });
  switch (kind?.kind) {
    case 'setWeight':
    case 'setCanaryScale':
      return input.atDesiredCounts() ? done() : waiting();
    case 'pause': {
      const pause = input.pauseConditions.find((p) => p.reason === 'CanaryPauseStep');
      if (kind.durationSeconds !== undefined && pause) {
        const endsAt = Date.parse(pause.startTime) + kind.durationSeconds * 1000;
        return now.getTime() >= endsAt ? done() : waiting({ requeueAfterMs: endsAt - now.getTime() });
      }
      // Resumed by a person (promote cleared the pause condition we set).
      if (!pause && input.controllerPause) return done();
      if (!pause) {
        const started = { reason: 'CanaryPauseStep' as const, startTime: formatTime(now) };
        return waiting({
          pauseConditions: [...input.pauseConditions, started],
          controllerPause: true,
          ...(kind.durationSeconds !== undefined ? { requeueAfterMs: kind.durationSeconds * 1000 } : {}),
        });
      }
      return waiting();
    }
    case 'analysis':
    case 'experiment':
    case 'setHeaderRoute':
    case 'setMirrorRoute':
    case 'plugin':
    case undefined:
      // Not handled by this controller yet: the rollout waits here rather than skipping a gate.
      return waiting();
  }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
