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
  it('trims an idle heap that has grown by the minimum since the first look', () => {
    const policy = new HeapTrimPolicy();
    expect(policy.shouldTrim(sample(0.003, 20, 15))).toBe(false);
    expect(policy.shouldTrim(sample(0.003, 51, 40))).toBe(false);
    // The figures of an idle controller 80 s after a first deploy of 1,000 Rollouts.
    expect(policy.shouldTrim(sample(0.003, 99, 31))).toBe(true);
  });

  it('counts garbage V8 has not collected yet as growth too', () => {
    const policy = new HeapTrimPolicy();
    policy.shouldTrim(sample(0, 20, 15));
    expect(policy.shouldTrim(sample(0, 99, 97))).toBe(true);
  });

  it('waits while the event loop is busy', () => {
    const policy = new HeapTrimPolicy();
    policy.shouldTrim(sample(0, 20, 15));
    expect(policy.shouldTrim(sample(0.4, 99, 31))).toBe(false);
    expect(policy.shouldTrim(sample(0.01, 99, 31))).toBe(true);
    const tolerant = new HeapTrimPolicy({ maxBusy: 0.5 });
    tolerant.shouldTrim(sample(0, 20, 15));
    expect(tolerant.shouldTrim(sample(0.4, 99, 31))).toBe(true);
  });

  it('trims again only after the heap has grown by the minimum since the last trim', () => {
    const policy = new HeapTrimPolicy({ minGrowthBytes: 32 * MiB });
    policy.shouldTrim(sample(0, 20, 15));
    expect(policy.shouldTrim(sample(0, 99, 31))).toBe(true);
    // V8 could not give everything back: the same heap must not cost a full GC every look.
    policy.trimmed(sample(1, 70, 30));
    expect(policy.shouldTrim(sample(0, 70, 30))).toBe(false);
    expect(policy.shouldTrim(sample(0, 101, 30))).toBe(false);
    // A second burst grew it again.
    expect(policy.shouldTrim(sample(0, 102, 30))).toBe(true);
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
    try {
      // Grow the old space with objects that live long enough to be promoted, then drop them.
      let hold: unknown[][] = [];
      for (let round = 0; round < 40; round++) {
        hold.push(Array.from({ length: 20_000 }, (_, i) => ({ i, name: `object-${round}-${i}` })));
        await new Promise((resolve) => setImmediate(resolve));
      }
      grown = v8.getHeapStatistics().total_heap_size;
      hold = [];
      expect(hold.length).toBe(0);
      const deadline = Date.now() + 60_000;
      while (trims.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      trim.stop();
    }
    expect(trims.length).toBeGreaterThan(0);
    const [first] = trims;
    expect(first?.before).toBeGreaterThan(0);
    expect(first?.after).toBeLessThan(first?.before ?? 0);
    expect(first?.after).toBeLessThan(grown);
  }, 90_000);
});
