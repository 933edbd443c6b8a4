// The canary strategy's part of a pass, in Argo Rollouts' order: a changed template or
// step list restarts the steps (back on the stable template they are skipped); promote-full
// or the first deploy or every step done with all new pods available promotes the new
// ReplicaSet to stable; an abort takes the canary back to 0; otherwise the current step
// completes when its condition holds, one step per pass. Then the replica counts.
import { EXPERIMENT_NAME_ANNOTATION } from '../api/labels.js';
import type { CanaryStep, CanaryStrategy, RolloutStatus } from '../api/rollout.js';
import type { PlannedEvent } from '../kube/events.js';
import { routedServices } from '../trafficrouting/weight.js';
import { abortReason, type RunOutcome } from './analysis.js';
import { planTrafficRoutedCanary, trafficStepReached } from './canary-traffic.js';
import { RolloutExperiments } from './experiment-step.js';
import { asObservedReplicaSet, formatTime, type RolloutPass } from './pass.js';
import {
  approximateWeightedCounts,
  basicCanaryReplicaCounts,
  drainOlderReplicaSets,
  resolveMaxSurgeAndUnavailable,
} from './replica-math.js';
import { availableReplicas, isSettledAt, specReplicas } from './replicasets.js';
import { Reason } from './status.js';
import { describeStep, stepHash, stepKind, weightAtStep } from './steps.js';
import type { ReplicaSet } from './workload-types.js';

type PauseConditions = NonNullable<RolloutStatus['pauseConditions']>;

export interface StrategyResult {
  /** Strategy fields of the new status (step index, pause, abort, stableRS, ...). */
  status: RolloutStatus;
  /** The rollout runs entirely on the current template. */
  completed: boolean;
}

