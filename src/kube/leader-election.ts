// Lease-based leader election (coordination.k8s.io/v1), following client-go's algorithm:
// a lease is held while its holder keeps renewing it; others judge expiry by their own clock
// from when they last saw the record change, never by the holder's timestamps (clock skew).
import { AlreadyExistsError, ConflictError, NotFoundError } from './api-error.js';
import { type Clock, sleep, systemClock, type TimerHandle } from './clock.js';
import type { ObjectMeta } from './object.js';
import { createObject, updateObject } from './patch.js';
import { coreResources } from './resource.js';
import type { RestClient } from './rest.js';
import { formatMicroTime } from './timestamps.js';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: LeaseSpec;
}

/**
 * Reads and writes the one Lease. `create` fails with AlreadyExistsError when the Lease exists;
 * `update` fails with ConflictError on a stale resourceVersion.
 */
export interface LeaseStore {
  readonly description: string;
  get(): Promise<Lease | undefined>;
  create(spec: LeaseSpec): Promise<Lease>;
  update(lease: Lease): Promise<Lease>;
}

export function apiLeaseStore(client: RestClient, lease: { namespace: string; name: string }): LeaseStore {
  const resource = coreResources.leases;
  return {
    description: `Lease ${lease.namespace}/${lease.name}`,
    async get() {
      try {
        return await client.get<Lease>(resource, lease.namespace, lease.name);
      } catch (error) {
        if (error instanceof NotFoundError) {
          return undefined;
        }
        throw error;
      }
    },
    create: (spec) =>
      createObject<Lease>(client, resource, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: lease.name, namespace: lease.namespace },
        spec,
      }),
    update: (object) => updateObject(client, resource, object),
  };
}

export interface LeaderElectionOptions {
  store: LeaseStore;
  /** Unique per process, e.g. the pod name plus a random suffix. */
  identity: string;
  /** How long a lease is valid without renewal; a whole number (the Lease field is int32). Default 15. */
  leaseDurationSeconds?: number;
  /** The leader gives up if it could not renew for this long. Default 10. */
  renewDeadlineSeconds?: number;
  /** Time between acquire/renew attempts. Default 2. */
  retryPeriodSeconds?: number;
  /** We became leader; `signal` aborts when we stop leading. */
  onStartedLeading(signal: AbortSignal): void;
  /**
   * We were leader and no longer are (lost the lease or released it). The elector waits for a
   * returned promise before it campaigns again, so the work of one term has stopped before
   * the next term can start.
   */
  onStoppedLeading(): unknown;
  /** Someone (possibly us) holds the lease now. */
  onNewLeader?(identity: string): void;
  onError?(error: Error): void;
  clock?: Clock;
  /** Defaults to Math.random; acquire retries wait retryPeriod * (1 + 1.2 * random()), as in client-go. */
  random?: () => number;
}

