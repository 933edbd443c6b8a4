// One pass over an ImageWatch: validate it, ask the registry when a check is due (or a webhook or
// the check-now action asked), record the candidate and the Ready/Error conditions in status, and
// say when to look again. Writing to Git is the repository sync's job; it reads the candidate from
// status. A candidate a PromotionPipeline of the namespace holds is never recorded: the best tag
// not held is, or none (reason CandidateHeld, with how to release the hold).
import { createHash } from 'node:crypto';
import { IMAGE_WATCH_KIND, type ImageWatch, type ImageWatchStatus } from '../../api/gitsync.js';
import { apiResourceOf } from '../../api/kinds.js';
import { CHECK_REQUESTED_ANNOTATION } from '../../api/labels.js';
import type { EventRecorder } from '../../kube/events.js';
import { patchStatus } from '../../kube/patch.js';
import type { RestClient } from '../../kube/rest.js';
import { formatTime } from '../../kube/timestamps.js';
import type { Logger } from '../../process/logger.js';
import { conditionsFor, sameConditions } from '../conditions.js';
import type { PushCheck } from '../gittarget/push-retry.js';
import { validateWriteTarget } from '../gittarget/write-targets.js';
import type { GitSyncMetrics } from '../metrics.js';
import { readSecretData, SecretError } from '../secrets.js';
import {
  candidateReference,
  checkImage,
  heldCandidate,
  holdMessage,
  type ImageHold,
  type ImageSource,
} from './check.js';
import { parseDuration } from './policy/duration.js';
import { acceptsTag, type CompiledPolicy, compilePolicy, isDowngrade } from './policy/strategy.js';
import { RegistryClient, RegistryError } from './registry/client.js';
import { locateRepository, type RepositoryLocation } from './registry/location.js';
import { credentialsFromDockerConfig } from './registry/pull-secret.js';
import { type Freshness, LruMap, SharedRepository } from './registry/shared-repository.js';
import { type CheckState, imageWatchState, previousCheckState } from './state.js';

export const IMAGE_WATCHES = apiResourceOf(IMAGE_WATCH_KIND);
export const DEFAULT_INTERVAL_MS = 2 * 60_000;
/** Ready reason when every candidate the policy would take is held by a PromotionPipeline. */
export const CANDIDATE_HELD = 'CandidateHeld';

export interface ImageWatchDeps {
  readonly client: RestClient;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly metrics: GitSyncMetrics;
  readonly gitTargetExists: (namespace: string, name: string) => boolean;
  readonly registries: RegistryClients;
  readonly now: () => number;
  /** Holds of PromotionPipelines in the watch's namespace on its image repository; default none. */
  readonly holdsFor?: (watch: ImageWatch) => readonly ImageHold[];
}

interface ValidWatch {
  readonly policy: CompiledPolicy;
  readonly intervalMs: number;
  readonly location: RepositoryLocation;
}

export function validateImageWatch(watch: ImageWatch): ValidWatch | { error: string } {
  const policy = compilePolicy(watch.spec.policy);
  if ('error' in policy) return policy;
  const interval =
    watch.spec.interval === undefined ? DEFAULT_INTERVAL_MS : parseDuration(watch.spec.interval);
  if (typeof interval !== 'number') return { error: `spec.interval: ${interval.error}` };
  if (interval < 1000) return { error: 'spec.interval must be at least 1s' };
  const location = locateRepository(watch.spec.image, watch.spec.insecure === true);
  if ('error' in location) return { error: `spec.image: ${location.error}` };
  for (const target of watch.spec.targets) {
    const problem = validateWriteTarget(target);
    if (problem !== undefined) return { error: `spec.targets: ${problem}` };
  }
  return { policy, intervalMs: interval, location };
}

/**
 * The check-now request to honour, if any: the annotation's value when it parses, is later than
 * status.lastCheckedAt, and is not the request already handled (kept in memory by the caller, so
 * a requester whose clock runs ahead of ours gets one check, not one per reconcile).
 */
export function pendingCheckRequest(watch: ImageWatch, lastHandled: string | undefined): string | undefined {
  const requested = watch.metadata.annotations?.[CHECK_REQUESTED_ANNOTATION];
  if (requested === undefined || requested === lastHandled) return undefined;
  const at = Date.parse(requested);
  if (Number.isNaN(at)) return undefined;
  const lastChecked = watch.status?.lastCheckedAt;
  return lastChecked !== undefined && at <= Date.parse(lastChecked) ? undefined : requested;
}

