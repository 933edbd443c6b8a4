// The edits of one GitTarget on a branch of their own: pull-request mode (the pull request's head
// branch) and writeBranch (a branch other than the one read). The branch is rebuilt from the head
// of spec.branch with every edit in one commit and force-pushed (it is ours; spec.branch never is).
// When the branch already holds the same tree, nothing is pushed, so a sync without news does not
// churn the pull request.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pushProposalBranch } from '../../promotion/proposal-branch.js';
import { DEFAULT_COMMIT_TEMPLATE, renderCommitMessage } from './commit-message.js';
import type { GitAccess } from './git-credentials.js';
import { applyEdits, bumpsOf, type EditOutcome, type PendingEdit } from './push-batch.js';
import type { GitWorkspace } from './workspace.js';

const run = promisify(execFile);
const PROPOSAL_REF = 'refs/slipway/proposal';

export interface ProposalResult {
  /** The head of the branch read (spec.branch). */
  readonly base: string;
  /** The head of the proposal branch holding the edits, when any edit is not on the base yet. */
  readonly commit?: string;
  /** Whether this sync pushed a new commit to the proposal branch. */
  readonly pushed: boolean;
  readonly outcomes: ReadonlyMap<string, EditOutcome>;
}

export async function proposeEdits(
  workspace: GitWorkspace,
  edits: readonly PendingEdit[],
  access: GitAccess,
  branch: string,
  options: { readonly commitTemplate?: string } = {},
): Promise<ProposalResult> {
  const base = await workspace.sync();
  const outcomes = await applyEdits(workspace, edits);
  const bumps = bumpsOf(edits, outcomes);
  if (bumps.length === 0 || !(await workspace.hasStagedChanges())) return { base, pushed: false, outcomes };
  const commit = await workspace.commit(
    renderCommitMessage(options.commitTemplate ?? DEFAULT_COMMIT_TEMPLATE, bumps, branch),
  );
  const git = async (args: string[]) =>
    (await run('git', args, { cwd: workspace.dir, env: gitEnv(access), timeout: 120_000 })).stdout.trim();
  const existing = await git(['fetch', '--quiet', 'origin', `+refs/heads/${branch}:${PROPOSAL_REF}`]).then(
    () => git(['rev-parse', PROPOSAL_REF]),
    () => undefined, // no such branch yet
  );
  if (existing !== undefined) {
    const [mine, theirs] = await Promise.all([
      git(['rev-parse', `${commit}^{tree}`]),
      git(['rev-parse', `${existing}^{tree}`]),
    ]);
    if (mine === theirs) return { base, commit: existing, pushed: false, outcomes };
  }
  await pushProposalBranch(workspace.dir, access, branch);
  return { base, commit, pushed: true, outcomes };
}

function gitEnv(access: GitAccess): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTPS_PROXY', 'NO_PROXY']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...access.env };
}
