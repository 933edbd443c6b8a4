import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../src/gitsync/imagewatch/check.js';
import { compilePolicy } from '../../src/gitsync/imagewatch/policy/strategy.js';
import { RegistryClient } from '../../src/gitsync/imagewatch/registry/client.js';
import { locateRepository } from '../../src/gitsync/imagewatch/registry/location.js';
import { signBody, signRequest } from '../../src/gitsync/imagewatch/webhook/signature.js';
import {
  commitMessages,
  createBareRepo,
  externalCommit,
  type GitHttpServer,
  git,
  showFile,
  startGitHttpServer,
} from './support/git-server.js';
import { startGitHubFixture } from './support/github-fixture.js';
import { gitTargetYaml, requestSync, startTestGitSync, type TestGitSync } from './support/gitsync.js';
import { createRepoSecret, getJsonAsync, kubectl, kubectlAsync, patch } from './support/kubectl.js';
import { tearDown } from './support/lifecycle.js';
import { freePort, pushImage, startRegistry, type TestRegistry } from './support/registry.js';
import { eventually } from './support/wait.js';

let registry: TestRegistry;

beforeAll(async () => {
  registry = await startRegistry();
}, 60_000);
afterAll(async () => registry?.stop());

function client(repository: string): RegistryClient {
  const found = locateRepository(`${registry.host}/${repository}`);
  if ('error' in found) throw new Error(found.error);
  return new RegistryClient(found);
}

function policyOf(spec: Parameters<typeof compilePolicy>[0]) {
  const compiled = compilePolicy(spec);
  if ('error' in compiled) throw new Error(compiled.error);
  return compiled;
}

describe('spec.platform against real images', () => {
  it('skips tags without an image for the platform, in semver and newest-build', async () => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    const day = 86_400_000;
    await pushImage(registry.url, 'plat/web', '1.0.0', { created: new Date(base) });
    await pushImage(registry.url, 'plat/web', '1.1.0', {
      format: 'oci-index',
      created: new Date(base + day),
    });
    // The newest and highest: an index and a single image with arm64 only.
    await pushImage(registry.url, 'plat/web', '1.2.0', {
      created: new Date(base + 2 * day),
      architectures: ['arm64'],
    });
    await pushImage(registry.url, 'plat/web', '1.3.0', {
      format: 'oci-index',
      created: new Date(base + 3 * day),
      architectures: ['arm64'],
    });
    const now = base + 10 * day;
    const semver = policyOf({ strategy: 'semver', semver: { constraint: '^1' } });
    const newest = policyOf({ strategy: 'newest-build' });
    const pick = async (policy: typeof semver, platform?: string) => {
      const outcome = await checkImage(client('plat/web'), policy, now, platform);
      return outcome.kind === 'candidate' ? outcome.candidate.tag : outcome.why;
    };
    expect(await pick(semver, 'linux/amd64')).toBe('1.1.0');
    expect(await pick(newest, 'linux/amd64')).toBe('1.1.0');
    expect(await pick(semver, 'linux/arm64')).toBe('1.3.0');
    expect(await pick(semver)).toBe('1.3.0');
    expect(await pick(semver, 'linux/s390x')).toBe('no matching tag has an image for linux/s390x');
  });
});

const namespace = `gitsync-fix-${Date.now().toString(36)}`;
const TOKEN = 'glpat-SLIPWAY-FIX-0123456789';
const WEBHOOK_SECRET = 'webhook-fix-secret';

