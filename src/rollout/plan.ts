// The pure plan of one Rollout reconcile: from what we observed (the Rollout, its
// ReplicaSets and Services) and the clock, decide the changes to make and the status to
// write. No I/O here; act.ts applies the plan and the next observe sees the result.

import { POD_TEMPLATE_HASH_LABEL, WORKLOAD_GENERATION_ANNOTATION } from '../api/labels.js';
import type { RolloutStatus } from '../api/rollout.js';
import { type BlueGreenResult, blueGreenSpecProblem, planBlueGreenWithAnalysis } from './bluegreen.js';
import { planCanary } from './canary.js';
import { deadlineExceeded, rolloutConditions } from './conditions.js';
import { tolerantPodTemplate } from './malformed.js';
import { formatTime, type ObservedRollout, RolloutPass, type RolloutPlan, selectorString } from './pass.js';
import { missingReference } from './references.js';
import { withDeclarativeRelease } from './release-pause.js';
import { planRestart } from './restart.js';
import { injectedMetadata, type Role, roleMetadata, sameRoleMetadata } from './role-metadata.js';
import { ConditionType, findCondition, Reason, rolloutPhase, withCondition } from './status.js';
import { validateRollout } from './validate.js';
import { planWorkloadScaleDown, resolveWorkloadRef } from './workload-ref.js';
import type { ReplicaSet } from './workload-types.js';

export type {
  ObservedRollout,
  ObservedRolloutObject,
  RolloutAction,
  RolloutPlan,
} from './pass.js';
export { formatTime } from './pass.js';

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export const INVALID_SPEC_REQUEUE_MS = 20_000;

/** An invalid Rollout gets the InvalidSpec condition (Degraded) and nothing else changes. */
function invalidSpecPlan(observed: ObservedRollout, problem: string, asError = true): RolloutPlan {
  const { rollout } = observed;
  const previous: RolloutStatus = rollout.status ?? {};
  const nowText = formatTime(observed.now);
  const conditions = withCondition(
    previous.conditions,
    { type: ConditionType.InvalidSpec, status: 'True', reason: Reason.InvalidSpec, message: problem },
    nowText,
  );
  const events =
    findCondition(previous.conditions, ConditionType.InvalidSpec)?.message === problem
      ? []
      : [{ type: 'Warning' as const, reason: Reason.InvalidSpec, message: problem }];
  const status = { ...previous, observedGeneration: String(rollout.metadata.generation ?? 0), conditions };
  // Looked at again in 20 s even without a watch event, as Argo does (the problem may be
  // timing: the Rollout applied before its Service); no faster, so many invalid Rollouts cost
  // little next to healthy ones.
  return {
    actions: [],
    events,
    status: { ...status, ...rolloutPhase(rollout.spec, status) },
    requeueAfterMs: INVALID_SPEC_REQUEUE_MS,
    ...(asError && { invalidSpecError: true }),
  };
}

/** How soon a pass whose router failed looks again (the router objects have no informer). */
const TRAFFIC_ERROR_RETRY_MS = 2000;

/** Reason of the Warning Event for a template decoded around a malformed value. */
export const MALFORMED_TEMPLATE_REASON = 'MalformedTemplate';

