// The patches that drive an Experiment from outside, exactly as Argo Rollouts sends them, for
// the CLI and the Rollout controller: terminate (`kubectl argo rollouts terminate experiment`,
// Argo CD's terminate action, and a Rollout leaving its experiment step) and retry.

/** Merge patch for the object itself: stop the experiment (it ends Successful unless failing). */
export function terminateExperimentPatch(): { spec: { terminate: true } } {
  return { spec: { terminate: true } };
}

/**
 * Merge patch that clears the status so the experiment starts over (Argo's `retry experiment`).
 * Argo's plugin sends it to the object, which works with Argo's Experiment CRD and ours (no
 * status subresource); where an older Slipway chart installed one, it must go to `/status`.
 */
export function retryExperimentPatch(): { status: null } {
  return { status: null };
}
