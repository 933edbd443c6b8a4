// GitHub through @octokit/rest with the throttling plugin (primary and secondary rate limits,
// honouring retry-after) and the retry plugin (5xx and network errors). Authenticates with a
// token (PAT) or as a GitHub App installation: the App JWT is signed here with node:crypto
// (RS256, 10 minutes) because @octokit/auth-app is not a dependency; installation tokens are
// cached until five minutes before they expire.
import { createSign } from 'node:crypto';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import {
  type CommitStatus,
  type MergeResult,
  type PullRequest,
  type PullRequestSpec,
  ScmError,
  type ScmProvider,
} from './provider.js';

const ThrottledOctokit = Octokit.plugin(throttling, retry);
type Client = InstanceType<typeof ThrottledOctokit>;

export type GitHubAuth =
  | { readonly kind: 'token'; readonly token: string }
  | {
      readonly kind: 'app';
      readonly appId: string;
      readonly installationId: string;
      /** PEM, PKCS#1 or PKCS#8. */
      readonly privateKey: string;
    };

export interface GitHubOptions {
  readonly owner: string;
  readonly repository: string;
  readonly auth: GitHubAuth;
  /** Default https://api.github.com; GitHub Enterprise: https://host/api/v3. */
  readonly baseUrl?: string;
  /** Retries of a request hit by a rate limit; default 3. */
  readonly rateLimitRetries?: number;
  /** Milliseconds per second of retry-after; tests shorten it. Default 1000. */
  readonly retryAfterBaseMs?: number;
  /**
   * Space content-creating requests about a second apart, as GitHub asks of integrations (the
   * throttling plugin's write queue); default true. Tests against a local server turn it off.
   */
  readonly paceWrites?: boolean;
  readonly onRateLimited?: (kind: 'primary' | 'secondary', retryAfterSeconds: number, route: string) => void;
  readonly now?: () => number;
}

interface OctokitError {
  status?: number;
  message: string;
  response?: { data?: { message?: string; errors?: { message?: string }[] } };
}

export class GitHubProvider implements ScmProvider {
  readonly kind = 'github' as const;
  private client: Client | undefined;
  private tokenExpiresAt = 0;

  constructor(private readonly options: GitHubOptions) {}

  async findPullRequest(head: string, base: string): Promise<PullRequest | undefined> {
    const client = await this.octokit();
    const { owner, repository: repo } = this.options;
    const { data } = await this.call('list pull requests', () =>
      client.rest.pulls.list({ owner, repo, head: `${owner}:${head}`, base, state: 'open', per_page: 10 }),
    );
    const found = data.find((pr) => pr.head.ref === head && pr.base.ref === base);
    return found === undefined ? undefined : toPullRequest(found);
  }

  async getPullRequest(number: number): Promise<PullRequest> {
    const client = await this.octokit();
    const { owner, repository: repo } = this.options;
    const { data } = await this.call(`get pull request #${number}`, () =>
      client.rest.pulls.get({ owner, repo, pull_number: number }),
    );
    return toPullRequest(data);
  }

  async findOrUpdatePullRequest(spec: PullRequestSpec): Promise<PullRequest & { created: boolean }> {
    const client = await this.octokit();
    const { owner, repository: repo } = this.options;
    let existing = await this.findPullRequest(spec.head, spec.base);
    let created = false;
    if (existing === undefined) {
      try {
        const { data } = await client.rest.pulls.create({
          owner,
          repo,
          head: spec.head,
          base: spec.base,
          title: spec.title,
          body: spec.body,
        });
        existing = toPullRequest(data);
        created = true;
      } catch (error) {
        // 422 "A pull request already exists": another writer (or a stale list) beat us to it.
        if (!alreadyExists(error)) throw this.wrap('create pull request', error);
        existing = await this.findPullRequest(spec.head, spec.base);
        if (existing === undefined) throw this.wrap('create pull request', error);
      }
    }
    const number = existing.number;
    if (!created) {
      await this.call(`update pull request #${number}`, () =>
        client.rest.pulls.update({ owner, repo, pull_number: number, title: spec.title, body: spec.body }),
      );
    }
    if (spec.labels.length > 0) {
      await this.call(`label pull request #${number}`, () =>
        client.rest.issues.addLabels({ owner, repo, issue_number: number, labels: [...spec.labels] }),
      );
    }
    return { ...existing, created };
  }

