// The traffic-routed canary's part of a pass: pod counts follow the traffic weight
// (ceil(weight × replicas / maxTrafficWeight), setCanaryScale, dynamicStableScale), the
// routers (src/trafficrouting) get the weight once canary pods are available, older sets
// scale down after scaleDownDelaySeconds so traffic can drain, and an aborted canary after
// abortScaleDownDelaySeconds.
import type { CanaryStrategy, RolloutStatus } from '../api/rollout.js';
import { planTrafficRouting } from '../trafficrouting/registry.js';
import type { WeightDestination } from '../trafficrouting/router.js';
import {
  abortedDynamicReplicaCounts,
  type CanaryPosition,
  desiredTrafficWeight,
  positionOf,
  trafficRoutedReplicaCounts,
  trafficWeightStatus,
} from '../trafficrouting/weight.js';
import type { RolloutPass } from './pass.js';
import { formatTime, scaleDownDeadlineOf } from './pass.js';
import { availableReplicas, isSettledAt, specReplicas } from './replicasets.js';
import type { ReplicaSet } from './workload-types.js';

const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;
const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = 30;

type CanaryStatus = NonNullable<RolloutStatus['canary']>;

/** Where the pass stands after the step logic (what the status will say). */
export interface CanaryDraft {
  index: number;
  aborted: boolean;
  promoteFull: boolean;
  /** status.stableRS after this pass (the new hash once promoted). */
  stableHash: string | undefined;
  /** status.canary.stablePingPong after this pass (switched on promotion). */
  stablePingPong?: string | undefined;
}

function positionOfDraft(pass: RolloutPass, draft: CanaryDraft): CanaryPosition {
  return {
    stepIndex: draft.index,
    aborted: draft.aborted,
    promoteFull: draft.promoteFull,
    stableHash: draft.stableHash,
    currentPodHash: pass.hash,
  };
}

/**
 * A setWeight/setCanaryScale step of a traffic-routed canary is reached when the pods are at
 * the counts for it and the routers already carry its weight (as last recorded in status).
 */
export function trafficStepReached(
  pass: RolloutPass,
  stableRS: ReplicaSet | undefined,
  index: number,
  weight: number,
): boolean {
  const counts = trafficRoutedReplicaCounts(
    pass.rollout,
    positionOfDraft(pass, { index, aborted: false, promoteFull: false, stableHash: pass.previous.stableRS }),
  );
  if (!isSettledAt(pass.newRS, counts.canary)) return false;
  // Argo's AtDesiredReplicaCountsForCanary leaves the stable set out under dynamicStableScale:
  // it only shrinks once the weight has moved off it.
  const dynamic = pass.rollout.spec.strategy.canary?.dynamicStableScale === true;
  if (!dynamic && stableRS && stableRS !== pass.newRS && !isSettledAt(stableRS, counts.stable)) return false;
  return pass.previous.canary?.weights?.canary.weight === weight;
}

