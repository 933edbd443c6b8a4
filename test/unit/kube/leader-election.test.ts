import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ConflictError } from '../../../src/kube/api-error.js';
import {
  LeaderElector,
  type Lease,
  type LeaseSpec,
  type LeaseStore,
} from '../../../src/kube/leader-election.js';
import { FakeClock, settle } from './fake-clock.js';

/** One Lease in memory with resourceVersion checks, shared by several electors. */
class MemoryLeaseStore implements LeaseStore {
  readonly description = 'Lease slipway/slipway-controller';
  lease: Lease | undefined;
  private version = 0;
  failing = false;

  async get() {
    this.check();
    return this.lease && structuredClone(this.lease);
  }

  async create(spec: LeaseSpec) {
    this.check();
    if (this.lease) {
      throw new AlreadyExistsError({ method: 'POST', path: '/leases' }, 409, { reason: 'AlreadyExists' });
    }
    this.lease = { metadata: { name: 'slipway-controller', resourceVersion: String(++this.version) }, spec };
    return structuredClone(this.lease);
  }

  async update(lease: Lease) {
    this.check();
    if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
      throw new ConflictError({ method: 'PUT', path: '/leases/x' }, 409, { reason: 'Conflict' });
    }
    this.lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.version) } };
    return structuredClone(this.lease);
  }

  private check(): void {
    if (this.failing) {
      throw new Error('connect ECONNREFUSED');
    }
  }
}

function elector(store: LeaseStore, clock: FakeClock, identity: string, log: string[]) {
  return new LeaderElector({
    store,
    identity,
    clock,
    random: () => 0,
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
    onError: () => {},
  });
}

/** A Lease store, a clock, the log of both electors and the elector `a`. */
function world() {
  const clock = new FakeClock();
  const store = new MemoryLeaseStore();
  const log: string[] = [];
  return { clock, store, log, a: elector(store, clock, 'a', log) };
}

