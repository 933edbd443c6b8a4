// One repository sync for a GitTarget: derive the edits every ImageWatch owes it, apply them on
// the branch head in one commit, push (re-applying on a new head when someone pushed first), and
// report per target in ImageWatch status, in GitTarget status and as Events.
import { GIT_TARGET_KIND, type GitTarget, type ImageWatch, type ImageWatchStatus } from '../api/gitsync.js';
import { apiResourceOf } from '../api/kinds.js';
import type { EventRecorder } from '../kube/events.js';
import { patchStatus } from '../kube/patch.js';
import type { RestClient } from '../kube/rest.js';
import { formatTime } from '../kube/timestamps.js';
import type { Logger } from '../process/logger.js';
import { conditionsFor, sameConditions } from './conditions.js';
import { IMAGE_WATCHES } from './image-watch-reconciler.js';
import type { GitSyncMetrics } from './metrics.js';
import { type PlannedEdit, planRepositoryEdits, type RepositoryPlan, targetId } from './repository-plan.js';
import { readSecretData } from './secrets.js';
import { type GitAccess, prepareGitAccess, redact } from './workspace/git-credentials.js';
import type { KeyedMutex } from './workspace/keyed-mutex.js';
import { type BatchResult, PushRejectedError, pushEdits } from './workspace/push-batch.js';
import { checkRepositoryUrl, type RepositoryUrlPolicy } from './workspace/repository-url.js';
import { type CommitSigning, prepareSigning } from './workspace/signing.js';
import { GitWorkspace } from './workspace/workspace.js';

export const GIT_TARGETS = apiResourceOf(GIT_TARGET_KIND);
export const PULL_REQUEST_UNAVAILABLE = 'pull-request mode is not available yet';
/** Stamped (RFC 3339 UTC) by the Argo CD action GitTarget/sync-now. */
export const SYNC_REQUESTED_ANNOTATION = 'slipway.dev/sync-requested-at';

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
  if (!/^(?!\/|.*\/\/|.*\.\.|.*@\{|.*[\s~^:?*[\\]|.*\.lock$|.*\/$)[^\0]+$/.test(spec.branch)) {
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
    await reportTargets(
      deps,
      target,
      watches,
      plan,
      undefined,
      `GitTarget ${name}: ${invalid}`,
      'Failed',
      now,
    );
    await writeTargetStatus(
      deps,
      target,
      { ready: false, error: true, reason: 'InvalidSpec', message: invalid },
      {},
      now,
    );
    return;
  }
  if (target.spec.mode === 'pull-request') {
    const message = `${PULL_REQUEST_UNAVAILABLE}; nothing is written to ${target.spec.branch}`;
    await reportTargets(
      deps,
      target,
      watches,
      plan,
      undefined,
      `GitTarget ${name}: ${message}`,
      'Pending',
      now,
    );
    await writeTargetStatus(
      deps,
      target,
      { ready: false, error: false, reason: 'PullRequestModeUnavailable', message },
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
    const result = await deps.repositories.run(`${scope}\n${target.spec.url}\n${target.spec.branch}`, () =>
      pushEdits(workspace, plan.edits, {
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
    await reportTargets(
      deps,
      target,
      watches,
      plan,
      undefined,
      `GitTarget ${name}: ${message}`,
      'Failed',
      now,
    );
    throw new Error(`GitTarget ${keyOf(target)}: ${message}`);
  } finally {
    await access?.dispose();
    await signing?.dispose();
  }
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
async function reportTargets(
  deps: GitTargetDeps,
  target: GitTarget,
  watches: readonly ImageWatch[],
  plan: RepositoryPlan,
  result: BatchResult | undefined,
  failure: string | undefined,
  failureState: 'Failed' | 'Pending',
  now: string,
): Promise<void> {
  const name = target.metadata.name;
  const edits = new Map<string, PlannedEdit>(plan.edits.map((e) => [e.id, e]));
  const invalid = new Map(plan.invalid.map((i) => [targetId(i.watch, i.index), i.reason]));
  for (const watch of watches) {
    const key = keyOf(watch);
    await deps.watchStatus.run(key, async () => {
      const fresh = await deps.client
        .get<ImageWatch>(IMAGE_WATCHES, watch.metadata.namespace, watch.metadata.name)
        .catch(() => undefined);
      if (fresh === undefined) return;
      const previous = fresh.status?.writes ?? [];
      const mine: WriteEntry[] = [];
      watch.spec.targets.forEach((t, index) => {
        if (t.gitTarget !== name) return;
        const id = targetId(key, index);
        const old = previous.find((w) => w.gitTarget === name && w.path === t.path);
        const entry = entryFor(id, t.path, old);
        if (entry !== undefined) mine.push(entry);
      });
      const writes = [...previous.filter((w) => w.gitTarget !== name), ...mine];
      if (sameWrites(previous, writes)) return;
      await patchStatus(
        deps.client,
        { resource: IMAGE_WATCHES, namespace: watch.metadata.namespace, name: watch.metadata.name },
        { writes },
      );
    });

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
        void deps.events.warning(watch, 'WriteFailed', outcome.reason);
        return { ...base, state: 'Failed', image, message: outcome.reason, updatedAt: now };
      }
      if (outcome.kind === 'manual') {
        const theirs = outcome.changes.map((c) => c.from ?? '(absent)').join(', ');
        const message = `${edit.spec.file} in ${target.spec.url}@${target.spec.branch} was changed by someone else to ${theirs}; kept (spec.manualChanges: respect), ${image} is written again only for a new candidate`;
        if (old?.state !== 'ManualChange' || old.image !== image) {
          void deps.events.warning(watch, 'ManualChange', message);
        }
        return { ...base, state: 'ManualChange', image, message, updatedAt: now };
      }
      if (outcome.kind === 'changed') {
        if (edit.writtenBefore === true) {
          void deps.events.warning(
            watch,
            'ManualChange',
            `${edit.spec.file} in ${target.spec.url}@${target.spec.branch} was changed by someone else; wrote ${image} back (spec.manualChanges: overwrite)`,
          );
        }
        void deps.events.normal(
          watch,
          'ImageBumped',
          `wrote ${image} to ${edit.spec.file} in ${target.spec.url}@${target.spec.branch} (commit ${result!.head.slice(0, 12)})`,
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

async function writeTargetStatus(
  deps: GitTargetDeps,
  target: GitTarget,
  state: { ready: boolean; error: boolean; reason: string; message: string },
  fields: { head?: string; lastPushedCommit?: string; lastPushedAt?: string },
  now: string,
): Promise<void> {
  const status = target.status ?? {};
  const conditions = conditionsFor(status.conditions, state, now);
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