/** Scales the ReplicaSets and plans the router writes; returns status.canary.weights. */
export function planTrafficRoutedCanary(
  pass: RolloutPass,
  canary: CanaryStrategy,
  draft: CanaryDraft,
  stable: ReplicaSet | undefined,
  older: readonly ReplicaSet[],
  experimentDestinations: readonly WeightDestination[] = [],
): Pick<CanaryStatus, 'weights'> & { canaryServiceToStable: boolean; holdCanaryService?: boolean } {
  const { newRS, replicas, now } = pass;
  const counts = trafficRoutedReplicaCounts(pass.rollout, positionOfDraft(pass, draft));

  if (
    draft.aborted &&
    stable &&
    stable !== newRS &&
    canary.dynamicStableScale === true &&
    canary.abortScaleDownDelaySeconds === undefined
  ) {
    // Argo's shouldDelayScaleDownOnAbort: no abort delay under dynamicStableScale unless one is
    // set; the canary steps down through the setWeight steps as the stable set becomes available.
    const stepped = abortedDynamicReplicaCounts(pass.rollout, {
      canary: availableReplicas(newRS),
      stable: availableReplicas(stable),
    });
    pass.scaleTo(newRS, stepped.canary);
    pass.scaleTo(stable, stepped.stable);
  } else if (draft.aborted && stable && stable !== newRS) {
    // Aborted: the stable set takes all traffic at once; the canary pods stay for
    // abortScaleDownDelaySeconds (0 keeps them) before they go.
    pass.scaleTo(stable, replicas);
    const delay = canary.abortScaleDownDelaySeconds ?? DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS;
    const deadline = scaleDownDeadlineOf(newRS);
    if (delay > 0 && specReplicas(newRS) > 0) {
      if (deadline === undefined) {
        pass.setScaleDownDeadline(newRS, formatTime(new Date(now.getTime() + delay * 1000)));
        pass.requeueAfterMs(delay * 1000);
      } else if (deadline > now.getTime()) {
        pass.requeueAfterMs(deadline - now.getTime());
      } else {
        pass.setScaleDownDeadline(newRS, null);
        pass.scaleTo(newRS, 0);
      }
    }
  } else {
    if (scaleDownDeadlineOf(newRS) !== undefined) pass.setScaleDownDeadline(newRS, null);
    pass.scaleTo(newRS, counts.canary);
    if (stable && stable !== newRS) pass.scaleTo(stable, counts.stable);
  }
  pass.scaleDownOlderReplicaSets(older, new Set(), {
    delaySeconds: canary.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS,
    revisionLimit: canary.scaleDownDelayRevisionLimit,
  });

  const decision = desiredTrafficWeight({
    rollout: pass.rollout,
    position: positionOf(pass.previous),
    canaryHash: pass.hash,
    stableHash: draft.stableHash,
    canaryAvailableReplicas: availableReplicas(newRS),
    stableAvailableReplicas: availableReplicas(stable),
    // Argo's AtDesiredReplicaCountsForCanary needs the stable set of the status the pass started
    // from, at its count (a first deploy has none, so no step weight is written), except under
    // dynamicStableScale, where the stable set shrinks only after the weight moved off it.
    atDesiredReplicaCounts:
      isSettledAt(newRS, counts.canary) &&
      (canary.dynamicStableScale === true ||
        (pass.stableRS !== undefined && (!stable || stable === newRS || isSettledAt(stable, counts.stable)))),
    experimentDestinations,
  });
  const plan = planTrafficRouting({
    // The routers read one decided status field: which of ping and pong is stable now.
    rollout: {
      ...pass.rollout,
      status: { ...pass.previous, canary: { ...pass.previous.canary, stablePingPong: draft.stablePingPong } },
    },
    desiredWeight: decision.weight,
    additionalDestinations: decision.additionalDestinations,
    ...(decision.canaryHash ? { canaryHash: decision.canaryHash } : {}),
    ...(decision.stableHash ? { stableHash: decision.stableHash } : {}),
    headerRoutes: decision.headerRoutes,
    mirrorRoutes: decision.mirrorRoutes,
    removeManagedRoutes: decision.removeManagedRoutes,
    live: pass.observed.trafficObjects ?? [],
  });
  if (plan.error) {
    pass.emit('TrafficRoutingError', plan.error, 'Warning');
    pass.trafficRoutingError = plan.error;
    return { weights: pass.previous.canary?.weights, canaryServiceToStable: false };
  }
  for (const write of plan.writes) {
    pass.actions.push({ kind: 'trafficWrite', write });
    if (write.event) pass.emitAfterActions(write.event.reason, write.event.message);
  }
  if (plan.requeueAfterMs !== undefined) pass.requeueAfterMs(plan.requeueAfterMs);
  const weights = trafficWeightStatus(pass.rollout, decision, plan.statusVerified);
  if (weights.changed && weights.message) pass.emitAfterActions('TrafficWeightUpdated', weights.message);
  return {
    weights: weights.weights,
    canaryServiceToStable: decision.canaryServiceToStable,
    holdCanaryService: decision.holdCanaryService === true,
  };
}