export async function reconcileImageWatch(
  deps: ImageWatchDeps,
  watch: ImageWatch,
  forced: boolean,
  /** A forced check for news (webhook, check-now) wants a tag listing started at or after this. */
  freshAfter?: number,
): Promise<{ requeueAfterMs?: number; check?: PushCheck }> {
  const now = deps.now();
  const status = watch.status ?? {};
  const valid = validateImageWatch(watch);
  const key = `${watch.metadata.namespace}/${watch.metadata.name}`;
  const next: ImageWatchStatus = { ...status, observedGeneration: watch.metadata.generation };
  let check: CheckState | undefined;
  let requeueAfterMs: number | undefined;
  let pushCheck: PushCheck | undefined;
  const holds = deps.holdsFor?.(watch) ?? [];
  const isHeld = (latest: ImageWatchStatus['latest']) =>
    latest?.tag !== undefined && heldCandidate(holds, latest.tag, latest.digest) !== undefined;

  const suspended = watch.spec.suspend === true;
  if ('error' in valid) {
    deps.metrics.errors.inc({ reason: 'InvalidSpec' });
  } else if (suspended) {
    // Pinned by a person: no registry calls; the repository sync writes nothing for it either.
    requeueAfterMs = undefined;
  } else {
    const lastChecked = status.lastCheckedAt === undefined ? 0 : Date.parse(status.lastCheckedAt);
    const specChanged = status.observedGeneration !== watch.metadata.generation;
    // A candidate held since it was picked is dropped, and a new one looked for at once.
    const latestHeld = isHeld(status.latest);
    const due = forced || specChanged || latestHeld || now >= lastChecked + valid.intervalMs;
    if (due) {
      const freshness = { maxAgeMs: valid.intervalMs, ...(freshAfter !== undefined && { freshAfter }) };
      const result = await checkNow(deps, watch, valid, now, holds, freshness);
      next.lastCheckedAt = formatTime(now);
      const refused = refusedDowngrade(watch, valid.policy, status.latest, result.latest);
      if (refused !== undefined) {
        result.latest = status.latest;
        void deps.events.warning(watch, 'DowngradeRefused', refused);
        deps.logger.info({ imageWatch: key, message: refused }, 'downgrade refused');
      }
      check = result.check;
      pushCheck = {
        failed: result.check?.error === true,
        ...(result.tags !== undefined && { tags: result.tags }),
      };
      if (result.latest !== undefined) next.latest = result.latest;
      if (specChanged && result.latest === undefined) delete next.latest;
      if (isHeld(next.latest)) delete next.latest;
      requeueAfterMs = valid.intervalMs;
      if (result.latest !== undefined && result.latest.image !== status.latest?.image) {
        // No Event of its own: the repository sync says ImageBumped (or WriteFailed, ManualChange)
        // for each target, and status.latest shows the pick; one Event per bump, not two. Only a
        // pick that passed over held images says so, which nothing else would.
        if (result.skipped !== undefined && result.skipped.length > 0) {
          const held = result.skipped.map((h) => `${h.image} (PromotionPipeline ${h.pipeline})`).join(', ');
          void deps.events.normal(
            watch,
            'NewCandidate',
            `picked ${result.latest.image} (${valid.policy.description}); passed over held ${held}`,
          );
        }
        deps.logger.info({ imageWatch: key, image: result.latest.image }, 'new candidate');
      }
    } else {
      check = previousCheckState(status) ?? previousHeldState(status);
      requeueAfterMs = lastChecked + valid.intervalMs - now;
    }
  }

  const missingGitTargets = [...new Set(watch.spec.targets.map((t) => t.gitTarget))].filter(
    (name) => !deps.gitTargetExists(watch.metadata.namespace, name),
  );
  const state = imageWatchState({
    watch: { ...watch, status: next },
    ...('error' in valid && { specError: valid.error }),
    ...(suspended && { suspended: true }),
    ...(check !== undefined && { check }),
    missingGitTargets,
  });
  const conditions = conditionsFor(status.conditions, state, formatTime(now));
  const changed =
    !sameConditions(status.conditions, conditions) ||
    next.lastCheckedAt !== status.lastCheckedAt ||
    next.observedGeneration !== status.observedGeneration ||
    JSON.stringify(next.latest) !== JSON.stringify(status.latest);
  if (changed) {
    const previousReady = status.conditions?.find((c) => c.type === 'Ready');
    const tellsPerson = state.error || state.reason === CANDIDATE_HELD;
    if (tellsPerson && (previousReady?.reason !== state.reason || previousReady.message !== state.message)) {
      void deps.events.warning(watch, state.reason, state.message);
    }
    await patchStatus(
      deps.client,
      { resource: IMAGE_WATCHES, namespace: watch.metadata.namespace, name: watch.metadata.name },
      // Only the fields this reconciler owns: `writes` belongs to the repository sync.
      {
        observedGeneration: next.observedGeneration,
        lastCheckedAt: next.lastCheckedAt ?? null,
        latest: next.latest ?? null,
        conditions,
      },
    );
  }
  const checked = pushCheck === undefined ? {} : { check: pushCheck };
  return requeueAfterMs === undefined
    ? checked
    : { ...checked, requeueAfterMs: Math.max(1000, requeueAfterMs) };
}

