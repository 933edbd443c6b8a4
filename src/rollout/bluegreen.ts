// The blue-green strategy's part of a pass, in Argo Rollouts' order (rollout/bluegreen.go,
// rollout/service.go, rollout/replicaset.go): the preview Service follows the new ReplicaSet at
// once; the new ReplicaSet scales to previewReplicaCount (or replicas) while the active Service
// stays on the stable one; once the new set is ready the rollout pauses if asked to
// (BlueGreenPause), passes the pre-promotion gate, scales to full size and switches the active
// Service; after the post-promotion gate the new set is stable, and older sets scale down once
// their scale-down-deadline passes. An abort keeps (or puts back) the active Service on the
// stable set and scales the preview down after abortScaleDownDelaySeconds.
import type { AnalysisRunType } from '../analysis/run-from-templates.js';
import type { AnalysisPhase } from '../api/analysis.js';
import { POD_TEMPLATE_HASH_LABEL } from '../api/labels.js';
import type { BlueGreenStrategy, RolloutStatus } from '../api/rollout.js';
import type { StrategyResult } from './canary.js';
import {
  formatTime,
  type ObservedRollout,
  type RolloutPass,
  scaleDownDeadlineOf,
  selectorString,
} from './pass.js';
import { availableReplicas, specReplicas } from './replicasets.js';
import { Reason } from './status.js';
import type { ReplicaSet, Service } from './workload-types.js';

type PauseConditions = NonNullable<RolloutStatus['pauseConditions']>;
type BlueGreenStatus = NonNullable<RolloutStatus['blueGreen']>;

export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;
export const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = 30;

// The promotion gates: prePromotionAnalysis (before the active switch) and
// postPromotionAnalysis (after it, before the new set is marked stable).

/** The AnalysisRun of one promotion stage for the current pod hash. */
export interface AnalysisRunOutcome {
  name: string;
  phase: AnalysisPhase;
  message?: string;
}

export type PromotionStage = 'prePromotion' | 'postPromotion';

/**
 * What the analysis module observed for this pass: the run of each stage for the current pod
 * hash, if one exists. planRollout passes none until that module is wired in, and then a
 * configured gate waits: it is never skipped.
 */
export interface PromotionAnalysis {
  prePromotion?: AnalysisRunOutcome;
  postPromotion?: AnalysisRunOutcome;
}

export type PromotionGateDecision =
  | { verdict: 'proceed' }
  /** startRun: no run exists for this gate yet (or a person resumed an inconclusive one). */
  | { verdict: 'wait'; startRun: boolean; message?: string }
  /** Inconclusive: pause with InconclusiveAnalysisRun until a person resumes. */
  | { verdict: 'pause' }
  /** Failed or Error: abort; the active Service goes back to the stable set. */
  | { verdict: 'abort'; message: string };

export interface PromotionGateInput {
  stage: PromotionStage;
  /** spec.strategy.blueGreen.<stage>Analysis is set. */
  configured: boolean;
  /** The analysis module reports runs (false until it is wired in). */
  wired: boolean;
  /** The stage's run for the current pod hash; undefined when none was started. */
  run: AnalysisRunOutcome | undefined;
  /** A person resumed the rollout after this run paused it as inconclusive. */
  resumedAfterInconclusive: boolean;
}

/** The decision at a promotion gate, from the analysis outcome. */
export function promotionGateDecision(input: PromotionGateInput): PromotionGateDecision {
  const { stage, run } = input;
  if (!input.configured) return { verdict: 'proceed' };
  if (!input.wired) {
    return {
      verdict: 'wait',
      startRun: false,
      message: `waiting for ${stage}Analysis: this controller does not run AnalysisRuns yet (promote-full skips the analysis)`,
    };
  }
  if (!run) return { verdict: 'wait', startRun: true };
  switch (run.phase) {
    case 'Successful':
      return { verdict: 'proceed' };
    case 'Pending':
    case 'Running':
      return { verdict: 'wait', startRun: false };
    case 'Inconclusive':
      return input.resumedAfterInconclusive ? { verdict: 'wait', startRun: true } : { verdict: 'pause' };
    case 'Failed':
    case 'Error':
      return {
        verdict: 'abort',
        message: run.message || `${stage} AnalysisRun '${run.name}' ended ${run.phase}`,
      };
  }
}

