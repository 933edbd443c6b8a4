// The Rollout's side of analysis: which AnalysisRuns a pass needs (a canary analysis step,
// the background analysis, blue-green's pre- and post-promotion gates), creating the ones
// that do not exist yet from the templates in the caches, reading their outcome, stopping
// runs that no longer matter, and keeping only spec.analysis' history limits of old runs.

import { isCompleted } from '../analysis/phases.js';
import { analysisRunStatusEvent } from '../analysis/rollout-events.js';
import {
  type AnalysisRunType,
  type AvailableTemplates,
  analysisRunForRollout,
  analysisRunName,
  collisionName,
} from '../analysis/run-from-templates.js';
import type { AnalysisPhase, AnalysisRun } from '../api/analysis.js';
import {
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  ROLLOUT_TYPE_LABEL,
  STEP_INDEX_LABEL,
} from '../api/labels.js';
import type { Rollout, RolloutAnalysis, RolloutStatus } from '../api/rollout.js';

export interface ObservedAnalysis {
  /** AnalysisRuns owned by this Rollout. */
  runs: readonly AnalysisRun[];
  templates: AvailableTemplates;
  instanceId?: string;
}

/** The AnalysisRun writes a pass plans. */
export type AnalysisRunAction =
  | { kind: 'createAnalysisRun'; run: AnalysisRun }
  | { kind: 'terminateAnalysisRun'; name: string }
  | { kind: 'deleteAnalysisRun'; name: string };

/**
 * What the AnalysisRuns of a pass read from it and plan into it (a RolloutPass is one), so this
 * module needs no import of the pass that holds it.
 */
export interface AnalysisPass {
  readonly rollout: Rollout & { metadata: { name: string; namespace: string; uid: string } };
  readonly hash: string;
  readonly revision: number;
  readonly previous: RolloutStatus;
  readonly actions: { push(action: AnalysisRunAction): unknown };
  emit(reason: string, message: string, type?: 'Normal' | 'Warning'): void;
}

/** What a pass learns of one run: enough for status.canary/blueGreen and the decisions. */
export interface RunOutcome {
  name: string;
  phase: AnalysisPhase;
  message?: string;
}

export type RunRequest = { outcome: RunOutcome } | { invalid: string };

const DEFAULT_HISTORY_LIMIT = 5;
function matches(run: AnalysisRun, type: AnalysisRunType, hash: string, revision: string): boolean {
  const labels = run.metadata?.labels ?? {};
  if (labels[ROLLOUT_TYPE_LABEL] !== type.type || labels[POD_TEMPLATE_HASH_LABEL] !== hash) return false;
  // A template rolled out again (re-promoted after a failure) is a new revision with the same pod
  // hash: like Argo, it gets a fresh run rather than the old revision's outcome.
  const runRevision = run.metadata?.annotations?.[REVISION_ANNOTATION];
  if (runRevision !== undefined && runRevision !== revision) return false;
  return type.type !== 'Step' || labels[STEP_INDEX_LABEL] === String(type.stepIndex);
}

function outcomeOf(run: AnalysisRun): RunOutcome {
  return {
    name: run.metadata?.name ?? '',
    phase: run.status?.phase ?? 'Pending',
    ...(run.status?.message ? { message: run.status.message } : {}),
  };
}

/** A failed or errored run, as the reason in the abort message. */
export function abortReason(outcome: RunOutcome): string {
  return `AnalysisRun '${outcome.name}' ${outcome.phase}${outcome.message ? `: ${outcome.message}` : ''}`;
}

/**
 * The analysis-run protocol of one pass, three verbs in this order: `request` each run the pass
 * needs (the existing run for the current template, or one created now); `keep` a run whose
 * outcome still decides something without creating one (a paused analysis step, a blue-green
 * gate); `finish` once, at the end: unfinished runs nobody requested or kept are terminated and
 * finished ones beyond spec.analysis' history limits deleted.
 */
export interface AnalysisRunProtocol {
  request(
    type: AnalysisRunType,
    analysis: RolloutAnalysis,
    previousStatus: { name: string; status?: string } | undefined,
  ): RunRequest;
  keep(type: AnalysisRunType): RunOutcome | undefined;
  finish(): void;
}

export class RolloutAnalysisRuns implements AnalysisRunProtocol {
  private readonly pass: AnalysisPass;
  private readonly observed: ObservedAnalysis;
  /** Names of runs this pass still needs; every other unfinished run is terminated. */
  private readonly needed = new Set<string>();

  constructor(pass: AnalysisPass, observed: ObservedAnalysis | undefined) {
    this.pass = pass;
    this.observed = observed ?? {
      runs: [],
      templates: { analysisTemplates: [], clusterAnalysisTemplates: [] },
    };
  }

  /** The existing run of this type for the current template, if any (the latest attempt). */
  find(type: AnalysisRunType): AnalysisRun | undefined {
    return this.attempts(type)[0];
  }

  /**
   * Every run of this type for the current template, the latest attempt first. A run made for an
   * earlier revision of the same template (a rollback outside the rollbackWindow, a
   * re-promotion) does not count: Argo names runs per revision and resets the current ones on
   * every template change, so the steps measure again. A retried attempt is named
   * `<name>.<n>` (Argo's CreateWithCollisionCounter), so the highest n is the latest.
   */
  private attempts(type: AnalysisRunType): AnalysisRun[] {
    const revision = String(this.pass.revision);
    const base = analysisRunName(this.pass.rollout?.metadata?.name ?? '', this.pass.hash, revision, type);
    const attempt = (run: AnalysisRun) => {
      const name = run.metadata?.name ?? '';
      const suffix = name.startsWith(`${base}.`) ? name.slice(base.length + 1) : '';
      return /^[0-9]+$/.test(suffix) ? Number(suffix) : 0;
    };
    return this.observed.runs
      .filter((run) => matches(run, type, this.pass.hash, revision) && !run.metadata?.deletionTimestamp)
      .sort((a, b) => attempt(b) - attempt(a));
  }

