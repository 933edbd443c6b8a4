// Carries out promotion decisions: a commit straight to the environment's branch (promote in
// commit mode, rollback), or a commit on a deterministic bot branch plus a pull request through the
// SCM provider (promote in pull-request mode, release-pause); holds and releases are status only.
// Returns the status that records what was done.
import type { GitTarget } from '../../api/gitsync.js';
import { formatImageRef, parseImageRef } from '../../api/image-ref.js';
import { RELEASE_HOLD_ANNOTATION, RELEASE_PAUSE_ANNOTATION } from '../../api/labels.js';
import type {
  DecisionRecord,
  EnvironmentStatus,
  HeldImage,
  PromotionPipeline,
  PromotionPipelineStatus,
} from '../../api/promotion.js';
import { formatTime } from '../../kube/timestamps.js';
import type { EditSpec } from '../gittarget/editors/registry.js';
import { workspaceScope } from '../gittarget/reconciler.js';
import { pullRequestBranch, type ScmProvider } from '../gittarget/scm/provider.js';
import { prepareGitAccess, redact } from '../gittarget/workspace/git-credentials.js';
import { applyEdits, PushRejectedError } from '../gittarget/workspace/push-batch.js';
import type { RepositoryUrlPolicy } from '../gittarget/workspace/repository-url.js';
import { GitWorkspace } from '../gittarget/workspace/workspace.js';
import { editSpecFor, validateWriteTarget } from '../gittarget/write-targets.js';
import type { Decision, PromotionPlan } from './decide.js';
import { decisionCommitMessage, pullRequestBody, pullRequestLabels, pullRequestTitle } from './messages.js';
import { pushProposalBranch } from './proposal-branch.js';

export const HISTORY_LIMIT = 20;

export interface ActDeps {
  readonly workDir: string;
  readonly now: () => number;
  readonly gitTarget: (namespace: string, name: string) => GitTarget | undefined;
  readonly secretData: (namespace: string, name: string) => Promise<Record<string, string>>;
  /** The pipeline's SCM provider; undefined when spec.scm is unset. */
  readonly scm: (pipeline: PromotionPipeline) => Promise<ScmProvider | undefined>;
  /** Serializes work per repository and branch (shared with the GitTarget syncs). */
  readonly serialize: <T>(key: string, work: () => Promise<T>) => Promise<T>;
  readonly sshProgram?: string;
  readonly maxPushAttempts?: number;
  readonly urlPolicy?: RepositoryUrlPolicy;
  readonly maxFileBytes?: number;
  readonly onDecision?: (pipeline: PromotionPipeline, record: DecisionRecord) => void;
}

type GitDecision = Extract<Decision, { type: 'promote' | 'rollback' | 'release-pause' }>;

