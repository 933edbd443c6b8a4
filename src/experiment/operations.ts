// The patches that drive an Experiment from outside, exactly as Argo Rollouts sends them, for
// the CLI and the Rollout controller: terminate (`kubectl argo rollouts terminate experiment`,
// Argo CD's terminate action, and a Rollout leaving its experiment step) and retry.

/** Merge patch for the object itself: stop the experiment (it ends Successful unless failing). */
export function terminateExperimentPatch(): { spec: { terminate: true } } {
  return { spec: { terminate: true } };
}

/**
 * Merge patch that clears the status so the experiment starts over (Argo's `retry experiment`).
 * Our Experiment CRD has a status subresource, so it must be sent to `/status`; sent to the
 * object itself (as Argo's plugin does against Argo's CRD, which has none) it is ignored.
 */
export function retryExperimentPatch(): { status: null } {
  return { status: null };
}