  /** The run the previous status holds as the current one of this type. */
  private recorded(type: AnalysisRunType): string | undefined {
    const previous = this.pass.previous ?? {};
    switch (type.type) {
      case 'Step':
        return previous.canary?.currentStepAnalysisRunStatus?.name;
      case 'Background':
        return previous.canary?.currentBackgroundAnalysisRunStatus?.name;
      case 'PrePromotion':
        return previous.blueGreen?.prePromotionAnalysisRunStatus?.name;
      case 'PostPromotion':
        return previous.blueGreen?.postPromotionAnalysisRunStatus?.name;
    }
  }

  /**
   * The run whose outcome decides this pass, as Argo's needsNewAnalysisRun chooses: after a
   * retry (status.abortedAt still set, abort cleared) a finished run belongs to the aborted
   * attempt and a new one is made; a canary's status forgets its runs on abort, so a finished
   * canary run the status does not name is from such an attempt too. An unfinished run the
   * status does not name yet is ours from a pass whose status write we have not seen.
   */
  private current(type: AnalysisRunType): AnalysisRun | undefined {
    const attempts = this.attempts(type);
    const unfinished = attempts.filter((run) => !isCompleted(run.status?.phase) && !run.spec?.terminate);
    const previous = this.pass.previous ?? {};
    if (previous.abortedAt && previous.abort !== true) return unfinished[0];
    const recorded = this.recorded(type);
    const named = recorded ? attempts.find((run) => run.metadata?.name === recorded) : undefined;
    if (named) return named;
    if (type.type === 'Step' || type.type === 'Background') return unfinished[0];
    return attempts[0];
  }

  /**
   * The run of this type for the current template: the existing one, or one created now
   * (reported Pending). `previousStatus` is what status.canary/blueGreen held, for the
   * AnalysisRun<Phase> Event on a change.
   */
  request(
    type: AnalysisRunType,
    analysis: RolloutAnalysis,
    previousStatus: { name: string; status?: string } | undefined,
  ): RunRequest {
    const existing = this.current(type);
    if (existing) {
      this.needed.add(existing.metadata?.name ?? '');
      const outcome = outcomeOf(existing);
      const event = analysisRunStatusEvent(
        previousStatus,
        { name: outcome.name, phase: outcome.phase },
        type.type,
      );
      if (event) this.pass.emit(event.reason, event.message, event.type);
      return { outcome };
    }
    const built = analysisRunForRollout({
      rollout: this.pass.rollout,
      analysis,
      runType: type,
      latestPodHash: this.pass.hash,
      ...(this.pass.previous.stableRS ? { stablePodHash: this.pass.previous.stableRS } : {}),
      revision: String(this.pass.revision),
      templates: this.observed.templates,
      ...(this.observed.instanceId ? { instanceId: this.observed.instanceId } : {}),
    });
    if (!built.ok) return { invalid: built.error };
    // Another attempt at the same revision (a retry) gets the next free `.n` name, as in Argo.
    const taken = new Set(this.observed.runs.map((run) => run.metadata?.name));
    const base = built.run.metadata?.name ?? '';
    let name = base;
    for (let n = 1; taken.has(name); n++) name = collisionName(base, n);
    if (name !== base) built.run.metadata = { ...built.run.metadata, name };
    this.needed.add(name);
    this.pass.actions.push({ kind: 'createAnalysisRun', run: built.run });
    return { outcome: { name, phase: 'Pending' } };
  }

  /** Keeps a finished run of this type (its outcome still decides the step) from clean-up. */
  keep(type: AnalysisRunType): RunOutcome | undefined {
    const run = this.current(type);
    if (!run) return undefined;
    this.needed.add(run.metadata?.name ?? '');
    return outcomeOf(run);
  }

  /**
   * End of the pass: terminates unfinished runs nobody needs any more (an older template,
   * a completed or aborted update) and deletes finished ones beyond the history limits.
   */
  finish(): void {
    const unfinished = this.observed.runs.filter(
      (run) =>
        !isCompleted(run.status?.phase) && !this.needed.has(run.metadata?.name ?? '') && !run.spec.terminate,
    );
    for (const run of unfinished)
      this.pass.actions.push({ kind: 'terminateAnalysisRun', name: run.metadata?.name ?? '' });

    const limits = this.pass.rollout.spec.analysis;
    const byAge = (a: AnalysisRun, b: AnalysisRun) =>
      Date.parse(b.metadata?.creationTimestamp ?? '') - Date.parse(a.metadata?.creationTimestamp ?? '');
    const finished = this.observed.runs
      .filter(
        (run) =>
          isCompleted(run.status?.phase) &&
          !this.needed.has(run.metadata?.name ?? '') &&
          !run.metadata?.deletionTimestamp,
      )
      .sort(byAge);
    const successful = finished.filter((run) => run.status?.phase === 'Successful');
    const unsuccessful = finished.filter((run) => run.status?.phase !== 'Successful');
    const excess = [
      ...successful.slice(limits?.successfulRunHistoryLimit ?? DEFAULT_HISTORY_LIMIT),
      ...unsuccessful.slice(limits?.unsuccessfulRunHistoryLimit ?? DEFAULT_HISTORY_LIMIT),
    ];
    for (const run of excess)
      this.pass.actions.push({ kind: 'deleteAnalysisRun', name: run.metadata?.name ?? '' });
  }
}