  async mergePullRequest(
    number: number,
    options: { method: 'merge' | 'squash' | 'rebase'; sha?: string },
  ): Promise<MergeResult> {
    const client = await this.octokit();
    const { owner, repository: repo } = this.options;
    try {
      const { data } = await client.rest.pulls.merge({
        owner,
        repo,
        pull_number: number,
        merge_method: options.method,
        ...(options.sha !== undefined && { sha: options.sha }),
      });
      return data.merged ? { merged: true, sha: data.sha } : { merged: false, reason: data.message };
    } catch (error) {
      const status = (error as OctokitError).status;
      // 405: not mergeable (checks, reviews, conflicts); 409: the head moved since `sha`.
      if (status === 405 || status === 409) return { merged: false, reason: messageOf(error) };
      throw this.wrap(`merge pull request #${number}`, error);
    }
  }

  async setCommitStatus(sha: string, status: CommitStatus): Promise<void> {
    const client = await this.octokit();
    const { owner, repository: repo } = this.options;
    await this.call(`set commit status on ${sha.slice(0, 12)}`, () =>
      client.rest.repos.createCommitStatus({
        owner,
        repo,
        sha,
        state: status.state,
        context: status.context,
        description: status.description.slice(0, 140),
        ...(status.targetUrl !== undefined && { target_url: status.targetUrl }),
      }),
    );
  }

  async deleteBranch(branch: string): Promise<void> {
    const client = await this.octokit();
    const { owner, repository: repo } = this.options;
    try {
      await client.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
    } catch (error) {
      // 422 "Reference does not exist" (or 404): already gone, e.g. deleted on merge.
      const status = (error as OctokitError).status;
      if (status === 422 || status === 404) return;
      throw this.wrap(`delete branch ${branch}`, error);
    }
  }

  private async call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.wrap(operation, error);
    }
  }

  private wrap(operation: string, error: unknown): ScmError {
    const { owner, repository } = this.options;
    return new ScmError(
      `GitHub ${owner}/${repository}`,
      operation,
      (error as OctokitError).status,
      messageOf(error),
    );
  }

  private async octokit(): Promise<Client> {
    const now = (this.options.now ?? Date.now)();
    if (this.client !== undefined && now < this.tokenExpiresAt) return this.client;
    const { auth } = this.options;
    if (auth.kind === 'token') {
      this.client = this.build(auth.token);
      this.tokenExpiresAt = Number.POSITIVE_INFINITY;
      return this.client;
    }
    const app = this.build(appJwt(auth.appId, auth.privateKey, now));
    const { data } = await this.call(`create an installation token for App ${auth.appId}`, () =>
      app.rest.apps.createInstallationAccessToken({ installation_id: Number(auth.installationId) }),
    );
    this.client = this.build(data.token);
    this.tokenExpiresAt = Date.parse(data.expires_at) - 5 * 60_000;
    return this.client;
  }

  private build(token: string): Client {
    const retries = this.options.rateLimitRetries ?? 3;
    const onLimit =
      (kind: 'primary' | 'secondary') =>
      (
        retryAfter: number,
        request: { method?: string; url?: string },
        _client: unknown,
        retryCount: number,
      ) => {
        this.options.onRateLimited?.(kind, retryAfter, `${request.method} ${request.url}`);
        return retryCount < retries;
      };
    return new ThrottledOctokit({
      auth: token,
      baseUrl: this.options.baseUrl ?? 'https://api.github.com',
      userAgent: 'slipway-git-sync',
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        retryAfterBaseValue: this.options.retryAfterBaseMs ?? 1000,
        ...(this.options.paceWrites === false && { write: UNPACED, notifications: UNPACED }),
      },
      // 405/409 on merge and 422 on create are answers, not transient failures.
      retry: {
        doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 451],
        retryAfterBaseValue: this.options.retryAfterBaseMs ?? 1000,
      },
    } as ConstructorParameters<typeof ThrottledOctokit>[0]);
  }
}

/** Stands in for the throttling plugin's write and notification queues (Bottleneck groups: 1 s and 3 s apart). */
const UNPACED = { key: () => ({ schedule: async () => undefined }) };

/** A GitHub App JWT (RS256): issued a minute in the past against clock drift, valid 10 minutes. */
export function appJwt(appId: string, privateKey: string, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: now - 60, exp: now + 540, iss: appId })}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

interface GitHubPull {
  number: number;
  html_url: string;
  state: string;
  merged_at?: string | null;
  head: { sha: string };
}

function toPullRequest(pr: GitHubPull): PullRequest {
  return {
    number: pr.number,
    url: pr.html_url,
    state: pr.merged_at ? 'merged' : pr.state === 'open' ? 'open' : 'closed',
    headSha: pr.head.sha,
  };
}

function alreadyExists(error: unknown): boolean {
  const e = error as OctokitError;
  return e.status === 422 && /already exists/i.test(messageOf(error));
}

function messageOf(error: unknown): string {
  const e = error as OctokitError;
  const data = e.response?.data;
  const details = (data?.errors ?? []).map((x) => x.message).filter((m): m is string => !!m);
  return [data?.message ?? e.message, ...details].join(': ');
}