const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly store: LeaseStore;
  private readonly identity: string;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly options: LeaderElectionOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  /** The last lease spec we saw and when (our clock) it last changed. */
  private observedSpec: string | undefined;
  private observedAt = 0;
  private observedLease: Lease | undefined;
  private reportedLeader: string | undefined;
  private leading = false;
  private stopRequested = false;
  /** Set by resign(): end the current term but keep campaigning. */
  private resignRequested = false;
  private wakeSleeper: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private active = false;
  private terms = 0;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.store = options.store;
    this.identity = options.identity;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    const renewDeadlineSeconds = options.renewDeadlineSeconds ?? 10;
    const retryPeriodSeconds = options.retryPeriodSeconds ?? 2;
    const where = `leader election on ${this.store.description}`;
    if (!options.identity) {
      throw new Error(`${where}: identity must not be empty`);
    }
    if (!Number.isInteger(this.leaseDurationSeconds) || this.leaseDurationSeconds < 1) {
      throw new Error(
        `${where}: leaseDurationSeconds must be a whole number >= 1, got ${this.leaseDurationSeconds}`,
      );
    }
    if (renewDeadlineSeconds >= this.leaseDurationSeconds) {
      throw new Error(
        `${where}: renewDeadlineSeconds (${renewDeadlineSeconds}) must be less than leaseDurationSeconds (${this.leaseDurationSeconds})`,
      );
    }
    if (renewDeadlineSeconds <= JITTER_FACTOR * retryPeriodSeconds) {
      throw new Error(
        `${where}: renewDeadlineSeconds (${renewDeadlineSeconds}) must be more than ${JITTER_FACTOR} x retryPeriodSeconds (${retryPeriodSeconds})`,
      );
    }
    this.renewDeadlineMs = renewDeadlineSeconds * 1000;
    this.retryPeriodMs = retryPeriodSeconds * 1000;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** True from run() until release() or an internal failure ends the campaign loop. */
  isRunning(): boolean {
    return this.active;
  }

  /** How many terms we have led so far (for logs and tests). */
  termsLed(): number {
    return this.terms;
  }

  /**
   * Campaigns, leads while renewals succeed, and after losing the lease (an API outage longer
   * than the renew deadline, another holder) campaigns again: as a client-go controller does
   * after the kubelet restarts it, but without the restart, which nothing performs when the
   * process runs outside a pod (`slipway dev`, tests). Resolves only after release(), or if
   * the loop itself fails (isRunning() turns false, so /healthz can report it).
   */
  run(): Promise<void> {
    if (this.running) {
      throw new Error(`leader election on ${this.store.description}: run() called twice`);
    }
    this.active = true;
    this.running = this.loop().finally(() => {
      this.active = false;
    });
    return this.running;
  }

  /**
   * Stops campaigning; if we lead, writes an empty holderIdentity so a standby takes over at
   * its next retry instead of waiting out the lease, then calls onStoppedLeading.
   */
  async release(): Promise<void> {
    this.stopRequested = true;
    this.wakeSleeper?.();
    await this.running;
  }

  /**
   * Ends the current term (releasing the Lease, calling onStoppedLeading) but keeps campaigning,
   * e.g. when starting the controllers failed and a fresh start may succeed.
   */
  resign(): void {
    if (!this.leading) return;
    this.resignRequested = true;
    this.wakeSleeper?.();
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopRequested) {
        await this.term();
      }
    } catch (error) {
      this.report(
        new Error(
          `leader election on ${this.store.description}: stopped campaigning: ${errorMessage(error)}`,
          {
            cause: error,
          },
        ),
      );
    }
  }

  /** One term: campaign until we hold the lease, lead until we lose or give it up. */
  private async term(): Promise<void> {
    while (!this.stopRequested) {
      if (await this.attempt()) {
        break;
      }
      await this.pause(this.retryPeriodMs * (1 + JITTER_FACTOR * this.random()));
    }
    if (this.stopRequested) {
      return;
    }
    this.leading = true;
    this.resignRequested = false;
    this.terms += 1;
    const leadership = new AbortController();
    this.safely('onStartedLeading', () => this.options.onStartedLeading(leadership.signal));

    let lastRenewal = this.clock.now();
    while (!this.stopRequested && !this.resignRequested) {
      await this.pause(this.retryPeriodMs);
      if (this.stopRequested || this.resignRequested) {
        break;
      }
      if (await this.attempt()) {
        lastRenewal = this.clock.now();
      } else if (this.clock.now() - lastRenewal >= this.renewDeadlineMs || !this.holdsLease()) {
        this.report(
          new Error(`leader election on ${this.store.description}: ${this.identity} lost the lease`),
        );
        break;
      }
    }
    const giveUp = this.stopRequested || this.resignRequested;
    if (giveUp) {
      await this.releaseLease();
    }
    this.leading = false;
    leadership.abort();
    try {
      await this.options.onStoppedLeading();
    } catch (error) {
      this.report(
        new Error(`leader election: onStoppedLeading threw: ${errorMessage(error)}`, { cause: error }),
      );
    }
    if (this.resignRequested && !this.stopRequested) {
      this.resignRequested = false;
      // A resigned term gave the Lease away; wait a round so a standby can take it.
      await this.pause(this.retryPeriodMs);
    }
  }

  /**
   * One acquire-or-renew round; true when we hold the lease afterwards. Bounded by the renew
   * deadline, so a hung request cannot keep a leader believing it still leads.
   */
  private async attempt(): Promise<boolean> {
    let timer: TimerHandle | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = this.clock.setTimer(this.renewDeadlineMs, () =>
        reject(new Error(`no answer from the API server within ${this.renewDeadlineMs} ms`)),
      );
    });
    try {
      return await Promise.race([this.tryAcquireOrRenew(), deadline]);
    } catch (error) {
      this.report(
        new Error(`leader election on ${this.store.description}: ${errorMessage(error)}`, { cause: error }),
      );
      return false;
    } finally {
      timer?.cancel();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    // client-go's fast path: the leader renews with the Lease its own last write returned (one
    // PUT, no GET); a conflict or any failure falls back to reading the Lease.
    const ours = this.observedLease;
    if (
      this.leading &&
      ours &&
      this.holdsLease() &&
      this.observedAt + this.leaseDurationSeconds * 1000 > now
    ) {
      try {
        const renewed = await this.store.update({ ...ours, spec: this.ourSpec(now, ours.spec) });
        this.observe(renewed, now);
        return true;
      } catch (error) {
        this.report(
          new Error(
            `leader election on ${this.store.description}: renewing without a read failed (${errorMessage(error)}); reading the Lease`,
            { cause: error },
          ),
        );
      }
    }
    const existing = await this.store.get();
    if (!existing) {
      try {
        const created = await this.store.create(this.ourSpec(now, undefined));
        this.observe(created, now);
        return true;
      } catch (error) {
        if (error instanceof AlreadyExistsError) {
          return false;
        }
        throw error;
      }
    }
    this.observe(existing, now);
    const spec = existing.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const duration = (spec.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    if (holder !== '' && holder !== this.identity && this.observedAt + duration > now) {
      return false;
    }
    try {
      const updated = await this.store.update({ ...existing, spec: this.ourSpec(now, spec) });
      this.observe(updated, now);
      return true;
    } catch (error) {
      if (error instanceof ConflictError) {
        // Someone else wrote the lease between our read and write; they win this round.
        return false;
      }
      throw error;
    }
  }

  private ourSpec(now: number, previous: LeaseSpec | undefined): LeaseSpec {
    const renewing = previous?.holderIdentity === this.identity;
    const transitions = previous?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: renewing ? (previous?.acquireTime ?? formatMicroTime(now)) : formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: previous === undefined ? 0 : renewing ? transitions : transitions + 1,
    };
  }

  private observe(lease: Lease, now: number): void {
    const spec = lease.spec ?? {};
    const fingerprint = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseTransitions]);
    if (fingerprint !== this.observedSpec) {
      this.observedSpec = fingerprint;
      this.observedAt = now;
    }
    this.observedLease = lease;
    const holder = spec.holderIdentity ?? '';
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.safely('onNewLeader', () => this.options.onNewLeader?.(holder));
    }
  }

  private holdsLease(): boolean {
    return this.observedLease?.spec?.holderIdentity === this.identity;
  }

  private async releaseLease(): Promise<void> {
    const lease = this.observedLease;
    if (!lease || !this.holdsLease()) {
      return;
    }
    const now = this.clock.now();
    try {
      // client-go's release: empty holder, 1 s duration, transitions kept.
      const released = await this.store.update({
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: formatMicroTime(now),
          renewTime: formatMicroTime(now),
        },
      });
      this.observe(released, now);
    } catch (error) {
      // The lease then simply expires after leaseDurationSeconds.
      this.report(
        new Error(`leader election on ${this.store.description}: release failed: ${errorMessage(error)}`, {
          cause: error,
        }),
      );
    }
  }

  private async pause(ms: number): Promise<void> {
    const timer = sleep(this.clock, ms);
    this.wakeSleeper = timer.wake;
    await timer.done;
    this.wakeSleeper = undefined;
  }

  private safely(callback: string, invoke: () => void): void {
    try {
      invoke();
    } catch (error) {
      this.report(new Error(`leader election: ${callback} threw: ${errorMessage(error)}`, { cause: error }));
    }
  }

  private report(error: Error): void {
    (this.options.onError ?? ((e: Error) => console.error(e)))(error);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
