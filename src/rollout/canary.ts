// The canary strategy's part of a pass, in Argo Rollouts' order: a changed template or
// step list restarts the steps (back on the stable template they are skipped); promote-full
// or the first deploy or every step done with all new pods available promotes the new
// ReplicaSet to stable; an abort takes the canary back to 0; otherwise the current step
// completes when its condition holds, one step per pass. Then the replica counts.
import { EXPERIMENT_NAME_ANNOTATION } from '../api/labels.js';
import type { CanaryStep, CanaryStrategy, RolloutStatus } from '../api/rollout.js';
import type { PlannedEvent } from '../kube/events.js';
import type { WeightDestination } from '../trafficrouting/router.js';
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
import { availableReplicas, isCreatedAt, isSettledAt, specReplicas } from './replicasets.js';
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

/** The strategy fields of status that the pass moves along (status.* after this pass). */
interface CanaryState {
  /** status.currentStepIndex */
  index: number;
  pauseConditions: PauseConditions;
  controllerPause: boolean;
  aborted: boolean;
  abortedAt: string | undefined;
  promoteFull: boolean;
  /** status.stableRS: the new hash once promoted. */
  stableHash: string | undefined;
  /** status.canary.stablePingPong: switched on promotion. */
  stablePingPong: string | undefined;
  /** The AnalysisRun of the current analysis step, while it decides the step. */
  stepRun?: RunOutcome | undefined;
  backgroundRun?: RunOutcome | undefined;
}

export function planCanary(pass: RolloutPass, canary: CanaryStrategy): StrategyResult {
  const { previous, hash } = pass;
  // No steps at all hash as Go's null, not as an empty list.
  const currentStepHash = stepHash(canary.steps);
  if (previous.currentPodHash !== hash || previous.currentStepHash !== currentStepHash) {
    return restartSteps(pass, canary, currentStepHash);
  }
  const steps: readonly CanaryStep[] = canary.steps ?? [];
  const state = startingState(pass, canary);
  promoteIfDone(pass, canary, state);
  // Experiment steps (experiment-step.ts); with traffic routing the running experiment's
  // weighted templates share the traffic, read from the status as observed, as Argo does. The
  // template is unchanged here (a change returned above), so the current experiment stands.
  const experiments = new RolloutExperiments(pass);
  const experimentDestinations = experiments.weightDestinations(steps, previous.currentStepIndex ?? 0);
  // Argo scales the ReplicaSets before it moves to the next step (reconcileCanaryReplicaSets
  // runs before reconcileCanaryPause and the status sync): a step completed in this pass takes
  // effect on the pod counts in the next one.
  const scalingIndex = state.index;
  runBackgroundAnalysis(pass, canary, state);
  progressCurrentStep(pass, canary, state, experiments);
  settleAbort(pass, state, steps.length);
  const routing = scaleCanary(pass, canary, state, scalingIndex, experimentDestinations);
  reconcileCanaryServices(pass, canary, state, routing);
  pass.cleanUpHistory([pass.newRS, state.stableHash === hash ? pass.newRS : pass.stableRS]);
  experiments.finish(state.aborted || previous.promoteFull === true);
  return {
    status: canaryStatus(pass, state, steps.length, currentStepHash, {
      weights: routing.weights,
      currentExperiment: experiments.currentName,
    }),
    completed: state.stableHash === hash && (pass.newRS.status?.replicas ?? 0) === pass.replicas,
  };
}

/**
 * A changed template or step list restarts the steps (back on the stable template, or within
 * the rollbackWindow, they are skipped). As Argo's rolloutCanary, such a pass only creates the
 * ReplicaSet (at 0) and syncs the status; scaling, Services, routers and analysis start on the
 * next pass. This is what puts RolloutNotCompleted before the first ScalingReplicaSet in Argo's
 * Events.
 */
