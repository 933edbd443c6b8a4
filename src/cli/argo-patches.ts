// The writes of Argo's kubectl plugin (pkg/kubectl-argo-rollouts/cmd/* in Argo Rollouts
// v1.10.2), byte-for-byte in content, so a Slipway user's `kubectl slipway X` does exactly what
// `kubectl argo rollouts X` does. Pure; the commands send them.
import { parseSecondsOrGoDuration } from '../api/duration.js';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/labels.js';
import type { ReplicaSetObject, RolloutObject } from './info.js';

export interface SplitPatch {
  /** Merge patch of the object (spec). */
  spec?: Record<string, unknown>;
  /** Merge patch through /status. */
  status?: Record<string, unknown>;
  /** One patch of the object for API servers without the /status subresource (404 on it). */
  unified?: Record<string, unknown>;
}

function currentStepIndex(ro: RolloutObject): number | undefined {
  const steps = ro.spec?.strategy?.canary?.steps;
  if (!ro.spec?.strategy?.canary || !steps || steps.length === 0) return undefined;
  return ro.status?.currentStepIndex ?? 0;
}

function nextStepIndex(ro: RolloutObject): number | undefined {
  const index = currentStepIndex(ro);
  if (index === undefined) return undefined;
  const count = ro.spec?.strategy?.canary?.steps?.length ?? 0;
  return index < count ? index + 1 : index;
}

export interface PromoteFlags {
  full: boolean;
  skipCurrentStep: boolean;
  skipAllSteps: boolean;
}

/** Argo's promote: checks, then the spec/status patches its getPatches builds. */
export function promotePatches(ro: RolloutObject, flags: PromoteFlags): SplitPatch {
  if (flags.skipCurrentStep && flags.skipAllSteps) {
    throw new Error('Cannot use skip-current-step and skip-all-steps flags at the same time');
  }
  if (flags.skipCurrentStep || flags.skipAllSteps) {
    if (ro.spec?.strategy?.blueGreen)
      throw new Error('Cannot skip steps of a bluegreen rollout. Run without a flags');
    if (ro.spec?.strategy?.canary && (ro.spec.strategy.canary.steps?.length ?? 0) === 0) {
      throw new Error('Cannot skip steps of a rollout without steps');
    }
  }
  if (flags.skipCurrentStep) {
    const index = nextStepIndex(ro);
    if (index === undefined) return {};
    return { status: { currentStepIndex: index }, unified: { status: { currentStepIndex: index } } };
  }
  if (flags.skipAllSteps) {
    const patch = { status: { currentStepIndex: ro.spec?.strategy?.canary?.steps?.length ?? 0 } };
    return { status: patch.status, unified: patch };
  }
  const paused = ro.spec?.paused === true;
  if (flags.full) {
    return {
      spec: paused ? { spec: { paused: false } } : undefined,
      status: ro.status?.currentPodHash !== ro.status?.stableRS ? { promoteFull: true } : undefined,
      unified: { spec: { paused: false }, status: { promoteFull: true } },
    };
  }
  const result: SplitPatch = {
    spec: paused ? { spec: { paused: false } } : undefined,
    unified: { spec: { paused: false }, status: { pauseConditions: null } },
  };
  const pauseConditions = ro.status?.pauseConditions?.length ?? 0;
  const inconclusive =
    ro.spec?.strategy?.canary !== undefined &&
    (ro.status as { canary?: { currentStepAnalysisRunStatus?: { status?: string } } } | undefined)?.canary
      ?.currentStepAnalysisRunStatus?.status === 'Inconclusive';
  if (inconclusive && pauseConditions > 0 && ro.status?.controllerPause) {
    const index = nextStepIndex(ro);
    if (index !== undefined) {
      result.status = { pauseConditions: null, controllerPause: false, currentStepIndex: index };
    }
  } else if (pauseConditions > 0) {
    result.status = { pauseConditions: null };
  } else if (ro.spec?.strategy?.canary) {
    const index = nextStepIndex(ro);
    if (index !== undefined) {
      result.status = { pauseConditions: null, currentStepIndex: index };
      result.unified = {
        spec: { paused: false },
        status: { pauseConditions: null, currentStepIndex: index },
      };
    }
  }
  return result;
}

