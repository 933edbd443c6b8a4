// Traffic weights of a traffic-routed canary, with Argo Rollouts' rules (rollout/trafficrouting.go,
// utils/replicaset/canary.go): which weight the routers should carry this pass, which managed
// routes the steps ask for, the pod counts that back the weight, and status.canary.weights.
// Where the canary stands (step, abort, promote-full, stable hash) comes in as a CanaryPosition
// the caller decided; what a step means comes from src/rollout/steps.ts.
import { isDeepStrictEqual } from 'node:util';
import { REVISION_ANNOTATION } from '../api/labels.js';
import type { RolloutStatus } from '../api/rollout.js';
import { canaryScaleAtStep, managedRoutesAtStep, weightAtStep, weightBeforeStep } from '../rollout/steps.js';
import type { RoutedRollout, SetHeaderRoute, SetMirrorRoute, WeightDestination } from './router.js';

export const DEFAULT_MAX_TRAFFIC_WEIGHT = 100;

/**
 * Where a canary stands: the status fields the weight and replica math depend on, as the caller
 * decided them for this pass (or as observed, where Argo reads them that way).
 */
export interface CanaryPosition {
  /** status.currentStepIndex (absent means 0). */
  stepIndex: number | undefined;
  aborted: boolean;
  promoteFull: boolean;
  /** status.stableRS */
  stableHash: string | undefined;
  /** status.currentPodHash */
  currentPodHash: string | undefined;
}

/** The position a status records. */
export function positionOf(status: RolloutStatus | undefined): CanaryPosition {
  return {
    stepIndex: status?.currentStepIndex,
    aborted: status?.abort === true,
    promoteFull: status?.promoteFull === true,
    stableHash: status?.stableRS,
    currentPodHash: status?.currentPodHash,
  };
}

export function maxTrafficWeight(rollout: RoutedRollout): number {
  return rollout.spec.strategy.canary?.trafficRouting?.maxTrafficWeight ?? DEFAULT_MAX_TRAFFIC_WEIGHT;
}

/**
 * The Services traffic is split between; with pingPong, the ping and pong Services by status:
 * the stable is ping only when status says 'ping' (Argo's IsStablePing; empty means pong),
 * as Argo's GetStableAndCanaryServices.
 */
export function routedServices(
  rollout: RoutedRollout,
  pingPongPreferred = true,
): { canary: string; stable: string } {
  const canary = rollout.spec.strategy.canary;
  // Istio does not prefer ping-pong: with stable/canary Services named, those carry its split.
  const named = Boolean(canary?.stableService || canary?.canaryService);
  if (canary?.pingPong && (pingPongPreferred || !named)) {
    const stableIsPing = rollout.status?.canary?.stablePingPong === 'ping';
    return stableIsPing
      ? { stable: canary.pingPong.pingService, canary: canary.pingPong.pongService }
      : { stable: canary.pingPong.pongService, canary: canary.pingPong.pingService };
  }
  return { canary: canary?.canaryService ?? '', stable: canary?.stableService ?? '' };
}

/** What is left for the stable Service once the canary and the experiments have their share. */
export function stableWeight(
  rollout: RoutedRollout,
  canaryWeight: number,
  additional: readonly WeightDestination[] = [],
): number {
  return additional.reduce((rest, d) => rest - d.weight, maxTrafficWeight(rollout) - canaryWeight);
}

export interface TrafficWeightInput {
  /** The Rollout; its status is read for the weights the routers carry now. */
  rollout: RoutedRollout;
  /** Where the canary stood at the start of the pass (Argo reads it that way). */
  position: CanaryPosition;
  /** rollouts-pod-template-hash of the current template's ReplicaSet, if it exists. */
  canaryHash: string | undefined;
  stableHash: string | undefined;
  /** status.availableReplicas of the current template's ReplicaSet (0 when it does not exist yet). */
  canaryAvailableReplicas: number;
  stableAvailableReplicas: number;
  /** Canary and stable are at the counts for the current step and older ReplicaSets are gone. */
  atDesiredReplicaCounts: boolean;
  /** Services of the running Experiment of the current experiment step, with their weights. */
  experimentDestinations?: readonly WeightDestination[];
}

