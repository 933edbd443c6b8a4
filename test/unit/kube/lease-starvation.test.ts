// Lease renewal under saturated reconcile work: every worker busy, each reconcile doing CPU
// work in short slices between awaits (as API-bound reconciles do). The elector renews on its
// own timer, so it must keep the Lease for as long as the work goes on.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { ConflictError } from '../../../src/kube/api-error.js';
import {
  LeaderElector,
  type Lease,
  type LeaseSpec,
  type LeaseStore,
} from '../../../src/kube/leader-election.js';
import { WorkQueue } from '../../../src/kube/workqueue.js';

class SlowMemoryLeaseStore implements LeaseStore {
  readonly description = 'Lease test/starvation';
  lease: Lease | undefined;
  renewals = 0;
  private version = 0;

  async get() {
    await yieldToLoop(); // an API round trip is at least one turn of the loop
    return this.lease && structuredClone(this.lease);
  }

  async create(spec: LeaseSpec) {
    await yieldToLoop();
    this.lease = { metadata: { name: 'x', resourceVersion: String(++this.version) }, spec };
    return structuredClone(this.lease);
  }

  async update(lease: Lease) {
    await yieldToLoop();
    if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
      throw new ConflictError({ method: 'PUT', path: '/leases/x' }, 409, { reason: 'Conflict' });
    }
    this.renewals += 1;
    this.lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.version) } };
    return structuredClone(this.lease);
  }
}

function burnCpu(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: a reconcile's synchronous slice (planning, JSON, hashing)
  }
}

describe('Lease renewal under saturated reconcile work', () => {
  it('keeps the Lease while every worker is busy all the time', async () => {
    const store = new SlowMemoryLeaseStore();
    const log: string[] = [];
    const elector = new LeaderElector({
      store,
      identity: 'busy',
      leaseDurationSeconds: 3,
      renewDeadlineSeconds: 2,
      retryPeriodSeconds: 0.25,
      onStartedLeading: () => log.push('started'),
      onStoppedLeading: () => log.push('stopped'),
      onError: (error) => log.push(`error: ${error.message}`),
    });
    const saturation: number[] = [];
    const queue = new WorkQueue({
      name: 'saturated',
      metrics: { busy: (busy, total) => saturation.push(busy / total) },
    });
    let reconciles = 0;
    const workers = queue.run(async (key) => {
      for (let slice = 0; slice < 5; slice++) {
        burnCpu(10);
        await yieldToLoop();
      }
      reconciles += 1;
      queue.add(key); // there is always more work
    }, 4);
    for (let i = 0; i < 40; i++) queue.add(`ns/rollout-${i}`);

    const electing = elector.run();
    await vi.waitFor(() => expect(store.renewals).toBeGreaterThanOrEqual(20), {
      timeout: 120_000,
      interval: 100,
    });

    expect(reconciles).toBeGreaterThan(10);
    expect(saturation).toContain(1);
    expect(log).toEqual(['started']);
    expect(elector.isLeader()).toBe(true);
    await queue.shutDown();
    await workers;
    await elector.release();
    await electing;
  }, 180_000);
});
