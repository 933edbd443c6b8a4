// The GitHub provider against a local server answering as GitHub documents it, errors included.
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubProvider } from '../../../../../src/gitsync/gittarget/scm/github.js';
import { ScmError } from '../../../../../src/gitsync/gittarget/scm/provider.js';
import {
  GITHUB_ERRORS,
  type GitHubFixture,
  startGitHubFixture,
} from '../../../../e2e/support/github-fixture.js';

const TOKEN = 'ghp_unitTestToken0123456789';
const SHA = 'a'.repeat(40);
let fixture: GitHubFixture;
let limited: string[];

function provider(
  auth: ConstructorParameters<typeof GitHubProvider>[0]['auth'] = { kind: 'token', token: TOKEN },
) {
  return new GitHubProvider({
    owner: 'acme',
    repository: 'platform',
    auth,
    baseUrl: fixture.baseUrl,
    retryAfterBaseMs: 10,
    paceWrites: false,
    onRateLimited: (kind, after, route) => limited.push(`${kind} ${after}s ${route}`),
  });
}

const spec = {
  head: 'slipway/promote/web/staging',
  base: 'main',
  title: 'Promote web 2.0.0 to staging',
  body: 'why',
  labels: ['slipway', 'env/staging'],
};

beforeEach(async () => {
  fixture = await startGitHubFixture({
    owner: 'acme',
    repo: 'platform',
    token: TOKEN,
    appInstallationId: 42,
  });
  limited = [];
});
afterEach(() => fixture.stop());