function restartSteps(pass: RolloutPass, canary: CanaryStrategy, currentStepHash: string): StrategyResult {
  const { previous, hash, newRS } = pass;
  const stepCount = canary.steps?.length ?? 0;
  const stableHash = previous.stableRS;
  let index = 0;
  if (stableHash === hash && previous.currentPodHash !== undefined && stepCount > 0) {
    index = stepCount;
    pass.emit('SkipSteps', 'Rollback to stable ReplicaSets');
  } else if (stepCount > 0 && rollbackWithinWindow(pass, pass.stableRS) && specReplicas(newRS) > 0) {
    index = stepCount;
    pass.emit('SkipSteps', 'Rollback to active ReplicaSets within RollbackWindow');
  }
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

/** Where the canary stood, with promote-full and a rollback within the window skipping ahead. */
function startingState(pass: RolloutPass, canary: CanaryStrategy): CanaryState {
  const { previous } = pass;
  const stepCount = canary.steps?.length ?? 0;
  const stableHash = previous.stableRS;
  // An abort of a fully promoted rollout is dropped (Argo's newRolloutContext): there is no
  // update left to abort, so it must not leave the rollout Degraded.
  const fullyPromoted = stableHash !== undefined && stableHash === previous.currentPodHash;
  const aborted = previous.abort === true && !fullyPromoted;
  // A resume of a rollout paused by hand (Argo CD's resume action, the plugin's promote) clears
  // status.pauseConditions, then spec.paused, in two writes. Argo's controller reconciles between
  // them (the pass while paused by hand drops controllerPause, below), so the step's pause starts
  // over. Seeing both writes at once, a status last written while paused by hand tells the same.
  const resumedByHand =
    !pass.rollout.spec.paused &&
    (previous.pauseConditions ?? []).length === 0 &&
    previous.message === 'manually paused';
  const state: CanaryState = {
    index: Math.min(previous.currentStepIndex ?? 0, stepCount),
    pauseConditions: [...(previous.pauseConditions ?? [])],
    controllerPause: !resumedByHand && (previous.controllerPause ?? false),
    aborted,
    abortedAt: aborted ? previous.abortedAt : undefined,
    promoteFull: previous.promoteFull === true,
    stableHash,
    stablePingPong: previous.canary?.stablePingPong,
  };
  if (state.promoteFull || rollbackWithinWindow(pass, pass.stableRS)) {
    state.pauseConditions = [];
    state.aborted = false;
    state.index = stepCount;
  }
  return state;
}

/**
 * Promote-full, the first deploy, or every step done with all new pods available makes the new
 * ReplicaSet stable (Argo's promoteStable).
 */
function promoteIfDone(pass: RolloutPass, canary: CanaryStrategy, state: CanaryState): void {
  const { hash, newRS, replicas } = pass;
  const stepCount = canary.steps?.length ?? 0;
  const stableHash = state.stableHash;
  const promotion = !pass.stableRS
    ? 'Initial deploy'
    : state.aborted || stableHash === hash || availableReplicas(newRS) !== replicas
      ? undefined
      : state.promoteFull
        ? 'Full promotion requested'
        : state.index >= stepCount
          ? `Completed all ${stepCount} canary steps`
          : undefined;
  if (promotion) {
    // Ping-pong: the Service that was the canary becomes the stable one on every switch of the
    // stable set (anything but 'ping', the initial deploy too, turns 'ping').
    if (canary.pingPong && stableHash !== hash) {
      state.stablePingPong = state.stablePingPong === 'ping' ? 'pong' : 'ping';
    }
    state.stableHash = hash;
    state.pauseConditions = [];
    state.controllerPause = false;
    state.aborted = false;
    state.promoteFull = false;
    state.index = stepCount;
    pass.emit(
      'RolloutCompleted',
      `Rollout completed update to revision ${pass.revision} (${hash}): ${promotion}`,
    );
  } else if (stableHash === hash) {
    state.index = stepCount;
  }
}

/** Pause once per inconclusive result; a person's promote (clearing the pause) goes on. */
function pauseForInconclusive(
  pass: RolloutPass,
  state: CanaryState,
  run: RunOutcome,
  previousPhase: string | undefined,
): void {
  if (
    previousPhase === 'Inconclusive' ||
    state.pauseConditions.some((p) => p.reason === 'InconclusiveAnalysisRun')
  ) {
    return;
  }
  state.pauseConditions = [
    ...state.pauseConditions,
    { reason: 'InconclusiveAnalysisRun', startTime: pass.nowText },
  ];
  state.controllerPause = true;
  pass.emit('RolloutPaused', `Rollout is paused (InconclusiveAnalysisRun: ${run.name})`);
}

function abortFor(pass: RolloutPass, state: CanaryState, run: RunOutcome): void {
  state.aborted = true;
  pass.abortReason = abortReason(run);
}

/**
 * Background analysis runs from startingStep until the update completes or aborts. Not under
 * promote-full either: Argo's reconcileAnalysisRuns skips (and cancels) analysis then.
 */
function runBackgroundAnalysis(pass: RolloutPass, canary: CanaryStrategy, state: CanaryState): void {
  const updating = state.stableHash !== pass.hash;
  if (
    !canary.analysis ||
    !updating ||
    state.aborted ||
    state.promoteFull ||
    state.index < (canary.analysis.startingStep ?? 0)
  ) {
    return;
  }
  const previous = pass.previous.canary?.currentBackgroundAnalysisRunStatus;
  const request = pass.analysis.request({ type: 'Background' }, canary.analysis, previous);
  if ('invalid' in request) {
    pass.invalid = `spec.strategy.canary.analysis: ${request.invalid}`;
    return;
  }
  const run = request.outcome;
  state.backgroundRun = run;
  if (run.phase === 'Failed' || run.phase === 'Error') abortFor(pass, state, run);
  else if (run.phase === 'Inconclusive') pauseForInconclusive(pass, state, run, previous?.status);
}

/** The current step completes when its condition holds, one step per pass. */
function progressCurrentStep(
  pass: RolloutPass,
  canary: CanaryStrategy,
  state: CanaryState,
  experiments: RolloutExperiments,
): void {
  const steps: readonly CanaryStep[] = canary.steps ?? [];
  const step = state.index < steps.length ? steps[state.index] : undefined;
  if (!step || state.aborted) return;
  const running = !pass.rollout.spec.paused;
  if (running && state.pauseConditions.length === 0) {
    if (step.experiment) experimentStep(pass, state, experiments, step, steps.length, false);
    else if (step.analysis) analysisStep(pass, state, step, steps.length);
    else {
      const stableRS = pass.stableRS;
      const index = state.index;
      const others = pass.owned.filter((rs) => rs !== pass.newRS && rs !== stableRS);
      applyStepProgress(pass, state, step, steps.length, () =>
        canary.trafficRouting
          ? trafficStepReached(pass, stableRS, index, weightAtStep(steps, index))
          : atDesiredCounts(pass, canary, weightAtStep(steps, index), stableRS, others),
      );
      const next = steps[state.index];
      if (next && pausesOnArrival(step, index, state.index, next)) {
        applyStepProgress(pass, state, next, steps.length, () => false);
      }
    }
  } else if (step.experiment) {
    // Paused at an experiment step (by hand, or inconclusive): it keeps running, as in Argo.
    experimentStep(pass, state, experiments, step, steps.length, true);
  } else if (step.analysis) {
    // Paused at an analysis step (inconclusive, or by hand): report its run, keep it running.
    state.stepRun = pass.analysis.keep({ type: 'Step', stepIndex: state.index });
  } else if (running && step.pause) {
    // A pause step whose pause condition is already set: check its timer or a resume.
    applyStepProgress(pass, state, step, steps.length, () => false);
  }
}

/**
 * The step just completed in this pass is followed by a pause step: the pass sets that pause
 * too, so the status goes from one step to the paused next one in one write (issue 22: status
 * writes per update). Argo gets there in two reconciles (reconcileCanaryPause runs before the
 * step completes, so it sees the pause step only on the next one) and writes the unpaused step
 * in between, which no reader waits for: the Events (RolloutStepCompleted, then RolloutPaused)
 * and the Paused status are the same. Only from a step that completes unpaused (setWeight and
 * the like): a pause completing into another pause keeps its Resumed and Paused Events apart.
 */
export function pausesOnArrival(
  completed: CanaryStep,
  indexBefore: number,
  indexAfter: number,
  next: CanaryStep,
): boolean {
  return indexAfter === indexBefore + 1 && next.pause !== undefined && completed.pause === undefined;
}

function applyStepProgress(
  pass: RolloutPass,
  state: CanaryState,
  step: CanaryStep,
  stepCount: number,
  atDesiredCounts: () => boolean,
): void {
  const progress = progressStep({
    step,
    index: state.index,
    stepCount,
    pauseConditions: state.pauseConditions,
    controllerPause: state.controllerPause,
    now: pass.now,
    atDesiredCounts,
  });
  state.index = progress.index;
  state.pauseConditions = progress.pauseConditions;
  state.controllerPause = progress.controllerPause;
  for (const event of progress.events) pass.events.push(event);
  if (progress.requeueAfterMs !== undefined) pass.requeueAfterMs(progress.requeueAfterMs);
}

/** An experiment step completes when its Experiment succeeds; a failed one aborts. */
function experimentStep(
  pass: RolloutPass,
  state: CanaryState,
  experiments: RolloutExperiments,
  step: CanaryStep,
  stepCount: number,
  paused: boolean,
): void {
  const inconclusivePaused = state.pauseConditions.some((p) => p.reason === 'InconclusiveExperiment');
  const outcome = experiments.request(step.experiment!, state.index, inconclusivePaused);
  if (outcome.kind === 'abort') {
    state.aborted = true;
    pass.abortReason = outcome.message;
  } else if (outcome.kind === 'inconclusive' && !inconclusivePaused) {
    state.pauseConditions = [
      ...state.pauseConditions,
      { reason: 'InconclusiveExperiment', startTime: pass.nowText },
    ];
    // The Paused condition's RolloutPaused Event names the reason (conditions.ts).
    state.controllerPause = true;
  } else if (outcome.kind === 'successful' && !paused) {
    pass.emit('RolloutStepCompleted', `Rollout step ${state.index + 1}/${stepCount} completed (experiment)`);
    state.index += 1;
    state.controllerPause = false;
  }
}

/** An analysis step blocks until its run ends: Successful completes the step. */
function analysisStep(pass: RolloutPass, state: CanaryState, step: CanaryStep, stepCount: number): void {
  const previous = pass.previous.canary?.currentStepAnalysisRunStatus;
  const request = pass.analysis.request({ type: 'Step', stepIndex: state.index }, step.analysis!, previous);
  if ('invalid' in request) {
    pass.invalid = `spec.strategy.canary.steps[${state.index}].analysis: ${request.invalid}`;
    return;
  }
  const run = request.outcome;
  state.stepRun = run;
  const promotedAfterInconclusive = run.phase === 'Inconclusive' && previous?.status === 'Inconclusive';
  if (run.phase === 'Successful' || promotedAfterInconclusive) {
    pass.emit('RolloutStepCompleted', `Rollout step ${state.index + 1}/${stepCount} completed (analysis)`);
    state.index += 1;
    state.controllerPause = false;
    state.stepRun = undefined;
  } else if (run.phase === 'Failed' || run.phase === 'Error') abortFor(pass, state, run);
  else if (run.phase === 'Inconclusive') pauseForInconclusive(pass, state, run, undefined);
}

/** An abort takes the canary back to the first step (0 pods) and ends any pause. */
function settleAbort(pass: RolloutPass, state: CanaryState, stepCount: number): void {
  if (!state.aborted) return;
  if (stepCount > 0) state.index = state.stableHash === pass.hash ? stepCount : 0;
  state.pauseConditions = [];
  state.controllerPause = false;
  state.abortedAt ??= pass.nowText;
  if (!(pass.previous.conditions ?? []).some((c) => c.reason === Reason.Aborted)) {
    const reason = pass.abortReason ? `: ${pass.abortReason}` : '';
    pass.emit('RolloutAborted', `Rollout aborted update to revision ${pass.revision}${reason}`, 'Warning');
  }
}

interface CanaryRouting {
  weights: NonNullable<RolloutStatus['canary']>['weights'];
  /** Point canaryService at the stable pods (abort). */
  canaryServiceToStable: boolean;
  /** Leave canaryService where it is (rolling back to stable under dynamicStableScale). */
  holdCanaryService: boolean;
}

/**
 * Replica counts for the weight in force at `scalingIndex`: through the routers with traffic
 * routing (canary-traffic.ts), else the basic split, older ReplicaSets draining within
 * maxUnavailable.
 */
function scaleCanary(
  pass: RolloutPass,
  canary: CanaryStrategy,
  state: CanaryState,
  scalingIndex: number,
  experimentDestinations: readonly WeightDestination[],
): CanaryRouting {
  const { previous, hash, newRS, replicas } = pass;
  const promoted = state.stableHash === hash;
  const stable = promoted ? newRS : pass.stableRS;
  const older = pass.owned.filter((rs) => rs !== newRS && rs !== stable);
  if (canary.trafficRouting) {
    const routed = planTrafficRoutedCanary(
      pass,
      canary,
      {
        index: state.index,
        aborted: state.aborted,
        promoteFull: state.promoteFull,
        stableHash: state.stableHash,
        stablePingPong: state.stablePingPong,
      },
      stable,
      older,
      experimentDestinations,
    );
    return {
      weights: routed.weights,
      canaryServiceToStable: routed.canaryServiceToStable,
      holdCanaryService: routed.holdCanaryService ?? false,
    };
  }
  // trafficRouting just removed (weights still in status): Argo's Istio controller cleans the
  // DestinationRules the Rollout no longer references.
  if (previous.canary?.weights) pass.actions.push({ kind: 'releaseDestinationRules' });
  const weight = state.aborted ? 0 : promoted ? 100 : weightAtStep(canary.steps ?? [], scalingIndex);
  const limits = {
    replicas,
    ...(canary.maxSurge !== undefined ? { maxSurge: canary.maxSurge } : {}),
    ...(canary.maxUnavailable !== undefined ? { maxUnavailable: canary.maxUnavailable } : {}),
    canary: asObservedReplicaSet(newRS),
    ...(stable ? { stable: asObservedReplicaSet(stable) } : {}),
    others: older.map(asObservedReplicaSet),
  };
  const counts = basicCanaryReplicaCounts({ ...limits, weight });
  pass.scaleTo(newRS, counts.canary);
  if (stable && stable !== newRS) pass.scaleTo(stable, counts.stable);
  for (const target of drainOlderReplicaSets(limits)) {
    const rs = older.find((o) => o.metadata?.name === target.name);
    if (rs) pass.scaleTo(rs, target.replicas);
  }
  // Argo points canaryService back at the stable pods on abort (reconcileStableAndCanaryService).
  return { weights: undefined, canaryServiceToStable: state.aborted, holdCanaryService: false };
}

/** The stable, canary and ping/pong Services' selectors. */
function reconcileCanaryServices(
  pass: RolloutPass,
  canary: CanaryStrategy,
  state: CanaryState,
  routing: CanaryRouting,
): void {
  const { hash } = pass;
  const stableHash = state.stableHash;
  const services = new Map<string, { hash: string | undefined; minAvailable: number }>();
  if (canary.stableService) services.set(canary.stableService, { hash: stableHash, minAvailable: 1 });
  if (canary.pingPong) {
    // Argo's reconcilePingAndPongService: the canary side follows the new pods while updating;
    // otherwise the ping and pong Services keep their selectors (no hash: left as they are).
    const pingPong = routedServices({
      ...pass.rollout,
      status: { canary: { stablePingPong: state.stablePingPong } },
    });
    services.set(pingPong.stable, { hash: undefined, minAvailable: 0 });
    services.set(pingPong.canary, { hash: stableHash !== hash ? hash : undefined, minAvailable: 0 });
  }
  if (canary.canaryService) {
    services.set(
      canary.canaryService,
      routing.canaryServiceToStable
        ? { hash: stableHash, minAvailable: 0 }
        : { hash: routing.holdCanaryService ? undefined : hash, minAvailable: 1 },
    );
  }
  pass.reconcileServices(services);
}

/** The strategy fields of the new status. */
function canaryStatus(
  pass: RolloutPass,
  state: CanaryState,
  stepCount: number,
  currentStepHash: string,
  canary: { weights: CanaryRouting['weights']; currentExperiment: string | undefined },
): RolloutStatus {
  const { previous, hash } = pass;
  const { pauseConditions, aborted, stepRun, backgroundRun } = state;
  return {
    currentPodHash: hash,
    currentStepHash,
    stableRS: state.stableHash,
    currentStepIndex: stepCount > 0 ? state.index : undefined,
    pauseConditions: pauseConditions.length > 0 ? pauseConditions : undefined,
    // Argo keeps controllerPause only beside a pause condition (pause.go CalculatePauseConditions):
    // a promote that clears the conditions while spec.paused holds the step then restarts its pause.
    controllerPause: (pauseConditions.length > 0 && state.controllerPause) || undefined,
    abort: aborted || undefined,
    abortedAt: aborted ? state.abortedAt : undefined,
    promoteFull: state.promoteFull || undefined,
    canary: withoutEmpty({
      ...previous.canary,
      stablePingPong: state.stablePingPong,
      weights: canary.weights,
      currentExperiment: canary.currentExperiment,
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
  // Argo's AtDesiredReplicaCountsForCanary asks the stable set only to have its pods, not to
  // have them ready (e2e TestRolloutBadToGoodSetWeightUpdate: a crash-looping stable set).
  if (stableRS && !isCreatedAt(stableRS, desired.stable)) return false;
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
