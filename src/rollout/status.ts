// Rollout phase and conditions exactly as Argo Rollouts computes them, so Argo CD's built-in
// health check and `kubectl argo rollouts` read our status the same way.
import type { RolloutSpec, RolloutStatus } from '../api/rollout.js';

export type RolloutCondition = NonNullable<RolloutStatus['conditions']>[number];

export const ConditionType = {
  Available: 'Available',
  Progressing: 'Progressing',
  ReplicaFailure: 'ReplicaFailure',
  Paused: 'Paused',
  Completed: 'Completed',
  Healthy: 'Healthy',
  InvalidSpec: 'InvalidSpec',
} as const;

export const Reason = {
  Available: 'AvailableReason',
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  Paused: 'RolloutPaused',
  Resumed: 'RolloutResumed',
  Aborted: 'RolloutAborted',
  TimedOut: 'ProgressDeadlineExceeded',
  Completed: 'RolloutCompleted',
  Healthy: 'RolloutHealthy',
  InvalidSpec: 'InvalidSpec',
} as const;

export type RolloutPhase = NonNullable<RolloutStatus['phase']>;

/**
 * Phase and message; first match wins: an invalid spec, an abort or a missed deadline is
 * Degraded; a manual or step pause is Paused; unfinished work is Progressing; else Healthy.
 */
export function rolloutPhase(
  spec: RolloutSpec,
  status: RolloutStatus,
): { phase: RolloutPhase; message: string } {
  for (const condition of status.conditions ?? []) {
    if (condition.type === ConditionType.InvalidSpec && condition.status === 'True') {
      return { phase: 'Degraded', message: `${ConditionType.InvalidSpec}: ${condition.message ?? ''}` };
    }
    if (condition.reason === Reason.Aborted || condition.reason === Reason.TimedOut) {
      return { phase: 'Degraded', message: `${condition.reason}: ${condition.message ?? ''}` };
    }
  }
  if (spec.paused) return { phase: 'Paused', message: 'manually paused' };
  const pause = status.pauseConditions?.[0];
  if (pause) return { phase: 'Paused', message: pause.reason };
  if (
    spec.restartAt &&
    (!status.restartedAt || Date.parse(status.restartedAt) < Date.parse(spec.restartAt))
  ) {
    return { phase: 'Progressing', message: 'rollout is restarting' };
  }
  const replicas = spec.replicas ?? 1;
  if ((status.updatedReplicas ?? 0) < replicas)
    return { phase: 'Progressing', message: 'more replicas need to be updated' };
  if ((status.availableReplicas ?? 0) < (status.updatedReplicas ?? 0)) {
    return { phase: 'Progressing', message: 'updated replicas are still becoming available' };
  }
  if (spec.strategy.blueGreen) {
    const activeSelector = status.blueGreen?.activeSelector;
    if (!activeSelector || activeSelector !== status.currentPodHash) {
      return { phase: 'Progressing', message: 'active service cutover pending' };
    }
    if (!status.stableRS || status.stableRS !== status.currentPodHash) {
      return { phase: 'Progressing', message: 'waiting for analysis to complete' };
    }
  } else if (spec.strategy.canary) {
    if (!spec.strategy.canary.trafficRouting && (status.replicas ?? 0) > (status.updatedReplicas ?? 0)) {
      return { phase: 'Progressing', message: 'old replicas are pending termination' };
    }
    if (!status.stableRS || status.stableRS !== status.currentPodHash) {
      return { phase: 'Progressing', message: 'waiting for all steps to complete' };
    }
  }
  return { phase: 'Healthy', message: '' };
}

export function findCondition(
  conditions: readonly RolloutCondition[] | undefined,
  type: string,
): RolloutCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Sets a condition, keeping lastTransitionTime when the status does not change and
 * lastUpdateTime when nothing changes at all (so an idle reconcile writes nothing).
 */
export function withCondition(
  conditions: readonly RolloutCondition[] | undefined,
  next: { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string },
  now: string,
): RolloutCondition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const current = index >= 0 ? list[index] : undefined;
  if (
    current &&
    current.status === next.status &&
    current.reason === next.reason &&
    current.message === next.message
  ) {
    return list;
  }
  const condition: RolloutCondition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastUpdateTime: now,
    lastTransitionTime: current && current.status === next.status ? (current.lastTransitionTime ?? now) : now,
  };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}
