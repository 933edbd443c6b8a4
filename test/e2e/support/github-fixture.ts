// A local stand-in for the GitHub REST API on loopback: the endpoints promotion uses, answering
// with the status codes, headers and bodies GitHub documents (including its errors: 422 when a pull
// request exists or a ref is gone, 405/409 on merge, a 403 secondary rate limit with retry-after),
// keeping pull requests, labels and statuses in memory. With `bareRepo`, a merge is a real
// `git merge` of the head branch into the base branch of that repository, so Git-side effects are
// real. Faults are queued per route to replay GitHub's error answers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly body: unknown;
}

export interface FixturePull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeSha?: string;
  labels: string[];
}

export interface Fault {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

const DOCS = 'https://docs.github.com/rest';

/** GitHub's documented error answers. */
export const GITHUB_ERRORS = {
  secondaryRateLimit: (retryAfterSeconds: number): Fault => ({
    status: 403,
    headers: { 'retry-after': String(retryAfterSeconds), 'x-ratelimit-remaining': '4000' },
    body: {
      message:
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
      documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
    },
  }),
  notMergeable: (): Fault => ({
    status: 405,
    body: {
      message: 'Pull Request is not mergeable',
      documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`,
    },
  }),
  headModified: (): Fault => ({
    status: 409,
    body: {
      message: 'Head branch was modified. Review and try the merge again.',
      documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`,
    },
  }),
  serverError: (): Fault => ({ status: 502, body: { message: 'Server Error' } }),
};

export interface GitHubFixture {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  readonly pulls: FixturePull[];
  readonly statuses: Map<
    string,
    { state: string; context: string; description?: string; target_url?: string }[]
  >;
  readonly deletedBranches: string[];
  /** The next request matching `METHOD /path-regex` gets this answer (once per queued fault). */
  fail(route: string, fault: Fault): void;
  /** What a person does in the UI: merge the pull request (a real merge with bareRepo). */
  merge(number: number): string;
  stop(): Promise<void>;
}

export async function startGitHubFixture(options: {
  owner: string;
  repo: string;
  token?: string;
  bareRepo?: string;
  /** App credentials: installation tokens are minted for this installation id. */
  appInstallationId?: number;
}): Promise<GitHubFixture> {
  const { owner, repo } = options;
  const requests: RecordedRequest[] = [];
  const pulls: FixturePull[] = [];
  const statuses = new Map<
    string,
    { state: string; context: string; description?: string; target_url?: string }[]
  >();
  const deletedBranches: string[] = [];
  const faults: { route: RegExp; method: string; fault: Fault }[] = [];
  let baseUrl = '';
  const repoPath = `/repos/${owner}/${repo}`;
  const installationTokens = new Set<string>();

  const pullJson = (pr: FixturePull) => ({
    url: `${baseUrl}${repoPath}/pulls/${pr.number}`,
    html_url: `https://github.example/${owner}/${repo}/pull/${pr.number}`,
    number: pr.number,
    state: pr.state,
    title: pr.title,
    body: pr.body,
    draft: false,
    merged: pr.merged,
    merged_at: pr.merged ? '2026-08-01T12:00:00Z' : null,
    merge_commit_sha: pr.mergeSha ?? null,
    labels: pr.labels.map((name, id) => ({ id: id + 1, name })),
    head: { label: `${owner}:${pr.head}`, ref: pr.head, sha: headSha(pr.head) },
    base: { label: `${owner}:${pr.base}`, ref: pr.base, sha: headSha(pr.base) },
  });

  function headSha(branch: string): string {
    if (options.bareRepo === undefined) return '0'.repeat(40);
    try {
      return execFileSync('git', ['rev-parse', `refs/heads/${branch}`], {
        cwd: options.bareRepo,
        encoding: 'utf8',
      }).trim();
    } catch {
      return '0'.repeat(40);
    }
  }

  function mergeInGit(pr: FixturePull): string {
    const bare = options.bareRepo;
    if (bare === undefined) return 'f'.repeat(40);
    const work = mkdtempSync(join(tmpdir(), 'slipway-gh-merge-'));
    const run = (args: string[]) =>
      execFileSync(
        'git',
        [
          '-c',
          'user.name=GitHub',
          '-c',
          'user.email=noreply@github.com',
          '-c',
          'commit.gpgsign=false',
          ...args,
        ],
        {
          cwd: work,
          encoding: 'utf8',
        },
      ).trim();
    try {
      run(['clone', '--quiet', '--branch', pr.base, bare, '.']);
      run(['fetch', '--quiet', 'origin', `refs/heads/${pr.head}:refs/remotes/origin/${pr.head}`]);
      run([
        'merge',
        '--quiet',
        '--no-ff',
        '-m',
        `Merge pull request #${pr.number} from ${owner}/${pr.head}\n\n${pr.title}`,
        `origin/${pr.head}`,
      ]);
      run(['push', '--quiet', 'origin', `HEAD:refs/heads/${pr.base}`]);
      return run(['rev-parse', 'HEAD']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  function doMerge(pr: FixturePull): string {
    const sha = mergeInGit(pr);
    pr.merged = true;
    pr.state = 'closed';
    pr.mergeSha = sha;
    return sha;
  }

  const handle = (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v3/, ''));
    requests.push({
      method,
      path: `${path}${url.search}`,
      ...(req.headers.authorization && { authorization: req.headers.authorization }),
      body,
    });
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-api-version-selected': '2022-11-28',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        ...headers,
      });
      res.end(status === 204 ? undefined : JSON.stringify(json));
    };
    const faultIndex = faults.findIndex((f) => f.method === method && f.route.test(path));
    if (faultIndex >= 0) {
      const { fault } = faults.splice(faultIndex, 1)[0]!;
      send(fault.status, fault.body, fault.headers);
      return;
    }
    const auth = req.headers.authorization ?? '';
    const appToken = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (appToken !== null && method === 'POST') {
      if (!/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i.test(auth))
        return send(401, { message: 'A JSON web token could not be decoded' });
      if (Number(appToken[1]) !== options.appInstallationId) return send(404, { message: 'Not Found' });
      const token = `ghs_fixture${installationTokens.size}`;
      installationTokens.add(token);
      return send(201, {
        token,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        permissions: { contents: 'write', pull_requests: 'write' },
      });
    }
    const given = auth.replace(/^(token|bearer) /i, '');
    if (options.token !== undefined && given !== options.token && !installationTokens.has(given)) {
      return send(401, { message: 'Bad credentials', documentation_url: DOCS });
    }
    if (!path.startsWith(repoPath)) return send(404, { message: 'Not Found', documentation_url: DOCS });
    const rest = path.slice(repoPath.length);
    const b = (body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (rest === '/pulls' && method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const head = url.searchParams.get('head');
      const base = url.searchParams.get('base');
      const list = pulls.filter(
        (p) =>
          (state === 'all' || p.state === state) &&
          (head === null || `${owner}:${p.head}` === head) &&
          (base === null || p.base === base),
      );
      return send(200, list.map(pullJson));
    }
    if (rest === '/pulls' && method === 'POST') {
      const head = String(b.head ?? '');
      const base = String(b.base ?? '');
      if (pulls.some((p) => p.state === 'open' && p.head === head && p.base === base)) {
        return send(422, {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${owner}:${head}.`,
            },
          ],
          documentation_url: `${DOCS}/pulls/pulls#create-a-pull-request`,
          status: '422',
        });
      }
      if (options.bareRepo !== undefined && headSha(head) === '0'.repeat(40)) {
        return send(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
          documentation_url: `${DOCS}/pulls/pulls#create-a-pull-request`,
          status: '422',
        });
      }
      const pr: FixturePull = {
        number: pulls.length + 1,
        head,
        base,
        title: String(b.title ?? ''),
        body: String(b.body ?? ''),
        state: 'open',
        merged: false,
        labels: [],
      };
      pulls.push(pr);
      return send(201, pullJson(pr));
    }
    m = /^\/pulls\/(\d+)$/.exec(rest);
    if (m !== null) {
      const pr = pulls.find((p) => p.number === Number(m![1]));
      if (pr === undefined) return send(404, { message: 'Not Found', documentation_url: DOCS });
      if (method === 'PATCH') {
        if (typeof b.title === 'string') pr.title = b.title;
        if (typeof b.body === 'string') pr.body = b.body;
        if (b.state === 'closed' || b.state === 'open') pr.state = b.state;
      }
      return send(200, pullJson(pr));
    }
    m = /^\/pulls\/(\d+)\/merge$/.exec(rest);
    if (m !== null && method === 'PUT') {
      const pr = pulls.find((p) => p.number === Number(m![1]));
      if (pr === undefined) return send(404, { message: 'Not Found', documentation_url: DOCS });
      if (pr.state !== 'open') return send(405, GITHUB_ERRORS.notMergeable().body);
      if (typeof b.sha === 'string' && b.sha !== headSha(pr.head))
        return send(409, GITHUB_ERRORS.headModified().body);
      const sha = doMerge(pr);
      return send(200, { sha, merged: true, message: 'Pull Request successfully merged' });
    }
    m = /^\/issues\/(\d+)\/labels$/.exec(rest);
    if (m !== null && method === 'POST') {
      const pr = pulls.find((p) => p.number === Number(m![1]));
      if (pr === undefined) return send(404, { message: 'Not Found', documentation_url: DOCS });
      for (const label of (b.labels as string[] | undefined) ?? [])
        if (!pr.labels.includes(label)) pr.labels.push(label);
      return send(
        200,
        pr.labels.map((name, id) => ({ id: id + 1, name, color: 'ededed', default: false })),
      );
    }
    m = /^\/statuses\/([0-9a-f]{40})$/.exec(rest);
    if (m !== null && method === 'POST') {
      const state = String(b.state);
      if (!['error', 'failure', 'pending', 'success'].includes(state)) {
        return send(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Status', field: 'state', code: 'custom' }],
          documentation_url: DOCS,
        });
      }
      const list = statuses.get(m[1]!) ?? [];
      list.push({
        state,
        context: String(b.context ?? 'default'),
        ...(typeof b.description === 'string' && { description: b.description }),
        ...(typeof b.target_url === 'string' && { target_url: b.target_url }),
      });
      statuses.set(m[1]!, list);
      return send(201, {
        id: list.length,
        state,
        context: b.context,
        description: b.description,
        target_url: b.target_url ?? null,
      });
    }
    m = /^\/git\/refs\/heads\/(.+)$/.exec(rest);
    if (m !== null && method === 'DELETE') {
      const branch = m[1]!;
      if (options.bareRepo !== undefined && headSha(branch) !== '0'.repeat(40)) {
        execFileSync('git', ['update-ref', '-d', `refs/heads/${branch}`], { cwd: options.bareRepo });
      } else if (options.bareRepo !== undefined || deletedBranches.includes(branch)) {
        return send(422, {
          message: 'Reference does not exist',
          documentation_url: `${DOCS}/git/refs#delete-a-reference`,
        });
      }
      deletedBranches.push(branch);
      return send(204, undefined);
    }
    return send(404, { message: 'Not Found', documentation_url: DOCS });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: 'Problems parsing JSON' }));
        return;
      }
      try {
        handle(req, res, body);
      } catch (error) {
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: (error as Error).message }));
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    requests,
    pulls,
    statuses,
    deletedBranches,
    fail(route, fault) {
      const [method, pattern] = route.split(' ') as [string, string];
      faults.push({ method, route: new RegExp(`^${repoPath.replace(/\//g, '\\/')}${pattern}$`), fault });
    },
    merge(number) {
      const pr = pulls.find((p) => p.number === number);
      if (pr === undefined || pr.state !== 'open') throw new Error(`pull request #${number} is not open`);
      return doMerge(pr);
    },
    stop: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
