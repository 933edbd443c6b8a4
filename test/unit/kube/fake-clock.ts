// A manual clock for unit tests: time moves only when the test advances it, and timers fire
// in order, with pending promise callbacks drained after each one.
import type { Clock, TimerHandle } from '../../../src/kube/clock.js';

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      await settle();
      const next = this.earliest();
      if (!next || next.at > until) {
        break;
      }
      this.fire(next);
    }
    this.time = until;
    await settle();
  }

  /** Jumps to the next timer and fires it; returns false when none is pending. */
  async advanceToNextTimer(): Promise<boolean> {
    await settle();
    const next = this.earliest();
    if (!next) {
      return false;
    }
    this.fire(next);
    await settle();
    return true;
  }

  private earliest(): FakeTimer | undefined {
    return [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
  }

  private fire(timer: FakeTimer): void {
    this.timers = this.timers.filter((t) => t !== timer);
    this.time = Math.max(this.time, timer.at);
    timer.fn();
  }
}

/** Lets every queued promise callback run (setImmediate runs after the microtask queue drains). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A promise the test resolves by hand. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