describe('LeaderElector', () => {
  it('creates the Lease, renews it, and a standby waits', async () => {
    const { clock, store, log, a } = world();
    const b = elector(store, clock, 'b', log);
    void a.run();
    await settle();
    void b.run();
    await clock.advance(20_000);
    expect(log).toEqual(['a started']);
    expect(store.lease?.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(store.lease?.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
  });

  it('renews with one PUT per period, no GET, and reads the Lease again after a conflict', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const calls: string[] = [];
    const counting: LeaseStore = {
      description: store.description,
      get: () => {
        calls.push('get');
        return store.get();
      },
      create: (spec) => {
        calls.push('create');
        return store.create(spec);
      },
      update: (lease) => {
        calls.push('update');
        return store.update(lease);
      },
    };
    const log: string[] = [];
    const a = elector(counting, clock, 'a', log);
    void a.run();
    await settle();
    await clock.advance(10_000); // five renewals at 2 s
    expect(calls).toEqual(['get', 'create', 'update', 'update', 'update', 'update', 'update']);
    // Someone else wrote the Lease (e.g. kubectl): the fast path's PUT conflicts, then get + update.
    if (store.lease) await store.update({ ...store.lease });
    calls.length = 0;
    await clock.advance(2_000);
    expect(calls).toEqual(['update', 'get', 'update']);
    expect(a.isLeader()).toBe(true);
    expect(log).toEqual(['a started']);
  });

  it('hands over at once on release', async () => {
    const { clock, store, log, a } = world();
    const b = elector(store, clock, 'b', log);
    const aRun = a.run();
    await settle();
    void b.run();
    await clock.advance(4_000);
    await a.release();
    await aRun;
    expect(store.lease?.spec?.holderIdentity).toBe('');
    await clock.advance(2_000); // b's next retry, well inside the 15 s lease
    expect(log).toEqual(['a started', 'a stopped', 'b started']);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('takes over an expired lease and the old leader steps down when it cannot renew', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    // a's own view of the API server, which can be cut off alone.
    let aCutOff = false;
    const guard = <T>(call: () => Promise<T>) =>
      aCutOff ? Promise.reject(new Error('ECONNREFUSED')) : call();
    const aStore: LeaseStore = {
      description: store.description,
      get: () => guard(() => store.get()),
      create: (spec) => guard(() => store.create(spec)),
      update: (lease) => guard(() => store.update(lease)),
    };
    const a = elector(aStore, clock, 'a', log);
    void a.run();
    await settle();
    aCutOff = true;
    await clock.advance(10_000);
    expect(log).toEqual(['a started', 'a stopped']);
    expect(a.isRunning()).toBe(true); // still campaigning

    const b = elector(store, clock, 'b', log);
    void b.run();
    await clock.advance(1_000);
    expect(log).toEqual(['a started', 'a stopped']); // b first sees the record now and waits 15 s
    await clock.advance(16_000);
    expect(log.at(-1)).toBe('b started');
    aCutOff = false;
    await clock.advance(20_000);
    expect(log.at(-1)).toBe('b started'); // a campaigns but b holds the Lease
    expect(a.isLeader()).toBe(false);
    await a.release();
    await b.release();
  });

  it('campaigns again after losing the lease and leads again once the API server is back', async () => {
    const { clock, store, log, a } = world();
    const aRun = a.run();
    await settle();
    store.failing = true; // a 30 s API outage
    await clock.advance(30_000);
    expect(log).toEqual(['a started', 'a stopped']);
    store.failing = false;
    await clock.advance(5_000); // one retry period with jitter
    expect(log).toEqual(['a started', 'a stopped', 'a started']);
    expect(a.isLeader()).toBe(true);
    expect(a.termsLed()).toBe(2);
    // Our own record: no wait for it to expire, and no extra transition.
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0 });
    await a.release();
    await aRun;
    expect(a.isRunning()).toBe(false);
  });

  it('waits for onStoppedLeading to finish before the next term starts', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    let finishStopping = (): void => {};
    const a = new LeaderElector({
      store,
      identity: 'a',
      clock,
      random: () => 0,
      onStartedLeading: () => log.push('started'),
      onStoppedLeading: () =>
        new Promise<void>((done) => {
          log.push('stopping');
          finishStopping = () => {
            log.push('stopped');
            done();
          };
        }),
      onError: () => {},
    });
    void a.run();
    await settle();
    store.failing = true;
    await clock.advance(12_000);
    store.failing = false;
    await clock.advance(10_000);
    expect(log).toEqual(['started', 'stopping']);
    finishStopping();
    await clock.advance(3_000);
    expect(log).toEqual(['started', 'stopping', 'stopped', 'started']);
    const released = a.release();
    await settle();
    finishStopping();
    await released;
  });

  it('resign ends the term, releases the Lease and campaigns again', async () => {
    const { clock, store, log, a } = world();
    void a.run();
    await settle();
    a.resign();
    await settle();
    expect(log).toEqual(['a started', 'a stopped']);
    expect(store.lease?.spec?.holderIdentity).toBe('');
    await clock.advance(5_000);
    expect(log).toEqual(['a started', 'a stopped', 'a started']);
    await a.release();
  });

  it('steps down when a renewal hangs past the renew deadline', async () => {
    const { clock, store, log, a } = world();
    void a.run();
    await settle();
    // The API server stops answering (renewals PUT without a GET, so both hang).
    store.get = () => new Promise(() => {});
    store.update = () => new Promise(() => {});
    await clock.advance(12_000);
    expect(log).toEqual(['a started', 'a stopped']);
    expect(a.isLeader()).toBe(false);
    expect(a.isRunning()).toBe(true);
  });

  it('rejects inconsistent timings with the values in the message', () => {
    expect(
      () =>
        new LeaderElector({
          store: new MemoryLeaseStore(),
          identity: 'a',
          leaseDurationSeconds: 10,
          renewDeadlineSeconds: 10,
          onStartedLeading: () => {},
          onStoppedLeading: () => {},
        }),
    ).toThrow('renewDeadlineSeconds (10) must be less than leaseDurationSeconds (10)');
  });
});
