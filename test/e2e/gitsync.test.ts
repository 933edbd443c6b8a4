// Given the local cluster, a real registry whose push notifications go to our webhook, and a bare
// repository served over HTTP with a token: when an ImageWatch and a GitTarget are applied and a
// new image is pushed, `slipway git-sync` (the real CLI process) commits the bump to the branch and
// reports it in status, Events and metrics, without a credential in any log line or status; and a
// git-sync killed in the middle of a batch loses nothing when it starts again.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSlipwayTrailers } from '../../src/gitsync/gittarget/workspace/commit-message.js';
import { signRequest } from '../../src/gitsync/imagewatch/webhook/signature.js';
import { formatTime } from '../../src/kube/timestamps.js';
import {
  commitMessages,
  createBareRepo,
  type GitHttpServer,
  git,
  showFile,
  startGitHttpServer,
} from './support/git-server.js';
import { gitTargetYaml, startTestGitSync, type TestGitSync } from './support/gitsync.js';
import { createRepoSecret, getJsonAsync, kubectl } from './support/kubectl.js';
import { tearDown } from './support/lifecycle.js';
import { freePort, pushImage, startRegistry, type TestRegistry } from './support/registry.js';
import { eventually } from './support/wait.js';

const namespace = `gitsync-${Date.now().toString(36)}`;
const TOKEN = 'glpat-SLIPWAY-E2E-0123456789';
const WEBHOOK_SECRET = 'webhook-e2e-secret';

interface Status {
  latest?: { image: string; tag?: string };
  writes?: {
    gitTarget: string;
    path: string;
    state: string;
    image?: string;
    commit?: string;
    message?: string;
  }[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  lastPushedCommit?: string;
  head?: string;
  lastCheckedAt?: string;
  lastSyncedAt?: string;
}

let root: string;
let registry: TestRegistry;
let gitServer: GitHttpServer;
let webhookPort: number;
const processes: TestGitSync[] = [];

async function startGitSync(workDir: string): Promise<TestGitSync> {
  const handle = await startTestGitSync({
    namespace,
    workDir,
    webhookPort,
    env: { SLIPWAY_WEBHOOK_SECRET: WEBHOOK_SECRET },
  });
  processes.push(handle);
  return handle;
}

function apply(yaml: string): void {
  kubectl(['apply', '-n', namespace, '-f', '-'], yaml);
}

async function status(kind: string, name: string): Promise<Status> {
  return (await getJsonAsync<{ status?: Status }>([kind, name, '-n', namespace])).status ?? {};
}

function condition(s: Status, type: string) {
  return s.conditions?.find((c) => c.type === type);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'slipway-gitsync-e2e-'));
  webhookPort = await freePort();
  registry = await startRegistry({
    notify: { url: `http://127.0.0.1:${webhookPort}/webhook/registry`, bearer: WEBHOOK_SECRET },
  });
  gitServer = await startGitHttpServer(root, { token: TOKEN });
  kubectl(['create', 'namespace', namespace]);
  createRepoSecret(namespace, TOKEN);
}, 120_000);

afterAll(async () => {
  for (const p of processes) await p.kill('SIGKILL').catch(() => undefined);
  await tearDown([gitServer, registry], { namespace, root });
});

