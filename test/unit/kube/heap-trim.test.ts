import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { type HeapSample, HeapTrimPolicy, startHeapTrim } from '../../../src/kube/heap-trim.js';

const MiB = 1024 * 1024;
const sample = (busy: number, committedMiB: number, usedMiB: number): HeapSample => ({
  busy,
  committed: committedMiB * MiB,
  used: usedMiB * MiB,
});

describe('HeapTrimPolicy', () => {
  it('trims an idle heap of at least the minimum before the first trim', () => {
    const policy = new HeapTrimPolicy();
    expect(policy.shouldTrim(sample(0.003, 20, 15))).toBe(false);
    // A controller that has just listed 1,000 Rollouts; 80 s after their first deploy.
    expect(policy.shouldTrim(sample(0.003, 55, 51))).toBe(true);
    expect(policy.shouldTrim(sample(0.003, 99, 31))).toBe(true);
  });

  it('counts garbage V8 has not collected yet as part of the heap', () => {
    expect(new HeapTrimPolicy().shouldTrim(sample(0, 99, 97))).toBe(true);
  });

  it('waits while the event loop is busy', () => {
    expect(new HeapTrimPolicy().shouldTrim(sample(0.4, 99, 31))).toBe(false);
    expect(new HeapTrimPolicy().shouldTrim(sample(0.01, 99, 31))).toBe(true);
    expect(new HeapTrimPolicy({ maxBusy: 0.5 }).shouldTrim(sample(0.4, 99, 31))).toBe(true);
  });

  it('trims again only when the heap is the minimum above what the last trim left', () => {
    const policy = new HeapTrimPolicy({ minGrowthBytes: 32 * MiB });
    expect(policy.shouldTrim(sample(0, 99, 31))).toBe(true);
    // V8 could not give everything back: the same heap must not cost a full GC every look.
    policy.trimmed(sample(1, 40, 30));
    expect(policy.shouldTrim(sample(0, 40, 30))).toBe(false);
    expect(policy.shouldTrim(sample(0, 71, 30))).toBe(false);
    // A second burst grew it again.
    expect(policy.shouldTrim(sample(0, 72, 30))).toBe(true);
  });

  it('waits for proportionally more growth above a large heap', () => {
    // 10,000 Rollouts: a full GC of a 300 MiB live heap is long, so not after every 32 MiB.
    const policy = new HeapTrimPolicy({ minGrowthBytes: 32 * MiB, minGrowthRatio: 0.5 });
    policy.trimmed(sample(1, 300, 290));
    expect(policy.shouldTrim(sample(0, 340, 300))).toBe(false);
    expect(policy.shouldTrim(sample(0, 449, 300))).toBe(false);
    expect(policy.shouldTrim(sample(0, 450, 300))).toBe(true);
  });
});

describe('startHeapTrim', () => {
  it('gives back the heap that garbage grew once the process is quiet', async () => {
    const trims: { before: number; after: number }[] = [];
    // Tolerant thresholds: the test worker's own heap and load vary.
    const trim = startHeapTrim({
      intervalMs: 50,
      maxBusy: 0.5,
      minGrowthBytes: 16 * MiB,
      onTrim: (before, after) => trims.push({ before, after }),
    });
    let grown = 0;
    let trimsBefore = 0;
    try {
      // Grow the old space with objects that live long enough to be promoted, then drop them.
      let hold: unknown[][] = [];
      for (let round = 0; round < 40; round++) {
        hold.push(Array.from({ length: 20_000 }, (_, i) => ({ i, name: `object-${round}-${i}` })));
        await new Promise((resolve) => setImmediate(resolve));
      }
      grown = v8.getHeapStatistics().total_heap_size;
      // The worker's own heap may have been trimmed already; the trim under test comes next.
      trimsBefore = trims.length;
      hold = [];
      expect(hold.length).toBe(0);
      const deadline = Date.now() + 60_000;
      while (trims.length === trimsBefore && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      trim.stop();
    }
    expect(trims.length).toBeGreaterThan(trimsBefore);
    const trimmed = trims[trimsBefore];
    expect(trimmed?.before).toBeGreaterThan(0);
    expect(trimmed?.after).toBeLessThan(trimmed?.before ?? 0);
    expect(trimmed?.after).toBeLessThan(grown);
  }, 90_000);
});