export function planCanary(pass: RolloutPass, canary: CanaryStrategy): StrategyResult {
  const { previous, hash, newRS, replicas } = pass;
  const steps: readonly CanaryStep[] = canary.steps ?? [];
  const stepCount = steps.length;
  const stableHash = previous.stableRS;
  const stableRS = pass.stableRS;
  // No steps at all hash as Go's null, not as an empty list.
  const currentStepHash = stepHash(canary.steps);

  let index = Math.min(previous.currentStepIndex ?? 0, stepCount);
  let pauseConditions: PauseConditions = [...(previous.pauseConditions ?? [])];
  let controllerPause = previous.controllerPause ?? false;
  // An abort of a fully promoted rollout is dropped (Argo's newRolloutContext): there is no
  // update left to abort, so it must not leave the rollout Degraded.
  const fullyPromoted = stableHash !== undefined && stableHash === previous.currentPodHash;
  let aborted = previous.abort === true && !fullyPromoted;
  let abortedAt = aborted ? previous.abortedAt : undefined;
  let promoteFull = previous.promoteFull === true;

  if (previous.currentPodHash !== hash || previous.currentStepHash !== currentStepHash) {
    index = 0;
    pauseConditions = [];
    controllerPause = false;
    aborted = false;
    abortedAt = undefined;
    promoteFull = false;
    if (stableHash === hash && previous.currentPodHash !== undefined && stepCount > 0) {
      index = stepCount;
      pass.emit('SkipSteps', 'Rollback to stable ReplicaSets');
    } else if (stepCount > 0 && rollbackWithinWindow(pass, stableRS) && specReplicas(newRS) > 0) {
      index = stepCount;
      pass.emit('SkipSteps', 'Rollback to active ReplicaSets within RollbackWindow');
    }
  }
  if (previous.currentPodHash !== hash || previous.currentStepHash !== currentStepHash) {
    // Argo's rolloutCanary: a template or steps change only creates the ReplicaSet (at 0) and
    // syncs the status; scaling, Services, routers and analysis start on the next pass. This
    // is what puts RolloutNotCompleted before the first ScalingReplicaSet in Argo's Events.
    return {
      status: {
        currentPodHash: hash,
        currentStepHash,
        stableRS: stableHash,
        currentStepIndex: stepCount > 0 ? index : undefined,
        pauseConditions: undefined,
        controllerPause: undefined,
        abort: undefined,
        abortedAt: undefined,
        promoteFull: undefined,
        canary: withoutEmpty({
          stablePingPong: previous.canary?.stablePingPong,
          weights: previous.canary?.weights,
        }),
      },
      completed: stableHash === hash,
    };
  }
  if (promoteFull || rollbackWithinWindow(pass, stableRS)) {
    pauseConditions = [];
    aborted = false;
    index = stepCount;
  }

  let newStableHash = stableHash;
  const promotion = !stableRS
    ? 'Initial deploy'
    : aborted || stableHash === hash || availableReplicas(newRS) !== replicas
      ? undefined
      : promoteFull
        ? 'Full promotion requested'
        : index >= stepCount
          ? `Completed all ${stepCount} canary steps`
          : undefined;
  // Ping-pong: the Service that was the canary becomes the stable one on every switch of the
  // stable set (Argo's promoteStable; anything but 'ping', the initial deploy too, turns 'ping').
  let stablePingPong = previous.canary?.stablePingPong;
  if (promotion) {
    if (canary.pingPong && stableHash !== hash) stablePingPong = stablePingPong === 'ping' ? 'pong' : 'ping';
    newStableHash = hash;
    pauseConditions = [];
    controllerPause = false;
    aborted = false;
    promoteFull = false;
    index = stepCount;
    pass.emit(
      'RolloutCompleted',
      `Rollout completed update to revision ${pass.revision} (${hash}): ${promotion}`,
    );
  } else if (stableHash === hash) {
    index = stepCount;
  }

  const others = pass.owned.filter((rs) => rs !== newRS && rs !== stableRS);
  const updating = newStableHash !== hash;
  const templateChanged = previous.currentPodHash !== hash;
  const previousRuns = templateChanged ? undefined : previous.canary;
  let stepRun: RunOutcome | undefined;
  let backgroundRun: RunOutcome | undefined;
  const pauseForInconclusive = (run: RunOutcome, previousPhase: string | undefined) => {
    // Pause once per inconclusive result; a person's promote (clearing the pause) goes on.
    if (
      previousPhase === 'Inconclusive' ||
      pauseConditions.some((p) => p.reason === 'InconclusiveAnalysisRun')
    ) {
      return;
    }
    pauseConditions = [...pauseConditions, { reason: 'InconclusiveAnalysisRun', startTime: pass.nowText }];
    controllerPause = true;
    pass.emit('RolloutPaused', `Rollout is paused (InconclusiveAnalysisRun: ${run.name})`);
  };
  const abortFor = (run: RunOutcome) => {
    aborted = true;
    pass.abortReason = abortReason(run);
  };
  // Experiment steps (experiment-step.ts); with traffic routing the running experiment's
  // weighted templates share the traffic, read from the status as observed, as Argo does.
  const experiments = new RolloutExperiments(pass, templateChanged);
  const experimentDestinations = experiments.weightDestinations(steps, previous.currentStepIndex ?? 0);
  const experimentStep = (step: CanaryStep, paused: boolean) => {
    const inconclusivePaused = pauseConditions.some((p) => p.reason === 'InconclusiveExperiment');
    const outcome = experiments.request(step.experiment!, index, inconclusivePaused);
    if (outcome.kind === 'abort') {
      aborted = true;
      pass.abortReason = outcome.message;
    } else if (outcome.kind === 'inconclusive' && !inconclusivePaused) {
      pauseConditions = [...pauseConditions, { reason: 'InconclusiveExperiment', startTime: pass.nowText }];
      // The Paused condition's RolloutPaused Event names the reason (conditions.ts).
      controllerPause = true;
    } else if (outcome.kind === 'successful' && !paused) {
      pass.emit('RolloutStepCompleted', `Rollout step ${index + 1}/${stepCount} completed (experiment)`);
      index += 1;
      controllerPause = false;
    }
  };

  // Argo scales the ReplicaSets before it moves to the next step (reconcileCanaryReplicaSets
  // runs before reconcileCanaryPause and the status sync): a step completed in this pass takes
  // effect on the pod counts in the next one.
  const scalingIndex = index;

  // Background analysis runs from startingStep until the update completes or aborts.
  // Not under promote-full either: Argo's reconcileAnalysisRuns skips (and cancels) analysis then.
  if (
    canary.analysis &&
    updating &&
    !aborted &&
    !promoteFull &&
    index >= (canary.analysis.startingStep ?? 0)
  ) {
    const request = pass.analysis.request(
      { type: 'Background' },
      canary.analysis,
      previousRuns?.currentBackgroundAnalysisRunStatus,
    );
    if ('invalid' in request) pass.invalid = `spec.strategy.canary.analysis: ${request.invalid}`;
    else {
      backgroundRun = request.outcome;
      if (backgroundRun.phase === 'Failed' || backgroundRun.phase === 'Error') abortFor(backgroundRun);
      else if (backgroundRun.phase === 'Inconclusive') {
        pauseForInconclusive(backgroundRun, previousRuns?.currentBackgroundAnalysisRunStatus?.status);
      }
    }
  }

  if (!aborted && !pass.rollout.spec.paused && index < stepCount && pauseConditions.length === 0) {
    const step = steps[index]!;
    if (step.experiment) experimentStep(step, false);
    else if (step.analysis) {
      // An analysis step blocks until its run ends: Successful completes the step.
      const request = pass.analysis.request(
        { type: 'Step', stepIndex: index },
        step.analysis,
        previousRuns?.currentStepAnalysisRunStatus,
      );
      if ('invalid' in request)
        pass.invalid = `spec.strategy.canary.steps[${index}].analysis: ${request.invalid}`;
      else {
        stepRun = request.outcome;
        const promotedAfterInconclusive =
          stepRun.phase === 'Inconclusive' &&
          previousRuns?.currentStepAnalysisRunStatus?.status === 'Inconclusive';
        if (stepRun.phase === 'Successful' || promotedAfterInconclusive) {
          pass.emit('RolloutStepCompleted', `Rollout step ${index + 1}/${stepCount} completed (analysis)`);
          index += 1;
          controllerPause = false;
          stepRun = undefined;
        } else if (stepRun.phase === 'Failed' || stepRun.phase === 'Error') abortFor(stepRun);
        else if (stepRun.phase === 'Inconclusive') pauseForInconclusive(stepRun, undefined);
      }
    } else {
      const progress = progressStep({
        step,
        index,
        stepCount,
        pauseConditions,
        controllerPause,
        now: pass.now,
        atDesiredCounts: () =>
          canary.trafficRouting
            ? trafficStepReached(pass, stableRS, index, weightAtStep(steps, index))
            : atDesiredCounts(pass, canary, weightAtStep(steps, index), stableRS, others),
      });
      index = progress.index;
      pauseConditions = progress.pauseConditions;
      controllerPause = progress.controllerPause;
      for (const event of progress.events) pass.events.push(event);
      if (progress.requeueAfterMs !== undefined) pass.requeueAfterMs(progress.requeueAfterMs);
    }
  } else if (!aborted && index < stepCount && steps[index]?.experiment) {
    // Paused at an experiment step (by hand, or inconclusive): it keeps running, as in Argo.
    experimentStep(steps[index]!, true);
  } else if (!aborted && index < stepCount && steps[index]?.analysis) {
    // Paused at an analysis step (inconclusive, or by hand): report its run, keep it running.
    stepRun = pass.analysis.keep({ type: 'Step', stepIndex: index });
  } else if (!aborted && !pass.rollout.spec.paused && index < stepCount && steps[index]?.pause) {
    // A pause step whose pause condition is already set: check its timer or a resume.
    const progress = progressStep({
      step: steps[index]!,
      index,
      stepCount,
      pauseConditions,
      controllerPause,
      now: pass.now,
      atDesiredCounts: () => false,
    });
    index = progress.index;
    pauseConditions = progress.pauseConditions;
    controllerPause = progress.controllerPause;
    for (const event of progress.events) pass.events.push(event);
    if (progress.requeueAfterMs !== undefined) pass.requeueAfterMs(progress.requeueAfterMs);
  }

  if (aborted) {
    index = stepCount > 0 ? (newStableHash === hash ? stepCount : 0) : index;
    pauseConditions = [];
    controllerPause = false;
    abortedAt ??= pass.nowText;
    if (!(previous.conditions ?? []).some((c) => c.reason === Reason.Aborted)) {
      const reason = pass.abortReason ? `: ${pass.abortReason}` : '';
      pass.emit('RolloutAborted', `Rollout aborted update to revision ${pass.revision}${reason}`, 'Warning');
    }
  }

  // Replica counts for the weight now in force; older ReplicaSets drain within maxUnavailable.
  const weight = aborted ? 0 : newStableHash === hash ? 100 : weightAtStep(steps, scalingIndex);
  const stable = newStableHash === hash ? newRS : stableRS;
  const older = pass.owned.filter((rs) => rs !== newRS && rs !== stable);
  const limits = {
    replicas,
    ...(canary.maxSurge !== undefined ? { maxSurge: canary.maxSurge } : {}),
    ...(canary.maxUnavailable !== undefined ? { maxUnavailable: canary.maxUnavailable } : {}),
    canary: asObservedReplicaSet(newRS),
    ...(stable ? { stable: asObservedReplicaSet(stable) } : {}),
    others: older.map(asObservedReplicaSet),
  };
  let weights: NonNullable<RolloutStatus['canary']>['weights'];
  // Argo points canaryService back at the stable pods on abort (reconcileStableAndCanaryService
  // without a router; with one, once the weight is 0 under dynamicStableScale).
  let canaryServiceToStable = aborted && !canary.trafficRouting;
  // Rolling back to stable under dynamicStableScale: the stable may not take the canary's
  // traffic yet, so canaryService stays where it is (Argo's IsDynamicallyRollingBackToStable).
  let holdCanaryService = false;
  if (canary.trafficRouting) {
    ({
      weights,
      canaryServiceToStable,
      holdCanaryService = false,
    } = planTrafficRoutedCanary(
      pass,
      canary,
      { index, aborted, promoteFull, stableHash: newStableHash, stablePingPong },
      stable,
      older,
      experimentDestinations,
    ));
  } else {
    // trafficRouting just removed (weights still in status): Argo's Istio controller cleans the
    // DestinationRules the Rollout no longer references.
    if (previous.canary?.weights) pass.actions.push({ kind: 'releaseDestinationRules' });
    const counts = basicCanaryReplicaCounts({ ...limits, weight });
    pass.scaleTo(newRS, counts.canary);
    if (stable && stable !== newRS) pass.scaleTo(stable, counts.stable);
    for (const target of drainOlderReplicaSets(limits)) {
      const rs = older.find((o) => o.metadata?.name === target.name);
      if (rs) pass.scaleTo(rs, target.replicas);
    }
  }

  const services = new Map<string, { hash: string | undefined; minAvailable: number }>();
  if (canary.stableService) services.set(canary.stableService, { hash: newStableHash, minAvailable: 1 });
  if (canary.pingPong) {
    // Argo's reconcilePingAndPongService: the canary side follows the new pods while updating;
    // otherwise the ping and pong Services keep their selectors (no hash: left as they are).
    const pingPong = routedServices({ ...pass.rollout, status: { canary: { stablePingPong } } });
    services.set(pingPong.stable, { hash: undefined, minAvailable: 0 });
    services.set(pingPong.canary, { hash: newStableHash !== hash ? hash : undefined, minAvailable: 0 });
  }
  if (canary.canaryService) {
    services.set(
      canary.canaryService,
      canaryServiceToStable
        ? { hash: newStableHash, minAvailable: 0 }
        : { hash: holdCanaryService ? undefined : hash, minAvailable: 1 },
    );
  }
  pass.reconcileServices(services);
  pass.cleanUpHistory([newRS, stable]);
  experiments.finish(aborted || previous.promoteFull === true);

  const status: RolloutStatus = {
    currentPodHash: hash,
    currentStepHash,
    stableRS: newStableHash,
    currentStepIndex: stepCount > 0 ? index : undefined,
    pauseConditions: pauseConditions.length > 0 ? pauseConditions : undefined,
    // Argo keeps controllerPause only beside a pause condition (pause.go CalculatePauseConditions):
    // a promote that clears the conditions while spec.paused holds the step then restarts its pause.
    controllerPause: (pauseConditions.length > 0 && controllerPause) || undefined,
    abort: aborted || undefined,
    abortedAt: aborted ? abortedAt : undefined,
    promoteFull: promoteFull || undefined,
    canary: withoutEmpty({
      ...previous.canary,
      stablePingPong,
      weights,
      currentExperiment: experiments.currentName,
      currentStepAnalysisRunStatus: stepRun && {
        name: stepRun.name,
        status: stepRun.phase,
        ...(stepRun.message ? { message: stepRun.message } : {}),
      },
      currentBackgroundAnalysisRunStatus: backgroundRun && {
        name: backgroundRun.name,
        status: backgroundRun.phase,
        ...(backgroundRun.message ? { message: backgroundRun.message } : {}),
      },
    }),
  };
  const completed = newStableHash === hash && (pass.newRS.status?.replicas ?? 0) === replicas;
  return { status, completed };
}