export interface BlueGreenResult extends StrategyResult {
  /** Set while a promotion gate holds the rollout and says why (shown as status.message). */
  waitingFor?: string;
  /** A promotion gate needs its AnalysisRun created (for the analysis module). */
  startAnalysis?: PromotionStage;
}

/**
 * What validateRollout does not check of blue-green: maxUnavailable's form (restarts use it),
 * and that the Services it names exist (InvalidSpec, as in Argo Rollouts; the controller looks
 * again when a named Service appears).
 */
export function blueGreenSpecProblem(observed: ObservedRollout): string | undefined {
  const blueGreen = observed.rollout.spec?.strategy?.blueGreen;
  if (!blueGreen) return undefined;
  const { maxUnavailable } = blueGreen;
  if (
    maxUnavailable !== undefined &&
    !(typeof maxUnavailable === 'number'
      ? Number.isInteger(maxUnavailable) && maxUnavailable >= 0
      : /^\d+%?$/.test(maxUnavailable))
  ) {
    return `spec.strategy.blueGreen.maxUnavailable must be a non-negative integer or a percentage like 25%, got '${maxUnavailable}'`;
  }
  const named: [string, string | undefined][] = [
    ['activeService', blueGreen.activeService],
    ['previewService', blueGreen.previewService],
  ];
  for (const [field, name] of named) {
    if (name && !observed.services.has(name)) {
      return `spec.strategy.blueGreen.${field}: Service '${name}' not found in namespace '${observed.rollout.metadata.namespace}': create it or correct the name`;
    }
  }
  return undefined;
}

function selectedHash(service: Service | undefined): string | undefined {
  return service?.spec?.selector?.[POD_TEMPLATE_HASH_LABEL] || undefined;
}

/** The ReplicaSet sizes of blue-green (utils/replicaset NewRSNewReplicas). */
function desiredNewReplicas(pass: RolloutPass, blueGreen: BlueGreenStrategy, promoteFull: boolean): number {
  const { previous, replicas, newRS, hash } = pass;
  const previewCount = blueGreen.previewReplicaCount;
  if (previewCount === undefined) return replicas;
  const activeRS = pass.replicaSetByHash(previous.blueGreen?.activeSelector);
  // Already the active set: past the promotion.
  if (!activeRS || activeRS === newRS || promoteFull) return replicas;
  // A new update starts at the preview size.
  if (previous.currentPodHash !== hash) return previewCount;
  const notPaused = !pass.rollout.spec.paused && (previous.pauseConditions?.length ?? 0) === 0;
  return notPaused && previous.blueGreen?.scaleUpPreviewCheckPoint ? replicas : previewCount;
}

/**
 * Blue-green with its promotion gates fed by this Rollout's pre/post-promotion AnalysisRuns:
 * the gates' runs are kept (their outcome decides), and the one a gate asks for is requested.
 */
export function planBlueGreenWithAnalysis(pass: RolloutPass, blueGreen: BlueGreenStrategy): BlueGreenResult {
  const keep = (type: AnalysisRunType) => pass.analysis.keep(type);
  const pre = keep({ type: 'PrePromotion' });
  const post = keep({ type: 'PostPromotion' });
  const result = planBlueGreen(pass, blueGreen, {
    ...(pre ? { prePromotion: pre } : {}),
    ...(post ? { postPromotion: post } : {}),
  });
  const stage = result.startAnalysis;
  const analysis =
    stage === 'prePromotion' ? blueGreen.prePromotionAnalysis : blueGreen.postPromotionAnalysis;
  if (stage && analysis) {
    const type: AnalysisRunType = { type: stage === 'prePromotion' ? 'PrePromotion' : 'PostPromotion' };
    const request = pass.analysis.request(type, analysis, undefined);
    if ('invalid' in request) pass.invalid = `spec.strategy.blueGreen.${stage}Analysis: ${request.invalid}`;
  }
  return result;
}

