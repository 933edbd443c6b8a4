// The Ready/Error state of an ImageWatch from what is known about it: its spec, the last registry
// check, and what the repository syncs wrote to its targets. Pure.
import type { ImageWatch, ImageWatchStatus } from '../../api/gitsync.js';
import type { ConditionState } from '../conditions.js';

/** How the last registry check went; undefined fields mean it succeeded. */
export interface CheckState {
  readonly reason: string;
  readonly message: string;
  readonly error: boolean;
}

/** Reasons that describe a check (kept between checks, since a check only runs when due). */
export const CHECK_REASONS = new Set([
  'NoCandidate',
  'RegistryUnauthorized',
  'RegistryNotFound',
  'RegistryRateLimited',
  'RegistryUnavailable',
  'RegistryBadResponse',
  'PullSecretError',
]);

export function previousCheckState(status: ImageWatchStatus | undefined): CheckState | undefined {
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  if (ready === undefined || ready.reason === undefined || !CHECK_REASONS.has(ready.reason)) return undefined;
  return { reason: ready.reason, message: ready.message ?? '', error: ready.reason !== 'NoCandidate' };
}

export interface ImageWatchFacts {
  readonly watch: ImageWatch;
  readonly specError?: string;
  readonly check?: CheckState;
  /** spec.suspend is true. */
  readonly suspended?: boolean;
  /** GitTargets named by targets that do not exist. */
  readonly missingGitTargets: readonly string[];
}

export function imageWatchState(facts: ImageWatchFacts): ConditionState {
  const { watch } = facts;
  if (facts.specError !== undefined) {
    return { ready: false, error: true, reason: 'InvalidSpec', message: facts.specError };
  }
  if (facts.suspended === true) {
    return {
      ready: false,
      error: false,
      reason: 'Suspended',
      message: 'spec.suspend is true: no registry checks, nothing written; Git keeps what it holds',
    };
  }
  if (facts.check !== undefined) return { ready: false, ...facts.check };
  const latest = watch.status?.latest;
  if (latest === undefined) {
    return {
      ready: false,
      error: false,
      reason: 'Checking',
      message: 'waiting for the first registry check',
    };
  }
  if (facts.missingGitTargets.length > 0) {
    return {
      ready: false,
      error: true,
      reason: 'GitTargetNotFound',
      message: `GitTarget ${facts.missingGitTargets.join(', ')} not found in namespace ${watch.metadata.namespace}`,
    };
  }
  const writes = watch.status?.writes ?? [];
  const current = watch.spec.targets.map((t) =>
    writes.find((w) => w.gitTarget === t.gitTarget && w.path === t.path && w.image === latest.image),
  );
  const failed = current.filter((w) => w?.state === 'Failed');
  if (failed.length > 0) {
    return {
      ready: false,
      error: true,
      reason: 'WriteFailed',
      message: failed.map((w) => w!.message).join('; '),
    };
  }
  const manual = current.filter((w) => w?.state === 'ManualChange');
  const pending = current.filter((w) => w?.state !== 'Applied' && w?.state !== 'ManualChange');
  if (manual.length > 0 && pending.length === 0) {
    return {
      ready: true,
      error: false,
      reason: 'ManualChangeKept',
      message: manual.map((w) => w!.message).join('; '),
    };
  }
  if (pending.length > 0) {
    const said = pending.find((w) => w?.message !== undefined)?.message;
    return {
      ready: false,
      error: false,
      reason: 'WritePending',
      message: said ?? `${latest.image} is not yet in ${pending.length} of ${current.length} target(s)`,
    };
  }
  return { ready: true, error: false, reason: 'UpToDate', message: `${latest.image} is in every target` };
}
