// The Gitea provider against a real Gitea (built from its Go module, SQLite, loopback): find or
// update a pull request across pages of the list, labels by id (created when missing), the 409
// Gitea answers for a duplicate, commit statuses, a merge refused for a stale head then done for
// real, and branch clean-up. The first run builds Gitea (support/gitea.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GiteaProvider } from '../../src/gitsync/gittarget/scm/gitea.js';
import { git } from './support/git-server.js';
import { giteaBinary, startGitea, type TestGitea } from './support/gitea.js';
import { eventually } from './support/wait.js';

let gitea: TestGitea;
let work: string;

function pushBranch(branch: string, file: string, text: string): string {
  git(work, ['checkout', '--quiet', '-B', branch, 'origin/main']);
  writeFileSync(join(work, file), text);
  git(work, ['add', '--all']);
  git(work, ['commit', '--quiet', '-m', `change ${file} on ${branch}`]);
  git(work, ['push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`]);
  return git(work, ['rev-parse', 'HEAD']).trim();
}

describe('Gitea provider against a real Gitea', () => {
  beforeAll(async () => {
    gitea = await startGitea(giteaBinary());
    await gitea.api('POST', '/user/repos', { name: 'platform', auto_init: true, default_branch: 'main' });
    work = mkdtempSync(join(tmpdir(), 'slipway-gitea-work-'));
    git(work, ['clone', '--quiet', gitea.cloneUrl('platform'), '.']);
  }, 900_000);

  afterAll(async () => {
    await gitea?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('finds or updates a pull request, labels it, sets a status, merges it and cleans up', async () => {
    // Other open pull requests first, so ours is on a later page (page size 2).
    for (const other of ['feature/a', 'feature/b']) {
      pushBranch(other, `${other.replace('/', '-')}.txt`, 'x\n');
      await gitea.api('POST', `/repos/${gitea.user}/platform/pulls`, {
        head: other,
        base: 'main',
        title: other,
      });
    }
    const head = 'slipway/promote/web/prod';
    const sha = pushBranch(head, 'prod.yaml', 'image: web:2.0.0\n');
    const provider = new GiteaProvider({
      owner: gitea.user,
      repository: 'platform',
      baseUrl: gitea.baseUrl,
      token: gitea.token,
      pageSize: 2,
    });
    const spec = {
      head,
      base: 'main',
      title: 'Promote web:2.0.0 to prod',
      body: 'first',
      labels: ['slipway', 'env/prod'],
    };

    const created = await provider.findOrUpdatePullRequest(spec);
    expect(created).toMatchObject({ number: 3, created: true, state: 'open', headSha: sha });
    const again = await provider.findOrUpdatePullRequest({ ...spec, body: 'second' });
    expect(again).toMatchObject({ number: 3, created: false });
    const pr = await gitea.api<{ body: string; labels: { name: string }[] }>(
      'GET',
      `/repos/${gitea.user}/platform/pulls/3`,
    );
    expect(pr.body).toBe('second');
    expect(pr.labels.map((l) => l.name).sort()).toEqual(['env/prod', 'slipway']);

    // Gitea answers a duplicate create with 409 (GitHub: 422), which the provider turns into an update.
    const duplicate = await fetch(`${gitea.baseUrl}/api/v1/repos/${gitea.user}/platform/pulls`, {
      method: 'POST',
      headers: { authorization: `token ${gitea.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ head, base: 'main', title: 'dup' }),
    });
    expect(duplicate.status).toBe(409);

    await provider.setCommitStatus(sha, {
      state: 'success',
      context: 'slipway/promote',
      description: 'dev Healthy',
      targetUrl: 'https://argocd.example/app',
    });
    const statuses = await gitea.api<{ context: string; status: string }[]>(
      'GET',
      `/repos/${gitea.user}/platform/commits/${sha}/statuses`,
    );
    expect(statuses).toEqual([expect.objectContaining({ context: 'slipway/promote', status: 'success' })]);

    // Gitea checks mergeability in the background: until then a merge is refused with 405
    // "Please try again later", which the provider reports as not merged (retried next pass).
    await eventually('gitea to finish its mergeability check', async () =>
      (await gitea.api<{ mergeable: boolean }>('GET', `/repos/${gitea.user}/platform/pulls/3`)).mergeable
        ? true
        : undefined,
    );
    const stale = await provider.mergePullRequest(3, { method: 'merge', sha: 'f'.repeat(40) });
    expect(stale).toMatchObject({ merged: false });
    // The refused merge sends Gitea back to checking; a later pass merges.
    await eventually(
      'the merge',
      async () => ((await provider.mergePullRequest(3, { method: 'merge', sha })).merged ? true : undefined),
      30_000,
    );
    expect((await provider.getPullRequest(3)).state).toBe('merged');
    const file = await gitea.api<{ content: string }>(
      'GET',
      `/repos/${gitea.user}/platform/contents/prod.yaml?ref=main`,
    );
    expect(Buffer.from(file.content, 'base64').toString()).toBe('image: web:2.0.0\n');

    await provider.deleteBranch(head);
    await provider.deleteBranch(head); // already gone: fine
    const branches = await gitea.api<{ name: string }[]>('GET', `/repos/${gitea.user}/platform/branches`);
    expect(branches.map((b) => b.name)).not.toContain(head);
    expect(await provider.findPullRequest(head, 'main')).toBeUndefined();
  });
});