export async function carryOut(
  deps: ActDeps,
  pipeline: PromotionPipeline,
  plan: PromotionPlan,
): Promise<PromotionPipelineStatus> {
  const at = formatTime(deps.now());
  const environments = plan.environments.map((e) => ({ ...e }));
  const held: HeldImage[] = [...plan.held];
  const records: DecisionRecord[] = [];
  const envStatus = (name: string) => environments.find((e) => e.name === name) as EnvironmentStatus;

  // Pull requests the plan no longer tracks (merged and synced, or the pause passed): clean up.
  const provider = await deps.scm(pipeline);
  for (const before of pipeline.status?.environments ?? []) {
    const open = before.pullRequest;
    if (open === undefined || envStatus(before.name)?.pullRequest !== undefined || provider === undefined)
      continue;
    const kind = open.kind === 'promote' ? 'promote' : 'release-pause';
    await provider.deleteBranch(pullRequestBranch(kind, pipeline.metadata.name, before.name));
  }

  for (const decision of plan.decisions) {
    const base = { type: decision.type, environment: decision.environment, image: decision.image, at };
    switch (decision.type) {
      case 'release':
        records.push({ ...base, reason: `hold released by a person (${RELEASE_HOLD_ANNOTATION})` });
        break;
      case 'hold':
        if (!held.some((h) => h.image === decision.image)) {
          held.push({
            image: decision.image,
            environment: decision.environment,
            reason: decision.reason,
            since: at,
          });
        }
        records.push({ ...base, ...evidenceFields(decision.evidence), reason: decision.reason });
        break;
      case 'rollback':
      case 'promote': {
        if (decision.mode === 'pull-request') {
          const pr = await proposeDecision(deps, pipeline, decision, provider);
          envStatus(decision.environment).pullRequest = {
            kind: decision.type,
            image: decision.image,
            number: pr.number,
            url: pr.url,
          };
          records.push({
            ...base,
            ...evidenceFields(decision.evidence),
            ...fromOf(decision),
            reason: decision.evidence.summary,
            pullRequest: pr.url,
          });
          break;
        }
        const commit = await commitDecision(deps, pipeline, decision);
        const env = envStatus(decision.environment);
        env.desiredImage = decision.image;
        if (decision.type === 'rollback') env.pullRequest = undefined;
        records.push({
          ...base,
          ...evidenceFields(decision.evidence),
          ...fromOf(decision),
          reason: decision.evidence.summary,
          ...(commit !== undefined && { commit }),
        });
        break;
      }
      case 'release-pause': {
        const pr = await proposeDecision(deps, pipeline, decision, provider);
        envStatus(decision.environment).pullRequest = {
          kind: 'release-pause',
          image: decision.image,
          number: pr.number,
          url: pr.url,
          key: decision.key,
        };
        records.push({
          ...base,
          ...evidenceFields(decision.evidence),
          reason: decision.evidence.summary,
          pullRequest: pr.url,
        });
        break;
      }
    }
    const record = records[records.length - 1];
    if (record !== undefined) deps.onDecision?.(pipeline, record);
  }
  const history = [...records.reverse(), ...(pipeline.status?.history ?? [])].slice(0, HISTORY_LIMIT);
  const lastDecision = records[0] ?? pipeline.status?.lastDecision;
  return {
    ...(pipeline.metadata.generation !== undefined && { observedGeneration: pipeline.metadata.generation }),
    environments: environments.map(dropUndefined),
    held,
    ...(lastDecision !== undefined && { lastDecision }),
    history,
  };
}

function evidenceFields(evidence: { rollout: string; revision: string; analysis: string }) {
  return { rollout: evidence.rollout, revision: evidence.revision, analysis: evidence.analysis };
}

function fromOf(decision: Extract<Decision, { type: 'promote' | 'rollback' }>): { from?: string } {
  const from = decision.type === 'promote' ? decision.replaces : decision.failed;
  return from === undefined ? {} : { from };
}

function dropUndefined(status: EnvironmentStatus): EnvironmentStatus {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined)) as EnvironmentStatus;
}

/** The file edit a decision makes, and the GitTarget that holds the file. */
export function editFor(
  pipeline: PromotionPipeline,
  decision: GitDecision,
): { gitTarget: string; spec: EditSpec } {
  const env = pipeline.spec.environments.find((e) => e.name === decision.environment);
  if (env === undefined) throw new Error(`environment ${decision.environment} is not in the pipeline`);
  if (decision.type === 'release-pause') {
    const release = env.pauseRelease!;
    return {
      gitTarget: release.gitTarget,
      spec: {
        editor: 'yaml-path',
        file: release.path,
        path: `metadata.annotations["${RELEASE_PAUSE_ANNOTATION}"]`,
        value: decision.key,
        document: { kind: 'Rollout', ...(release.rollout !== undefined && { name: release.rollout }) },
      },
    };
  }
  const problem = validateWriteTarget(env.target);
  if (problem !== undefined) throw new Error(`environment ${env.name}: ${problem}`);
  const parsed = parseImageRef(decision.image);
  if (!parsed.ok) throw new Error(`environment ${env.name}: ${parsed.reason}`);
  const { tag, digest, ...name } = parsed.ref;
  if (tag === undefined)
    throw new Error(`environment ${env.name}: image ${decision.image} has no tag to write`);
  return {
    gitTarget: env.target.gitTarget,
    spec: editSpecFor(env.target, {
      image: formatImageRef(name),
      tag,
      digest: digest ?? '',
      pinDigest: digest !== undefined,
    }),
  };
}

async function openWorkspace(deps: ActDeps, pipeline: PromotionPipeline, gitTargetName: string) {
  const namespace = pipeline.metadata.namespace;
  const target = deps.gitTarget(namespace, gitTargetName);
  if (target === undefined) throw new Error(`GitTarget ${namespace}/${gitTargetName} not found`);
  const ref = target.spec.secretRef;
  const data = ref === undefined ? undefined : await deps.secretData(namespace, ref.name);
  const access = await prepareGitAccess(target.spec.url, data, {
    ...(deps.sshProgram !== undefined && { sshProgram: deps.sshProgram }),
  });
  const workspace = new GitWorkspace({
    root: deps.workDir,
    url: target.spec.url,
    branch: target.spec.branch,
    access,
    scope: workspaceScope(target),
    ...(deps.urlPolicy !== undefined && { urlPolicy: deps.urlPolicy }),
    ...(deps.maxFileBytes !== undefined && { maxFileBytes: deps.maxFileBytes }),
    ...(target.spec.author !== undefined && { author: target.spec.author }),
  });
  return { target, access, workspace };
}