/** What a pass observed, fixed for the whole pass: the live selectors and the gates' decisions. */
interface BlueGreenPass {
  pass: RolloutPass;
  blueGreen: BlueGreenStrategy;
  analysis: PromotionAnalysis | undefined;
  /** The pod-template hash the active and preview Services select now. */
  liveActive: string | undefined;
  livePreview: string | undefined;
  stableRS: ReplicaSet | undefined;
  templateChanged: boolean;
  pre: PromotionGateDecision;
  post: PromotionGateDecision;
  /** The post-promotion gate applies: the active Service already runs the update. */
  postInPlay: boolean;
  /** spec.paused, or an inconclusive analysis run holds the rollout. */
  halted: boolean;
  /** spec.replicas and status.availableReplicas of the new ReplicaSet before this pass. */
  newSpecReplicas: number;
  newAvailable: number;
  /** Going back to a ReplicaSet still inside its scale-down delay skips the pause and analysis. */
  rollbackWithinDelay: boolean;
  /** Nothing to wait for before the switch: a rollback, promote-full, or no active set yet. */
  fastTracked: boolean;
}

/** The strategy fields of status that the pass moves along. */
interface BlueGreenState {
  pauseConditions: PauseConditions;
  controllerPause: boolean;
  aborted: boolean;
  abortedAt: string | undefined;
  promoteFull: boolean;
  /** status.blueGreen.scaleUpPreviewCheckPoint */
  checkpoint: boolean;
  stableHash: string | undefined;
}

export function planBlueGreen(
  pass: RolloutPass,
  blueGreen: BlueGreenStrategy,
  analysis?: PromotionAnalysis,
): BlueGreenResult {
  const state = startingState(pass);
  const bg = decidePromotionGates(pass, blueGreen, analysis, state);
  const desiredNew = scaleReplicaSets(bg, state);
  const pause = reconcileBlueGreenPause(bg, state, desiredNew);
  const selectors = reconcileBlueGreenServices(bg, state, pause);
  promoteIfDone(bg, state, selectors.active, pause.completed);
  return blueGreenResult(bg, state, selectors, pause);
}

/** A new template (or a first pass) starts the update over: no pause, abort or checkpoint. */
function startingState(pass: RolloutPass): BlueGreenState {
  const { previous, hash } = pass;
  const kept = !(previous.currentPodHash !== undefined && previous.currentPodHash !== hash);
  const aborted = kept && previous.abort === true;
  const state: BlueGreenState = {
    pauseConditions: kept ? [...(previous.pauseConditions ?? [])] : [],
    controllerPause: kept && previous.controllerPause === true,
    aborted,
    abortedAt: aborted ? previous.abortedAt : undefined,
    promoteFull: kept && previous.promoteFull === true && previous.stableRS !== hash,
    checkpoint: kept && previous.blueGreen?.scaleUpPreviewCheckPoint === true,
    stableHash: previous.stableRS,
  };
  if (state.promoteFull) {
    state.pauseConditions = [];
    state.aborted = false;
    state.abortedAt = undefined;
  }
  return state;
}

/**
 * Reads the live selectors and decides the promotion gates; a gate in play that failed aborts,
 * one that was inconclusive pauses. An outcome only counts while its stage is in play.
 */
