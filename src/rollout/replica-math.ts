// Replica math of the canary without traffic routing, with Argo Rollouts' exact semantics
// (utils/replicaset/canary.go, utils/replicaset/replicaset.go resolveFenceposts, utils/defaults,
// rollout/canary.go scaleDownOldReplicaSetsForCanary). Pure functions over plain numbers; applying
// the counts (stable first, then canary, then older ReplicaSets, one change per reconcile) is the
// caller's job. The traffic-routed canary's counts follow its weight: trafficrouting/weight.ts.

/** An int, or a percentage string such as "25%". */
export type IntOrPercent = number | string;

/** A ReplicaSet as the math sees it. Canary and stable are the same ReplicaSet when the names match. */
export interface ObservedReplicaSet {
  readonly name: string;
  /** spec.replicas */
  readonly specReplicas: number;
  /** status.availableReplicas */
  readonly availableReplicas: number;
  /** The rollout.argoproj.io/revision annotation; older ReplicaSets drain newest revision first. */
  readonly revision?: number;
}

export interface CanaryStableCounts {
  readonly canary: number;
  readonly stable: number;
}

export const defaultMaxSurge = '25%';
export const defaultMaxUnavailable = '25%';

/**
 * maxSurge and maxUnavailable as pod counts for `replicas`: percentages of surge round up, of
 * unavailable down; if both come to 0, unavailable becomes 1; unavailable is at most `replicas`
 * and 0 when `replicas` is 0. Like Argo, a string is a percentage with or without the "%".
 */
export function resolveMaxSurgeAndUnavailable(
  replicas: number,
  maxSurge: IntOrPercent = defaultMaxSurge,
  maxUnavailable: IntOrPercent = defaultMaxUnavailable,
): { readonly maxSurge: number; readonly maxUnavailable: number } {
  const surge = scaledIntOrPercent(maxSurge, replicas, true, 'maxSurge');
  let unavailable = scaledIntOrPercent(maxUnavailable, replicas, false, 'maxUnavailable');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  if (replicas === 0) unavailable = 0;
  return { maxSurge: surge, maxUnavailable: Math.min(unavailable, replicas) };
}

// intstr.GetValueFromIntOrPercent (the deprecated variant Argo calls): every "%" is removed from
// a string, the rest must be an integer, and the result is always taken as a percentage.
function scaledIntOrPercent(value: IntOrPercent, total: number, roundUp: boolean, name: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new Error(`canary ${name} must be an integer or a percentage, got ${value}`);
    return value;
  }
  const digits = value.replaceAll('%', '');
  if (!/^[+-]?\d+$/.test(digits)) {
    throw new Error(
      `canary ${name} must be an integer or a percentage like "25%", got ${JSON.stringify(value)}`,
    );
  }
  const scaled = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * The canary/stable split closest to `weight` for `replicas` pods: options are floor and ceil of
 * replicas × weight / 100 over a total of `replicas`, or `replicas + 1` if maxSurge > 0; ties go to
 * the larger canary; a weight of 1..99 gives each side at least one pod unless there is one
 * replica and no surge.
 */
export function approximateWeightedCounts(
  replicas: number,
  weight: number,
  maxSurge: number,
): CanaryStableCounts {
  if (replicas === 0) return { canary: 0, stable: 0 };
  const ceil = Math.ceil((replicas * weight) / 100);
  const floor = Math.floor((replicas * weight) / 100);
  const zeroAllowed = weight === 100 || weight === 0 || (replicas === 1 && maxSurge === 0);
  const options: { canary: number; total: number }[] = [];
  if (ceil < replicas || zeroAllowed) options.push({ canary: ceil, total: replicas });
  if (!floorCeilingTied(weight, replicas) && (floor !== 0 || zeroAllowed)) {
    options.push({ canary: floor, total: replicas });
  }
  if (maxSurge > 0) {
    options.push({ canary: ceil, total: replicas + 1 });
    if (!floorCeilingTied(weight, replicas + 1) && (floor !== 0 || zeroAllowed)) {
      options.push({ canary: floor, total: replicas + 1 });
    }
  }
  let best = options[0];
  if (best === undefined) return { canary: 0, stable: replicas };
  for (const option of options.slice(1)) {
    if (weightDelta(weight, option) < weightDelta(weight, best)) best = option;
  }
  return { canary: best.canary, stable: best.total - best.canary };
}

