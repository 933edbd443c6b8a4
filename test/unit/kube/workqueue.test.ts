import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../src/kube/workqueue.js';
import { deferred, FakeClock, settle } from './fake-clock.js';

function newQueue(clock = new FakeClock()) {
  const errors: string[] = [];
  const queue = new WorkQueue({ name: 'test', clock, onError: (key) => errors.push(key) });
  return { queue, clock, errors };
}

describe('WorkQueue', () => {
  it('dedupes a key added twice before it is processed', async () => {
    const { queue } = newQueue();
    queue.add('shop/web');
    queue.add('shop/web');
    queue.add('shop/api');
    expect(queue.len()).toBe(2);

    const seen: string[] = [];
    const running = queue.run((key) => {
      seen.push(key);
    });
    await settle();
    await queue.shutDown();
    await running;
    expect(seen).toEqual(['shop/web', 'shop/api']);
  });

  it('serves urgent keys first, moving an already queued key to the front once', async () => {
    const { queue } = newQueue();
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    queue.addUrgent('c'); // queued: moves ahead, its old place is skipped
    queue.addUrgent('e'); // new: behind 'c', ahead of the rest
    queue.addUrgent('c'); // already urgent: no change
    queue.add('e'); // already queued: no change
    expect(queue.len()).toBe(5);

    const seen: string[] = [];
    const running = queue.run((key) => {
      seen.push(key);
    });
    await settle();
    await queue.shutDown();
    await running;
    expect(seen).toEqual(['c', 'e', 'a', 'b', 'd']);
    expect(queue.len()).toBe(0);
  });

  it('runs a key made urgent while processing once more from the front lane, never twice at once', async () => {
    const { queue } = newQueue();
    const gate = deferred();
    const seen: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const running = queue.run(async (key) => {
      seen.push(key);
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      if (seen.length === 1) await gate.promise;
      concurrent -= 1;
    }, 1);
    queue.add('web');
    await settle();
    // 'web' is processing; 'api' and 'db' wait in the normal lane.
    queue.add('api');
    queue.add('db');
    queue.addUrgent('db'); // moved to the front, its normal-lane entry goes stale
    queue.addUrgent('web'); // processing: runs again from the front lane once done
    gate.resolve();
    await settle();
    queue.add('db'); // a fresh add once the stale entry is gone runs it again
    await settle();
    await queue.shutDown();
    await running;
    expect(seen).toEqual(['web', 'db', 'web', 'api', 'db']);
    expect(maxConcurrent).toBe(1);
  });

  it('runs a key once more when it is re-added while processing, never twice at once', async () => {
    const { queue } = newQueue();
    const first = deferred();
    let calls = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const running = queue.run(async () => {
      calls += 1;
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      if (calls === 1) {
        await first.promise;
      }
      concurrent -= 1;
    }, 4);

    queue.add('shop/web');
    await settle();
    queue.add('shop/web');
    queue.add('shop/web');
    expect(queue.len()).toBe(0); // held back until the running pass is done
    first.resolve();
    await settle();
    await queue.shutDown();
    await running;
    expect(calls).toBe(2);
    expect(maxConcurrent).toBe(1);
  });

  it('backs off a failing key exponentially from 5 ms, capped at 1000 s', async () => {
    const { queue, clock } = newQueue();
    const callTimes: number[] = [];
    const running = queue.run(() => {
      callTimes.push(clock.now());
      throw new Error('API server unavailable');
    });
    queue.add('shop/web');
    await settle();
    for (let i = 0; i < 30; i++) {
      await clock.advanceToNextTimer();
    }
    const delays = callTimes.slice(1).map((t, i) => t - (callTimes[i] ?? 0));
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    // 5 ms * 2^18 = 1310.72 s is the first step over the cap.
    expect(delays[17]).toBe(5 * 2 ** 17);
    expect(delays.slice(18)).toEqual(Array(delays.length - 18).fill(1_000_000));
    expect(queue.numRequeues('shop/web')).toBe(31);
    await queue.shutDown();
    await running;
  });

  it('forgets the backoff after a success', async () => {
    const { queue, clock } = newQueue();
    let failNext = 3;
    const callTimes: number[] = [];
    const running = queue.run(() => {
      callTimes.push(clock.now());
      if (failNext > 0) {
        failNext -= 1;
        throw new Error('conflict');
      }
    });
    queue.add('k');
    for (let i = 0; i < 3; i++) {
      await clock.advanceToNextTimer();
    }
    expect(queue.numRequeues('k')).toBe(0);
    failNext = 1;
    queue.add('k');
    await settle();
    const before = clock.now();
    await clock.advanceToNextTimer();
    expect(clock.now() - before).toBe(5);
    expect(callTimes).toHaveLength(6);
    await queue.shutDown();
    await running;
  });

  it('keeps the earliest time for delayed adds', async () => {
    const { queue, clock } = newQueue();
    queue.addAfter('a', 100);
    queue.addAfter('a', 50);
    queue.addAfter('a', 200);
    queue.addAt('b', new Date(clock.now() + 70));
    await clock.advance(49);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
    await clock.advance(20);
    expect(queue.len()).toBe(2);
    await clock.advance(1000);
    expect(queue.len()).toBe(2); // the later 100 ms and 200 ms requests were folded into 50 ms
  });

  it('releases many delayed keys each once, at its earliest time, in time order', async () => {
    const { queue, clock } = newQueue();
    const start = clock.now();
    const ran: [string, number][] = [];
    const running = queue.run((key) => {
      ran.push([key, clock.now() - start]);
      return undefined;
    });
    // 300 keys at scattered times (a fixed sequence), a third of them moved earlier, some later
    // (ignored), and one that is released and then delayed again with a later time.
    const expected = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const at = ((i * 7919) % 997) + 10;
      queue.addAfter(`k${i}`, at);
      expected.set(`k${i}`, at);
    }
    for (let i = 0; i < 300; i += 3) {
      const earlier = Math.floor((expected.get(`k${i}`) ?? 0) / 2) + 5;
      queue.addAfter(`k${i}`, earlier);
      queue.addAfter(`k${i}`, earlier + 400);
      expected.set(`k${i}`, earlier);
    }
    await clock.advance(1100);
    queue.addAfter('k1', 50);
    await clock.advance(100);
    expect(ran).toHaveLength(301);
    expect(ran.slice(0, 300).map(([, t]) => t)).toEqual(
      ran
        .slice(0, 300)
        .map(([, t]) => t)
        .sort((a, b) => a - b),
    );
    expect(new Map(ran.slice(0, 300))).toEqual(expected);
    expect(ran[300]).toEqual(['k1', 1150]);
    await queue.shutDown();
    await running;
  });

  it('requeues after requeueAfterMs when the handler asks', async () => {
    const { queue, clock } = newQueue();
    const callTimes: number[] = [];
    const running = queue.run(() => {
      callTimes.push(clock.now());
      return callTimes.length < 3 ? { requeueAfterMs: 30_000 } : undefined;
    });
    const start = clock.now();
    queue.add('pause');
    await clock.advance(120_000);
    expect(callTimes.map((t) => t - start)).toEqual([0, 30_000, 60_000]);
    await queue.shutDown();
    await running;
  });

  it('runs distinct keys on up to N workers at once', async () => {
    const { queue } = newQueue();
    const gate = deferred();
    let concurrent = 0;
    let maxConcurrent = 0;
    const done: string[] = [];
    const running = queue.run(async (key) => {
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await gate.promise;
      concurrent -= 1;
      done.push(key);
    }, 3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) {
      queue.add(key);
    }
    await settle();
    expect(concurrent).toBe(3);
    expect(queue.len()).toBe(2);
    gate.resolve();
    await settle();
    await queue.shutDown();
    await running;
    expect(maxConcurrent).toBe(3);
    expect(done.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('shuts down gracefully: finishes in-flight and queued keys, drops delayed and new ones', async () => {
    const { queue } = newQueue();
    const gate = deferred();
    const done: string[] = [];
    const running = queue.run(async (key) => {
      await gate.promise;
      done.push(key);
    });
    queue.add('in-flight');
    queue.add('queued');
    queue.addAfter('delayed', 10);
    await settle();
    const stopped = queue.shutDown();
    queue.add('too-late');
    gate.resolve();
    await stopped;
    await running;
    expect(done).toEqual(['in-flight', 'queued']);
    expect(queue.isShuttingDown()).toBe(true);
  });

  it('reports metrics through the optional hooks', async () => {
    const clock = new FakeClock();
    const depths: number[] = [];
    const counts = { adds: 0, retries: 0 };
    const durations: number[] = [];
    const queue = new WorkQueue({
      name: 'rollouts',
      clock,
      onError: () => {},
      metrics: {
        depth: (d) => depths.push(d),
        add: () => (counts.adds += 1),
        retry: () => (counts.retries += 1),
        workDuration: (s) => durations.push(s),
      },
    });
    let fail = true;
    const running = queue.run(() => {
      if (fail) {
        fail = false;
        throw new Error('boom');
      }
    });
    queue.add('k');
    await clock.advance(10);
    await queue.shutDown();
    await running;
    expect(counts).toEqual({ adds: 2, retries: 1 });
    expect(durations).toHaveLength(2);
    expect(depths).toContain(1);
    expect(depths.at(-1)).toBe(0);
  });
});