function decidePromotionGates(
  pass: RolloutPass,
  blueGreen: BlueGreenStrategy,
  analysis: PromotionAnalysis | undefined,
  state: BlueGreenState,
): BlueGreenPass {
  const { previous, hash, newRS, rollout } = pass;
  const services = pass.observed.services;
  const liveActive = selectedHash(services.get(blueGreen.activeService));
  const livePreview = blueGreen.previewService
    ? selectedHash(services.get(blueGreen.previewService))
    : undefined;
  const stableRS = pass.stableRS;
  const gate = (stage: PromotionStage, configured: boolean, run: AnalysisRunOutcome | undefined) =>
    promotionGateDecision({
      stage,
      configured,
      wired: analysis !== undefined,
      run,
      resumedAfterInconclusive: state.controllerPause && state.pauseConditions.length === 0,
    });
  const pre = gate('prePromotion', blueGreen.prePromotionAnalysis !== undefined, analysis?.prePromotion);
  const post = gate('postPromotion', blueGreen.postPromotionAnalysis !== undefined, analysis?.postPromotion);
  const updating =
    stableRS !== undefined && state.stableHash !== hash && !state.promoteFull && !state.aborted;
  const preInPlay = updating && liveActive !== undefined && liveActive !== hash;
  const postInPlay = updating && liveActive === hash;
  for (const [inPlay, decision] of [
    [preInPlay, pre],
    [postInPlay, post],
  ] as const) {
    if (!inPlay) continue;
    if (decision.verdict === 'abort') {
      state.aborted = true;
      state.abortedAt = pass.nowText;
    } else if (
      decision.verdict === 'pause' &&
      !state.pauseConditions.some((p) => p.reason === 'InconclusiveAnalysisRun')
    ) {
      state.pauseConditions.push({ reason: 'InconclusiveAnalysisRun', startTime: pass.nowText });
      state.controllerPause = true;
    }
  }
  if (state.aborted) {
    // An abort ends any pause (as in Argo); retry starts the pause over.
    state.pauseConditions = [];
    state.controllerPause = false;
    state.abortedAt ??= pass.nowText;
    if (!(previous.conditions ?? []).some((c) => c.reason === Reason.Aborted)) {
      pass.emit('RolloutAborted', `Rollout aborted update to revision ${pass.revision}`, 'Warning');
    }
  }
  const rollbackWithinDelay = scaleDownDeadlineOf(newRS) !== undefined && previous.currentPodHash !== hash;
  return {
    pass,
    blueGreen,
    analysis,
    liveActive,
    livePreview,
    stableRS,
    templateChanged: previous.currentPodHash !== undefined && previous.currentPodHash !== hash,
    pre,
    post,
    postInPlay,
    halted:
      rollout.spec.paused === true ||
      state.pauseConditions.some((p) => p.reason === 'InconclusiveAnalysisRun'),
    // Observed before this pass changes anything.
    newSpecReplicas: specReplicas(newRS),
    newAvailable: availableReplicas(newRS),
    rollbackWithinDelay,
    fastTracked: rollbackWithinDelay || state.promoteFull || liveActive === undefined || liveActive === hash,
  };
}

/**
 * The ReplicaSets: the active set at full size, the new one at its preview or full size (kept
 * up for abortScaleDownDelaySeconds after an abort), older ones scaled down after their delay.
 * Returns the size the new set should have.
 */