// Float arithmetic in Go's order, so that e.g. 5 × 0.3 ties exactly when Argo's does.
function floorCeilingTied(weight: number, total: number): boolean {
  const product = total * (weight / 100);
  return product - Math.trunc(product) === 0.5;
}

function weightDelta(weight: number, option: { canary: number; total: number }): number {
  return Math.abs((option.canary * 100) / option.total - weight);
}

export interface BasicCanaryInput {
  /** spec.replicas */
  readonly replicas: number;
  /** Desired canary weight, 0..100: the setWeight in force (steps.ts weightAtStep), 0 on abort. */
  readonly weight: number;
  readonly maxSurge?: IntOrPercent;
  readonly maxUnavailable?: IntOrPercent;
  /** The ReplicaSet of the current template, if it exists yet. */
  readonly canary?: ObservedReplicaSet;
  /** The stable ReplicaSet, if any (may be the canary itself). */
  readonly stable?: ObservedReplicaSet;
  /** Every other ReplicaSet of the rollout. */
  readonly others?: readonly ObservedReplicaSet[];
}

const sumSpec = (sets: readonly (ObservedReplicaSet | undefined)[]) =>
  sets.reduce((sum, rs) => sum + (rs?.specReplicas ?? 0), 0);
const sumAvailable = (sets: readonly (ObservedReplicaSet | undefined)[]) =>
  sets.reduce((sum, rs) => sum + (rs?.availableReplicas ?? 0), 0);

/**
 * The canary and stable spec.replicas to set next for a canary without traffic routing: scale up
 * within replicas + maxSurge (stable before canary), then, once older ReplicaSets are empty, scale
 * down while keeping replicas − maxUnavailable available. Without a distinct stable ReplicaSet
 * the canary goes straight to `replicas`.
 */
export function basicCanaryReplicaCounts(input: BasicCanaryInput): CanaryStableCounts {
  const { replicas, weight, canary, stable } = input;
  const others = input.others ?? [];
  const { maxSurge, maxUnavailable } = resolveMaxSurgeAndUnavailable(
    replicas,
    input.maxSurge,
    input.maxUnavailable,
  );
  let { canary: desiredCanary, stable: desiredStable } = approximateWeightedCounts(
    replicas,
    weight,
    maxSurge,
  );

  const distinctStable = stable !== undefined && stable.name !== canary?.name ? stable : undefined;
  let canaryCount = canary?.specReplicas ?? 0;
  let stableCount = distinctStable?.specReplicas ?? 0;
  if (distinctStable === undefined) {
    desiredCanary = replicas;
    desiredStable = 0;
  }

  const maxTotal = replicas + maxSurge;
  let scaleUp = maxTotal - sumSpec([...others, canary, distinctStable]);
  if (distinctStable !== undefined && distinctStable.specReplicas < desiredStable && scaleUp > 0) {
    const room = desiredStable - distinctStable.specReplicas;
    stableCount = distinctStable.specReplicas + Math.min(scaleUp, room);
    scaleUp = Math.max(scaleUp - room, 0);
  }
  if (canary !== undefined && canary.specReplicas < desiredCanary && scaleUp > 0) {
    canaryCount = Math.min(canary.specReplicas + scaleUp, desiredCanary);
  }

  // Older ReplicaSets are drained before canary or stable give up any pod.
  if (sumSpec(others) > 0) return { canary: canaryCount, stable: stableCount };

  const minAvailable = replicas - maxUnavailable;
  // Growing the canary: count stable pods as they are specified (a crash-looping stable must not
  // block); shrinking it (abort, lower weight): count canary pods that way instead.
  const isIncreasing = canary === undefined || desiredCanary >= canary.specReplicas;
  const countable = replicasForScaleDown(canary, !isIncreasing) + replicasForScaleDown(stable, isIncreasing);
  if (countable <= minAvailable) return { canary: canaryCount, stable: stableCount };
  const scaleDown = countable - minAvailable;

  // The shrinking side gives up pods towards its desired count, the other keeps within limits.
  const shrink = (
    drainRS: ObservedReplicaSet | undefined,
    desired: number,
    drainCount: number,
    adjustRS: ObservedReplicaSet | undefined,
    adjustCount: number,
  ) =>
    keepWithinLimits(
      drainRS,
      adjustRS,
      drainTowards(drainRS, desired, scaleDown, drainCount),
      adjustCount,
      maxTotal,
      minAvailable,
    );
  if (!isIncreasing) {
    [canaryCount, stableCount] = shrink(canary, desiredCanary, canaryCount, stable, stableCount);
  } else if (distinctStable !== undefined) {
    [stableCount, canaryCount] = shrink(distinctStable, desiredStable, stableCount, canary, canaryCount);
  }
  return { canary: canaryCount, stable: stableCount };
}

