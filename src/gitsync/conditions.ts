// Status conditions of our kinds: Ready (can the object do its job right now) and Error (did the
// last attempt fail, and why). A condition keeps its lastTransitionTime while its status holds.
import type { StatusCondition } from '../api/gitsync.js';

export interface ConditionState {
  readonly ready: boolean;
  /** CamelCase reason, also the `reason` label of slipway_gitsync_errors_total when failing. */
  readonly reason: string;
  readonly message: string;
  /** True when something failed (rather than merely not being done yet). */
  readonly error: boolean;
}

export function conditionsFor(
  previous: readonly StatusCondition[] | undefined,
  state: ConditionState,
  now: string,
): StatusCondition[] {
  const ready = condition(
    previous,
    'Ready',
    state.ready ? 'True' : 'False',
    state.reason,
    state.message,
    now,
  );
  const error = condition(
    previous,
    'Error',
    state.error ? 'True' : 'False',
    state.error ? state.reason : 'NoError',
    state.error ? state.message : '',
    now,
  );
  return [ready, error];
}

function condition(
  previous: readonly StatusCondition[] | undefined,
  type: string,
  status: string,
  reason: string,
  message: string,
  now: string,
): StatusCondition {
  const old = previous?.find((c) => c.type === type);
  const unchanged =
    old !== undefined && old.status === status && old.reason === reason && old.message === message;
  return {
    type,
    status,
    reason,
    message,
    lastUpdateTime: unchanged ? (old.lastUpdateTime ?? now) : now,
    lastTransitionTime: old !== undefined && old.status === status ? (old.lastTransitionTime ?? now) : now,
  };
}

/** Conditions equal but for their timestamps: no status write needed. */
export function sameConditions(
  a: readonly StatusCondition[] | undefined,
  b: readonly StatusCondition[],
): boolean {
  if (a === undefined || a.length !== b.length) return false;
  return b.every((c) => {
    const o = a.find((x) => x.type === c.type);
    return (
      o !== undefined &&
      o.status === c.status &&
      o.reason === c.reason &&
      (o.message ?? '') === (c.message ?? '')
    );
  });
}