/** Writes the decision's image with the edit; false when the file already holds it. */
async function applyDecision(workspace: GitWorkspace, spec: EditSpec, image: string): Promise<boolean> {
  const outcome = (
    await applyEdits(workspace, [{ id: 'decision', spec, image, to: image, policy: 'promotion' }])
  ).get('decision');
  if (outcome?.kind === 'error') throw new Error(outcome.reason);
  return outcome?.kind === 'changed';
}

/** One commit with the decision's message on the tracked branch; undefined when already in place. */
async function commitDecision(
  deps: ActDeps,
  pipeline: PromotionPipeline,
  decision: Extract<Decision, { type: 'promote' | 'rollback' }>,
): Promise<string | undefined> {
  const edit = editFor(pipeline, decision);
  const { target, access, workspace } = await openWorkspace(deps, pipeline, edit.gitTarget);
  try {
    return await deps.serialize(
      `${workspaceScope(target)}\n${target.spec.url}\n${target.spec.branch}`,
      async () => {
        const maxAttempts = deps.maxPushAttempts ?? 5;
        for (let attempt = 1; ; attempt += 1) {
          await workspace.sync();
          if (!(await applyDecision(workspace, edit.spec, decision.image))) return undefined;
          const commit = await workspace.commit(decisionCommitMessage(pipeline, decision));
          const pushed = await workspace.push();
          if (pushed.ok) return commit;
          if (!pushed.conflict || attempt >= maxAttempts)
            throw new PushRejectedError(pushed.message, pushed.conflict);
          await new Promise((done) =>
            setTimeout(done, Math.round(250 * 2 ** (attempt - 1) * (0.5 + Math.random()))),
          );
        }
      },
    );
  } catch (error) {
    throw new Error(redact((error as Error).message, access.secrets));
  } finally {
    await access.dispose();
  }
}

/** The decision's commit on its bot branch (rebuilt from the base head), and its pull request. */
async function proposeDecision(
  deps: ActDeps,
  pipeline: PromotionPipeline,
  decision: GitDecision,
  provider: ScmProvider | undefined,
): Promise<{ number: number; url: string }> {
  if (provider === undefined) throw new Error(`spec.scm is needed to open pull requests`);
  const edit = editFor(pipeline, decision);
  const kind = decision.type === 'release-pause' ? 'release-pause' : 'promote';
  const head = pullRequestBranch(kind, pipeline.metadata.name, decision.environment);
  const { target, access, workspace } = await openWorkspace(deps, pipeline, edit.gitTarget);
  try {
    const sha = await deps.serialize(
      `${workspaceScope(target)}\n${target.spec.url}\n${target.spec.branch}`,
      async () => {
        await workspace.sync();
        if (!(await applyDecision(workspace, edit.spec, decision.image)))
          throw new Error(
            `${edit.spec.file} on ${target.spec.branch} already has this change; nothing to propose`,
          );
        const commit = await workspace.commit(decisionCommitMessage(pipeline, decision));
        await pushProposalBranch(workspace.dir, access, head);
        return commit;
      },
    );
    const env = pipeline.spec.environments.find((e) => e.name === decision.environment);
    const pr = await provider.findOrUpdatePullRequest({
      head,
      base: target.spec.branch,
      title: pullRequestTitle(decision),
      body: pullRequestBody(pipeline, decision, {
        file: edit.spec.file,
        ...(env?.application?.url !== undefined && { application: env.application.url }),
      }),
      labels: pullRequestLabels(decision, pipeline.spec.scm?.labels),
    });
    await provider.setCommitStatus(sha, {
      state: 'success',
      context: `slipway/${kind}`,
      description: `${decision.evidence.summary}`.slice(0, 140),
      ...(env?.application?.url !== undefined && { targetUrl: env.application.url }),
    });
    return pr;
  } catch (error) {
    throw new Error(redact((error as Error).message, access.secrets));
  } finally {
    await access.dispose();
  }
}