async function checkNow(
  deps: ImageWatchDeps,
  watch: ImageWatch,
  valid: ValidWatch,
  now: number,
  holds: readonly ImageHold[],
  freshness: Freshness,
): Promise<{
  latest?: ImageWatchStatus['latest'];
  check?: CheckState;
  skipped?: readonly ImageHold[];
  tags?: readonly string[];
}> {
  let tags: readonly string[] | undefined;
  try {
    const source = await deps.registries.forWatch(watch, valid.location, freshness);
    // The tags listed, so a webhook-triggered check can tell whether it saw the pushed one.
    const observed: ImageSource = {
      listTags: async (...args) => {
        const listed = await source.listTags(...args);
        tags = listed;
        return listed;
      },
      resolve: (...args) => source.resolve(...args),
      buildTime: (...args) => source.buildTime(...args),
    };
    const outcome = await checkImage(
      observed,
      valid.policy,
      now,
      watch.spec.platform,
      (tag, digest) => heldCandidate(holds, tag, digest),
      (count) => deps.metrics.invalidTags.inc(count),
    );
    if (outcome.kind === 'none' && outcome.held === undefined) {
      deps.metrics.checks.inc({ result: 'none' });
      return { check: { reason: 'NoCandidate', message: outcome.why, error: false }, ...(tags && { tags }) };
    }
    if (outcome.kind === 'none') {
      deps.metrics.checks.inc({ result: 'none' });
      const [first, ...more] = outcome.held as [ImageHold, ...ImageHold[]];
      const also = more.length === 0 ? '' : ` (${more.length} more held tag(s) match the policy)`;
      const message = `nothing written: ${holdMessage(first, watch.metadata.namespace)}${also}`;
      return { check: { reason: CANDIDATE_HELD, message, error: false }, ...(tags && { tags }) };
    }
    deps.metrics.checks.inc({ result: 'candidate' });
    const { candidate } = outcome;
    return {
      latest: {
        tag: candidate.tag,
        digest: candidate.digest,
        ...(candidate.createdAt !== undefined && { createdAt: formatTime(candidate.createdAt) }),
        image: candidateReference(watch.spec.image, valid.policy, candidate),
      },
      skipped: outcome.skipped,
      ...(tags && { tags }),
    };
  } catch (error) {
    deps.metrics.checks.inc({ result: 'error' });
    const reason =
      error instanceof RegistryError
        ? `Registry${error.reason}`
        : error instanceof SecretError
          ? 'PullSecretError'
          : 'RegistryUnavailable';
    deps.metrics.errors.inc({ reason });
    return { check: { reason, message: (error as Error).message, error: true } };
  }
}

/**
 * Why a new candidate is refused as a downgrade, if it is: it ranks below the current one, the
 * current one still passes the policy (it was not excluded by a new spec, only perhaps deleted from
 * the registry), and policy.allowDowngrade is not set. The current one stays and is written.
 */
export function refusedDowngrade(
  watch: ImageWatch,
  policy: CompiledPolicy,
  current: ImageWatchStatus['latest'],
  next: ImageWatchStatus['latest'],
): string | undefined {
  if (watch.spec.policy.allowDowngrade === true) return undefined;
  if (current?.tag === undefined || next?.tag === undefined) return undefined;
  const sameImage =
    current.image.startsWith(`${watch.spec.image}:`) || current.image.startsWith(`${watch.spec.image}@`);
  if (!sameImage || !acceptsTag(policy, current.tag)) return undefined;
  const time = (t: string | undefined) => (t === undefined ? undefined : Date.parse(t));
  const from = { tag: current.tag, ...(current.createdAt && { createdAt: time(current.createdAt)! }) };
  const to = { tag: next.tag, ...(next.createdAt && { createdAt: time(next.createdAt)! }) };
  if (!isDowngrade(policy, from, to)) return undefined;
  return (
    `kept ${current.image}: the best tag the registry offers now, ${next.tag}, ranks below it ` +
    `(${policy.description}); set spec.policy.allowDowngrade to take it`
  );
}

