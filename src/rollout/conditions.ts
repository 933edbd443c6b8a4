// The conditions both strategies write, computed from the pass's new status: Available,
// Paused (with the RolloutPaused/RolloutResumed events), Progressing with the progress
// deadline, Healthy and Completed. Time spent paused does not count toward the deadline.
import type { RolloutStatus } from '../api/rollout.js';
import type { RolloutPass } from './pass.js';
import { resolveMaxSurgeAndUnavailable } from './replica-math.js';
import { replicaSetName } from './replicasets.js';
import { ConditionType, findCondition, Reason, type RolloutCondition, withCondition } from './status.js';

const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

type ConditionInput = { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string };

/** What moved since the last status; any change restarts the progress deadline. */
function progressFingerprint(status: RolloutStatus): string {
  return JSON.stringify([
    status.currentPodHash,
    status.currentStepIndex,
    status.stableRS,
    status.replicas,
    status.updatedReplicas,
    status.readyReplicas,
    status.availableReplicas,
    status.blueGreen?.activeSelector,
    status.blueGreen?.previewSelector,
  ]);
}

export interface ConditionFacts {
  /** The rollout is fully on the current template (strategy-specific). */
  completed: boolean;
  maxUnavailable: number | string | undefined;
}

export function rolloutConditions(
  pass: RolloutPass,
  next: RolloutStatus,
  facts: ConditionFacts,
): RolloutCondition[] {
  const { previous, nowText, rollout, replicas } = pass;
  let conditions = (previous.conditions ?? []).filter((c) => c.type !== ConditionType.InvalidSpec);
  const set = (input: ConditionInput) => {
    conditions = withCondition(conditions, input, nowText);
  };
  const setRefreshed = (input: ConditionInput) => {
    set(input);
    conditions = conditions.map((c) => (c.type === input.type ? { ...c, lastUpdateTime: nowText } : c));
  };

  const { maxUnavailable } = resolveMaxSurgeAndUnavailable(replicas, undefined, facts.maxUnavailable);
  set(
    (next.availableReplicas ?? 0) >= replicas - maxUnavailable
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
  );

  const paused = rollout.spec.paused === true || (next.pauseConditions?.length ?? 0) > 0;
  const wasPaused = findCondition(previous.conditions, ConditionType.Paused)?.status === 'True';
  if (paused) {
    set({ type: ConditionType.Paused, status: 'True', reason: Reason.Paused, message: 'Rollout is paused' });
  } else if (wasPaused) {
    // Argo's checkPausedConditions keeps reason and message when the condition turns False.
    set({
      type: ConditionType.Paused,
      status: 'False',
      reason: Reason.Paused,
      message: 'Rollout is paused',
    });
  }
  // Argo's sendStateChangeEvents: the Events follow status.pauseConditions (not spec.paused),
  // and an abort, which clears them too, is no resume.
  const hadPauseConditions = (previous.pauseConditions?.length ?? 0) > 0;
  const hasPauseConditions = (next.pauseConditions?.length ?? 0) > 0;
  if (hasPauseConditions && !hadPauseConditions) {
    pass.emit('RolloutPaused', `Rollout is paused (${next.pauseConditions?.[0]?.reason ?? ''})`);
  } else if (hadPauseConditions && !hasPauseConditions && !next.abortedAt) {
    pass.emit('RolloutResumed', 'Rollout is resumed');
  }

  const rsName = replicaSetName(rollout.metadata.name, pass.hash);
  const allAvailable = (next.availableReplicas ?? 0) >= replicas;
  const previousProgressing = findCondition(previous.conditions, ConditionType.Progressing);
  const progressed =
    progressFingerprint(next) !== progressFingerprint(previous) ||
    pass.actions.some((a) => a.kind === 'createReplicaSet' || a.kind === 'scaleReplicaSet');
  const deadlineMs = (rollout.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
  if (next.abort) {
    // The reason (a failed AnalysisRun, ...) is known on the pass that aborts; later passes keep it.
    const kept = previousProgressing?.reason === Reason.Aborted ? previousProgressing.message : undefined;
    const base = `Rollout aborted update to revision ${pass.revision}`;
    set({
      type: ConditionType.Progressing,
      status: 'False',
      reason: Reason.Aborted,
      message: pass.abortReason ? `${base}: ${pass.abortReason}` : (kept ?? base),
    });
  } else if (paused && !(previous.stableRS !== undefined && previous.stableRS === previous.currentPodHash)) {
    // Argo's checkPausedConditions leaves Progressing alone on a completed rollout (stable is
    // the current template): pausing it is no pause of progress (e2e TestCanaryWithSpecPause).
    set({
      type: ConditionType.Progressing,
      status: 'Unknown',
      reason: Reason.Paused,
      message: 'Rollout is paused',
    });
  } else if (facts.completed && allAvailable) {
    set({
      type: ConditionType.Progressing,
      status: 'True',
      reason: Reason.NewReplicaSetAvailable,
      message: `ReplicaSet "${rsName}" has successfully progressed.`,
    });
  } else if (
    progressed ||
    !previousProgressing ||
    previousProgressing.reason === Reason.Paused ||
    previousProgressing.reason === Reason.Aborted
  ) {
    // Progress, or coming back from a pause or an abort, restarts the deadline clock.
    setRefreshed({
      type: ConditionType.Progressing,
      status: 'True',
      reason: Reason.ReplicaSetUpdated,
      message: `ReplicaSet "${rsName}" is progressing.`,
    });
    pass.requeueAfterMs(deadlineMs);
  } else if (previousProgressing.reason !== Reason.TimedOut && !atIndefiniteStep(pass)) {
    const since = Date.parse(previousProgressing.lastUpdateTime ?? nowText);
    const remainingMs = since + deadlineMs - pass.now.getTime();
    if (remainingMs <= 0) {
      set({
        type: ConditionType.Progressing,
        status: 'False',
        reason: Reason.TimedOut,
        message: `ReplicaSet "${rsName}" has timed out progressing.`,
      });
      pass.emit(
        'RolloutTimedOut',
        `Rollout "${rollout.metadata.name}" has timed out progressing.`,
        'Warning',
      );
    } else {
      pass.requeueAfterMs(remainingMs);
    }
  }

  const healthy = facts.completed && allAvailable && !paused && !next.abort;
  set(
    healthy
      ? { type: ConditionType.Healthy, status: 'True', reason: Reason.Healthy, message: 'Rollout is healthy' }
      : {
          type: ConditionType.Healthy,
          status: 'False',
          reason: Reason.Healthy,
          message: 'Rollout is not healthy',
        },
  );
  // Argo's calculateRolloutConditions: its Completed condition (stableRS is the current
  // template) turning False, or first set False, records RolloutNotCompleted.
  const argoCompleted = (status: RolloutStatus) =>
    status.stableRS !== undefined && status.stableRS !== '' && status.stableRS === status.currentPodHash;
  const hadCompleted = findCondition(previous.conditions, ConditionType.Completed) !== undefined;
  if (!argoCompleted(next) && (!hadCompleted || argoCompleted(previous))) {
    pass.emit(
      'RolloutNotCompleted',
      `Rollout not completed, started update to revision ${pass.revision} (${next.currentPodHash ?? pass.hash})`,
    );
  }
  set(
    facts.completed
      ? {
          type: ConditionType.Completed,
          status: 'True',
          reason: Reason.Completed,
          // Argo v1.10.2 (rollout/sync.go) writes the reason as the message, True or False.
          message: Reason.Completed,
        }
      : {
          type: ConditionType.Completed,
          status: 'False',
          reason: Reason.Completed,
          message: Reason.Completed,
        },
  );
  return conditions;
}

/** Argo's isIndefiniteStep: experiment, analysis and pause steps do not count toward the deadline. */
function atIndefiniteStep(pass: RolloutPass): boolean {
  const steps = pass.rollout.spec.strategy.canary?.steps ?? [];
  const step = steps[pass.previous.currentStepIndex ?? steps.length];
  return (
    step !== undefined &&
    (step.experiment !== undefined || step.analysis !== undefined || step.pause !== undefined)
  );
}

/** True once the Progressing condition says the deadline passed (used for progressDeadlineAbort). */
export function deadlineExceeded(conditions: readonly RolloutCondition[]): boolean {
  return findCondition(conditions, ConditionType.Progressing)?.reason === Reason.TimedOut;
}
