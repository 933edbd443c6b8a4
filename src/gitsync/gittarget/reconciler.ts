// One repository sync for a GitTarget: derive the edits every ImageWatch owes it, apply them on
// the branch head in one commit, push (re-applying on a new head when someone pushed first), and
// report per target in ImageWatch status, in GitTarget status and as Events.
import {
  GIT_TARGET_KIND,
  type GitTarget,
  type ImageWatch,
  type ImageWatchStatus,
} from '../../api/gitsync.js';
import { apiResourceOf } from '../../api/kinds.js';
import { SYNC_REQUESTED_ANNOTATION } from '../../api/labels.js';
import type { ScmSpec } from '../../api/promotion.js';
import { ConflictError, NotFoundError } from '../../kube/api-error.js';
import type { EventRecorder } from '../../kube/events.js';
import { patchStatus } from '../../kube/patch.js';
import type { RestClient } from '../../kube/rest.js';
import { formatTime } from '../../kube/timestamps.js';
import type { Logger } from '../../process/logger.js';
import { conditionsFor, sameConditions } from '../conditions.js';
import { IMAGE_WATCHES } from '../imagewatch/reconciler.js';
import type { LruMap } from '../imagewatch/registry/shared-repository.js';
import type { GitSyncMetrics } from '../metrics.js';
import { readSecretData } from '../secrets.js';
import { type PlannedEdit, planRepositoryEdits, type RepositoryPlan, targetId } from './repository-plan.js';
import { createScmProvider } from './scm/factory.js';
import { type GitAccess, prepareGitAccess, redact } from './workspace/git-credentials.js';
import type { KeyedMutex } from './workspace/keyed-mutex.js';
import { type ProposalResult, proposeEdits } from './workspace/propose-batch.js';
import { type BatchResult, KnownEdits, PushRejectedError, pushEdits } from './workspace/push-batch.js';
import { checkRepositoryUrl, type RepositoryUrlPolicy } from './workspace/repository-url.js';
import { type CommitSigning, prepareSigning } from './workspace/signing.js';
import { GitWorkspace } from './workspace/workspace.js';