export interface TrafficWeightDecision {
  /** The canary weight for the routers, in units of maxTrafficWeight. */
  weight: number;
  /** Usually the input's; when rolling back to stable with dynamicStableScale, the previous canary's. */
  canaryHash: string | undefined;
  stableHash: string | undefined;
  additionalDestinations: WeightDestination[];
  removeManagedRoutes: boolean;
  headerRoutes: SetHeaderRoute[];
  mirrorRoutes: SetMirrorRoute[];
  /** On abort (with dynamicStableScale: once the weight is 0): point canaryService at the stable pods. */
  canaryServiceToStable: boolean;
  /** Rolling back to stable with dynamicStableScale: leave canaryService on the previous canary. */
  holdCanaryService?: boolean;
}

/**
 * The weight the routers should carry this pass. The canary only gets traffic once its pods
 * are available: while the counts for the current step are not reached, the previous
 * setWeight stays in force. Fully promoted: 0 (all traffic to the stable, now the new
 * version) and managed routes removed; aborted: 0 (or what the stable can take, with
 * dynamicStableScale) and managed routes removed; promote-full: the weight stays where it was
 * (or follows canary availability, with dynamicStableScale); after the last step: the maximum.
 */
export function desiredTrafficWeight(input: TrafficWeightInput): TrafficWeightDecision {
  const { rollout, position } = input;
  const status: RolloutStatus = rollout.status ?? {};
  const canary = rollout.spec.strategy.canary;
  const steps = canary?.steps ?? [];
  const dynamic = canary?.dynamicStableScale === true;
  const max = maxTrafficWeight(rollout);
  const replicas = rollout.spec.replicas ?? 1;
  const fullyPromoted = position.stableHash !== undefined && position.stableHash === position.currentPodHash;
  const index = steps.length > 0 ? (position.stepIndex ?? 0) : undefined;
  const experiments = [...(input.experimentDestinations ?? [])];
  const decision: TrafficWeightDecision = {
    weight: 0,
    canaryHash: input.canaryHash,
    stableHash: input.stableHash,
    additionalDestinations: [],
    removeManagedRoutes: false,
    headerRoutes: [],
    mirrorRoutes: [],
    canaryServiceToStable: false,
  };
  // Argo's calculateDesiredWeightOnAbortOrStableRollback: traffic leaves the canary only as
  // fast as the stable can take it, never below 0 (a scale-down can leave more stable pods
  // available than spec.replicas) and never above the weight already in force.
  const onAbortOrRollback = (): number => {
    if (!dynamic || replicas === 0) return 0;
    const desired = desiredCanaryWeightOnAbort(rollout, input);
    const expected = Math.max(0, max - Math.trunc((max * input.stableAvailableReplicas) / replicas));
    const current = status.canary?.weights?.canary.weight;
    if (current === undefined) return Math.max(expected, desired);
    if (desired <= 0) return Math.min(expected, current);
    const stableCarries = Math.trunc((max * input.stableAvailableReplicas) / replicas);
    if (stableCarries < max - desired) return current;
    return Math.min(desired, current);
  };

  const previousCanaryHash = status.canary?.weights?.canary.podTemplateHash;
  if (
    fullyPromoted &&
    dynamic &&
    canary?.trafficRouting &&
    status.canary?.weights &&
    previousCanaryHash !== input.canaryHash &&
    input.canaryAvailableReplicas < replicas
  ) {
    // Back on the stable template: shift traffic off the previous canary as the stable scales up.
    return {
      ...decision,
      weight: onAbortOrRollback(),
      canaryHash: previousCanaryHash,
      holdCanaryService: true,
    };
  }
  if (fullyPromoted) return { ...decision, removeManagedRoutes: true };
  if (position.aborted) {
    const weight = onAbortOrRollback();
    return {
      ...decision,
      weight,
      removeManagedRoutes: true,
      canaryServiceToStable: !dynamic || weight === 0,
    };
  }

  if (input.canaryAvailableReplicas === 0) {
    decision.additionalDestinations = experiments;
  } else if (position.promoteFull) {
    decision.weight = dynamic
      ? Math.trunc((max * input.canaryAvailableReplicas) / replicas)
      : (status.canary?.weights?.canary.weight ?? 0);
    decision.removeManagedRoutes = true;
  } else if (index !== undefined) {
    if (!input.atDesiredReplicaCounts) {
      decision.weight = weightBeforeStep(steps, index);
      decision.additionalDestinations = experiments;
    } else if (index < steps.length) {
      decision.weight = currentSetWeight(rollout, position);
      decision.additionalDestinations = experiments;
    } else {
      decision.weight = max;
    }
  }

  const revision = Number(rollout.metadata.annotations?.[REVISION_ANNOTATION] ?? '0');
  if (!decision.removeManagedRoutes && index !== undefined && index < steps.length && revision > 1) {
    const { headerRoutes, mirrorRoutes } = managedRoutesAtStep(steps, index);
    decision.headerRoutes = headerRoutes;
    decision.mirrorRoutes = mirrorRoutes;
  }
  return decision;
}

