// The rule that skips a reconcile while the cache is behind our own writes to an owner's objects
// (OwnedWrites, used by the Rollout and Experiment controllers), and which watch event must wake
// the owner again.
import { describe, expect, it } from 'vitest';
import { CREATED_WAIT_MS, OwnedWrites } from '../../../src/kube/owned-writes.js';

const at = (resourceVersion: string) => ({ metadata: { name: 'web-a', resourceVersion } });

describe('OwnedWrites', () => {
  it('is stale while the cached copy is older than our last write, then forgets the write', () => {
    const writes = new OwnedWrites();
    writes.record('owner', 'web-a', '12');
    const cache = new Map([['web-a', at('11')]]);
    expect(writes.stale('owner', (name) => cache.get(name))).toBe(true);
    expect(writes.stale('other-owner', (name) => cache.get(name))).toBe(false);
    cache.set('web-a', at('12'));
    expect(writes.stale('owner', (name) => cache.get(name))).toBe(false);
    // Caught up once, forgotten: an older copy later (a relist of a lagging replica) is not waited on.
    cache.set('web-a', at('11'));
    expect(writes.stale('owner', (name) => cache.get(name))).toBe(false);
  });

  it('compares versions as numbers, not as text', () => {
    const writes = new OwnedWrites();
    writes.record('owner', 'web-a', '100');
    expect(writes.stale('owner', () => at('99'))).toBe(true);
    expect(writes.stale('owner', () => at('100'))).toBe(false);
  });

  it('does not wait for a written object gone from the cache (deleted)', () => {
    const writes = new OwnedWrites();
    writes.record('owner', 'web-a', '12');
    expect(writes.stale('owner', () => undefined)).toBe(false);
  });

  it('waits for an object we created to show up, for a bounded time', () => {
    const writes = new OwnedWrites();
    writes.record('owner', 'web-a', '12', 1_000);
    expect(writes.stale('owner', () => undefined, 1_000)).toBe(true);
    expect(writes.stale('owner', () => undefined, 1_000 + CREATED_WAIT_MS - 1)).toBe(true);
    expect(writes.stale('owner', () => at('12'), 1_500)).toBe(false);
    // Never seen (created and deleted while the watch relisted): given up after CREATED_WAIT_MS.
    writes.record('owner', 'web-a', '14', 1_000);
    expect(writes.stale('owner', () => undefined, 1_000 + CREATED_WAIT_MS)).toBe(false);
    expect(writes.stale('owner', () => undefined, 1_000)).toBe(false);
  });

  it('a delete event ends the wait for an object we created', () => {
    const writes = new OwnedWrites();
    writes.record('owner', 'web-a', '12', 1_000);
    writes.deleted('owner', 'web-a');
    expect(writes.stale('owner', () => undefined, 1_000)).toBe(false);
  });

  it('names the event that brings an awaited write into the cache, whatever it changed', () => {
    const writes = new OwnedWrites();
    writes.record('owner', 'web-a', '12');
    expect(writes.awaited('owner', at('11'))).toBe(false);
    expect(writes.awaited('owner', at('12'))).toBe(true);
    expect(writes.awaited('owner', at('13'))).toBe(true);
    expect(writes.awaited('other-owner', at('12'))).toBe(false);
    expect(writes.awaited(undefined, at('12'))).toBe(false);
    expect(writes.awaited('owner', { metadata: { name: 'web-b', resourceVersion: '12' } })).toBe(false);
    // Once a reconcile has seen it, nothing is awaited any more.
    expect(writes.stale('owner', () => at('12'))).toBe(false);
    expect(writes.awaited('owner', at('13'))).toBe(false);
  });
});