export const GIT_TARGETS = apiResourceOf(GIT_TARGET_KIND);
const BRANCH_NAME = /^(?!\/|.*\/\/|.*\.\.|.*@\{|.*[\s~^:?*[\\]|.*\.lock$|.*\/$)[^\0]+$/;
/** status.lastSyncedAt is refreshed by a sync that changed nothing once it is this old. */
export const LAST_SYNCED_REFRESH_MS = 5 * 60_000;

type WriteEntry = NonNullable<ImageWatchStatus['writes']>[number];

export interface GitTargetDeps {
  readonly client: RestClient;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly metrics: GitSyncMetrics;
  /** Serializes work per repository and branch. */
  readonly repositories: KeyedMutex;
  /** Serializes status writes per ImageWatch (several GitTargets may report to one). */
  readonly watchStatus: KeyedMutex;
  readonly workDir: string;
  readonly now: () => number;
  readonly sshProgram?: string;
  readonly maxPushAttempts?: number;
  /** Which repository URLs GitTargets may name; default https and ssh only. */
  readonly urlPolicy?: RepositoryUrlPolicy;
  /** Files over this size are refused; default DEFAULT_MAX_FILE_BYTES. */
  readonly maxFileBytes?: number;
  /** The freshest known copy of an ImageWatch (the informer's); default the one the sync began with. */
  readonly currentWatch?: (namespace: string, name: string) => ImageWatch | undefined;
  /** The ImageWatch's conditions once these writes are in, written with them (one patch, not two). */
  readonly watchConditions?: (
    watch: ImageWatch,
    writes: NonNullable<ImageWatchStatus['writes']>,
    now: string,
  ) => unknown[] | undefined;
  /** Per GitTarget, what earlier batches left in its branch (incremental syncs). */
  readonly knownEdits?: LruMap<string, KnownEdits>;
}

/** The sync-now request still open: it parses and status.lastSyncedAt is not at or after it. */
export function pendingSyncRequest(target: GitTarget): string | undefined {
  const requested = target.metadata.annotations?.[SYNC_REQUESTED_ANNOTATION];
  if (requested === undefined) return undefined;
  const at = Date.parse(requested);
  if (Number.isNaN(at)) return undefined;
  const lastSynced = target.status?.lastSyncedAt;
  return lastSynced !== undefined && Date.parse(lastSynced) >= at ? undefined : requested;
}

/** An update that asks for a sync: the request annotation changed and is still open. */
export function syncRequested(old: GitTarget, target: GitTarget): string | undefined {
  const requested = pendingSyncRequest(target);
  return requested !== undefined && old.metadata.annotations?.[SYNC_REQUESTED_ANNOTATION] !== requested
    ? requested
    : undefined;
}

export function validateGitTarget(
  target: GitTarget,
  urlPolicy: RepositoryUrlPolicy = {},
): string | undefined {
  const { spec } = target;
  const badUrl = checkRepositoryUrl(spec.url, urlPolicy);
  if (badUrl !== undefined) return badUrl;
  if (!BRANCH_NAME.test(spec.branch)) {
    return `spec.branch "${spec.branch}" is not a valid branch name`;
  }
  if (spec.author !== undefined && !spec.author.email.includes('@')) {
    return `spec.author.email "${spec.author.email}" is not an e-mail address`;
  }
  if (spec.commitMessage !== undefined && spec.commitMessage.trim() === '')
    return 'spec.commitMessage is empty';
  if (spec.pullRequest !== undefined && spec.mode !== 'pull-request') {
    return 'spec.pullRequest is set but spec.mode is not pull-request';
  }
  if (spec.pullRequest?.branch !== undefined && spec.pullRequest.branch === spec.branch) {
    return 'spec.pullRequest.branch must differ from spec.branch';
  }
  if (spec.mode === 'pull-request' && spec.pullRequest?.scm === undefined) {
    return 'spec.pullRequest.scm is required in pull-request mode (where to open the pull request)';
  }
  if (spec.writeBranch !== undefined) {
    if (spec.mode === 'pull-request')
      return 'spec.writeBranch is for commit mode; use spec.pullRequest.branch';
    if (spec.writeBranch === spec.branch) return 'spec.writeBranch must differ from spec.branch';
  }
  for (const [field, branch] of [
    ['spec.writeBranch', spec.writeBranch],
    ['spec.pullRequest.branch', spec.pullRequest?.branch],
  ] as const) {
    if (branch !== undefined && !BRANCH_NAME.test(branch))
      return `${field} "${branch}" is not a valid branch name`;
  }
  return undefined;
}

export async function syncGitTarget(
  deps: GitTargetDeps,
  target: GitTarget,
  watches: readonly ImageWatch[],
): Promise<void> {
  const now = formatTime(deps.now());
  const name = target.metadata.name;
  const plan = planRepositoryEdits(name, watches);
  const invalid = validateGitTarget(target, deps.urlPolicy);
  if (invalid !== undefined) {
    deps.metrics.errors.inc({ reason: 'InvalidSpec' });
    await reportFailure(deps, target, watches, plan, invalid, now);
    await writeTargetStatus(
      deps,
      target,
      { ready: false, error: true, reason: 'InvalidSpec', message: invalid },
      {},
      now,
    );
    return;
  }
  if (plan.edits.length === 0) {
    await reportTargets(deps, target, watches, plan, undefined, undefined, 'Pending', now);
    await writeTargetStatus(
      deps,
      target,
      { ready: true, error: false, reason: 'NothingToWrite', message: 'no candidates to write yet' },
      {},
      now,
    );
    return;
  }

  let access: GitAccess | undefined;
  let signing: CommitSigning | undefined;
  const started = Date.now();
  try {
    access = await gitAccessFor(deps, target);
    signing = await signingFor(deps, target);
    const scope = workspaceScope(target);
    const workspace = new GitWorkspace({
      root: deps.workDir,
      url: target.spec.url,
      branch: target.spec.branch,
      access,
      scope,
      ...(deps.urlPolicy !== undefined && { urlPolicy: deps.urlPolicy }),
      ...(deps.maxFileBytes !== undefined && { maxFileBytes: deps.maxFileBytes }),
      ...(target.spec.author !== undefined && { author: target.spec.author }),
      ...(signing !== undefined && { signing }),
    });
    const proposalBranch =
      target.spec.mode === 'pull-request'
        ? (target.spec.pullRequest?.branch ?? `slipway/bump/${name}`)
        : target.spec.writeBranch;
    if (proposalBranch !== undefined) {
      const proposal = await deps.repositories.run(
        `${scope}\n${target.spec.url}\n${target.spec.branch}`,
        () =>
          proposeEdits(workspace, plan.edits, access!, proposalBranch, {
            ...(target.spec.commitMessage !== undefined && { commitTemplate: target.spec.commitMessage }),
          }),
      );
      deps.metrics.syncSeconds.observe((Date.now() - started) / 1000);
      await recordProposal(deps, target, watches, plan, proposal, proposalBranch, now);
      return;
    }
    const repository = `${scope}\n${target.spec.url}\n${target.spec.branch}`;
    const knownKey = `${repository}\n${name}`;
    let known = deps.knownEdits?.get(knownKey);
    if (known === undefined && deps.knownEdits !== undefined) {
      known = new KnownEdits();
      deps.knownEdits.set(knownKey, known);
    }
    const result = await deps.repositories.run(repository, () =>
      pushEdits(workspace, plan.edits, {
        ...(known !== undefined && { known }),
        ...(target.spec.commitMessage !== undefined && { commitTemplate: target.spec.commitMessage }),
        ...(deps.maxPushAttempts !== undefined && { maxAttempts: deps.maxPushAttempts }),
        onRetry: (attempt) => {
          deps.metrics.pushes.inc({ result: 'conflict' });
          deps.metrics.pushRetries.inc();
          deps.logger.info(
            { gitTarget: keyOf(target), attempt },
            'branch moved; re-applying edits on the new head',
          );
        },
      }),
    );
    deps.metrics.syncSeconds.observe((Date.now() - started) / 1000);
    await recordSuccess(deps, target, watches, plan, result, now);
  } catch (error) {
    const secrets = access?.secrets ?? [];
    const message = redact((error as Error).message, secrets);
    const reason =
      error instanceof PushRejectedError ? (error.conflict ? 'PushConflict' : 'PushRejected') : 'GitError';
    deps.metrics.errors.inc({ reason });
    if (error instanceof PushRejectedError)
      deps.metrics.pushes.inc({ result: error.conflict ? 'conflict' : 'failed' });
    deps.logger.warn({ gitTarget: keyOf(target), reason, err: message }, 'repository sync failed');
    void deps.events.warning(target, reason, message);
    await writeTargetStatus(deps, target, { ready: false, error: true, reason, message }, {}, now);
    await reportFailure(deps, target, watches, plan, message, now);
    throw new Error(`GitTarget ${keyOf(target)}: ${message}`);
  } finally {
    await access?.dispose();
    await signing?.dispose();
  }
}

/**
 * A proposal branch was brought up to date: in pull-request mode the pull request is found or
 * opened (and merged with autoMerge), and the edits wait for it; with writeBranch they are done.
 */
async function recordProposal(
  deps: GitTargetDeps,
  target: GitTarget,
  watches: readonly ImageWatch[],
  plan: RepositoryPlan,
  proposal: ProposalResult,
  branch: string,
  now: string,
): Promise<void> {
  const changed = plan.edits.filter((e) => proposal.outcomes.get(e.id)?.kind === 'changed');
  if (proposal.pushed) {
    deps.metrics.pushes.inc({ result: 'ok' });
    deps.metrics.commits.inc();
    void deps.events.normal(
      target,
      'Pushed',
      `pushed ${proposal.commit!.slice(0, 12)} to ${branch} with ${changed.length} change(s)`,
    );
  }
  const result: BatchResult = {
    head: proposal.commit ?? proposal.base,
    ...(proposal.commit !== undefined && { commit: proposal.commit }),
    outcomes: proposal.outcomes,
    retries: 0,
  };
  const pullRequest = target.spec.pullRequest;
  if (
    target.spec.mode !== 'pull-request' ||
    proposal.commit === undefined ||
    pullRequest?.scm === undefined
  ) {
    await reportTargets(deps, target, watches, plan, result, undefined, 'Pending', now);
    const where = target.spec.mode === 'pull-request' ? target.spec.branch : branch;
    await writeTargetStatus(
      deps,
      target,
      { ready: true, error: false, reason: 'Synced', message: `branch ${where} has every edit` },
      {
        head: proposal.commit ?? proposal.base,
        ...(proposal.pushed && { lastPushedCommit: proposal.commit!, lastPushedAt: now }),
      },
      now,
    );
    return;
  }
  const scm = pullRequest.scm;
  const secret = (await readSecretData(deps.client, target.metadata.namespace, scm.secretRef.name)).data;
  const provider = createScmProvider(scm as ScmSpec, secret);
  const images = [...new Set(changed.map((e) => `${e.image}:${e.to}`))];
  const title =
    pullRequest.title ??
    `Bump ${images.length === 1 ? images[0] : `${images.length} images`} in ${target.spec.branch}`;
  const body = [
    'Slipway git-sync proposes these image updates:',
    '',
    ...changed.map((e) => `- \`${e.spec.file}\`: \`${e.reference}\` (ImageWatch ${e.watch}, ${e.policy})`),
  ].join('\n');
  const pr = await provider.findOrUpdatePullRequest({
    head: branch,
    base: target.spec.branch,
    title,
    body,
    labels: pullRequest.labels ?? [],
  });
  if (pr.created)
    void deps.events.normal(target, 'PullRequestOpened', `opened pull request #${pr.number}: ${pr.url}`);
  let merged: string | undefined;
  if (pullRequest.autoMerge === true) {
    const outcome = await provider.mergePullRequest(pr.number, {
      method: pullRequest.mergeMethod ?? 'merge',
      sha: proposal.commit,
    });
    if (outcome.merged) {
      merged = outcome.sha ?? proposal.commit;
      void deps.events.normal(target, 'PullRequestMerged', `merged pull request #${pr.number}: ${pr.url}`);
    } else {
      deps.logger.info(
        { gitTarget: keyOf(target), pullRequest: pr.url, reason: outcome.reason },
        'not merged yet',
      );
    }
  }
  const waiting = `proposed in pull request #${pr.number} (${pr.url}); written once it is merged`;
  await reportTargets(
    deps,
    target,
    watches,
    plan,
    merged === undefined ? result : { ...result, head: merged },
    undefined,
    'Pending',
    now,
    merged === undefined ? waiting : undefined,
  );
  await writeTargetStatus(
    deps,
    target,
    {
      ready: true,
      error: false,
      reason: merged === undefined ? 'PullRequestOpen' : 'Synced',
      message:
        merged === undefined ? waiting : `pull request #${pr.number} merged into ${target.spec.branch}`,
    },
    {
      head: proposal.base,
      ...(proposal.pushed && { lastPushedCommit: proposal.commit!, lastPushedAt: now }),
      pullRequest: { number: pr.number, url: pr.url, ...(merged !== undefined && { merged: true }) },
    },
    now,
  );
}

async function recordSuccess(
  deps: GitTargetDeps,
  target: GitTarget,
  watches: readonly ImageWatch[],
  plan: RepositoryPlan,
  result: BatchResult,
  now: string,
): Promise<void> {
  const changed = plan.edits.filter((e) => result.outcomes.get(e.id)?.kind === 'changed');
  const failed = plan.edits.filter((e) => result.outcomes.get(e.id)?.kind === 'error');
  if (result.commit !== undefined) {
    deps.metrics.pushes.inc({ result: 'ok' });
    deps.metrics.commits.inc();
    deps.metrics.bumps.inc(changed.length);
    const short = result.commit.slice(0, 12);
    deps.logger.info({ gitTarget: keyOf(target), commit: result.commit, changes: changed.length }, 'pushed');
    void deps.events.normal(
      target,
      'Pushed',
      `pushed ${short} to ${target.spec.branch} with ${changed.length} change(s)${result.retries > 0 ? ` after ${result.retries} retry(ies)` : ''}`,
    );
  }
  if (failed.length > 0) deps.metrics.errors.inc({ reason: 'EditFailed' }, failed.length);
  await reportTargets(deps, target, watches, plan, result, undefined, 'Pending', now);
  const message =
    failed.length > 0
      ? `${failed.length} edit(s) could not be applied; see the ImageWatch status`
      : `branch ${target.spec.branch} is at ${result.head.slice(0, 12)}`;
  await writeTargetStatus(
    deps,
    target,
    { ready: true, error: false, reason: failed.length > 0 ? 'SyncedWithErrors' : 'Synced', message },
    {
      head: result.head,
      ...(result.commit !== undefined && { lastPushedCommit: result.commit, lastPushedAt: now }),
    },
    now,
  );
}

/** Writes each ImageWatch's `writes` entries for this GitTarget (others' entries are kept). */
/** The sync failed before any edit was written: every target of every watch says why. */
function reportFailure(
  deps: GitTargetDeps,
  target: GitTarget,
  watches: readonly ImageWatch[],
  plan: RepositoryPlan,
  message: string,
  now: string,
): Promise<void> {
  const failure = `GitTarget ${target.metadata.name}: ${message}`;
  return reportTargets(deps, target, watches, plan, undefined, failure, 'Failed', now);
}

async function reportTargets(
  deps: GitTargetDeps,
  target: GitTarget,
  watches: readonly ImageWatch[],
  plan: RepositoryPlan,
  result: BatchResult | undefined,
  failure: string | undefined,
  failureState: 'Failed' | 'Pending',
  now: string,
  /** Changed edits wait for this (an open pull request) instead of being Applied. */
  waitingFor?: string,
): Promise<void> {
  const name = target.metadata.name;
  const edits = new Map<string, PlannedEdit>(plan.edits.map((e) => [e.id, e]));
  const invalid = new Map(plan.invalid.map((i) => [targetId(i.watch, i.index), i.reason]));
  // Watches are reported several at a time: 500 patches in a row held the next sync back.
  let nextWatch = 0;
  const reporter = async () => {
    while (nextWatch < watches.length) {
      const watch = watches[nextWatch]!;
      nextWatch += 1;
      await reportWatch(watch);
    }
  };
  await Promise.all(Array.from({ length: Math.min(REPORT_CONCURRENCY, watches.length) }, reporter));

  async function reportWatch(watch: ImageWatch): Promise<void> {
    const key = keyOf(watch);
    // Events are said once the status saying the same is written (and only for what changed).
    let events: (() => void)[] = [];
    await deps.watchStatus.run(key, async () => {
      // The informer's copy, not a GET per watch: the patch is conditional on its
      // resourceVersion, and only a conflict (the copy was stale) costs a read.
      let current: ImageWatch | undefined =
        deps.currentWatch?.(watch.metadata.namespace, watch.metadata.name) ?? watch;
      for (let attempt = 1; current !== undefined; attempt += 1) {
        events = [];
        const previous = current.status?.writes ?? [];
        const mine: WriteEntry[] = [];
        current.spec.targets.forEach((t, index) => {
          if (t.gitTarget !== name) return;
          const id = targetId(key, index);
          const old = previous.find((w) => w.gitTarget === name && w.path === t.path);
          const entry = entryFor(id, t.path, old);
          if (entry !== undefined) mine.push(entry);
        });
        const writes = [...previous.filter((w) => w.gitTarget !== name), ...mine];
        if (sameWrites(previous, writes)) return;
        const conditions = deps.watchConditions?.(current, writes, now);
        const resourceVersion = current.metadata.resourceVersion;
        try {
          await patchStatus(
            deps.client,
            { resource: IMAGE_WATCHES, namespace: watch.metadata.namespace, name: watch.metadata.name },
            { writes, ...(conditions !== undefined && { conditions }) },
            resourceVersion === undefined ? {} : { resourceVersion },
          );
          return;
        } catch (error) {
          if (error instanceof NotFoundError) return;
          if (!(error instanceof ConflictError) || attempt >= 5) throw error;
          current = await deps.client
            .get<ImageWatch>(IMAGE_WATCHES, watch.metadata.namespace, watch.metadata.name)
            .catch(() => undefined);
        }
      }
    });
    for (const say of events) say();

    function entryFor(id: string, path: string, old: WriteEntry | undefined): WriteEntry | undefined {
      const base = { gitTarget: name, path };
      const problem = invalid.get(id);
      if (problem !== undefined) return { ...base, state: 'Failed', message: problem, updatedAt: now };
      const edit = edits.get(id);
      if (edit === undefined) return old; // no candidate yet: keep what was said before
      const image = edit.reference;
      if (failure !== undefined)
        return { ...base, state: failureState, image, message: failure, updatedAt: now };
      const outcome = result?.outcomes.get(id);
      if (outcome === undefined) return { ...base, state: 'Pending', image, updatedAt: now };
      if (outcome.kind === 'error') {
        if (old?.state !== 'Failed' || old.message !== outcome.reason || old.image !== image)
          events.push(() => void deps.events.warning(watch, 'WriteFailed', outcome.reason));
        return { ...base, state: 'Failed', image, message: outcome.reason, updatedAt: now };
      }
      if (outcome.kind === 'manual') {
        const theirs = outcome.changes.map((c) => c.from ?? '(absent)').join(', ');
        const message = `${edit.spec.file} in ${target.spec.url}@${target.spec.branch} was changed by someone else to ${theirs}; kept (spec.manualChanges: respect), ${image} is written again only for a new candidate`;
        if (old?.state !== 'ManualChange' || old.image !== image) {
          events.push(() => void deps.events.warning(watch, 'ManualChange', message));
        }
        return { ...base, state: 'ManualChange', image, message, updatedAt: now };
      }
      if (outcome.kind === 'changed' && waitingFor !== undefined) {
        return { ...base, state: 'Pending', image, message: waitingFor, updatedAt: now };
      }
      if (outcome.kind === 'changed') {
        if (edit.writtenBefore === true) {
          events.push(
            () =>
              void deps.events.warning(
                watch,
                'ManualChange',
                `${edit.spec.file} in ${target.spec.url}@${target.spec.branch} was changed by someone else; wrote ${image} back (spec.manualChanges: overwrite)`,
              ),
          );
        }
        const head = result!.head.slice(0, 12);
        events.push(
          () =>
            void deps.events.normal(
              watch,
              'ImageBumped',
              `wrote ${image} to ${edit.spec.file} in ${target.spec.url}@${target.spec.branch} (commit ${head})`,
            ),
        );
        return { ...base, state: 'Applied', image, commit: result!.head, updatedAt: now };
      }
      // Already in place: keep the commit that put it there if we know it.
      if (old?.state === 'Applied' && old.image === image) return old;
      if (old?.state === 'ManualChange' && old.image === image) return old;
      return { ...base, state: 'Applied', image, message: 'already in place', updatedAt: now };
    }
  }
}

/** ImageWatch status writes of one sync in flight at once. */
const REPORT_CONCURRENCY = 16;

async function writeTargetStatus(
  deps: GitTargetDeps,
  target: GitTarget,
  state: { ready: boolean; error: boolean; reason: string; message: string },
  fields: {
    head?: string;
    lastPushedCommit?: string;
    lastPushedAt?: string;
    pullRequest?: { number: number; url: string; merged?: boolean };
  },
  now: string,
): Promise<void> {
  const status = target.status ?? {};
  const conditions = conditionsFor(status.conditions, state, now);
  // A sync that changed nothing writes nothing, unless a sync-now request waits for its answer
  // or lastSyncedAt is getting old (it tells a person the controller is still syncing).
  const unchanged =
    target.metadata.generation === status.observedGeneration &&
    sameConditions(status.conditions, conditions) &&
    Object.entries(fields).every(
      ([field, value]) =>
        JSON.stringify(value) === JSON.stringify((status as Record<string, unknown>)[field]),
    ) &&
    pendingSyncRequest(target) === undefined &&
    status.lastSyncedAt !== undefined &&
    Date.parse(now) - Date.parse(status.lastSyncedAt) < LAST_SYNCED_REFRESH_MS;
  if (unchanged) return;
  await patchStatus(
    deps.client,
    { resource: GIT_TARGETS, namespace: target.metadata.namespace, name: target.metadata.name },
    {
      observedGeneration: target.metadata.generation,
      lastSyncedAt: now,
      ...fields,
      conditions: sameConditions(status.conditions, conditions) ? status.conditions : conditions,
    },
  );
}

async function gitAccessFor(deps: GitTargetDeps, target: GitTarget): Promise<GitAccess> {
  const ref = target.spec.secretRef;
  const data =
    ref === undefined
      ? undefined
      : (await readSecretData(deps.client, target.metadata.namespace, ref.name)).data;
  return prepareGitAccess(target.spec.url, data, {
    ...(deps.sshProgram !== undefined && { sshProgram: deps.sshProgram }),
  });
}

async function signingFor(deps: GitTargetDeps, target: GitTarget): Promise<CommitSigning | undefined> {
  const signing = target.spec.signing;
  if (signing === undefined) return undefined;
  const { data } = await readSecretData(deps.client, target.metadata.namespace, signing.secretRef.name);
  const key = data.signingKey;
  if (key === undefined) throw new Error(`Secret ${signing.secretRef.name} has no signingKey`);
  return prepareSigning(signing.method, key);
}

/** Whose credentials a clone is made with: the namespace and the Secret, never shared beyond them. */
export function workspaceScope(target: GitTarget): string {
  return `${target.metadata.namespace}/${target.spec.secretRef?.name ?? ''}`;
}

function sameWrites(a: readonly WriteEntry[], b: readonly WriteEntry[]): boolean {
  const strip = (w: WriteEntry) => ({ ...w, updatedAt: undefined });
  return JSON.stringify(a.map(strip)) === JSON.stringify(b.map(strip));
}

function keyOf(object: { metadata: { namespace: string; name: string } }): string {
  return `${object.metadata.namespace}/${object.metadata.name}`;
}