/**
 * Argo's GetDesiredCanaryWeight: after an abort with dynamicStableScale, the canary steps down
 * through the setWeight steps in reverse as the stable pods come up; otherwise the set weight.
 */
function desiredCanaryWeightOnAbort(rollout: RoutedRollout, input: TrafficWeightInput): number {
  const canary = rollout.spec.strategy.canary;
  if (!input.position.aborted || !canary?.dynamicStableScale)
    return currentSetWeight(rollout, input.position);
  const max = maxTrafficWeight(rollout);
  const replicas = rollout.spec.replicas ?? 1;
  const canaryReplicas = Math.max(replicas - input.stableAvailableReplicas, input.canaryAvailableReplicas);
  const steps = canary.steps ?? [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const weight = steps[i]?.setWeight;
    if (weight !== undefined && Math.ceil((replicas * weight) / max) < canaryReplicas) return weight;
  }
  return 0;
}

/** Argo's GetCurrentSetWeight: 0 when aborted, the maximum after the last step. */
function currentSetWeight(rollout: RoutedRollout, position: CanaryPosition): number {
  if (position.aborted) return 0;
  return weightAtStep(
    rollout.spec.strategy.canary?.steps ?? [],
    position.stepIndex ?? 0,
    maxTrafficWeight(rollout),
  );
}

/**
 * Canary and stable pod counts behind the weight (Argo's CalculateReplicaCountsForTrafficRoutedCanary):
 * canary = ceil(weight × replicas / maxTrafficWeight), or the setCanaryScale in force, at least
 * minPodsPerReplicaSet; the stable stays at `replicas` unless dynamicStableScale, where it
 * follows the larger of the desired and the current stable weight (and an aborted canary
 * keeps the pods its current weight needs).
 */
export function trafficRoutedReplicaCounts(
  rollout: RoutedRollout,
  position: CanaryPosition,
): { canary: number; stable: number } {
  const status = rollout.status ?? {};
  const canary = rollout.spec.strategy.canary;
  const { replicas, max, toReplicas, atLeastMin } = replicaScale(rollout);

  let canaryCount: number;
  let weight = max;
  const promoted =
    position.promoteFull || !position.stableHash || position.currentPodHash === position.stableHash;
  const scale = promoted ? undefined : setCanaryScaleInForce(rollout, position);
  if (scale?.replicas !== undefined) {
    canaryCount = scale.replicas;
  } else {
    if (!promoted) weight = scale?.weight ?? currentSetWeight(rollout, position);
    canaryCount = atLeastMin(toReplicas(weight));
  }
  if (!canary?.dynamicStableScale) return { canary: canaryCount, stable: replicas };

  let stableCount = toReplicas(max - weight);
  const weights = status.canary?.weights;
  if (weights) {
    stableCount = Math.max(stableCount, toReplicas(weights.stable.weight));
    if (position.aborted) canaryCount = Math.max(canaryCount, toReplicas(weights.canary.weight));
  }
  return { canary: atLeastMin(canaryCount), stable: atLeastMin(stableCount) };
}

/** Argo's UseSetCanaryScale: traffic routing only; ignored after an abort unless abortScaleDownDelaySeconds is 0. */
function setCanaryScaleInForce(rollout: RoutedRollout, position: CanaryPosition) {
  const canary = rollout.spec.strategy.canary;
  if (!canary?.trafficRouting) return undefined;
  if (position.aborted && canary.abortScaleDownDelaySeconds !== 0) return undefined;
  return canaryScaleAtStep(canary.steps ?? [], position.stepIndex ?? 0);
}

