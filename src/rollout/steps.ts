// Canary steps, the one home of what a step means: which kind a step is, the weight, the
// setCanaryScale and the managed routes in force at a step, how a step reads in Events and
// messages, and the step hash that restarts the steps when they change.
import { pauseDurationSeconds } from '../api/duration.js';
import type { CanaryStep } from '../api/rollout.js';
import { canaryStepsRootType } from './pod-template-fields.generated.js';
import { goJsonOf, stableHashOfJson } from './pod-template-hash.js';

/** A step as a discriminated union, so a switch over it is exhaustive. */
export type StepKind =
  | { kind: 'setWeight'; weight: number }
  | { kind: 'pause'; durationSeconds: number | undefined }
  | { kind: 'setCanaryScale'; scale: NonNullable<CanaryStep['setCanaryScale']> }
  | { kind: 'analysis' }
  | { kind: 'experiment' }
  | { kind: 'setHeaderRoute' }
  | { kind: 'setMirrorRoute' }
  | { kind: 'plugin' };

/**
 * What a step does. A step with several actions is read in Argo Rollouts' order (the order
 * its completedCurrentCanaryStep checks them): pause, setCanaryScale, setWeight, experiment,
 * analysis, setHeaderRoute, setMirrorRoute, plugin.
 */
export function stepKind(step: CanaryStep): StepKind | undefined {
  if (step.pause !== undefined) {
    const duration = step.pause.duration;
    return {
      kind: 'pause',
      durationSeconds: duration === undefined ? undefined : pauseDurationSeconds(duration),
    };
  }
  if (step.setCanaryScale !== undefined) return { kind: 'setCanaryScale', scale: step.setCanaryScale };
  if (step.setWeight !== undefined) return { kind: 'setWeight', weight: step.setWeight };
  if (step.experiment !== undefined) return { kind: 'experiment' };
  if (step.analysis !== undefined) return { kind: 'analysis' };
  if (step.setHeaderRoute !== undefined) return { kind: 'setHeaderRoute' };
  if (step.setMirrorRoute !== undefined) return { kind: 'setMirrorRoute' };
  if (step.plugin !== undefined) return { kind: 'plugin' };
  return undefined;
}

/** How Argo Rollouts names a step in Events: `setWeight: 20`, `pause: 10s`, `pause: {}`. */
export function describeStep(step: CanaryStep): string {
  const kind = stepKind(step);
  switch (kind?.kind) {
    case 'setWeight':
      return `setWeight: ${kind.weight}`;
    case 'pause':
      return step.pause?.duration === undefined ? 'pause: {}' : `pause: ${step.pause.duration}`;
    case 'setCanaryScale':
      return 'setCanaryScale';
    case 'analysis':
    case 'experiment':
    case 'setHeaderRoute':
    case 'setMirrorRoute':
    case 'plugin':
      return kind.kind;
    case undefined:
      return 'unknown step';
  }
}

/**
 * The canary weight in force at step `index`: the last setWeight at or before it (0 before
 * any), or `maxWeight` once every step is done (or with no steps). Argo's GetCurrentSetWeight
 * without the abort, which the caller decides.
 */
export function weightAtStep(
  steps: readonly Pick<CanaryStep, 'setWeight'>[],
  index: number,
  maxWeight = 100,
): number {
  if (index >= steps.length) return maxWeight;
  for (let i = index; i >= 0; i--) {
    const weight = steps[i]?.setWeight;
    if (weight !== undefined) return weight;
  }
  return 0;
}

/** The last setWeight before step `index` (0 if none): what stays in force while a step scales up. */
export function weightBeforeStep(steps: readonly Pick<CanaryStep, 'setWeight'>[], index: number): number {
  for (let i = Math.min(index, steps.length) - 1; i >= 0; i--) {
    const weight = steps[i]?.setWeight;
    if (weight !== undefined) return weight;
  }
  return 0;
}

/**
 * The setCanaryScale in force at step `index` (Argo's UseSetCanaryScale, without its traffic
 * routing and abort checks, which the caller decides): the last one at or before the step, none
 * past the last step, and none when that one says matchTrafficWeight.
 */
export function canaryScaleAtStep(
  steps: readonly CanaryStep[],
  index: number,
): NonNullable<CanaryStep['setCanaryScale']> | undefined {
  if (index >= steps.length) return undefined;
  for (let i = index; i >= 0; i--) {
    const scale = steps[i]?.setCanaryScale;
    if (!scale) continue;
    return scale.matchTrafficWeight ? undefined : scale;
  }
  return undefined;
}

/**
 * The managed routes the steps up to and including `index` leave in place: per route name the
 * last setHeaderRoute/setMirrorRoute wins; one without `match` asks for the route's removal.
 */
export function managedRoutesAtStep(
  steps: readonly CanaryStep[],
  index: number,
): {
  headerRoutes: NonNullable<CanaryStep['setHeaderRoute']>[];
  mirrorRoutes: NonNullable<CanaryStep['setMirrorRoute']>[];
} {
  const headers = new Map<string, NonNullable<CanaryStep['setHeaderRoute']>>();
  const mirrors = new Map<string, NonNullable<CanaryStep['setMirrorRoute']>>();
  for (const step of steps.slice(0, index + 1)) {
    if (step.setHeaderRoute) headers.set(step.setHeaderRoute.name, step.setHeaderRoute);
    if (step.setMirrorRoute) mirrors.set(step.setMirrorRoute.name, step.setMirrorRoute);
  }
  return { headerRoutes: [...headers.values()], mirrorRoutes: [...mirrors.values()] };
}

/**
 * Hash of the step list; a change of it restarts the steps at 0. Argo Rollouts'
 * conditions.ComputeStepHash: json.Marshal of the []CanaryStep (Go struct field order, so
 * `setHeaderRoute: {name, match}`; no steps at all is `null`), then FNV-32a.
 */
export function stepHash(steps: readonly CanaryStep[] | undefined): string {
  return stableHashOfJson(goJsonOf(steps, canaryStepsRootType, 'spec.strategy.canary.steps'));
}
