// Gitea (and Forgejo) through its own REST API (/api/v1), which differs from GitHub's where it
// matters: the `head` filter of the pull request list is ignored (we page through open pull
// requests and match client-side, following Link/X-Total-Count), labels are added by id (created
// when missing), merge is POST with `Do` and `head_commit_id`, branches are deleted under
// /branches. A plain fetch client: no library covers Gitea's API well enough to be worth a dependency.
import {
  type CommitStatus,
  type MergeResult,
  type PullRequest,
  type PullRequestSpec,
  ScmError,
  type ScmProvider,
} from './provider.js';

export interface GiteaOptions {
  readonly owner: string;
  readonly repository: string;
  /** The server root (https://gitea.example) or its API root (…/api/v1). */
  readonly baseUrl: string;
  readonly token: string;
  /** Page size of list calls; default 50 (Gitea's default maximum). */
  readonly pageSize?: number;
}

interface GiteaPull {
  number: number;
  html_url: string;
  state: 'open' | 'closed';
  merged: boolean;
  head: { ref: string; sha: string };
  base: { ref: string };
}

interface GiteaLabel {
  id: number;
  name: string;
}

export class GiteaProvider implements ScmProvider {
  readonly kind = 'gitea' as const;
  private readonly api: string;

  constructor(private readonly options: GiteaOptions) {
    const root = options.baseUrl.replace(/\/+$/, '');
    this.api = root.endsWith('/api/v1') ? root : `${root}/api/v1`;
  }

  async findPullRequest(head: string, base: string): Promise<PullRequest | undefined> {
    const pulls = await this.list<GiteaPull>('list pull requests', `${this.repo()}/pulls?state=open`);
    const found = pulls.find((p) => p.head.ref === head && p.base.ref === base);
    return found === undefined ? undefined : toPullRequest(found);
  }

  async getPullRequest(number: number): Promise<PullRequest> {
    const { body } = await this.send<GiteaPull>(
      `get pull request #${number}`,
      'GET',
      `${this.repo()}/pulls/${number}`,
    );
    return toPullRequest(body);
  }

  async findOrUpdatePullRequest(spec: PullRequestSpec): Promise<PullRequest & { created: boolean }> {
    let pr = await this.findPullRequest(spec.head, spec.base);
    let created = false;
    if (pr === undefined) {
      const answer = await this.send<GiteaPull>(
        'create pull request',
        'POST',
        `${this.repo()}/pulls`,
        {
          head: spec.head,
          base: spec.base,
          title: spec.title,
          body: spec.body,
        },
        [409, 422],
      );
      if (answer.status === 201) {
        pr = toPullRequest(answer.body);
        created = true;
      } else {
        // 409 (422 on older versions): one exists for these branches; take it over.
        pr = await this.findPullRequest(spec.head, spec.base);
        if (pr === undefined)
          throw new ScmError(this.name(), 'create pull request', answer.status, messageOf(answer.body));
      }
    }
    if (!created) {
      await this.send('update pull request', 'PATCH', `${this.repo()}/pulls/${pr.number}`, {
        title: spec.title,
        body: spec.body,
      });
    }
    if (spec.labels.length > 0) {
      const ids = await this.labelIds(spec.labels);
      await this.send(
        `label pull request #${pr.number}`,
        'POST',
        `${this.repo()}/issues/${pr.number}/labels`,
        { labels: ids },
      );
    }
    return { ...pr, created };
  }

  async mergePullRequest(
    number: number,
    options: { method: 'merge' | 'squash' | 'rebase'; sha?: string },
  ): Promise<MergeResult> {
    const answer = await this.send<unknown>(
      `merge pull request #${number}`,
      'POST',
      `${this.repo()}/pulls/${number}/merge`,
      {
        Do: options.method,
        ...(options.sha !== undefined && { head_commit_id: options.sha }),
        delete_branch_after_merge: false,
      },
      [405, 409],
    );
    if (answer.status === 405 || answer.status === 409)
      return { merged: false, reason: messageOf(answer.body) };
    const merged = await this.getPullRequest(number);
    return merged.state === 'merged'
      ? { merged: true }
      : { merged: false, reason: 'the merge did not complete' };
  }

  async setCommitStatus(sha: string, status: CommitStatus): Promise<void> {
    await this.send(`set commit status on ${sha.slice(0, 12)}`, 'POST', `${this.repo()}/statuses/${sha}`, {
      state: status.state,
      context: status.context,
      description: status.description.slice(0, 255),
      ...(status.targetUrl !== undefined && { target_url: status.targetUrl }),
    });
  }

  async deleteBranch(branch: string): Promise<void> {
    await this.send(
      `delete branch ${branch}`,
      'DELETE',
      `${this.repo()}/branches/${encodeURIComponent(branch)}`,
      undefined,
      [404],
    );
  }

  private async labelIds(names: readonly string[]): Promise<number[]> {
    const existing = await this.list<GiteaLabel>('list labels', `${this.repo()}/labels`);
    const ids: number[] = [];
    for (const name of names) {
      let label = existing.find((l) => l.name === name);
      if (label === undefined) {
        const answer = await this.send<GiteaLabel>(`create label ${name}`, 'POST', `${this.repo()}/labels`, {
          name,
          color: '#6f42c1',
        });
        label = answer.body;
        existing.push(label);
      }
      ids.push(label.id);
    }
    return ids;
  }

  /** Every page of a list call: `page`/`limit`, until a short page or X-Total-Count is reached. */
  private async list<T>(operation: string, path: string): Promise<T[]> {
    const limit = this.options.pageSize ?? 50;
    const items: T[] = [];
    for (let page = 1; page <= 100; page += 1) {
      const sep = path.includes('?') ? '&' : '?';
      const answer = await this.send<T[]>(operation, 'GET', `${path}${sep}limit=${limit}&page=${page}`);
      items.push(...answer.body);
      const total = Number(answer.headers.get('x-total-count') ?? Number.NaN);
      const hasNext = /rel="next"/.test(answer.headers.get('link') ?? '');
      if (
        answer.body.length < limit ||
        (!Number.isNaN(total) && items.length >= total) ||
        (!hasNext && Number.isNaN(total))
      )
        break;
    }
    return items;
  }

  private async send<T>(
    operation: string,
    method: string,
    path: string,
    body?: unknown,
    accepted: readonly number[] = [],
  ): Promise<{ status: number; body: T; headers: Headers }> {
    let response: Response;
    try {
      response = await fetch(`${this.api}${path}`, {
        method,
        headers: {
          authorization: `token ${this.options.token}`,
          accept: 'application/json',
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ScmError(this.name(), operation, undefined, (error as Error).message);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text for the error message
    }
    if (!response.ok && !accepted.includes(response.status)) {
      throw new ScmError(this.name(), operation, response.status, messageOf(parsed));
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  private repo(): string {
    return `/repos/${encodeURIComponent(this.options.owner)}/${encodeURIComponent(this.options.repository)}`;
  }

  private name(): string {
    return `Gitea ${this.options.owner}/${this.options.repository}`;
  }
}

function toPullRequest(pr: GiteaPull): PullRequest {
  return {
    number: pr.number,
    url: pr.html_url,
    state: pr.merged ? 'merged' : pr.state,
    headSha: pr.head.sha,
  };
}

function messageOf(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300) || '(empty answer)';
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body ?? null).slice(0, 300);
}