export function planRollout(input: ObservedRollout): RolloutPlan {
  // `memory: invalid` and the like: decoded as Argo does (malformed.ts), not refused.
  const tolerant = input.rollout.spec?.template
    ? tolerantPodTemplate(input.rollout.spec.template)
    : undefined;
  const observed: ObservedRollout = tolerant?.malformed
    ? {
        ...input,
        rollout: {
          ...input.rollout,
          spec: {
            ...input.rollout.spec,
            template: tolerant.template as NonNullable<ObservedRollout['rollout']['spec']['template']>,
          },
        },
      }
    : input;
  const problem =
    validateRollout(observed.rollout) ?? missingReference(observed) ?? blueGreenSpecProblem(observed);
  if (problem) return invalidSpecPlan(observed, problem);
  const resolved = resolveWorkloadRef(observed.rollout, observed.workload);
  // Argo requeues an unresolved workloadRef in 20 s without returning an error.
  if ('problem' in resolved) return invalidSpecPlan(observed, resolved.problem, false);
  const rollout = withDeclarativeRelease(resolved.rollout);
  if (resolved.rollout !== observed.rollout) {
    const inlineProblem = validateRollout({ ...rollout, spec: { ...rollout.spec, workloadRef: undefined } });
    if (inlineProblem)
      return invalidSpecPlan(observed, `spec.workloadRef: the Deployment's ${inlineProblem}`);
  }
  const previous: RolloutStatus = rollout.status ?? {};
  const observedGeneration = String(rollout.metadata.generation ?? 0);

  const { canary, blueGreen } = rollout.spec.strategy;
  const pass = new RolloutPass({ ...observed, rollout });
  // validateRollout made sure exactly one strategy is set.
  const strategy: BlueGreenResult = canary
    ? planCanary(pass, canary)
    : planBlueGreenWithAnalysis(pass, blueGreen!);
  pass.analysis.finish();
  if (pass.invalid) return invalidSpecPlan(observed, pass.invalid);
  if (tolerant?.malformed) {
    // Argo sets the revision with an Update of the whole decoded Rollout, so the value its Go
    // type could not hold is gone from the stored spec afterwards (e2e TestMalformedRollout
    // reads the Rollout with a typed client and waits for Healthy).
    for (const [i, action] of pass.actions.entries()) {
      if (action.kind === 'setRolloutRevision') pass.actions[i] = { ...action, template: tolerant.template };
    }
  }
  if (tolerant?.malformed && pass.creatingNewRS) {
    // Argo only logs "malformed object"; the Event tells the author what the ReplicaSet lacks.
    pass.events.push({
      type: 'Warning',
      reason: MALFORMED_TEMPLATE_REASON,
      message: `malformed object: ${tolerant.malformed.path}: ${tolerant.malformed.problem}; the ReplicaSet is created without it and the template fields after it, as Argo Rollouts does`,
      after: 'actions',
    });
  }
  if (pass.trafficRoutingError) {
    // Argo's reconcileTrafficRouting returns the error before the status is synced: the
    // ReplicaSet and Service work stands, the status (and what it would announce) waits for
    // the router, so Healthy is never reported on weights that were not written.
    return {
      actions: pass.actions,
      events: pass.events.filter((e) => e.after === 'actions' || e.reason === 'TrafficRoutingError'),
      status: previous,
      requeueAfterMs: Math.min(pass.requeue ?? TRAFFIC_ERROR_RETRY_MS, TRAFFIC_ERROR_RETRY_MS),
    };
  }
  // Role metadata (canaryMetadata/stableMetadata, previewMetadata/activeMetadata) follows roles.
  const stableNow = strategy.status.stableRS ?? previous.stableRS;
  syncRoleMetadata(pass, pass.newRS, stableNow === pass.hash ? 'stable' : 'new');
  const stableSet = pass.replicaSetByHash(stableNow);
  if (stableSet && stableSet !== pass.newRS) syncRoleMetadata(pass, stableSet, 'stable');
  const restartedAt = planRestart(pass, observed.pods, (canary ?? blueGreen)?.maxUnavailable);
  let status: RolloutStatus = {
    ...previous,
    restartedAt,
    ...pass.replicaCounts(),
    selector: selectorString(rollout.spec.selector),
    // Last: blue-green reports availability and the HPA selector of its active set.
    ...strategy.status,
    observedGeneration,
  };
  status.conditions = rolloutConditions(pass, status, {
    completed: strategy.completed,
    // Blue-green is Available only with its active set at full size, as in Argo Rollouts.
    maxUnavailable: canary ? canary.maxUnavailable : 0,
  });
  if (rollout.spec.progressDeadlineAbort && deadlineExceeded(status.conditions) && !status.abort) {
    // progressDeadlineAbort: a missed deadline aborts; the next pass scales the canary down.
    status = { ...status, abort: true, abortedAt: pass.nowText };
    pass.emit('RolloutAborted', `Rollout aborted update to revision ${pass.revision}`, 'Warning');
  }
  const { phase, message } = rolloutPhase(rollout.spec, status);
  // No RolloutHealthy Event: Argo v1.10.2 records none (its calculateRolloutConditions has it
  // commented out as too noisy), and its e2e suite compares the exact Event sequence.
  if (observed.workload) {
    const generation = planWorkloadScaleDown(
      pass,
      observed.workload,
      phase === 'Healthy',
      status.availableReplicas ?? 0,
    );
    status.workloadObservedGeneration = generation;
    if (rollout.metadata.annotations?.[WORKLOAD_GENERATION_ANNOTATION] !== generation) {
      pass.actions.push({ kind: 'setWorkloadGeneration', generation });
    }
  } else if (!observed.rollout.spec.workloadRef) {
    // Back on an inline template: nothing is referenced any more (Argo's e2e TestWorkloadRef).
    status.workloadObservedGeneration = undefined;
  }
  // A promotion gate holding the rollout says why.
  const shown = phase === 'Progressing' && strategy.waitingFor ? strategy.waitingFor : message;
  // Argo omits an empty message (omitempty).
  status = dropUndefined({ ...status, phase, message: shown || undefined });
  // Argo's status holds both strategy structs by value: `canary: {}` and `blueGreen: {}` at least.
  status = { ...status, canary: status.canary ?? {}, blueGreen: status.blueGreen ?? {} };
  return {
    actions: pass.actions,
    events: pass.events,
    status,
    ...(pass.requeue !== undefined ? { requeueAfterMs: pass.requeue } : {}),
  };
}

/** Plans the swap for a ReplicaSet whose role metadata is not what its role asks for. */
function syncRoleMetadata(pass: RolloutPass, rs: ReplicaSet | undefined, role: Role): void {
  if (!rs) return;
  const creating = pass.actions.some((a) => a.kind === 'createReplicaSet' && a.replicaSet === rs);
  if (creating) return;
  const desired = roleMetadata(pass.rollout, role);
  const previous = injectedMetadata(rs);
  if (sameRoleMetadata(previous, desired)) return;
  pass.actions.push({
    kind: 'syncRoleMetadata',
    name: rs.metadata?.name ?? '',
    hash: rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '',
    ...(previous ? { previous } : {}),
    ...(desired ? { desired } : {}),
  });
}