describe('slipway git-sync against the cluster', () => {
  it('commits a pushed image to the repository and reports it in status, Events and metrics', async () => {
    const bare = createBareRepo(root, 'platform', {
      'apps/web/kustomization.yaml':
        'resources:\n  - deployment.yaml\nimages:\n  - name: IMAGE\n    newTag: 0.9.0\n',
      'apps/web/values.yaml':
        '# web chart values\nimage:\n  repository: IMAGE\n  tag: "0.9.0" # bumped by slipway\n',
      'apps/broken/values.yaml': 'image: {tag: [\n',
    });
    const image = `${registry.host}/acme/web`;
    // The seed used a placeholder for the registry port; write the real image name as a person would.
    const seedWork = mkdtempSync(join(tmpdir(), 'slipway-seed-fix-'));
    git(seedWork, ['clone', '--quiet', bare, '.']);
    for (const file of ['apps/web/kustomization.yaml', 'apps/web/values.yaml']) {
      writeFileSync(join(seedWork, file), showFile(bare, file).replace('IMAGE', image));
    }
    git(seedWork, ['commit', '--quiet', '-am', 'use the test registry']);
    git(seedWork, ['push', '--quiet', 'origin', 'HEAD:main']);
    rmSync(seedWork, { recursive: true, force: true });

    await pushImage(registry.url, 'acme/web', '1.0.0');
    const gitSync = await startGitSync(join(root, 'work'));
    apply(`${gitTargetYaml('platform', gitServer.url('platform'), { author: '{name: Slipway E2E, email: e2e@slipway.dev}' })}---
apiVersion: slipway.dev/v1alpha1
kind: GitTarget
metadata: {name: platform-pr}
spec:
  url: ${gitServer.url('platform')}
  branch: main
  mode: pull-request
  pullRequest: {branch: slipway/web}
---
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: web}
spec:
  image: ${image}
  interval: 1h
  policy:
    strategy: semver
    semver: {constraint: ^1.0}
  targets:
    - {gitTarget: platform, path: apps/web/kustomization.yaml, kustomize: {}}
    - {gitTarget: platform, path: apps/web/values.yaml, helm: {tagPath: image.tag}}
---
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: broken}
spec:
  image: ${image}
  interval: 1h
  policy: {strategy: semver, semver: {constraint: ^1.0}}
  targets:
    - {gitTarget: platform, path: apps/broken/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: platform-pr, path: apps/web/values.yaml, helm: {tagPath: image.tag}}
`);

    // First check: 1.0.0 replaces 0.9.0 in both files, in one commit.
    await eventually(
      '1.0.0 in Git',
      () => (showFile(bare, 'apps/web/values.yaml').includes('"1.0.0"') ? true : undefined),
      60_000,
    );
    expect(showFile(bare, 'apps/web/kustomization.yaml')).toContain('newTag: 1.0.0');

    // When a new image is pushed, the registry's notification reaches the webhook and 1.1.0 lands.
    await pushImage(registry.url, 'acme/web', '1.1.0');
    await pushImage(registry.url, 'acme/web', '2.0.0');
    await eventually(
      '1.1.0 in Git',
      () => (showFile(bare, 'apps/web/values.yaml').includes('"1.1.0"') ? true : undefined),
      60_000,
    );
    expect(showFile(bare, 'apps/web/values.yaml')).toBe(
      `# web chart values\nimage:\n  repository: ${image}\n  tag: "1.1.0" # bumped by slipway\n`,
    );
    const head = git(bare, ['rev-parse', 'main']).trim();
    const [message] = commitMessages(bare);
    expect(parseSlipwayTrailers(message!)).toEqual([
      {
        'Slipway-Image': image,
        'Slipway-From': '1.0.0',
        'Slipway-To': '1.1.0',
        'Slipway-Policy': 'semver ^1.0',
        'Slipway-Decision': 'bump',
      },
    ]);
    expect(git(bare, ['log', '-1', '--format=%an', 'main']).trim()).toBe('Slipway E2E');

    const web = await eventually('web Ready', async () => {
      const s = await status('imagewatch', 'web');
      return condition(s, 'Ready')?.status === 'True' && s.latest?.tag === '1.1.0' ? s : undefined;
    });
    expect(web.writes?.map((w) => [w.path, w.state, w.commit])).toEqual([
      ['apps/web/kustomization.yaml', 'Applied', head],
      ['apps/web/values.yaml', 'Applied', head],
    ]);
    expect(condition(web, 'Error')?.status).toBe('False');
    const target = await eventually('GitTarget pushed', async () => {
      const s = await status('gittarget', 'platform');
      return s.lastPushedCommit === head ? s : undefined;
    });
    expect(condition(target, 'Ready')).toMatchObject({ status: 'True' });

    // A file that does not parse is reported and left alone; pull-request mode without spec.scm is refused.
    const broken = await eventually('broken reported', async () => {
      const s = await status('imagewatch', 'broken');
      return condition(s, 'Ready')?.reason === 'WriteFailed' ? s : undefined;
    });
    expect(broken.writes?.find((w) => w.gitTarget === 'platform')).toMatchObject({ state: 'Failed' });
    expect(broken.writes?.find((w) => w.gitTarget === 'platform-pr')).toMatchObject({
      state: 'Failed',
      message: expect.stringContaining('spec.pullRequest.scm is required in pull-request mode'),
    });
    expect(showFile(bare, 'apps/broken/values.yaml')).toBe('image: {tag: [\n');
    expect(condition(await status('gittarget', 'platform-pr'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
    });
    const events = kubectl([
      'get',
      'events',
      '-n',
      namespace,
      '-o',
      'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
    ]);
    expect(events).toContain('ImageBumped');
    expect(events).toContain('WriteFailed');
    expect(events).toContain('Pushed');

    // The Argo CD actions check-now and sync-now stamp an annotation: the watch is checked and the
    // repository synced at once, though the interval is an hour. The requests come from a clock a
    // second ahead of ours, so each stays later than our status: it is still served only once.
    const logged = (msg: string, key: string) =>
      gitSync.output
        .join('')
        .split('\n')
        .filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(`"${namespace}/${key}"`)).length;
    const checkedBefore = (await status('imagewatch', 'web')).lastCheckedAt!;
    const syncedBefore = (await status('gittarget', 'platform')).lastSyncedAt!;
    const newer = (t: string) => (formatTime(Date.now()) > t ? true : undefined);
    await eventually('a second after the last check and sync', () =>
      newer(checkedBefore) && newer(syncedBefore) ? true : undefined,
    );
    const requestedAt = formatTime(Date.now() + 1000);
    for (const [kind, name, annotation] of [
      ['imagewatch', 'web', 'check-requested-at'],
      ['gittarget', 'platform', 'sync-requested-at'],
    ]) {
      kubectl([
        'annotate',
        '--overwrite',
        '-n',
        namespace,
        kind!,
        name!,
        `slipway.dev/${annotation}=${requestedAt}`,
      ]);
    }
    await eventually(
      'the requested check and sync',
      async () =>
        (await status('imagewatch', 'web')).lastCheckedAt! > checkedBefore &&
        (await status('gittarget', 'platform')).lastSyncedAt! > syncedBefore &&
        logged('check requested', 'web') === 1 &&
        logged('sync requested', 'platform') === 1
          ? true
          : undefined,
      10_000,
    );
    await new Promise((done) => setTimeout(done, 2000));
    expect([logged('check requested', 'web'), logged('sync requested', 'platform')]).toEqual([1, 1]);

    // The webhook refuses a bad signature with 401 and counts it.
    const body = JSON.stringify({ image, tag: '1.1.0' });
    const bad = await fetch(`http://127.0.0.1:${webhookPort}/webhook/generic`, {
      method: 'POST',
      body,
      headers: signRequest('wrong', body),
    });
    expect(bad.status).toBe(401);
    const good = await fetch(`http://127.0.0.1:${webhookPort}/webhook/generic`, {
      method: 'POST',
      body,
      headers: signRequest(WEBHOOK_SECRET, body),
    });
    expect(await good.json()).toEqual({ images: 1, matched: 2 });
    const metrics = await (await fetch(`http://127.0.0.1:${gitSync.ports.metrics}/metrics`)).text();
    expect(metrics).toMatch(
      /slipway_gitsync_webhook_requests_total\{endpoint="generic",result="unauthorized"\} 1/,
    );
    expect(metrics).toMatch(
      /slipway_gitsync_webhook_requests_total\{endpoint="registry",result="accepted"\} [1-9]/,
    );
    expect(metrics).toMatch(/slipway_gitsync_commits_total [2-9]/);
    expect(metrics).toMatch(/slipway_gitsync_pushes_total\{result="ok"\} [2-9]/);
    expect(metrics).toMatch(/slipway_gitsync_registry_checks_total\{result="candidate"\} [1-9]/);

    // No credential anywhere: not in logs, not in any status.
    const everything =
      gitSync.output.join('') + kubectl(['get', 'imagewatches,gittargets', '-n', namespace, '-o', 'yaml']);
    const basic = Buffer.from(`slipway:${TOKEN}`).toString('base64');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(basic);
    expect(gitSync.output.join('')).toContain('"msg":"pushed"');
    await gitSync.kill();
  });

  it('loses nothing when git-sync is killed in the middle of a batch', async () => {
    const apps = 12;
    const files: Record<string, string> = {};
    for (let i = 0; i < apps; i += 1) {
      files[`apps/svc${i}/kustomization.yaml`] =
        `images:\n  - name: ${registry.host}/team/svc${i}\n    newTag: 0.1.0\n`;
    }
    const bare = createBareRepo(root, 'monorepo', files);
    // The server takes its time accepting a push, so the kill lands while one is in flight.
    const marker = join(root, 'push-started');
    writeFileSync(
      join(bare, 'hooks', 'pre-receive'),
      `#!/bin/sh\ncat > /dev/null\ntouch '${marker}'\nsleep 2\n`,
    );
    chmodSync(join(bare, 'hooks', 'pre-receive'), 0o755);
    for (let i = 0; i < apps; i += 1) await pushImage(registry.url, `team/svc${i}`, '1.0.0');
    const workDir = join(root, 'work-restart');
    const first = await startGitSync(workDir);
    apply(
      [
        gitTargetYaml('monorepo', gitServer.url('monorepo')),
        ...Array.from(
          { length: apps },
          (_, i) =>
            `apiVersion: slipway.dev/v1alpha1\nkind: ImageWatch\nmetadata: {name: svc${i}}\nspec:\n  image: ${registry.host}/team/svc${i}\n  interval: 1h\n  policy: {strategy: semver, semver: {constraint: '>=1'}}\n  targets: [{gitTarget: monorepo, path: apps/svc${i}/kustomization.yaml, kustomize: {}}]`,
        ),
      ].join('\n---\n'),
    );
    await eventually('a push in flight', () => (existsSync(marker) ? true : undefined), 60_000);
    await first.kill('SIGKILL');
    rmSync(marker, { force: true });

    const second = await startGitSync(workDir);
    await eventually(
      'every service at 1.0.0',
      () => {
        for (let i = 0; i < apps; i += 1) {
          if (!showFile(bare, `apps/svc${i}/kustomization.yaml`).includes('newTag: 1.0.0')) return undefined;
        }
        return true;
      },
      90_000,
    );
    const bumps = commitMessages(bare)
      .flatMap(parseSlipwayTrailers)
      .map((t) => t['Slipway-Image']);
    expect(bumps.sort()).toEqual(
      Array.from({ length: apps }, (_, i) => `${registry.host}/team/svc${i}`).sort(),
    );
    await eventually(
      'all watches Ready',
      async () => {
        const list = await getJsonAsync<{ items: { status?: Status }[] }>(['imagewatches', '-n', namespace]);
        const svc = list.items.filter((w) => w.status?.latest?.image.includes('/team/svc'));
        return svc.length === apps && svc.every((w) => condition(w.status!, 'Ready')?.status === 'True')
          ? true
          : undefined;
      },
      60_000,
    );
    await second.kill();
  });
});