describe('GitHubProvider', () => {
  it('creates a pull request with labels, then finds and updates the same one', async () => {
    const gh = provider();
    const first = await gh.findOrUpdatePullRequest(spec);
    expect(first).toMatchObject({ number: 1, created: true, state: 'open' });
    const second = await gh.findOrUpdatePullRequest({
      ...spec,
      title: 'Promote web 2.0.1 to staging',
      body: 'newer',
    });
    expect(second).toMatchObject({ number: 1, created: false });
    expect(fixture.pulls).toHaveLength(1);
    expect(fixture.pulls[0]).toMatchObject({
      title: 'Promote web 2.0.1 to staging',
      body: 'newer',
      labels: ['slipway', 'env/staging'],
    });
    expect(fixture.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/platform/pulls?head=acme%3Aslipway%2Fpromote%2Fweb%2Fstaging&base=main&state=open&per_page=10',
      'POST /repos/acme/platform/pulls',
      'POST /repos/acme/platform/issues/1/labels',
      'GET /repos/acme/platform/pulls?head=acme%3Aslipway%2Fpromote%2Fweb%2Fstaging&base=main&state=open&per_page=10',
      'PATCH /repos/acme/platform/pulls/1',
      'POST /repos/acme/platform/issues/1/labels',
    ]);
    expect(fixture.requests[0]!.authorization).toBe(`token ${TOKEN}`);
  });

  it('takes over the existing pull request when create answers 422 "already exists"', async () => {
    const gh = provider();
    await gh.findOrUpdatePullRequest(spec);
    // The list misses it (another writer, eventual consistency); create then says it exists.
    fixture.fail('GET /pulls', { status: 200, body: [] });
    const again = await gh.findOrUpdatePullRequest({ ...spec, body: 'second writer' });
    expect(again).toMatchObject({ number: 1, created: false });
    expect(fixture.pulls).toHaveLength(1);
    expect(fixture.pulls[0]!.body).toBe('second writer');
  });

  it('waits out a secondary rate limit (403 with retry-after) and retries', async () => {
    const gh = provider();
    fixture.fail('POST /pulls', GITHUB_ERRORS.secondaryRateLimit(1));
    const pr = await gh.findOrUpdatePullRequest(spec);
    expect(pr.created).toBe(true);
    expect(limited).toEqual(['secondary 1s POST /repos/{owner}/{repo}/pulls']);
    expect(fixture.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pulls'))).toHaveLength(2);
  });

  it('gives up after the configured rate-limit retries with an error naming the operation', async () => {
    const gh = provider();
    for (let i = 0; i < 5; i += 1)
      fixture.fail('POST /statuses/[0-9a-f]+', GITHUB_ERRORS.secondaryRateLimit(1));
    const error = await gh
      .setCommitStatus(SHA, { state: 'success', context: 'slipway/promotion', description: 'ok' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ScmError);
    expect((error as Error).message).toMatch(
      /^GitHub acme\/platform: set commit status on aaaaaaaaaaaa failed \(HTTP 403\): You have exceeded a secondary rate limit/,
    );
    expect(limited).toHaveLength(4);
  });

  it('retries a 502 and succeeds', async () => {
    const gh = provider();
    fixture.fail('POST /statuses/[0-9a-f]+', GITHUB_ERRORS.serverError());
    await gh.setCommitStatus(SHA, {
      state: 'pending',
      context: 'slipway/promotion',
      description: 'soaking',
      targetUrl: 'https://argo/app',
    });
    expect(fixture.statuses.get(SHA)).toEqual([
      {
        state: 'pending',
        context: 'slipway/promotion',
        description: 'soaking',
        target_url: 'https://argo/app',
      },
    ]);
  });

  it('reports 405 (not mergeable) and 409 (head moved) as not merged, without retrying', async () => {
    const gh = provider();
    const pr = await gh.findOrUpdatePullRequest(spec);
    fixture.fail('PUT /pulls/1/merge', GITHUB_ERRORS.notMergeable());
    expect(await gh.mergePullRequest(pr.number, { method: 'merge' })).toEqual({
      merged: false,
      reason: 'Pull Request is not mergeable',
    });
    fixture.fail('PUT /pulls/1/merge', GITHUB_ERRORS.headModified());
    expect(await gh.mergePullRequest(pr.number, { method: 'squash', sha: SHA })).toEqual({
      merged: false,
      reason: 'Head branch was modified. Review and try the merge again.',
    });
    expect(fixture.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
    expect(await gh.mergePullRequest(pr.number, { method: 'merge' })).toMatchObject({ merged: true });
    expect((await gh.getPullRequest(1)).state).toBe('merged');
  });

  it('deletes a branch, and a branch already gone (422) is fine', async () => {
    const gh = provider();
    await gh.deleteBranch('slipway/promote/web/staging');
    await gh.deleteBranch('slipway/promote/web/staging');
    expect(fixture.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'DELETE /repos/acme/platform/git/refs/heads/slipway/promote/web/staging',
      'DELETE /repos/acme/platform/git/refs/heads/slipway/promote/web/staging',
    ]);
  });

  it('bad credentials fail with the operation and the host answer', async () => {
    const gh = provider({ kind: 'token', token: 'wrong' });
    await expect(gh.findPullRequest('x', 'main')).rejects.toThrow(
      'GitHub acme/platform: list pull requests failed (HTTP 401): Bad credentials',
    );
  });

  it('authenticates as a GitHub App installation with a signed JWT', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const gh = provider({
      kind: 'app',
      appId: '1234',
      installationId: '42',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    await gh.findOrUpdatePullRequest(spec);
    await gh.findPullRequest(spec.head, spec.base);
    const [mint, ...rest] = fixture.requests;
    expect(`${mint!.method} ${mint!.path}`).toBe('POST /app/installations/42/access_tokens');
    expect(mint!.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const payload = JSON.parse(Buffer.from(mint!.authorization!.split('.')[1]!, 'base64url').toString());
    expect(payload.iss).toBe('1234');
    expect(payload.exp - payload.iat).toBe(600);
    expect(rest.every((r) => r.authorization === 'token ghs_fixture0')).toBe(true);
    expect(fixture.requests.filter((r) => r.path.startsWith('/app/'))).toHaveLength(1);
  });
});