function scaleReplicaSets(bg: BlueGreenPass, state: BlueGreenState): number {
  const { pass, blueGreen, stableRS, liveActive, newSpecReplicas } = bg;
  const { previous, newRS, replicas, now } = pass;
  const nowMs = now.getTime();
  const abortDelaySeconds = blueGreen.abortScaleDownDelaySeconds ?? DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS;
  const delayAbortScaleDown =
    state.aborted && stableRS !== undefined && stableRS !== newRS && abortDelaySeconds > 0;
  const setDeadline = (rs: ReplicaSet, value: string | null) => pass.setScaleDownDeadline(rs, value);
  // The new and stable sets are not waiting to scale down (any more).
  if (!delayAbortScaleDown && scaleDownDeadlineOf(newRS) !== undefined) setDeadline(newRS, null);
  if (stableRS && stableRS !== newRS && scaleDownDeadlineOf(stableRS) !== undefined)
    setDeadline(stableRS, null);

  // The set the active Service selects runs at full size.
  const liveActiveRS = pass.replicaSetByHash(liveActive);
  if (liveActiveRS && liveActiveRS !== newRS) pass.scaleTo(liveActiveRS, replicas);

  const desiredNew =
    liveActiveRS === newRS ? replicas : desiredNewReplicas(pass, blueGreen, state.promoteFull);
  let newTarget = desiredNew;
  if (delayAbortScaleDown) {
    // Aborted: the preview stays up for abortScaleDownDelaySeconds once stable is at full size.
    newTarget = newSpecReplicas;
    const deadline = scaleDownDeadlineOf(newRS);
    if (deadline === undefined) {
      if (newSpecReplicas > 0 && availableReplicas(stableRS) >= replicas) {
        setDeadline(newRS, formatTime(new Date(nowMs + abortDelaySeconds * 1000)));
        pass.requeueAfterMs(abortDelaySeconds * 1000);
      }
    } else if (Number.isNaN(deadline) || deadline <= nowMs) {
      newTarget = 0;
      setDeadline(newRS, null);
    } else {
      pass.requeueAfterMs(deadline - nowMs);
    }
  }
  // Argo's rolloutBlueGreen: a new template's ReplicaSet is created (at 0) in a pass that only
  // syncs the status; it scales up on the next one (RolloutNotCompleted, then ScalingReplicaSet).
  if (!(bg.templateChanged && pass.creatingNewRS)) pass.scaleTo(newRS, newTarget);

  const referenced = new Set(
    [
      previous.stableRS,
      previous.currentPodHash,
      previous.blueGreen?.activeSelector,
      previous.blueGreen?.previewSelector,
      liveActive,
      bg.livePreview,
    ].filter((h): h is string => Boolean(h)),
  );
  const holdOthers =
    state.pauseConditions.some((p) => p.reason === 'InconclusiveAnalysisRun') ||
    (blueGreen.postPromotionAnalysis !== undefined &&
      blueGreen.scaleDownDelaySeconds === undefined &&
      bg.postInPlay &&
      bg.post.verdict !== 'proceed');
  if (!holdOthers) {
    const others = pass.owned.filter((rs) => rs !== newRS && rs !== stableRS);
    pass.scaleDownOlderReplicaSets(others, referenced, {
      delaySeconds: blueGreen.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS,
      revisionLimit: blueGreen.scaleDownDelayRevisionLimit,
    });
  }
  pass.cleanUpHistory([newRS, stableRS, liveActiveRS]);
  return desiredNew;
}

interface BlueGreenPause {
  /** The new set has its desired size, all available. */
  readyForPause: boolean;
  /** The new set has spec.replicas, all available. */
  saturated: boolean;
  /** The BlueGreenPause is over (or not needed): the switch may happen. */
  completed: boolean;
}

/** Argo's reconcileBlueGreenPause: once the new set is ready, pause if asked to, until promoted. */
function reconcileBlueGreenPause(
  bg: BlueGreenPass,
  state: BlueGreenState,
  desiredNew: number,
): BlueGreenPause {
  const { pass, blueGreen, newSpecReplicas, newAvailable } = bg;
  const { replicas } = pass;
  const nowMs = pass.now.getTime();
  const readyForPause = newSpecReplicas === desiredNew && newAvailable === desiredNew;
  const saturated = newSpecReplicas === replicas && newAvailable === replicas;
  const needsControllerPause =
    blueGreen.autoPromotionEnabled === false || (blueGreen.autoPromotionSeconds ?? 0) > 0;
  const withoutBlueGreenPause = () => state.pauseConditions.filter((p) => p.reason !== 'BlueGreenPause');
  let completed = false;
  if (!state.aborted && readyForPause && !bg.halted) {
    if (bg.fastTracked || state.checkpoint || !needsControllerPause) {
      state.pauseConditions = withoutBlueGreenPause();
      completed = true;
    } else if (bg.pre.verdict === 'proceed') {
      const pause = state.pauseConditions.find((p) => p.reason === 'BlueGreenPause');
      const autoSeconds =
        blueGreen.autoPromotionEnabled === false ? 0 : (blueGreen.autoPromotionSeconds ?? 0);
      if (pause && autoSeconds > 0) {
        const endsAt = Date.parse(pause.startTime) + autoSeconds * 1000;
        if (nowMs >= endsAt) {
          state.pauseConditions = withoutBlueGreenPause();
          completed = true;
        } else {
          pass.requeueAfterMs(endsAt - nowMs);
        }
      } else if (!pause && state.controllerPause) {
        // A person promoted (cleared the pause this controller set), or the timer ran out.
        completed = true;
      } else if (!pause) {
        state.pauseConditions = [
          ...state.pauseConditions,
          { reason: 'BlueGreenPause', startTime: pass.nowText },
        ];
        state.controllerPause = true;
        if (autoSeconds > 0) pass.requeueAfterMs(autoSeconds * 1000);
      }
    }
  }
  return { readyForPause, saturated, completed };
}