export const ABORT_PATCH = { status: { abort: true } };
export const RETRY_ROLLOUT_PATCH = { status: { abort: false } };
export const RETRY_EXPERIMENT_PATCH = { status: null };
export const PAUSE_PATCH = { spec: { paused: true } };
export const TERMINATE_PATCH = { spec: { terminate: true } };

/** restart: spec.restartAt `in` from now, RFC 3339 to the second as Go formats it. */
export function restartPatch(now: Date, inText: string | undefined): { spec: { restartAt: string } } {
  const at = new Date(now.getTime() + (inText ? parseSecondsOrGoDuration(inText) : 0));
  return { spec: { restartAt: at.toISOString().replace(/\.\d{3}Z$/, 'Z') } };
}

interface ContainerHolder {
  spec?: { template?: { spec?: Record<string, unknown> } };
}

/**
 * set image: every container (init, regular, ephemeral) named `container` (or all for "*")
 * takes `image`. Returns a changed copy; throws Argo's message when none matched.
 */
export function withImage<T extends ContainerHolder>(object: T, container: string, image: string): T {
  const copy = structuredClone(object);
  const podSpec = copy.spec?.template?.spec ?? {};
  let found = false;
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = podSpec[field];
    if (!Array.isArray(list)) continue;
    for (const c of list as { name?: string; image?: string }[]) {
      if (c.name === container || container === '*') {
        c.image = image;
        found = true;
      }
    }
  }
  if (!found) throw new Error(`unable to find container named "${container}"`);
  return copy;
}

function revision(rs: ReplicaSetObject): number | undefined {
  const text = rs.metadata?.annotations?.[REVISION_ANNOTATION];
  if (text === undefined) return 0;
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * undo: the ReplicaSet to go back to, as Argo picks it: `toRevision`, or with 0 the one with
 * the second-highest revision (the highest is the current one).
 */
export function undoReplicaSet(
  name: string,
  owned: readonly ReplicaSetObject[],
  toRevision: number,
): ReplicaSetObject {
  let latest: { rev: number; rs?: ReplicaSetObject } = { rev: -1 };
  let previous: { rev: number; rs?: ReplicaSetObject } = { rev: -1 };
  for (const rs of owned) {
    const v = revision(rs);
    if (v === undefined) continue;
    if (toRevision === 0) {
      if (latest.rev < v) {
        previous = latest;
        latest = { rev: v, rs };
      } else if (previous.rev < v) {
        previous = { rev: v, rs };
      }
    } else if (toRevision === v) {
      return rs;
    }
  }
  if (toRevision > 0) {
    const known = owned
      .map(revision)
      .filter((v): v is number => v !== undefined && v > 0)
      .sort((a, b) => a - b);
    throw new Error(
      `unable to find specified revision ${toRevision} in history (revisions there: ${known.join(', ') || 'none'})`,
    );
  }
  if (!previous.rs) throw new Error(`no revision found for rollout "${name}"`);
  return previous.rs;
}

/** The pod template to restore: the ReplicaSet's, without the pod-template-hash label. */
export function undoTemplate(rs: ReplicaSetObject): Record<string, unknown> {
  const template = structuredClone(rs.spec?.template ?? {}) as {
    metadata?: { labels?: Record<string, string> };
  };
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return template as Record<string, unknown>;
}

/**
 * Argo's equalIgnoreHash: Semantic.DeepDerivative(rollout template, RS template) without the
 * hash label — every field set in the rollout's template is equal in the RS's (unset fields
 * in the rollout's are ignored, so API defaults on the RS do not count as a difference).
 */
export function templateMatches(rolloutTemplate: unknown, replicaSetTemplate: unknown): boolean {
  const strip = (t: unknown) => {
    const copy = structuredClone(t ?? {}) as { metadata?: { labels?: Record<string, string> } };
    if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    return copy;
  };
  return deepDerivative(strip(rolloutTemplate), strip(replicaSetTemplate));
}

function deepDerivative(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepDerivative(item, b[i]));
  }
  if (typeof a === 'object') {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return false;
    const entries = Object.entries(a as Record<string, unknown>);
    return entries.every(([k, v]) => deepDerivative(v, (b as Record<string, unknown>)[k]));
  }
  return a === b;
}