/**
 * spec.rollbackWindow (Argo's isRollbackWithinWindow): the current template's ReplicaSet was
 * created before the stable one, with fewer than `revisions` ReplicaSets (experiments' aside)
 * created in between. Such a rollback skips the steps like a rollback to stable.
 */
function rollbackWithinWindow(pass: RolloutPass, stableRS: ReplicaSet | undefined): boolean {
  const window = pass.rollout.spec.rollbackWindow?.revisions;
  if (!window || window <= 0 || !stableRS || stableRS === pass.newRS) return false;
  const created = (rs: ReplicaSet) => Date.parse(rs.metadata?.creationTimestamp ?? '');
  const newCreated = created(pass.newRS);
  const stableCreated = created(stableRS);
  if (!(newCreated < stableCreated)) return false;
  const between = pass.owned.filter(
    (rs) =>
      !rs.metadata?.annotations?.[EXPERIMENT_NAME_ANNOTATION] &&
      created(rs) < stableCreated &&
      newCreated < created(rs),
  ).length;
  return between < window;
}

function withoutEmpty<T extends object>(value: T): T | undefined {
  const kept = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** Canary and stable are exactly at the counts for `weight`, all available, and older sets are gone. */
function atDesiredCounts(
  pass: RolloutPass,
  canary: CanaryStrategy,
  weight: number,
  stableRS: ReplicaSet | undefined,
  others: readonly ReplicaSet[],
): boolean {
  const { replicas } = pass;
  const { maxSurge } = resolveMaxSurgeAndUnavailable(replicas, canary.maxSurge, canary.maxUnavailable);
  const desired = stableRS
    ? approximateWeightedCounts(replicas, weight, maxSurge)
    : { canary: replicas, stable: 0 };
  if (!isSettledAt(pass.newRS, desired.canary)) return false;
  if (stableRS && !isSettledAt(stableRS, desired.stable)) return false;
  return others.every((rs) => specReplicas(rs) === 0 && availableReplicas(rs) === 0);
}

interface StepInput {
  step: CanaryStep;
  index: number;
  stepCount: number;
  pauseConditions: PauseConditions;
  controllerPause: boolean;
  now: Date;
  atDesiredCounts: () => boolean;
}

interface StepProgress {
  index: number;
  pauseConditions: PauseConditions;
  controllerPause: boolean;
  events: PlannedEvent[];
  requeueAfterMs?: number;
}

/** Completes the current step if its condition holds; a pause step first pauses. */
export function progressStep(input: StepInput): StepProgress {
  const { step, index, stepCount, now } = input;
  const kind = stepKind(step);
  const done = (): StepProgress => ({
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
      // A person resumed: promote cleared the pause condition this controller set.
      if (!pause && input.controllerPause) return done();
      if (!pause) {
        const started = {
          reason: 'CanaryPauseStep' as const,
          startTime: formatTime(now),
        };
        return waiting({
          pauseConditions: [...input.pauseConditions, started],
          controllerPause: true,
          ...(kind.durationSeconds !== undefined ? { requeueAfterMs: kind.durationSeconds * 1000 } : {}),
        });
      }
      return waiting();
    }
    case 'setHeaderRoute':
    case 'setMirrorRoute':
      // As Argo: done at once. The route stays in the routers' plan for every later step
      // (managedRoutesAtStep), so moving on in the pass that first asks for it loses nothing.
      return done();
    case 'analysis':
    case 'experiment':
    case 'plugin':
    case undefined:
      // Not handled by this controller yet: the rollout waits here rather than skip a gate.
      return waiting();
  }
}
