// A registry sends its push notification before the pushed tag can always be read (the tag list or
// the manifest still answers 404 for a moment). A check triggered by a webhook is therefore tried
// again with backoff until it has seen the pushed tags, within a bounded window; after that the
// next poll is the fallback. Pure: the controller keeps one PendingPush per ImageWatch.

export interface PendingPush {
  /** Tags the webhook named; empty when it named none (then only a failed check is retried). */
  readonly tags: ReadonlySet<string>;
  /** When the first notification of this pending push arrived (ms). */
  readonly since: number;
  /** Checks already made for it. */
  readonly attempts: number;
  /** When the next check is due (ms); undefined: now. */
  readonly dueAt?: number;
}

/** What the triggered check saw: failed (registry error), or the tags it listed. */
export interface PushCheck {
  readonly failed: boolean;
  readonly tags?: readonly string[];
}

export type PushRetry =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly afterMs: number; readonly pending: PendingPush }
  | { readonly kind: 'gave-up'; readonly missing: readonly string[] };

export const PUSH_RETRY_WINDOW_MS = 60_000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

/** A new notification for a watch: its tags join those still pending; the window keeps its start. */
export function addPush(pending: PendingPush | undefined, tags: readonly string[], now: number): PendingPush {
  if (pending === undefined) return { tags: new Set(tags), since: now, attempts: 0 };
  const { dueAt: _due, ...rest } = pending;
  return { ...rest, tags: new Set([...pending.tags, ...tags]) };
}

export function nextPushRetry(
  pending: PendingPush,
  check: PushCheck | undefined,
  now: number,
  windowMs = PUSH_RETRY_WINDOW_MS,
): PushRetry {
  // No check ran (invalid spec, not due): nothing a retry would change.
  if (check === undefined) return { kind: 'done' };
  const listed = new Set(check.tags ?? []);
  const missing = check.failed ? [...pending.tags] : [...pending.tags].filter((t) => !listed.has(t));
  if (!check.failed && missing.length === 0) return { kind: 'done' };
  const afterMs = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** pending.attempts);
  if (now + afterMs > pending.since + windowMs) return { kind: 'gave-up', missing };
  return {
    kind: 'retry',
    afterMs,
    pending: { ...pending, attempts: pending.attempts + 1, dueAt: now + afterMs },
  };
}