/**
 * The conditions an ImageWatch will have once the repository sync's `writes` are in, as its own
 * reconcile would compute them between checks: the sync writes them in the same patch, so the
 * reconcile that follows finds nothing to change. Undefined for an invalid spec (left to it).
 */
export function conditionsAfterWrites(
  watch: ImageWatch,
  writes: NonNullable<ImageWatchStatus['writes']>,
  now: string,
  gitTargetExists: (namespace: string, name: string) => boolean,
): ImageWatchStatus['conditions'] | undefined {
  if ('error' in validateImageWatch(watch)) return undefined;
  const status = { ...watch.status, writes };
  const check = previousCheckState(status) ?? previousHeldState(status);
  const missingGitTargets = [...new Set(watch.spec.targets.map((t) => t.gitTarget))].filter(
    (name) => !gitTargetExists(watch.metadata.namespace, name),
  );
  const state = imageWatchState({
    watch: { ...watch, status },
    ...(watch.spec.suspend === true && { suspended: true }),
    ...(check !== undefined && { check }),
    missingGitTargets,
  });
  const conditions = conditionsFor(watch.status?.conditions, state, now);
  return sameConditions(watch.status?.conditions, conditions) ? undefined : conditions;
}

/** A CandidateHeld state is kept between checks like the check reasons of image-watch-state. */
function previousHeldState(status: ImageWatchStatus): CheckState | undefined {
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  return ready?.reason === CANDIDATE_HELD
    ? { reason: CANDIDATE_HELD, message: ready.message ?? '', error: false }
    : undefined;
}

/** Repositories (registry, repository and credentials) kept at once; least recently used out first. */
export const MAX_SHARED_REPOSITORIES = 1024;

/**
 * Registry access shared by every ImageWatch of one repository with the same credentials: one
 * client (token, build times) and one tag listing per interval (shared-repository.ts). Keyed by
 * the credentials themselves (hashed), so watches only share what their own secret could read.
 */
export class RegistryClients {
  private readonly repositories = new LruMap<string, SharedRepository>(MAX_SHARED_REPOSITORIES);

  constructor(
    private readonly client: RestClient,
    private readonly onThrottled: () => void,
    private readonly factory: (
      location: RepositoryLocation,
      watch: ImageWatch,
    ) => ImageSource | undefined = () => undefined,
    private readonly tokenHosts?: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  async forWatch(
    watch: ImageWatch,
    location: RepositoryLocation,
    freshness: Freshness,
  ): Promise<ImageSource> {
    const custom = this.factory(location, watch);
    if (custom !== undefined) return custom;
    let credentials: { username: string; password: string } | undefined;
    if (watch.spec.pullSecret !== undefined) {
      const secret = await readSecretData(this.client, watch.metadata.namespace, watch.spec.pullSecret.name);
      const json = secret.data['.dockerconfigjson'];
      if (json === undefined) {
        throw new SecretError(`Secret ${watch.spec.pullSecret.name} has no .dockerconfigjson key`);
      }
      try {
        credentials = credentialsFromDockerConfig(json, location.host);
      } catch (error) {
        throw new SecretError(`Secret ${watch.spec.pullSecret.name}: ${(error as Error).message}`);
      }
    }
    const identity =
      credentials === undefined
        ? 'anonymous'
        : createHash('sha256').update(`${credentials.username}\0${credentials.password}`).digest('hex');
    const key = `${location.baseUrl}/${location.repository}|${identity}`;
    let shared = this.repositories.get(key);
    if (shared === undefined) {
      const client = new RegistryClient(location, {
        ...(credentials !== undefined && { credentials }),
        onThrottled: this.onThrottled,
        ...(this.tokenHosts !== undefined && { tokenHosts: this.tokenHosts }),
      });
      shared = new SharedRepository(client, this.now);
      this.repositories.set(key, shared);
    }
    return shared.view(freshness);
  }

  /** Tag listings sent to registries so far (all repositories kept). */
  get listings(): number {
    let total = 0;
    for (const shared of this.repositories.values()) total += shared.listings;
    return total;
  }
}
