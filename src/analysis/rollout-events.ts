// The Events a Rollout records about its AnalysisRuns (AnalysisRunRunning, AnalysisRunSuccessful,
// AnalysisRunFailed, AnalysisRunError, AnalysisRunInconclusive), with Argo Rollouts' wording,
// for the Rollout plan to emit when a run it tracks changes phase. The AnalysisRun controller
// itself records only completions on the run (plan.ts).
import type { AnalysisPhase } from '../api/analysis.js';
import type { AnalysisRunType } from './run-from-templates.js';

export interface AnalysisRunEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * The Event for a run's phase, or undefined when there is nothing new: emitted when the Rollout
 * had no status for this analysis yet, or had one for the same run with another phase.
 */
export function analysisRunStatusEvent(
  previous: { name: string; status?: AnalysisPhase | string } | undefined,
  run: { name: string; phase?: AnalysisPhase },
  runType: AnalysisRunType['type'],
): AnalysisRunEvent | undefined {
  if (!run.phase) return undefined;
  if (previous && (previous.name !== run.name || previous.status === run.phase)) return undefined;
  const before = previous?.status || 'NoPreviousStatus';
  return {
    type: run.phase === 'Failed' || run.phase === 'Error' ? 'Warning' : 'Normal',
    reason: `AnalysisRun${run.phase}`,
    message: `${runType} Analysis Run '${run.name}' Status New: '${run.phase}' Previous: '${before}'`,
  };
}
