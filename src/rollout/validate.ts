// Spec validation: the first problem found, as a message naming the field and the fix.
// An invalid Rollout gets the InvalidSpec condition (Degraded) and is otherwise left alone.

import { pauseDurationSeconds } from '../api/duration.js';
import type { CanaryStep, Rollout } from '../api/rollout.js';
import { argoInvalidMessage } from './references.js';

/** Resolves an int-or-string like maxSurge against the replica count ("25%" of 4 is 1). */
export function isZeroIntOrPercent(value: number | string | undefined): boolean {
  if (value === undefined) return false;
  if (typeof value === 'number') return value === 0;
  return /^0+%?$/.test(value.trim());
}

function isValidIntOrPercent(value: number | string): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0;
  return /^\d+%$/.test(value) || /^\d+$/.test(value);
}

function validateStep(step: CanaryStep, path: string, maxWeight: number): string | undefined {
  const fields = Object.keys(step).filter((k) => (step as Record<string, unknown>)[k] !== undefined);
  // Argo Rollouts accepts a step with several actions (its own APISIX example pairs
  // setCanaryScale with setHeaderRoute); it needs at least one.
  if (fields.length === 0) {
    return `${path} must set one of setWeight, pause, setCanaryScale, analysis, experiment, setHeaderRoute, setMirrorRoute or plugin`;
  }
  if (
    step.setWeight !== undefined &&
    (!Number.isInteger(step.setWeight) || step.setWeight < 0 || step.setWeight > maxWeight)
  ) {
    return `${path}.setWeight must be 0..${maxWeight}, got ${step.setWeight}`;
  }
  const duration = step.pause?.duration;
  if (duration !== undefined && pauseDurationSeconds(duration) === undefined) {
    return `${path}.pause.duration must be seconds or a duration like 30s, 10m or 1h, got '${duration}'`;
  }
  const scale = step.setCanaryScale;
  if (scale?.weight !== undefined && (scale.weight < 0 || scale.weight > maxWeight)) {
    return `${path}.setCanaryScale.weight must be 0..${maxWeight}, got ${scale.weight}`;
  }
  if (scale?.replicas !== undefined && scale.replicas < 0) {
    return `${path}.setCanaryScale.replicas must be >= 0, got ${scale.replicas}`;
  }
  return undefined;
}

function labelsMatch(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

export function validateRollout(rollout: Rollout): string | undefined {
  const spec = rollout.spec;
  if (!spec) return 'spec is missing';
  const { canary, blueGreen } = spec.strategy ?? {};
  if (!canary && !blueGreen) return 'spec.strategy must set canary or blueGreen';
  if (canary && blueGreen) return 'spec.strategy must set only one of canary and blueGreen';
  if (spec.replicas !== undefined && spec.replicas < 0)
    return `spec.replicas must be >= 0, got ${spec.replicas}`;
  if (!spec.workloadRef) {
    if (!spec.selector) return 'spec.selector is required (or set spec.workloadRef)';
    if (!spec.template) return 'spec.template is required (or set spec.workloadRef)';
    const containers = spec.template.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      return 'spec.template.spec.containers must list at least one container';
    }
    if (
      spec.selector.matchLabels &&
      Object.keys(spec.selector.matchLabels).length === 0 &&
      !spec.selector.matchExpressions
    ) {
      return 'spec.selector must not be empty: it would select every pod in the namespace';
    }
    if (!labelsMatch(spec.selector.matchLabels, spec.template.metadata?.labels)) {
      return 'spec.template.metadata.labels must include every spec.selector.matchLabels entry';
    }
  } else if (
    Object.keys(spec.template?.metadata?.labels ?? {}).length > 0 ||
    Object.keys(spec.template?.metadata?.annotations ?? {}).length > 0
  ) {
    // Argo's RolloutSpec.EmptyTemplate() looks at the template's labels and annotations only,
    // and its resolver reports this exact text (rollout/templateref.go).
    return argoInvalidMessage(
      rollout.metadata?.name ?? '',
      'template must be empty for workload reference rollout',
    );
  }
  if (
    spec.progressDeadlineSeconds !== undefined &&
    spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)
  ) {
    return `spec.progressDeadlineSeconds (${spec.progressDeadlineSeconds}) must be greater than spec.minReadySeconds (${spec.minReadySeconds ?? 0})`;
  }
  if (canary) {
    for (const field of ['maxSurge', 'maxUnavailable'] as const) {
      const value = canary[field];
      if (value !== undefined && !isValidIntOrPercent(value)) {
        return `spec.strategy.canary.${field} must be a non-negative integer or a percentage like 25%, got '${value}'`;
      }
    }
    if (isZeroIntOrPercent(canary.maxSurge) && isZeroIntOrPercent(canary.maxUnavailable)) {
      return 'spec.strategy.canary.maxSurge and maxUnavailable cannot both be 0: the rollout could never replace a pod';
    }
    if (canary.canaryService && canary.canaryService === canary.stableService) {
      return 'spec.strategy.canary.canaryService and stableService must name different Services';
    }
    const maxWeight = canary.trafficRouting?.maxTrafficWeight ?? 100;
    for (const [i, step] of (canary.steps ?? []).entries()) {
      const problem = validateStep(step, `spec.strategy.canary.steps[${i}]`, maxWeight);
      if (problem) return problem;
    }
  }
  if (blueGreen) {
    if (!blueGreen.activeService) return 'spec.strategy.blueGreen.activeService is required';
    if (blueGreen.previewService === blueGreen.activeService) {
      return 'spec.strategy.blueGreen.previewService and activeService must name different Services';
    }
  }
  return undefined;
}
