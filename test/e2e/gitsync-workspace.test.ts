// Given real bare repositories (file://, smart HTTP through git http-backend with a token, SSH
// through GIT_SSH_COMMAND), the workspace batches every edit into one commit with trailers, makes
// no commit when everything is in place, leaves broken files untouched, re-applies its edits when
// someone else pushed first (losing no commit and bumping each image once), survives a crash
// between commit and push, signs with SSH or GPG keys, and never shows a credential.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSlipwayTrailers } from '../../src/gitsync/gittarget/workspace/commit-message.js';
import { type GitAccess, prepareGitAccess } from '../../src/gitsync/gittarget/workspace/git-credentials.js';
import {
  KnownEdits,
  type PendingEdit,
  PushRejectedError,
  pushEdits,
} from '../../src/gitsync/gittarget/workspace/push-batch.js';
import { prepareSigning } from '../../src/gitsync/gittarget/workspace/signing.js';
import { GitWorkspace, workspaceDir } from '../../src/gitsync/gittarget/workspace/workspace.js';
import {
  commitMessages,
  createBareRepo,
  externalCommit,
  type GitHttpServer,
  git,
  showFile,
  startGitHttpServer,
} from './support/git-server.js';

const kustomization = (name: string, tag: string) =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\nimages:\n  - name: ghcr.io/acme/${name}\n    newTag: "${tag}" # pinned by Slipway\n`;
const values = (name: string, tag: string) =>
  `# values for ${name}\nimage:\n  repository: ghcr.io/acme/${name}\n  tag: ${tag}  # keep\nreplicas: 2\n`;

function editFor(name: string, tag: string, kind: 'kustomize' | 'helm'): PendingEdit {
  const image = `ghcr.io/acme/${name}`;
  const spec =
    kind === 'kustomize'
      ? ({
          editor: 'kustomize-images',
          file: `apps/${name}/kustomization.yaml`,
          name: image,
          newTag: tag,
          mode: 'tag',
        } as const)
      : ({
          editor: 'helm-values',
          file: `apps/${name}/values.yaml`,
          targets: [{ kind: 'split', image: `${image}:${tag}`, tagPath: 'image.tag' }],
        } as const);
  return { id: `${name}#0`, spec, image, to: tag, policy: 'semver ^1' };
}

let root: string;
const noAccess: GitAccess = { env: { GIT_TERMINAL_PROMPT: '0' }, secrets: [], dispose: async () => {} };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-ws-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function seed(name: string, apps: number): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < apps; i += 1) {
    files[`apps/app${i}/kustomization.yaml`] = kustomization(`app${i}`, '1.0.0');
    files[`apps/app${i}/values.yaml`] = values(`app${i}`, '1.0.0');
  }
  return createBareRepo(root, name, files);
}

function workspace(
  url: string,
  access: GitAccess = noAccess,
  extra: Partial<ConstructorParameters<typeof GitWorkspace>[0]> = {},
) {
  return new GitWorkspace({
    root: join(root, 'cache'),
    url,
    branch: 'main',
    access,
    author: { name: 'Slipway Bot', email: 'bot@slipway.dev' },
    // These tests use local and plain-HTTP repositories, which only the operator may allow.
    urlPolicy: { allowLocal: true, allowHttp: true },
    ...extra,
  });
}

