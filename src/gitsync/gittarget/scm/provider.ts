// The SCM provider seam: what promotion needs from a Git host's API (pull requests, merges, commit
// statuses, labels, branch clean-up). One module per host (github.ts, gitea.ts), picked in
// factory.ts. Branches themselves are pushed with git, not through the API.

export interface PullRequestSpec {
  /** The head branch in the same repository. */
  readonly head: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
  readonly labels: readonly string[];
}

export interface PullRequest {
  readonly number: number;
  readonly url: string;
  readonly state: 'open' | 'closed' | 'merged';
  readonly headSha?: string;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export type MergeResult =
  | { readonly merged: true; readonly sha?: string }
  /** The host refused (not mergeable, head moved, checks pending): try again later. */
  | { readonly merged: false; readonly reason: string };

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  readonly state: CommitState;
  /** e.g. `slipway/promotion`. */
  readonly context: string;
  readonly description: string;
  readonly targetUrl?: string;
}

export interface ScmProvider {
  readonly kind: 'github' | 'gitea';
  /** The open pull request from head to base, updated to this title, body and labels; or a new one. */
  findOrUpdatePullRequest(spec: PullRequestSpec): Promise<PullRequest & { readonly created: boolean }>;
  /** The open pull request from head to base, if any. */
  findPullRequest(head: string, base: string): Promise<PullRequest | undefined>;
  getPullRequest(number: number): Promise<PullRequest>;
  mergePullRequest(number: number, options: { method: MergeMethod; sha?: string }): Promise<MergeResult>;
  setCommitStatus(sha: string, status: CommitStatus): Promise<void>;
  /** Deletes a head branch; a branch already gone is fine. */
  deleteBranch(branch: string): Promise<void>;
}

/** A host API call that failed, with what was asked and what the host said. */
export class ScmError extends Error {
  constructor(
    readonly provider: string,
    readonly operation: string,
    readonly status: number | undefined,
    detail: string,
  ) {
    super(`${provider}: ${operation} failed${status !== undefined ? ` (HTTP ${status})` : ''}: ${detail}`);
    this.name = 'ScmError';
  }
}

/** Deterministic head branch of a pipeline's pull request into (or releasing) an environment. */
export function pullRequestBranch(
  kind: 'promote' | 'release-pause',
  pipeline: string,
  environment: string,
): string {
  return `slipway/${kind}/${sanitize(pipeline)}/${sanitize(environment)}`;
}

function sanitize(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|\.lock$/g, '');
}
