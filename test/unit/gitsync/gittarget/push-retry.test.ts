import { describe, expect, it } from 'vitest';
import {
  addPush,
  nextPushRetry,
  PUSH_RETRY_WINDOW_MS,
} from '../../../../src/gitsync/gittarget/push-retry.js';

describe('retrying a webhook-triggered check until the registry shows the pushed tag', () => {
  const t0 = 1_000_000;

  it('is done once the check listed every pushed tag', () => {
    const pending = addPush(undefined, ['1.1.0'], t0);
    expect(nextPushRetry(pending, { failed: false, tags: ['1.0.0', '1.1.0'] }, t0)).toEqual({ kind: 'done' });
  });

  it('retries with growing delays while the tag is missing or the registry answers an error', () => {
    let pending = addPush(undefined, ['1.1.0'], t0);
    const delays: number[] = [];
    for (const check of [{ failed: true }, { failed: false, tags: ['1.0.0'] }, { failed: true }]) {
      const next = nextPushRetry(pending, check, t0);
      if (next.kind !== 'retry') throw new Error(`expected a retry, got ${next.kind}`);
      delays.push(next.afterMs);
      pending = next.pending;
    }
    expect(delays).toEqual([500, 1000, 2000]);
    // The next check waits for its backoff, whatever else wakes the watch meanwhile.
    expect(pending.dueAt).toBe(t0 + 2000);
    expect(addPush(pending, ['1.2.0'], t0 + 10).dueAt).toBeUndefined();
  });

  it('gives up at the end of the window and names the missing tags', () => {
    const pending = addPush(undefined, ['1.1.0'], t0);
    expect(nextPushRetry(pending, { failed: false, tags: [] }, t0 + PUSH_RETRY_WINDOW_MS)).toEqual({
      kind: 'gave-up',
      missing: ['1.1.0'],
    });
  });

  it('without a tag in the notification, retries only a failed check', () => {
    const pending = addPush(undefined, [], t0);
    expect(nextPushRetry(pending, { failed: false, tags: [] }, t0).kind).toBe('done');
    expect(nextPushRetry(pending, { failed: true }, t0).kind).toBe('retry');
    expect(nextPushRetry(pending, undefined, t0).kind).toBe('done');
  });

  it('merges a second notification into the pending one, keeping the window start', () => {
    const pending = addPush(addPush(undefined, ['1.1.0'], t0), ['1.2.0'], t0 + 5000);
    expect(pending.since).toBe(t0);
    expect([...pending.tags]).toEqual(['1.1.0', '1.2.0']);
  });
});
