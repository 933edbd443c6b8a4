// Analysis phases and their order, as Argo Rollouts ranks them: a run takes the worst phase of
// its metrics. Completed phases are the ones a measurement, metric or run ends in.
import type { AnalysisPhase } from '../api/analysis.js';

/** Best to worst. */
export const PHASE_ORDER: readonly AnalysisPhase[] = [
  'Successful',
  'Running',
  'Pending',
  'Inconclusive',
  'Error',
  'Failed',
];

const COMPLETED: ReadonlySet<string> = new Set<AnalysisPhase>([
  'Successful',
  'Failed',
  'Error',
  'Inconclusive',
]);

/** A phase a run, metric or measurement (or an Experiment, whose phases are the same) ends in. */
export function isCompleted(phase: string | undefined): boolean {
  return phase !== undefined && COMPLETED.has(phase);
}

/** Argo's IsWorse: a phase outside the order ranks as Successful. */
export function isWorse(current: AnalysisPhase, candidate: AnalysisPhase): boolean {
  return Math.max(0, PHASE_ORDER.indexOf(candidate)) > Math.max(0, PHASE_ORDER.indexOf(current));
}

export function worstPhase(phases: readonly AnalysisPhase[]): AnalysisPhase | undefined {
  let worst: AnalysisPhase | undefined;
  for (const phase of phases) {
    if (worst === undefined || isWorse(worst, phase)) worst = phase;
  }
  return worst;
}
