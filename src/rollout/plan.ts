// The pure plan of one Rollout reconcile: from what we observed (the Rollout, its
// ReplicaSets and Services) and the clock, decide the changes to make and the status to
// write. No I/O here; act.ts applies the plan and the next observe sees the result.
import type { RolloutStatus } from '../api/rollout.js';
import { planCanary, type StrategyResult } from './canary.js';
import { deadlineExceeded, rolloutConditions } from './conditions.js';
import { type ObservedRollout, RolloutPass, type RolloutPlan, selectorString } from './pass.js';
import { planRestart } from './restart.js';
import { ConditionType, findCondition, Reason, rolloutPhase, withCondition } from './status.js';
import { validateRollout } from './validate.js';

export type {
  ObservedRollout,
  ObservedRolloutObject,
  PlannedEvent,
  RolloutAction,
  RolloutPlan,
} from './pass.js';
export { formatTime } from './pass.js';

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function planRollout(observed: ObservedRollout): RolloutPlan {
  const { rollout } = observed;
  const previous: RolloutStatus = rollout.status ?? {};
  const observedGeneration = String(rollout.metadata.generation ?? 0);

  const problem = validateRollout(rollout);
  if (problem) {
    const nowText = observed.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = withCondition(
      previous.conditions,
      { type: ConditionType.InvalidSpec, status: 'True', reason: Reason.InvalidSpec, message: problem },
      nowText,
    );
    const events =
      findCondition(previous.conditions, ConditionType.InvalidSpec)?.message === problem
        ? []
        : [{ type: 'Warning' as const, reason: Reason.InvalidSpec, message: problem }];
    const status = { ...previous, observedGeneration, conditions };
    return { actions: [], events, status: { ...status, ...rolloutPhase(rollout.spec, status) } };
  }
  const { canary } = rollout.spec.strategy;
  if (!canary) {
    // Blue-green is not part of this controller yet: leave the object as it is.
    return { actions: [], events: [], status: previous };
  }

  const pass = new RolloutPass(observed);
  const strategy: StrategyResult = planCanary(pass, canary);
  const restartedAt = planRestart(pass, observed.pods, canary.maxUnavailable);
  let status: RolloutStatus = {
    ...previous,
    ...strategy.status,
    restartedAt,
    ...pass.replicaCounts(),
    observedGeneration,
    selector: selectorString(rollout.spec.selector),
  };
  status.conditions = rolloutConditions(pass, status, {
    completed: strategy.completed,
    maxUnavailable: canary.maxUnavailable,
  });
  if (rollout.spec.progressDeadlineAbort && deadlineExceeded(status.conditions) && !status.abort) {
    // progressDeadlineAbort: a missed deadline aborts; the next pass scales the canary down.
    status = { ...status, abort: true, abortedAt: pass.nowText };
    pass.emit('RolloutAborted', `Rollout aborted update to revision ${pass.revision}`, 'Warning');
  }
  const { phase, message } = rolloutPhase(rollout.spec, status);
  if (phase === 'Healthy' && previous.phase !== 'Healthy') pass.emit('RolloutHealthy', 'Rollout is healthy');
  status = dropUndefined({ ...status, phase, message });
  return {
    actions: pass.actions,
    events: pass.events,
    status,
    ...(pass.requeue !== undefined ? { requeueAfterMs: pass.requeue } : {}),
  };
}