/**
 * Argo's reconcilePreviewService and reconcileActiveService: the preview follows the new set,
 * the active switches once the new set is saturated and the pause and pre-promotion gate are
 * done; an abort puts it back on the stable set. Returns the selectors after this pass.
 */
function reconcileBlueGreenServices(
  bg: BlueGreenPass,
  state: BlueGreenState,
  pause: BlueGreenPause,
): { active: string | undefined; preview: string | undefined } {
  const { pass, blueGreen, liveActive, halted } = bg;
  const { hash } = pass;
  let activeTarget = { hash: liveActive, minAvailable: 0 };
  if (!halted && !state.aborted && pause.readyForPause && pause.saturated) {
    if (bg.fastTracked || (pause.completed && bg.pre.verdict === 'proceed'))
      activeTarget = { hash, minAvailable: 0 };
  }
  if (state.aborted && bg.stableRS && state.stableHash)
    activeTarget = { hash: state.stableHash, minAvailable: 1 };
  const targets = new Map<string, { hash: string | undefined; minAvailable: number }>();
  if (blueGreen.previewService) {
    targets.set(blueGreen.previewService, { hash: halted ? undefined : hash, minAvailable: 0 });
  }
  targets.set(blueGreen.activeService, activeTarget);
  pass.reconcileServices(targets);
  const planned = (service: string, live: string | undefined) =>
    pass.actions.findLast(
      (a): a is Extract<typeof a, { kind: 'pointServiceAt' }> =>
        a.kind === 'pointServiceAt' && a.service === service,
    )?.hash ?? live;
  return {
    active: planned(blueGreen.activeService, liveActive),
    preview: blueGreen.previewService ? planned(blueGreen.previewService, bg.livePreview) : undefined,
  };
}

/** Argo's shouldFullPromote: why the new set becomes stable now, if it does. */
function promotionReason(
  bg: BlueGreenPass,
  state: BlueGreenState,
  activeSelector: string | undefined,
): string | undefined {
  const { pass, blueGreen } = bg;
  if (!bg.stableRS) return 'Initial deploy';
  // The active Service selects no set yet: the new one becomes stable, then active.
  if (activeSelector === undefined) return 'Initial deploy';
  if (activeSelector !== pass.hash) return undefined;
  if (state.promoteFull) return 'Full promotion requested';
  if (state.aborted) return undefined;
  if (!blueGreen.postPromotionAnalysis) return 'Completed blue-green update';
  if (bg.rollbackWithinDelay) return `Rollback to '${pass.newRS.metadata?.name ?? ''}' within scaleDownDelay`;
  return bg.post.verdict === 'proceed' ? 'Completed blue-green update' : undefined;
}