interface WatchStatus {
  latest?: { image: string; tag?: string; digest?: string };
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

describe('slipway git-sync correctness with the cluster, the registry and a Git repository', () => {
  let root: string;
  let gitServer: GitHttpServer;
  let bare: string;
  let gitSync: TestGitSync | undefined;
  let output: string[] = [];
  let webhookPort: number;

  const apply = (yaml: string) => kubectl(['apply', '-n', namespace, '-f', '-'], yaml);
  const watchStatus = async (name: string): Promise<WatchStatus> =>
    (await getJsonAsync<{ status?: WatchStatus }>(['imagewatch', name, '-n', namespace])).status ?? {};
  const ready = async (name: string) => (await watchStatus(name)).conditions?.find((c) => c.type === 'Ready');
  const file = (path: string) => showFile(bare, path);
  /** An ImageWatch of `fix/<repository>` (semver ^1) writing apps/<app>/values.yaml (app = name). */
  const semverWatch = (
    name: string,
    repository: string,
    interval: string,
    { gitTarget = 'platform', app = name }: { gitTarget?: string; app?: string } = {},
  ) => `apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: ${name}}
spec:
  image: ${registry.host}/fix/${repository}
  interval: ${interval}
  policy: {strategy: semver, semver: {constraint: ^1}}
  targets:
    - {gitTarget: ${gitTarget}, path: apps/${app}/values.yaml, helm: {tagPath: image.tag}}
`;
  const inGit = (path: string, text: string) =>
    eventually(`${text} in ${path}`, () => (file(path).includes(text) ? true : undefined), 90_000);
  const events = () =>
    kubectlAsync([
      'get',
      'events',
      '-n',
      namespace,
      '-o',
      'jsonpath={range .items[*]}{.involvedObject.name} {.reason} {.message}{"\\n"}{end}',
    ]);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'slipway-gitsync-fix-'));
    gitServer = await startGitHttpServer(root, { token: TOKEN });
    const host = registry.host;
    bare = createBareRepo(root, 'platform', {
      'apps/dig/kustomization.yaml': `images:\n  - name: ${host}/fix/dig\n    newTag: old\n`,
      'apps/dig/.argocd-source-dig.yaml':
        'helm:\n  parameters:\n  - name: image.tag\n    value: old\n    forcestring: true\n',
      'apps/race/values.yaml': 'image:\n  tag: 0.0.1\n',
      'apps/keep/values.yaml': 'image:\n  tag: 0.0.1\n',
      'apps/hand/values.yaml': 'image:\n  tag: 0.0.1\n',
      'apps/pr/values.yaml': 'image:\n  tag: 0.0.1\n',
      'apps/wb/values.yaml': 'image:\n  tag: 0.0.1\n',
      'apps/gh/values.yaml': 'image:\n  tag: 0.0.1\n',
      ...Object.fromEntries(
        ['a', 'b', 'c'].flatMap((svc) =>
          [1, 2].map((n) => [`apps/round-${svc}${n}/values.yaml`, 'image:\n  tag: 0.0.1\n']),
        ),
      ),
    });
    kubectl(['create', 'namespace', namespace]);
    createRepoSecret(namespace, TOKEN);
    webhookPort = await freePort();
    gitSync = await startTestGitSync({
      namespace,
      workDir: join(root, 'work'),
      webhookPort,
      env: { SLIPWAY_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
    output = gitSync.output;
    apply(gitTargetYaml('platform', gitServer.url('platform')));
  }, 180_000);

  afterAll(() => tearDown([() => gitSync?.kill(), gitServer], { namespace, root }));

  it('digest strategy: tag@digest in the Helm tag parameter, digest without a stale newTag in kustomize', async () => {
    const digest = await pushImage(registry.url, 'fix/dig', 'latest');
    apply(`
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: dig}
spec:
  image: ${registry.host}/fix/dig
  interval: 1h
  policy: {strategy: digest, digest: {tag: latest}}
  targets:
    - {gitTarget: platform, path: apps/dig/kustomization.yaml, kustomize: {}}
    - {gitTarget: platform, path: apps/dig, argocdSourceOverride: {application: dig, helm: {tagParameter: image.tag}}}
`);
    await inGit('apps/dig/kustomization.yaml', digest);
    expect(file('apps/dig/kustomization.yaml')).toBe(
      `images:\n  - name: ${registry.host}/fix/dig\n    digest: ${digest}\n`,
    );
    expect(file('apps/dig/.argocd-source-dig.yaml')).toBe(
      `helm:\n  parameters:\n  - name: image.tag\n    value: latest@${digest}\n    forcestring: true\n`,
    );
    expect((await watchStatus('dig')).latest?.image).toBe(`${registry.host}/fix/dig:latest@${digest}`);
  });

  it('a webhook that arrives before its tag is readable still gets the tag written', async () => {
    await pushImage(registry.url, 'fix/race', '1.0.0');
    apply(semverWatch('race', 'race', '1h'));
    await inGit('apps/race/values.yaml', '1.0.0');
    // The notification comes first, as a registry's sometimes does; the image lands afterwards.
    const body = JSON.stringify({ image: `${registry.host}/fix/race`, tag: '1.1.0' });
    const answer = await fetch(`http://127.0.0.1:${webhookPort}/webhook/generic`, {
      method: 'POST',
      body,
      headers: signRequest(WEBHOOK_SECRET, body),
    });
    expect(await answer.json()).toEqual({ images: 1, matched: 1 });
    const retries = () =>
      output
        .join('')
        .split('\n')
        .filter((l) => l.includes('pushed tag not readable yet') && l.includes(`${namespace}/race`)).length;
    await eventually('a retried check', () => (retries() > 0 ? true : undefined), 60_000);
    await pushImage(registry.url, 'fix/race', '1.1.0');
    // The interval is an hour: only the retry can bring it.
    await inGit('apps/race/values.yaml', '1.1.0');
  });

  it('a GHCR package event (signed as GitHub signs it) brings a pushed tag without waiting for the poll', async () => {
    await pushImage(registry.url, 'fix/gh', '1.0.0');
    apply(semverWatch('gh', 'gh', '1h'));
    await inGit('apps/gh/values.yaml', '1.0.0');
    const digest = await pushImage(registry.url, 'fix/gh', '1.1.0');
    const body = JSON.stringify({
      action: 'published',
      package: {
        name: 'gh',
        namespace: 'fix',
        package_type: 'CONTAINER',
        package_version: {
          container_metadata: { tag: { name: '1.1.0', digest } },
          package_url: `${registry.host}/fix/gh:1.1.0`,
        },
      },
    });
    const send = (signature: string) =>
      fetch(`http://127.0.0.1:${webhookPort}/webhook/ghcr`, {
        method: 'POST',
        body,
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'package',
          'X-GitHub-Delivery': `e2e-${Date.now()}`,
          'X-Hub-Signature-256': signature,
        },
      });
    expect((await send(signBody('not-the-secret', body))).status).toBe(401);
    const answer = await send(signBody(WEBHOOK_SECRET, body));
    expect(answer.status).toBe(202);
    expect(await answer.json()).toEqual({ images: 1, matched: 1 });
    // The interval is an hour: only the webhook can bring it.
    await eventually(
      '1.1.0 in Git',
      () => (file('apps/gh/values.yaml').includes('1.1.0') ? true : undefined),
      90_000,
    );
  });

