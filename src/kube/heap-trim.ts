// Gives back the heap a burst grew once the process is idle again. A first deploy of 1,000
// Rollouts allocates fast (every LIST page, watch event and reconcile is garbage soon after),
// so V8 grows the old space to ~85 MiB; what stays live afterwards (the caches) is ~25 MiB,
// but V8 only shrinks on a memory-reducing GC, which its own memory reducer does not reliably
// start in an idle controller (measured: heap 31 MiB used of 99 MiB committed 80 s after the
// burst; RSS 198 MiB). The faster the deploy ran, the larger the heap it left behind. One
// memory-reducing GC once the event loop is quiet compacts the old space and returns its pages:
// in bench/profile-idle.ts the heap went from 100 to 29 MiB committed and RSS from 204 to 115
// MiB; in `npm run bench -- --against argo` idle RSS at 1,000 Rollouts is 113-115 MiB (was 154-192).
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** One look at the process: how busy its event loop was since the last look, and its heap. */
export interface HeapSample {
  /** Event-loop utilization since the previous sample, 0..1. */
  busy: number;
  /** Bytes V8 has committed for its heap. */
  committed: number;
  /** Bytes of it in use (live objects and garbage not yet collected). */
  used: number;
}

export interface HeapTrimPolicyOptions {
  /** Below this event-loop utilization the process counts as idle; default 0.05. */
  maxBusy?: number;
  /** Trim when the committed heap is this much above what the last trim left; default 32 MiB. */
  minGrowthBytes?: number;
  /**
   * And at least this fraction of what it left; default 0.5. A large live heap (10,000 Rollouts)
   * costs a long GC, so it is trimmed after proportionally more growth.
   */
  minGrowthRatio?: number;
}

const MiB = 1024 * 1024;

/**
 * When to trim: idle, and the committed heap is minGrowth (and minGrowthRatio) above what the
 * last trim left (above nothing before the first trim, so a process that grew its heap while
 * starting is trimmed once it is idle). Not "when much of it is unused": V8 counts garbage as used until a major GC runs,
 * and an idle process may not run one for a long time. Measured from the last trim, a heap V8
 * cannot shrink further is not collected again and again while idle.
 */
export class HeapTrimPolicy {
  private readonly maxBusy: number;
  private readonly minGrowth: number;
  private readonly minGrowthRatio: number;
  private floor = 0;

  constructor(options: HeapTrimPolicyOptions = {}) {
    this.maxBusy = options.maxBusy ?? 0.05;
    this.minGrowth = options.minGrowthBytes ?? 32 * MiB;
    this.minGrowthRatio = options.minGrowthRatio ?? 0.5;
  }

  shouldTrim(sample: HeapSample): boolean {
    const growth = Math.max(this.minGrowth, this.floor * this.minGrowthRatio);
    return sample.busy < this.maxBusy && sample.committed >= this.floor + growth;
  }

  /** Records the heap right after a trim. */
  trimmed(after: HeapSample): void {
    this.floor = after.committed;
  }
}

export interface HeapTrimOptions extends HeapTrimPolicyOptions {
  /** How often to look; default 5 s. */
  intervalMs?: number;
  /** Called after each trim with the committed heap before and after (bytes) and the GC's time. */
  onTrim?: (before: number, after: number, ms: number) => void;
}

export interface HeapTrim {
  stop(): void;
}

/** Starts looking every intervalMs; the timer does not keep the process alive. */
export function startHeapTrim(options: HeapTrimOptions = {}): HeapTrim {
  const policy = new HeapTrimPolicy(options);
  let gc: ((options: object) => void) | undefined;
  let lastLoop = performance.eventLoopUtilization();
  const sample = (): HeapSample => {
    const loop = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(loop, lastLoop).utilization;
    lastLoop = loop;
    const heap = v8.getHeapStatistics();
    return { busy, committed: heap.total_heap_size, used: heap.used_heap_size };
  };
  const timer = setInterval(() => {
    const before = sample();
    if (!policy.shouldTrim(before)) return;
    gc ??= gcFunction();
    const startedAt = performance.now();
    // 'last-resort' is V8's CollectAllAvailableGarbage (as on a low-memory notification): full
    // GCs that reduce the footprint, compacting sparse pages so whole pages are released.
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const after = sample();
    policy.trimmed(after);
    options.onTrim?.(before.committed, after.committed, performance.now() - startedAt);
  }, options.intervalMs ?? 5000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** V8's gc(), exposed for this one call: Node has no API for a memory-reducing GC. */
function gcFunction(): (options: object) => void {
  const exposed = (globalThis as { gc?: (options: object) => void }).gc;
  if (typeof exposed === 'function') return exposed;
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: object) => void;
  v8.setFlagsFromString('--no-expose-gc');
  return gc;
}