/** Marks the new set stable when promoted; otherwise moves the preview checkpoint along. */
function promoteIfDone(
  bg: BlueGreenPass,
  state: BlueGreenState,
  activeSelector: string | undefined,
  pauseCompleted: boolean,
): void {
  const { pass, blueGreen } = bg;
  const { hash } = pass;
  const promotion = promotionReason(bg, state, activeSelector);
  if (promotion) {
    state.pauseConditions = [];
    state.controllerPause = false;
    state.aborted = false;
    state.abortedAt = undefined;
    state.promoteFull = false;
    state.checkpoint = false;
    if (state.stableHash !== hash) {
      state.stableHash = hash;
      pass.emit(
        'RolloutCompleted',
        `Rollout completed update to revision ${pass.revision} (${hash}): ${promotion}`,
      );
    }
  } else if (blueGreen.previewReplicaCount === undefined) {
    state.checkpoint = false;
  } else if (!state.checkpoint) {
    // Once pause and pre-promotion gate are done at preview size, scale up to full (one way).
    state.checkpoint =
      pauseCompleted && bg.pre.verdict === 'proceed' && bg.newAvailable === blueGreen.previewReplicaCount;
  }
  // The pause this controller managed is over once the active Service runs the new set.
  if (activeSelector === hash && state.pauseConditions.length === 0) state.controllerPause = false;
}

/** The status, completion, and what a promotion gate waits for (status.message, a run to start). */
function blueGreenResult(
  bg: BlueGreenPass,
  state: BlueGreenState,
  selectors: { active: string | undefined; preview: string | undefined },
  pause: BlueGreenPause,
): BlueGreenResult {
  const { pass, blueGreen, analysis } = bg;
  const { hash, newRS, replicas } = pass;
  const { active: activeSelector, preview: previewSelector } = selectors;
  const activeRS = pass.replicaSetByHash(activeSelector);
  const runStatus = (run: AnalysisRunOutcome | undefined) =>
    run ? { name: run.name, status: run.phase, ...(run.message ? { message: run.message } : {}) } : undefined;
  const blueGreenStatus: BlueGreenStatus = Object.fromEntries(
    Object.entries({
      activeSelector,
      previewSelector,
      scaleUpPreviewCheckPoint: state.checkpoint || undefined,
      prePromotionAnalysisRunStatus: runStatus(analysis?.prePromotion),
      postPromotionAnalysisRunStatus: runStatus(analysis?.postPromotion),
    }).filter(([, v]) => v !== undefined),
  );
  const { pauseConditions, aborted, stableHash } = state;
  const status: RolloutStatus = {
    currentPodHash: hash,
    currentStepHash: undefined,
    currentStepIndex: undefined,
    canary: undefined,
    stableRS: stableHash,
    pauseConditions: pauseConditions.length > 0 ? pauseConditions : undefined,
    controllerPause: state.controllerPause || undefined,
    abort: aborted || undefined,
    abortedAt: aborted ? state.abortedAt : undefined,
    promoteFull: state.promoteFull || undefined,
    blueGreen: blueGreenStatus,
    // Availability and the HPA's view are the active set's, as Argo reports them.
    ...(activeRS
      ? {
          availableReplicas: activeRS.status?.availableReplicas ?? 0,
          readyReplicas: activeRS.status?.readyReplicas ?? 0,
          HPAReplicas: activeRS.status?.replicas ?? 0,
          selector: selectorString(activeRS.spec?.selector),
        }
      : {}),
  };

  const completed =
    stableHash === hash &&
    activeSelector === hash &&
    (!blueGreen.previewService || previewSelector === hash) &&
    (newRS.status?.replicas ?? 0) === replicas;

  let waitingFor: string | undefined;
  let startAnalysis: PromotionStage | undefined;
  const { pre, post } = bg;
  if (!aborted && !state.promoteFull && stableHash !== hash) {
    if (
      activeSelector !== hash &&
      pause.readyForPause &&
      !bg.fastTracked &&
      !bg.halted &&
      pre.verdict === 'wait'
    ) {
      waitingFor = pre.message;
      if (pre.startRun) startAnalysis = 'prePromotion';
    } else if (activeSelector === hash && post.verdict === 'wait') {
      waitingFor = post.message;
      if (post.startRun && pause.saturated) startAnalysis = 'postPromotion';
    }
  }
  return {
    status,
    completed,
    ...(waitingFor ? { waitingFor } : {}),
    ...(startAnalysis ? { startAnalysis } : {}),
  };
}