type TrafficWeights = NonNullable<NonNullable<RolloutStatus['canary']>['weights']>;

/**
 * status.canary.weights for the weight the routers were given, whether it changed, and the
 * TrafficWeightUpdated Event Argo records when it did ("Traffic weight updated from 20 to 40").
 * `verified` is the router's statusVerified (usually undefined: Argo leaves it unset).
 */
export function trafficWeightStatus(
  rollout: RoutedRollout,
  decision: Pick<TrafficWeightDecision, 'weight' | 'canaryHash' | 'stableHash' | 'additionalDestinations'>,
  verified: boolean | undefined,
): { weights: TrafficWeights; changed: boolean; message: string | undefined } {
  const canary = rollout.spec.strategy.canary;
  const additional = decision.additionalDestinations.map((d) => ({ ...d }));
  const weights: TrafficWeights = {
    canary: {
      weight: decision.weight,
      ...(decision.canaryHash ? { podTemplateHash: decision.canaryHash } : {}),
      ...(canary?.canaryService ? { serviceName: canary.canaryService } : {}),
    },
    stable: {
      weight: stableWeight(rollout, decision.weight, decision.additionalDestinations),
      ...(decision.stableHash ? { podTemplateHash: decision.stableHash } : {}),
      ...(canary?.stableService ? { serviceName: canary.stableService } : {}),
    },
    ...(additional.length > 0 ? { additional } : {}),
    ...(verified !== undefined ? { verified } : {}),
  };
  const previous = rollout.status?.canary?.weights;
  const same = (a: object | undefined, b: object | undefined) => isDeepStrictEqual(a, b);
  const changed =
    !previous ||
    !same(previous.canary, weights.canary) ||
    !same(previous.stable, weights.stable) ||
    !same(previous.additional ?? [], weights.additional ?? []);
  if (!changed) return { weights, changed, message: undefined };
  const details: string[] = [];
  if (!previous) details.push(`to ${weights.canary.weight}`);
  else if (previous.canary.weight !== weights.canary.weight) {
    details.push(`from ${previous.canary.weight} to ${weights.canary.weight}`);
  }
  if (previous && !same(previous.additional ?? [], weights.additional ?? [])) {
    details.push(`additional: ${JSON.stringify(weights.additional ?? [])}`);
  }
  return { weights, changed, message: `Traffic weight updated ${details.join(', ')}` };
}

/**
 * The rollout's replicas and maximum weight, a weight's replicas (rounded up) and a count raised
 * to minPodsPerReplicaSet unless it is zero.
 */
function replicaScale(rollout: RoutedRollout) {
  const minPods = rollout.spec.strategy.canary?.minPodsPerReplicaSet;
  const replicas = rollout.spec.replicas ?? 1;
  const max = maxTrafficWeight(rollout);
  return {
    replicas,
    max,
    toReplicas: (weight: number) => Math.ceil((weight * replicas) / max),
    atLeastMin: (count: number) => (count === 0 || minPods === undefined ? count : Math.max(count, minPods)),
  };
}

/**
 * Argo's CalculateReplicaCountsForTrafficRoutedCanary for an aborted dynamicStableScale canary:
 * the abort weight steps back through the setWeight steps as the stable set becomes available
 * (GetDesiredCanaryWeight), and neither set drops below what the traffic weights in status need.
 */
export function abortedDynamicReplicaCounts(
  rollout: RoutedRollout,
  available: { canary: number; stable: number },
): { canary: number; stable: number } {
  const canary = rollout.spec.strategy.canary;
  const { replicas, max, toReplicas, atLeastMin } = replicaScale(rollout);
  const needed = Math.max(replicas - available.stable, available.canary);
  const steps = canary?.steps ?? [];
  let weight = 0;
  for (let i = steps.length - 1; i >= 0; i--) {
    const stepWeight = steps[i]?.setWeight;
    if (stepWeight !== undefined && toReplicas(stepWeight) < needed) {
      weight = stepWeight;
      break;
    }
  }
  const weights = rollout.status?.canary?.weights;
  return {
    canary: atLeastMin(Math.max(toReplicas(weight), weights ? toReplicas(weights.canary.weight) : 0)),
    stable: atLeastMin(Math.max(toReplicas(max - weight), weights ? toReplicas(weights.stable.weight) : 0)),
  };
}