describe('one commit per batch', () => {
  it('writes every pending edit of a repository in one commit with trailers and the configured author', async () => {
    const bare = seed('batch', 4);
    const edits = [
      editFor('app0', '1.1.0', 'kustomize'),
      editFor('app1', '1.1.0', 'helm'),
      editFor('app2', '1.2.0', 'kustomize'),
    ];
    const result = await pushEdits(workspace(`file://${bare}`), edits);
    expect(result.commit).toMatch(/^[a-f0-9]{40}$/);
    expect(git(bare, ['rev-list', '--count', 'main']).trim()).toBe('2');
    expect(git(bare, ['log', '-1', '--format=%an <%ae>', 'main']).trim()).toBe(
      'Slipway Bot <bot@slipway.dev>',
    );
    expect(showFile(bare, 'apps/app0/kustomization.yaml')).toBe(kustomization('app0', '1.1.0'));
    expect(showFile(bare, 'apps/app1/values.yaml')).toBe(values('app1', '1.1.0'));
    const [message] = commitMessages(bare);
    expect(message!.split('\n')[0]).toBe('chore(images): update 3 images');
    expect(
      parseSlipwayTrailers(message!).map(
        (t) => `${t['Slipway-Image']} ${t['Slipway-From']} -> ${t['Slipway-To']}`,
      ),
    ).toEqual([
      'ghcr.io/acme/app0 1.0.0 -> 1.1.0',
      'ghcr.io/acme/app1 1.0.0 -> 1.1.0',
      'ghcr.io/acme/app2 1.0.0 -> 1.2.0',
    ]);

    const again = await pushEdits(workspace(`file://${bare}`), edits);
    expect(again.commit).toBeUndefined();
    expect([...again.outcomes.values()].map((o) => o.kind)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(git(bare, ['rev-list', '--count', 'main']).trim()).toBe('2');
  });

  it('reports a file that does not parse or a path that does not exist, leaves it untouched, and commits the rest', async () => {
    const bare = seed('broken', 2);
    await externalCommit(`file://${bare}`, { 'apps/app0/values.yaml': 'image: [unclosed\n' }, 'break it');
    const edits: PendingEdit[] = [
      editFor('app0', '2.0.0', 'helm'),
      {
        ...editFor('app1', '2.0.0', 'helm'),
        spec: {
          editor: 'helm-values',
          file: 'apps/app1/values.yaml',
          targets: [{ kind: 'split', image: 'ghcr.io/acme/app1:2.0.0', tagPath: 'image.version' }],
        },
      },
      { ...editFor('app9', '2.0.0', 'kustomize') },
      editFor('app1', '2.0.0', 'kustomize'),
    ];
    edits[3] = { ...edits[3]!, id: 'app1#1' };
    const result = await pushEdits(workspace(`file://${bare}`), edits);
    const outcome = (id: string) => result.outcomes.get(id);
    expect(outcome('app0#0')).toMatchObject({
      kind: 'error',
      reason: expect.stringContaining('apps/app0/values.yaml'),
    });
    expect(outcome('app1#0')).toMatchObject({
      kind: 'error',
      reason: expect.stringContaining('image.version'),
    });
    expect(outcome('app9#0')).toMatchObject({
      kind: 'error',
      reason: expect.stringContaining('file not found'),
    });
    expect(outcome('app1#1')).toMatchObject({ kind: 'changed' });
    expect(showFile(bare, 'apps/app0/values.yaml')).toBe('image: [unclosed\n');
    expect(showFile(bare, 'apps/app1/values.yaml')).toBe(values('app1', '1.0.0'));
    expect(showFile(bare, 'apps/app1/kustomization.yaml')).toBe(kustomization('app1', '2.0.0'));
  });
});

describe('incremental syncs', () => {
  it('applies again only the edits that changed or whose file a commit touched since the last sync', async () => {
    const bare = seed('incremental', 20);
    const known = new KnownEdits();
    const ws = workspace(`file://${bare}`);
    const read: string[] = [];
    const readFile = ws.readFile.bind(ws);
    ws.readFile = async (file) => {
      read.push(file);
      return readFile(file);
    };
    const edits = (bumped: number, tag: string) =>
      Array.from({ length: 20 }, (_, i) => editFor(`app${i}`, i === bumped ? tag : '1.1.0', 'kustomize'));

    const first = await pushEdits(ws, edits(-1, ''), { known });
    expect(first.commit).toBeDefined();
    expect(read.length).toBe(20);

    // Nothing new: no file is read, no commit.
    read.length = 0;
    const idle = await pushEdits(ws, edits(-1, ''), { known });
    expect(read).toEqual([]);
    expect(idle.commit).toBeUndefined();
    expect([...idle.outcomes.values()].every((o) => o.kind === 'unchanged')).toBe(true);

    // One new tag, and a person edits another managed file: those two files only.
    await externalCommit(
      `file://${bare}`,
      { 'apps/app7/kustomization.yaml': kustomization('app7', '0.9.0') },
      'manual rollback of app7',
    );
    read.length = 0;
    const next = await pushEdits(ws, edits(3, '1.2.0'), { known });
    expect(read.sort()).toEqual(['apps/app3/kustomization.yaml', 'apps/app7/kustomization.yaml']);
    expect(next.outcomes.get('app3#0')?.kind).toBe('changed');
    expect(next.outcomes.get('app7#0')?.kind).toBe('changed');
    expect(showFile(bare, 'apps/app3/kustomization.yaml')).toContain('newTag: "1.2.0"');
    expect(showFile(bare, 'apps/app7/kustomization.yaml')).toContain('newTag: "1.1.0"');
    expect(commitMessages(bare).length).toBe(4);
  });

  it('applies every edit again when the known head is gone (a force-pushed branch)', async () => {
    const bare = seed('incremental-forced', 3);
    const known = new KnownEdits();
    const ws = workspace(`file://${bare}`);
    await pushEdits(ws, [editFor('app0', '1.1.0', 'kustomize')], { known });
    known.head = 'f'.repeat(40);
    const read: string[] = [];
    const readFile = ws.readFile.bind(ws);
    ws.readFile = async (file) => {
      read.push(file);
      return readFile(file);
    };
    const again = await pushEdits(ws, [editFor('app0', '1.1.0', 'kustomize')], { known });
    expect(read).toEqual(['apps/app0/kustomization.yaml']);
    expect(again.outcomes.get('app0#0')?.kind).toBe('unchanged');
  });
});

describe('push races', () => {
  it('re-applies the edits on the new head when someone else pushed first', async () => {
    const bare = seed('race', 3);
    let interfere = 2;
    const retries: number[] = [];
    const result = await pushEdits(workspace(`file://${bare}`), [editFor('app0', '1.5.0', 'kustomize')], {
      retryDelayMs: 10,
      onRetry: (attempt) => retries.push(attempt),
      beforePush: async () => {
        if (interfere-- > 0)
          await externalCommit(
            `file://${bare}`,
            { [`notes/${interfere}.txt`]: 'hi\n' },
            `outside ${interfere}`,
          );
      },
    });
    expect(retries).toEqual([1, 2]);
    expect(result.retries).toBe(2);
    expect(commitMessages(bare).map((m) => m.split('\n')[0])).toEqual([
      'chore(images): update app0 to 1.5.0',
      'outside 0',
      'outside 1',
      'initial manifests',
    ]);
  });

  it('loses no commit and bumps every new image exactly once while an outside writer keeps pushing', async () => {
    const bare = seed('contended', 6);
    const server = await startGitHttpServer(root);
    const url = server.url('contended');
    let writing = true;
    let outside = 0;
    const writer = (async () => {
      while (writing) {
        // Paced by its own commit's duration too: on a saturated machine our fetch-rebase-push
        // slows down as much as this writer's commits, and still has to win now and then.
        const started = Date.now();
        await externalCommit(
          url,
          {
            [`outside/${outside}.txt`]: `${outside}\n`,
            'apps/app5/values.yaml': values('app5', `0.${outside}.0`),
          },
          `outside ${outside}`,
        );
        outside += 1;
        await new Promise((done) => setTimeout(done, 300 + Math.random() * 500 + (Date.now() - started)));
      }
    })();
    try {
      // Desired state grows round by round, as new images appear; each round re-derives every edit.
      const tags = new Map<string, string>();
      let retries = 0;
      for (let round = 1; round <= 6; round += 1) {
        tags.set(`app${round % 5}`, `1.${round}.0`);
        const edits = [...tags].map(([name, tag], i) => ({
          ...editFor(name, tag, i % 2 === 0 ? 'kustomize' : 'helm'),
        }));
        // A push that keeps losing gives up after maxAttempts; the next sync (here: the next
        // loop turn) re-derives the same edits, so it still lands exactly once.
        for (let sync = 1; ; sync += 1) {
          try {
            const result = await pushEdits(workspace(url), edits, {
              maxAttempts: 30,
              retryDelayMs: 10,
              maxRetryDelayMs: 200,
            });
            retries += result.retries;
            break;
          } catch (error) {
            if (!(error instanceof PushRejectedError) || sync >= 5) throw error;
          }
        }
      }
      writing = false;
      await writer;
      const messages = commitMessages(bare);
      for (let i = 0; i < outside; i += 1)
        expect(messages.filter((m) => m === `outside ${i}`)).toHaveLength(1);
      const bumps = messages
        .flatMap(parseSlipwayTrailers)
        .map((t) => `${t['Slipway-Image']}:${t['Slipway-To']}`);
      expect(bumps.sort()).toEqual([...new Set(bumps)].sort());
      expect(bumps).toHaveLength(6);
      for (const [name, tag] of tags) {
        const text =
          showFile(bare, `apps/${name}/kustomization.yaml`) + showFile(bare, `apps/${name}/values.yaml`);
        expect(text).toContain(tag);
      }
      process.stderr.write(`[race] ${outside} outside commits, ${retries} push retries\n`);
    } finally {
      writing = false;
      await writer;
      await server.stop();
    }
    // Six rounds against a writer that keeps pushing take minutes on a saturated machine.
  }, 600_000);
});

describe('restarts', () => {
  it('loses nothing when the process dies between commit and push: the next run derives and pushes the same edits once', async () => {
    const bare = seed('restart', 5);
    const url = `file://${bare}`;
    const edits = [0, 1, 2, 3, 4].map((i) => editFor(`app${i}`, '3.0.0', i % 2 === 0 ? 'kustomize' : 'helm'));
    await expect(
      pushEdits(workspace(url), edits, {
        beforePush: async () => {
          throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    // A crash also leaves a stale lock and a stray file behind in the clone.
    const dir = workspaceDir(join(root, 'cache'), url, 'main');
    writeFileSync(join(dir, '.git', 'index.lock'), '');
    writeFileSync(join(dir, 'apps', 'app0', 'stray.yaml'), 'half written');
    expect(git(bare, ['rev-list', '--count', 'main']).trim()).toBe('1');

    const result = await pushEdits(workspace(url), edits);
    expect(result.commit).toBeDefined();
    expect(git(bare, ['rev-list', '--count', 'main']).trim()).toBe('2');
    expect(git(bare, ['ls-tree', '-r', '--name-only', 'main'])).not.toContain('stray.yaml');
    expect(parseSlipwayTrailers(commitMessages(bare)[0]!)).toHaveLength(5);
  });
});

describe('credentials', () => {
  let server: GitHttpServer;
  const token = 'ghp_TEST_TOKEN_0123456789abcdef';
  beforeAll(async () => {
    seed('private', 1);
    server = await startGitHttpServer(root, { token });
  });
  afterAll(() => server.stop());

  it('sends an HTTPS token as an extra header from the environment, never in the URL, config or errors', async () => {
    const url = server.url('private');
    const access = await prepareGitAccess(url, { password: token });
    const ws = workspace(url, access);
    const result = await pushEdits(ws, [editFor('app0', '9.0.0', 'kustomize')]);
    expect(result.commit).toBeDefined();
    expect(server.authorizations.length).toBeGreaterThan(0);
    expect(server.authorizations.every((a) => a.startsWith('Basic '))).toBe(true);
    const config = readFileSync(join(ws.dir, '.git', 'config'), 'utf8');
    expect(config).not.toContain(token);
    expect(config).not.toContain(Buffer.from(`x-access-token:${token}`).toString('base64'));

    const wrong = await prepareGitAccess(url, { password: `${token}-wrong` });
    const error = await pushEdits(workspace(url, wrong, { root: join(root, 'other-cache') }), [
      editFor('app0', '9.1.0', 'kustomize'),
    ]).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/401|Authentication failed|could not read/i);
    expect((error as Error).message).not.toContain(token);
  });

  it('runs SSH with the key in a 0600 file named by GIT_SSH_COMMAND, removed afterwards', async () => {
    const bare = seed('over-ssh', 1);
    const log = join(root, 'ssh.log');
    const fakeSsh = join(root, 'fake-ssh');
    // Stands in for ssh: records the key file's mode, then runs the remote git command locally.
    writeFileSync(
      fakeSsh,
      `#!/bin/sh\nkey=""\nwhile [ $# -gt 2 ]; do case "$1" in -i) key="$2"; shift 2;; -o) shift 2;; *) shift;; esac; done\nstat -c '%a' "$key" >> '${log}'\nshift\nexec sh -c "$1"\n`,
      { mode: 0o755 },
    );
    const key = 'OPENSSH-PRIVATE-KEY-BODY-LINE-THAT-IS-LONG-ENOUGH';
    const access = await prepareGitAccess(
      `ssh://git@localhost${bare}`,
      { sshPrivateKey: `-----BEGIN KEY-----\n${key}\n-----END KEY-----` },
      { sshProgram: fakeSsh },
    );
    const keyFile = /-i (\S+)/.exec(access.env.GIT_SSH_COMMAND!)![1]!;
    const result = await pushEdits(workspace(`ssh://git@localhost${bare}`, access), [
      editFor('app0', '4.0.0', 'kustomize'),
    ]);
    expect(result.commit).toBeDefined();
    expect(readFileSync(log, 'utf8').trim().split('\n')[0]).toBe('600');
    expect(showFile(bare, 'apps/app0/kustomization.yaml')).toContain('4.0.0');
    await access.dispose();
    expect(() => statSync(keyFile)).toThrow();
    expect(access.secrets).toContain(key);
  });
});

describe('signing', () => {
  it('signs with an SSH key that git verify-commit accepts', async () => {
    const bare = seed('ssh-signed', 1);
    const keyDir = mkdtempSync(join(tmpdir(), 'slipway-sshkey-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'slipway', '-f', join(keyDir, 'id')]);
    const signing = await prepareSigning('ssh', readFileSync(join(keyDir, 'id'), 'utf8'));
    try {
      await pushEdits(workspace(`file://${bare}`, noAccess, { signing }), [
        editFor('app0', '5.0.0', 'kustomize'),
      ]);
    } finally {
      await signing.dispose();
    }
    writeFileSync(join(keyDir, 'allowed'), `bot@slipway.dev ${readFileSync(join(keyDir, 'id.pub'), 'utf8')}`);
    const verified = execFileSync(
      'git',
      ['-c', `gpg.ssh.allowedSignersFile=${join(keyDir, 'allowed')}`, 'verify-commit', 'main'],
      {
        cwd: bare,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(verified).toBe('');
    expect(git(bare, ['cat-file', '-p', 'main'])).toContain('-----BEGIN SSH SIGNATURE-----');
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('signs with an armored GPG key', async () => {
    const bare = seed('gpg-signed', 1);
    const home = mkdtempSync(join(tmpdir(), 'slipway-gpg-'));
    const env = { ...process.env, GNUPGHOME: home };
    execFileSync(
      'gpg',
      [
        '--batch',
        '--passphrase',
        '',
        '--quick-gen-key',
        'Slipway Bot <bot@slipway.dev>',
        'ed25519',
        'sign',
        '1d',
      ],
      { env, stdio: 'ignore' },
    );
    const armored = execFileSync('gpg', ['--batch', '--armor', '--export-secret-keys'], {
      env,
      encoding: 'utf8',
    });
    const signing = await prepareSigning('gpg', armored);
    try {
      await pushEdits(workspace(`file://${bare}`, noAccess, { signing }), [
        editFor('app0', '6.0.0', 'kustomize'),
      ]);
    } finally {
      await signing.dispose();
    }
    const status = execFileSync('git', ['log', '-1', '--format=%G?', 'main'], {
      cwd: bare,
      env,
      encoding: 'utf8',
    }).trim();
    expect(status).toBe('G');
    execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env });
    rmSync(home, { recursive: true, force: true });
  });
});