  it('a round of new tags in three repositories, watched twice each, lands in one commit', async () => {
    const services = ['a', 'b', 'c'];
    for (const svc of services) await pushImage(registry.url, `fix/round-${svc}`, '1.0.0');
    apply(
      services
        .flatMap((svc) => [1, 2].map((n) => `---\n${semverWatch(`round-${svc}${n}`, `round-${svc}`, '1h')}`))
        .join(''),
    );
    const holding = (tag: string) =>
      services
        .flatMap((svc) => [1, 2].map((n) => file(`apps/round-${svc}${n}/values.yaml`)))
        .filter((t) => t.includes(`tag: ${tag}`)).length;
    await eventually('1.0.0 in all six files', () => (holding('1.0.0') === 6 ? true : undefined), 120_000);
    // Every ImageWatch has written (status) before the round starts, so nothing else is in flight.
    await eventually(
      'six watches up to date',
      async () => {
        const names = services.flatMap((svc) => [1, 2].map((n) => `round-${svc}${n}`));
        const conditions = await Promise.all(names.map((name) => ready(name)));
        return conditions.every((c) => c?.reason === 'UpToDate') ? true : undefined;
      },
      120_000,
    );
    const before = commitMessages(bare).length;
    for (const svc of services) await pushImage(registry.url, `fix/round-${svc}`, '1.1.0');
    // One notification envelope names all three pushes, as a registry's batch does.
    const envelope = {
      events: services.map((svc) => ({
        action: 'push',
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          repository: `fix/round-${svc}`,
          tag: '1.1.0',
          url: `${registry.url}/v2/fix/round-${svc}/manifests/1.1.0`,
        },
        request: { host: registry.host },
      })),
    };
    const answer = await fetch(`http://127.0.0.1:${webhookPort}/webhook/registry`, {
      method: 'POST',
      body: JSON.stringify(envelope),
      headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
    });
    expect(await answer.json()).toEqual({ images: 3, matched: 6 });
    await eventually('1.1.0 in all six files', () => (holding('1.1.0') === 6 ? true : undefined), 120_000);
    const round = commitMessages(bare).slice(0, commitMessages(bare).length - before);
    expect(round).toHaveLength(1);
    for (const svc of services) expect(round[0]).toContain(`fix/round-${svc}`);
  });

  it('a deleted tag does not downgrade, and spec.suspend pins what Git holds', async () => {
    await pushImage(registry.url, 'fix/keep', '1.1.5');
    const newest = await pushImage(registry.url, 'fix/keep', '1.1.6');
    apply(semverWatch('keep', 'keep', '2s'));
    await inGit('apps/keep/values.yaml', '1.1.6');
    const deleted = await fetch(`${registry.url}/v2/fix/keep/manifests/${newest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    await eventually(
      'DowngradeRefused',
      async () => (/keep DowngradeRefused kept .*1\.1\.6/.test(await events()) ? true : undefined),
      60_000,
    );
    expect((await watchStatus('keep')).latest?.tag).toBe('1.1.6');
    expect(file('apps/keep/values.yaml')).toBe('image:\n  tag: 1.1.6\n');

    patch('imagewatch', 'keep', namespace, { spec: { suspend: true } });
    await eventually(
      'Suspended',
      async () => ((await ready('keep'))?.reason === 'Suspended' ? true : undefined),
      60_000,
    );
    await pushImage(registry.url, 'fix/keep', '1.2.0');
    const synced =
      (await getJsonAsync<{ status?: { lastSyncedAt?: string } }>(['gittarget', 'platform', '-n', namespace]))
        .status?.lastSyncedAt ?? '';
    await eventually('a second later', () =>
      new Date().toISOString().slice(0, 19) > synced.slice(0, 19) ? true : undefined,
    );
    requestSync(namespace, 'platform');
    await eventually(
      'a sync while suspended',
      async () => {
        const at =
          (
            await getJsonAsync<{ status?: { lastSyncedAt?: string } }>([
              'gittarget',
              'platform',
              '-n',
              namespace,
            ])
          ).status?.lastSyncedAt ?? '';
        return at > synced ? true : undefined;
      },
      60_000,
    );
    expect(file('apps/keep/values.yaml')).toBe('image:\n  tag: 1.1.6\n');

    patch('imagewatch', 'keep', namespace, { spec: { suspend: false } });
    await inGit('apps/keep/values.yaml', '1.2.0');
  });

  it('a person rolling back a managed line by hand is kept and reported, until a new tag', async () => {
    await pushImage(registry.url, 'fix/hand', '1.0.0');
    await pushImage(registry.url, 'fix/hand', '1.1.0');
    apply(semverWatch('hand', 'hand', '2s'));
    await inGit('apps/hand/values.yaml', '1.1.0');
    await eventually(
      'the write Applied',
      async () => ((await ready('hand'))?.reason === 'UpToDate' ? true : undefined),
      60_000,
    );
    await externalCommit(
      gitServer.url('platform').replace('http://', `http://x:${TOKEN}@`),
      {
        'apps/hand/values.yaml': 'image:\n  tag: 1.0.0\n',
      },
      'roll web back by hand',
    );
    requestSync(namespace, 'platform');
    const kept = await eventually(
      'ManualChangeKept',
      async () => {
        const r = await ready('hand');
        return r?.reason === 'ManualChangeKept' ? r : undefined;
      },
      60_000,
    );
    expect(kept.message).toContain('was changed by someone else to 1.0.0');
    expect(await events()).toMatch(/hand ManualChange .*changed by someone else to 1\.0\.0/);
    expect(file('apps/hand/values.yaml')).toBe('image:\n  tag: 1.0.0\n');

    await pushImage(registry.url, 'fix/hand', '1.2.0');
    await inGit('apps/hand/values.yaml', '1.2.0');
  });

  it('pull-request mode proposes on a branch, labels the pull request, and the write lands when it is merged', async () => {
    const github = await startGitHubFixture({
      owner: 'acme',
      repo: 'platform',
      token: TOKEN,
      bareRepo: bare,
    });
    try {
      kubectl(['create', 'secret', 'generic', 'github', '-n', namespace, `--from-literal=token=${TOKEN}`]);
      await pushImage(registry.url, 'fix/pr', '1.0.0');
      apply(`${gitTargetYaml('platform-pr', gitServer.url('platform'), {
        mode: 'pull-request',
        pullRequest: `{labels: [image-bump], scm: {provider: github, owner: acme, repository: platform, apiUrl: "${github.baseUrl}", secretRef: {name: github}}}`,
      })}---
${semverWatch('prw', 'pr', '1h', { gitTarget: 'platform-pr', app: 'pr' })}`);
      const pr = await eventually(
        'a pull request',
        () => github.pulls.find((p) => p.head === 'slipway/bump/platform-pr' && p.labels.length > 0),
        90_000,
      );
      expect(pr).toMatchObject({ base: 'main', state: 'open', labels: ['image-bump'] });
      expect(showFile(bare, 'apps/pr/values.yaml', 'slipway/bump/platform-pr')).toBe(
        'image:\n  tag: 1.0.0\n',
      );
      expect(file('apps/pr/values.yaml')).toBe('image:\n  tag: 0.0.1\n');
      const pending = await eventually(
        'the write waits for the pull request',
        async () => {
          const w = (
            await getJsonAsync<{ status?: { writes?: { state: string; message?: string }[] } }>([
              'imagewatch',
              'prw',
              '-n',
              namespace,
            ])
          ).status?.writes?.[0];
          return w?.state === 'Pending' && w.message?.includes(`pull request #${pr.number}`) ? w : undefined;
        },
        60_000,
      );
      expect(pending.message).toContain('written once it is merged');
      const targetStatus = (
        await getJsonAsync<{ status?: { pullRequest?: { number: number } } }>([
          'gittarget',
          'platform-pr',
          '-n',
          namespace,
        ])
      ).status;
      expect(targetStatus?.pullRequest?.number).toBe(pr.number);

      github.merge(pr.number);
      requestSync(namespace, 'platform-pr');
      await eventually(
        'Applied once merged',
        async () => {
          const w = (
            await getJsonAsync<{ status?: { writes?: { state: string }[] } }>([
              'imagewatch',
              'prw',
              '-n',
              namespace,
            ])
          ).status?.writes?.[0];
          return w?.state === 'Applied' ? true : undefined;
        },
        60_000,
      );
      expect(file('apps/pr/values.yaml')).toBe('image:\n  tag: 1.0.0\n');
      expect(github.pulls.filter((p) => p.head === 'slipway/bump/platform-pr')).toHaveLength(1);
    } finally {
      await github.stop();
    }
  });

  it('writeBranch: reads spec.branch and pushes the edits to another branch', async () => {
    await pushImage(registry.url, 'fix/wb', '1.0.0');
    apply(`${gitTargetYaml('platform-wb', gitServer.url('platform'), { writeBranch: 'bumps/staging' })}---
${semverWatch('wb', 'wb', '1h', { gitTarget: 'platform-wb' })}`);
    await eventually(
      '1.0.0 on bumps/staging',
      () => {
        const text = git(bare, ['show', 'bumps/staging:apps/wb/values.yaml']).toString();
        return text.includes('1.0.0') ? true : undefined;
      },
      90_000,
    );
    expect(file('apps/wb/values.yaml')).toBe('image:\n  tag: 0.0.1\n');
    await eventually(
      'wb Ready',
      async () => ((await ready('wb'))?.status === 'True' ? true : undefined),
      60_000,
    );
  });
});
