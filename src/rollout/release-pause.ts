// A pause released from Git: when the Rollout carries the annotation
// slipway.dev/release-pause naming the paused revision (and, for a canary, the step), the
// pass treats it as a person's promote. Git-sync's promotion pipeline writes it when the
// "promote" pull request for that pause is merged, so a code review can be the gate.
//   canary:     "<currentPodHash>/<currentStepIndex>" releases a CanaryPauseStep of an indefinite pause
//   blue-green: "<currentPodHash>" releases a BlueGreenPause
// It never releases an aborted rollout, nor any revision or step other than the one it names.
import { RELEASE_PAUSE_ANNOTATION } from '../api/labels.js';
import type { ObservedRolloutObject } from './pass.js';

/** The Rollout as the pass should see it: with the named pause released, if it applies. */
export function withDeclarativeRelease(rollout: ObservedRolloutObject): ObservedRolloutObject {
  const value = rollout.metadata.annotations?.[RELEASE_PAUSE_ANNOTATION];
  const status = rollout.status;
  if (!value || !status || status.abort || !status.currentPodHash) return rollout;
  const { canary, blueGreen } = rollout.spec.strategy;
  let reason: 'CanaryPauseStep' | 'BlueGreenPause' | undefined;
  if (canary && value === `${status.currentPodHash}/${status.currentStepIndex ?? 0}`) {
    const step = canary.steps?.[status.currentStepIndex ?? 0];
    if (step?.pause && step.pause.duration === undefined) reason = 'CanaryPauseStep';
  } else if (blueGreen && value === status.currentPodHash) {
    reason = 'BlueGreenPause';
  }
  if (!reason || !status.pauseConditions?.some((p) => p.reason === reason)) return rollout;
  const pauseConditions = status.pauseConditions.filter((p) => p.reason !== reason);
  return {
    ...rollout,
    status: { ...status, pauseConditions: pauseConditions.length > 0 ? pauseConditions : undefined },
  };
}