// GetReplicasForScaleDown: pods that may be given up, never more than spec.replicas.
function replicasForScaleDown(rs: ObservedReplicaSet | undefined, ignoreAvailability: boolean): number {
  if (rs === undefined) return 0;
  if (rs.specReplicas < rs.availableReplicas || ignoreAvailability) return rs.specReplicas;
  return rs.availableReplicas;
}

function drainTowards(
  rs: ObservedReplicaSet | undefined,
  desired: number,
  scaleDown: number,
  current: number,
) {
  if (rs === undefined || rs.specReplicas <= desired) return current;
  return Math.max(desired, rs.specReplicas - scaleDown);
}

// adjustReplicaWithinLimits: trim `adjust` back under replicas + maxSurge, give back what that
// would cost in availability below replicas − maxUnavailable, and take any excess from `drain`.
function keepWithinLimits(
  drainRS: ObservedReplicaSet | undefined,
  adjustRS: ObservedReplicaSet | undefined,
  drainCount: number,
  adjustCount: number,
  maxTotal: number,
  minAvailable: number,
): [number, number] {
  if (adjustRS === undefined) return [drainCount, adjustCount];
  let available = drainRS === undefined ? 0 : Math.min(drainRS.availableReplicas, drainCount);
  let adjusted = adjustCount - Math.max(0, adjustCount + drainCount - maxTotal);
  available += Math.min(adjustRS.availableReplicas, adjusted);
  const lostAvailability = Math.max(0, adjustRS.availableReplicas - adjusted);
  adjusted += Math.min(lostAvailability, Math.max(0, minAvailable - available));
  return [drainCount - Math.max(0, adjusted + drainCount - maxTotal), adjusted];
}

export interface OlderReplicaSetsInput {
  readonly replicas: number;
  readonly maxSurge?: IntOrPercent;
  readonly maxUnavailable?: IntOrPercent;
  readonly canary?: ObservedReplicaSet;
  readonly stable?: ObservedReplicaSet;
  readonly others: readonly ObservedReplicaSet[];
}

/**
 * spec.replicas for each older ReplicaSet of a canary without traffic routing: unavailable pods
 * go at once; available ones only as far as the rollout keeps replicas − maxUnavailable available
 * (canary and stable pods count), newest revision first. While an older ReplicaSet still reports
 * more available pods than its spec (a scale-down in flight) Argo changes nothing that round.
 */
export function drainOlderReplicaSets(
  input: OlderReplicaSetsInput,
): readonly { readonly name: string; readonly replicas: number }[] {
  if (input.others.some((rs) => rs.specReplicas > 0 && rs.availableReplicas > rs.specReplicas)) {
    return input.others.map((rs) => ({ name: rs.name, replicas: rs.specReplicas }));
  }
  const { maxUnavailable } = resolveMaxSurgeAndUnavailable(
    input.replicas,
    input.maxSurge,
    input.maxUnavailable,
  );
  const distinctStable = input.stable?.name === input.canary?.name ? undefined : input.stable;
  let maxScaleDown =
    sumAvailable([input.canary, distinctStable, ...input.others]) - (input.replicas - maxUnavailable);
  const byRevision = [...input.others].sort(
    (a, b) => (b.revision ?? Number.NEGATIVE_INFINITY) - (a.revision ?? Number.NEGATIVE_INFINITY),
  );
  return byRevision.map((rs) => {
    const healthy = Math.min(rs.specReplicas, rs.availableReplicas);
    if (maxScaleDown <= 0 || healthy === 0) return { name: rs.name, replicas: healthy };
    const replicas = healthy > maxScaleDown ? healthy - maxScaleDown : 0;
    maxScaleDown -= healthy - replicas;
    return { name: rs.name, replicas };
  });
}
