// Given the local cluster, a real registry and real Git served over HTTP, and `slipway git-sync`
// (the real CLI process): an attacker with push access to a watched repository, with rights to
// create ImageWatches and GitTargets in a namespace, or answering as a registry or a webhook
// client, gets nowhere. For each case the test asserts that no planted file outside the clone
// changed (checksums), that a planted marker string never shows in any status, Event or log line,
// and that the process stays up while another ImageWatch keeps being written.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitAccess, prepareGitAccess } from '../../src/gitsync/gittarget/workspace/git-credentials.js';
import { GitWorkspace, workspaceDir } from '../../src/gitsync/gittarget/workspace/workspace.js';
import { signRequest } from '../../src/gitsync/imagewatch/webhook/signature.js';
import { formatTime } from '../../src/kube/timestamps.js';
import {
  createBareRepo,
  type GitHttpServer,
  git,
  showFile,
  startGitHttpServer,
  writeFiles,
} from './support/git-server.js';
import { requestSync, startTestGitSync, type TestGitSync } from './support/gitsync.js';
import { getJsonAsync, kubectl, kubectlAsync } from './support/kubectl.js';
import { tearDown } from './support/lifecycle.js';
import { pushImage, startRegistry, type TestRegistry } from './support/registry.js';
import { eventually } from './support/wait.js';

const namespace = `gitsync-hostile-${Date.now().toString(36)}`;
const WEBHOOK_SECRET = 'hostile-webhook-secret';
const MARKER = 'PLANTED-MARKER-3f9a1c77';
const MAX_FILE = 64 * 1024;

let root: string;
let outside: string;
let workDir: string;
let registry: TestRegistry;
let gitServer: GitHttpServer;
let hostileRegistry: Server;
let elsewhere: Server;
let elsewhereHits = 0;
let child: ChildProcess;
let output: string[] = [];
let gitSync: TestGitSync;
let ports: { health: number; metrics: number; webhook: number };
let planted: Map<string, string>;

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const apply = (yaml: string) => kubectl(['apply', '-n', namespace, '-f', '-'], yaml);

interface Write {
  gitTarget: string;
  path: string;
  state: string;
  message?: string;
}
interface WatchStatus {
  latest?: { tag?: string };
  writes?: Write[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

async function watchStatus(name: string): Promise<WatchStatus> {
  return (await getJsonAsync<{ status?: WatchStatus }>(['imagewatch', name, '-n', namespace])).status ?? {};
}

async function writeOf(watch: string, path: string): Promise<Write | undefined> {
  return (await watchStatus(watch)).writes?.find((w) => w.path === path);
}

/** Every status, Event and log line the process produced, for the marker check. */
async function everythingSaid(): Promise<string> {
  return [
    await kubectlAsync(['get', 'imagewatches,gittargets', '-n', namespace, '-o', 'json']),
    await kubectlAsync(['get', 'events', '-n', namespace, '-o', 'json']),
    output.join(''),
  ].join('\n');
}

async function expectNothingLeaked(): Promise<void> {
  expect(await everythingSaid()).not.toContain(MARKER);
  for (const [path, sum] of planted) expect(sha(path), path).toBe(sum);
  expect(child.exitCode).toBeNull();
  expect(child.signalCode).toBeNull();
}

/** A bare repository whose files may be symbolic links (createBareRepo writes regular files only). */
function createRepoWithLinks(
  name: string,
  files: Record<string, string>,
  links: Record<string, string>,
): string {
  const bare = join(root, `${name}.git`);
  mkdirSync(bare, { recursive: true });
  git(bare, ['init', '--quiet', '--bare', '--initial-branch=main']);
  git(bare, ['config', 'http.receivepack', 'true']);
  const work = mkdtempSync(join(tmpdir(), 'slipway-hostile-seed-'));
  try {
    git(work, ['init', '--quiet', '--initial-branch=main']);
    writeFiles(work, files);
    for (const [path, target] of Object.entries(links)) {
      mkdirSync(join(work, path, '..'), { recursive: true });
      symlinkSync(target, join(work, path));
    }
    git(work, ['add', '--all']);
    git(work, ['commit', '--quiet', '-m', 'hostile content']);
    git(work, ['push', '--quiet', bare, 'HEAD:refs/heads/main']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bare;
}

/**
 * A registry front that misbehaves on cue (a real registry will not): it passes requests to the
 * real registry but adds tags outside the OCI grammar, streams an endless manifest for acme/huge
 * and redirects acme/redirect to another origin.
 */
async function startHostileRegistry(): Promise<number> {
  elsewhere = createServer((_, res) => {
    elsewhereHits += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"tags":["${MARKER}"]}`);
  });
  const elsewherePort = await listen(elsewhere);
  hostileRegistry = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/v2/acme/redirect/')) {
      res.writeHead(307, { location: `http://127.0.0.1:${elsewherePort}${path}` }).end();
      return;
    }
    if (path.startsWith('/v2/acme/huge/tags/list')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["1.0.0"]}');
      return;
    }
    if (path.startsWith('/v2/acme/huge/manifests/')) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const chunk = Buffer.alloc(1024 * 1024, `${MARKER} `);
      let open = true;
      res.on('close', () => {
        open = false;
      });
      const pump = () => {
        while (open && res.write(chunk)) {}
        if (open) res.once('drain', pump);
      };
      pump();
      return;
    }
    const upstream = request(
      `${registry.url}${path}`,
      { method: req.method, headers: { ...req.headers, host: registry.host } },
      (answer) => {
        if (!path.includes('/tags/list') || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { name: string; tags: string[] };
          body.tags.push('zé', 'z'.repeat(300), `${MARKER}!`);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        });
      },
    );
    req.pipe(upstream);
  });
  return listen(hostileRegistry);
}

function listen(server: Server): Promise<number> {
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done((server.address() as { port: number }).port)),
  );
}

async function startGitSync(): Promise<void> {
  gitSync = await startTestGitSync({
    namespace,
    workDir,
    // Plain HTTP is allowed for the test's git server; local paths stay forbidden.
    args: ['--max-file-size', '64Ki'],
    env: { SLIPWAY_WEBHOOK_SECRET: WEBHOOK_SECRET, SLIPWAY_PLANTED: MARKER },
  });
  child = gitSync.child;
  ports = gitSync.ports;
  output = gitSync.output;
}

let image: string;
let hostileHost: string;
let hostileBare: string;
let cleanBare: string;

/** Waits until the good watch has written `tag` to apps/web/values.yaml of both repositories. */
async function inBothRepositories(tag: string, what: string): Promise<void> {
  await eventually(
    what,
    () =>
      [hostileBare, cleanBare].every((bare) => showFile(bare, 'apps/web/values.yaml').includes(`"${tag}"`))
        ? true
        : undefined,
    120_000,
  );
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'slipway-hostile-e2e-'));
  outside = join(root, 'outside');
  workDir = join(root, 'work');
  mkdirSync(outside);
  // Files an attacker would like to read or overwrite; the environment of git-sync carries the
  // marker too (SLIPWAY_PLANTED), so /proc/self/environ is a target as well.
  writeFileSync(join(outside, 'target.yaml'), `image:\n  tag: 0.0.1 # ${MARKER}\n`);
  writeFileSync(join(outside, 'secret.env'), `SLIPWAY_WEBHOOK_SECRET=${MARKER}\n`);
  planted = new Map([join(outside, 'target.yaml'), join(outside, 'secret.env')].map((p) => [p, sha(p)]));

  registry = await startRegistry();
  image = `${registry.host}/acme/web`;
  await pushImage(registry.url, 'acme/web', '1.0.0');
  hostileHost = `127.0.0.1:${await startHostileRegistry()}`;
  const values = (tag: string) => `image:\n  repository: ${image}\n  tag: "${tag}"\n`;
  hostileBare = createRepoWithLinks(
    'hostile',
    {
      'apps/web/values.yaml': values('0.9.0'),
      'apps/binary/values.yaml': `image:\n  tag: "\u0000${MARKER}\u0001"\n`,
      'apps/big/values.yaml': `image:\n  tag: "0.9.0"\n# ${MARKER}\n${'#'.repeat(MAX_FILE)}\n`,
      'apps/scalar/values.yaml': `${MARKER}\n`,
      'apps/keys/values.yaml': `"${MARKER}": 1\nimage: {}\n`,
      'apps/parse/values.yaml': `image: {tag: [${MARKER}\n`,
    },
    {
      'deploy/escape.yaml': join(outside, 'target.yaml'),
      'apps/leak/values.yaml': '/proc/self/environ',
      'apps/secret/values.yaml': join(outside, 'secret.env'),
      linkdir: outside,
    },
  );
  cleanBare = createBareRepo(root, 'clean', {
    'apps/web/values.yaml': values('0.9.0'),
    'apps/junk/values.yaml': `image:\n  tag: "0.9.0"\n`,
  });
  gitServer = await startGitHttpServer(root);
  kubectl(['create', 'namespace', namespace]);
  await startGitSync();
  apply(`
apiVersion: slipway.dev/v1alpha1
kind: GitTarget
metadata: {name: hostile}
spec: {url: ${gitServer.url('hostile')}, branch: main}
---
apiVersion: slipway.dev/v1alpha1
kind: GitTarget
metadata: {name: clean}
spec: {url: ${gitServer.url('clean')}, branch: main}
---
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: good}
spec:
  image: ${image}
  interval: 1h
  policy: {strategy: semver, semver: {constraint: ^1.0}}
  targets:
    - {gitTarget: hostile, path: apps/web/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: clean, path: apps/web/values.yaml, helm: {tagPath: image.tag}}
---
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: attacker}
spec:
  image: ${image}
  interval: 1h
  policy: {strategy: semver, semver: {constraint: ^1.0}}
  targets:
    - {gitTarget: hostile, path: deploy/escape.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: hostile, path: linkdir/target.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: hostile, path: apps/leak/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: hostile, path: apps/secret/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: hostile, path: apps/binary/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: hostile, path: apps/big/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: hostile, path: apps/scalar/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: hostile, path: apps/keys/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: hostile, path: apps/parse/values.yaml, helm: {tagPath: image.tag}}
`);
  await inBothRepositories('1.0.0', 'the good watch written to both repositories');
}, 240_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child.once('exit', done));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }
  hostileRegistry?.closeAllConnections();
  hostileRegistry?.close();
  elsewhere?.close();
  await tearDown([gitServer, registry], { namespace, root });
});

/** Each path's write by the attacker watch Failed, with a message that contains the one given. */
async function expectRefused(expected: [path: string, message: string][]): Promise<void> {
  for (const [path, message] of expected) {
    const write = await eventually(`${path} refused`, async () => {
      const w = await writeOf('attacker', path);
      return w?.state === 'Failed' ? w : undefined;
    });
    expect(write.message).toContain(message);
  }
}

describe('hostile repository content', () => {
  it('never reads or writes through a symbolic link, and claims no bump it did not make (items 1, 2)', async () => {
    const expected: [path: string, message: string][] = [
      ['deploy/escape.yaml', 'deploy/escape.yaml: is a symbolic link'],
      ['linkdir/target.yaml', 'linkdir/target.yaml: linkdir is a symbolic link'],
      ['apps/leak/values.yaml', 'apps/leak/values.yaml: is a symbolic link'],
      ['apps/secret/values.yaml', 'apps/secret/values.yaml: is a symbolic link'],
    ];
    await expectRefused(expected);
    // The symbolic links are unchanged in Git, and no ImageBumped names them.
    expect(git(hostileBare, ['ls-tree', 'main', 'deploy/escape.yaml'])).toMatch(/^120000 /);
    const bumped = kubectl([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'reason=ImageBumped,involvedObject.name=attacker',
      '-o',
      'name',
    ]);
    expect(bumped.trim()).toBe('');
    await expectNothingLeaked();
  });

  it('names the path and the kind of what is wrong, never the file bytes (item 2, item 4 size limit)', async () => {
    const expected: [path: string, message: string][] = [
      ['apps/binary/values.yaml', 'apps/binary/values.yaml: is a binary file'],
      ['apps/big/values.yaml', `over the ${MAX_FILE}-byte limit`],
      ['apps/scalar/values.yaml', 'the document root is a string scalar'],
      ['apps/keys/values.yaml', 'path image.tag not found'],
      ['apps/parse/values.yaml', 'does not parse as YAML'],
    ];
    await expectRefused(expected);
    expect(showFile(hostileBare, 'apps/binary/values.yaml')).toContain(MARKER);
    await expectNothingLeaked();
  });
});

describe('repository URLs and workspaces (item 3)', () => {
  it("refuses file://, local paths and remote helpers; another tenant's clone cannot be named", async () => {
    // The clone directory names are keyed by a secret in the work directory, not by the URL alone.
    const clones = readdirSync(workDir).filter((d) => /^[0-9a-f]{32}$/.test(d));
    expect(clones.length).toBeGreaterThanOrEqual(2);
    const oldStyle = createHash('sha256')
      .update(`${gitServer.url('clean')}\nmain`)
      .digest('hex')
      .slice(0, 16);
    expect(existsSync(join(workDir, oldStyle))).toBe(false);
    const pwned = join(root, 'pwned');
    apply(`
apiVersion: slipway.dev/v1alpha1
kind: GitTarget
metadata: {name: steal-file}
spec: {url: "file://${join(workDir, clones[0]!)}", branch: main}
---
apiVersion: slipway.dev/v1alpha1
kind: GitTarget
metadata: {name: steal-path}
spec: {url: "${join(workDir, clones[0]!)}", branch: main}
---
apiVersion: slipway.dev/v1alpha1
kind: GitTarget
metadata: {name: helper}
spec: {url: "ext::sh -c touch% ${pwned}", branch: main}
---
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: thief}
spec:
  image: ${image}
  interval: 1h
  policy: {strategy: semver, semver: {constraint: ^1.0}}
  targets:
    - {gitTarget: steal-file, path: apps/web/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: steal-path, path: apps/web/values.yaml, helm: {tagPath: image.tag}}
    - {gitTarget: helper, path: apps/web/values.yaml, helm: {tagPath: image.tag}}
`);
    for (const [name, message] of [
      ['steal-file', '--allow-local-repositories'],
      ['steal-path', '--allow-local-repositories'],
      ['helper', 'only https and ssh'],
    ] as const) {
      const ready = await eventually(`${name} refused`, async () => {
        const s = await getJsonAsync<WatchStatus>(['gittarget', name, '-n', namespace]);
        const c = (s as { status?: WatchStatus }).status?.conditions?.find((x) => x.type === 'Ready');
        return c?.reason === 'InvalidSpec' ? c : undefined;
      });
      expect(ready.message).toContain(message);
    }
    expect(existsSync(pwned)).toBe(false);
    expect(readdirSync(workDir).filter((d) => /^[0-9a-f]{32}$/.test(d))).toHaveLength(clones.length);
    await expectNothingLeaked();
  });

  it('never serves a clone made with one scope’s credentials to another scope', async () => {
    const TOKEN = 'tenant-a-token-0123';
    const privateRoot = join(root, 'private');
    mkdirSync(privateRoot);
    createBareRepo(privateRoot, 'private', { 'apps/web/values.yaml': `secret: ${MARKER}\n` });
    const server = await startGitHttpServer(privateRoot, { token: TOKEN });
    const cache = join(root, 'scoped-cache');
    const withToken = await prepareGitAccess(server.url('private'), { username: 'x', password: TOKEN });
    const anonymous: GitAccess = { env: { GIT_TERMINAL_PROMPT: '0' }, secrets: [], dispose: async () => {} };
    try {
      const url = server.url('private');
      const open = (scope: string, access: GitAccess) =>
        new GitWorkspace({ root: cache, url, branch: 'main', access, scope, urlPolicy: { allowHttp: true } });
      const tenantA = open('tenant-a/creds', withToken);
      await tenantA.sync();
      expect(await tenantA.readFile('apps/web/values.yaml')).toContain(MARKER);
      const tenantB = open('tenant-b/', anonymous);
      expect(tenantB.dir).not.toBe(tenantA.dir);
      await expect(tenantB.sync()).rejects.toThrow(/git \(/);
      expect(existsSync(join(tenantB.dir, 'apps', 'web', 'values.yaml'))).toBe(false);
      expect(workspaceDir(cache, url, 'main', 'tenant-b/')).toBe(tenantB.dir);
      expect(
        () =>
          new GitWorkspace({ root: cache, url: `file://${tenantA.dir}`, branch: 'main', access: anonymous }),
      ).toThrow('--allow-local-repositories');
    } finally {
      await withToken.dispose();
      await server.stop();
    }
  });
});

describe('registry answers (item 5)', () => {
  it('skips tags outside the OCI grammar (counted), cuts off huge manifests and refuses cross-origin redirects', async () => {
    apply(`
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: junk}
spec:
  image: ${hostileHost}/acme/web
  interval: 1h
  policy: {strategy: alphabetical}
  targets:
    - {gitTarget: clean, path: apps/junk/values.yaml, helm: {tagPath: image.tag}}
---
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: huge}
spec:
  image: ${hostileHost}/acme/huge
  interval: 1h
  policy: {strategy: digest, digest: {tag: 1.0.0}}
  targets: []
---
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: redirect}
spec:
  image: ${hostileHost}/acme/redirect
  interval: 1h
  policy: {strategy: semver, semver: {constraint: "*"}}
  targets: []
`);
    const junk = await eventually('junk candidate', async () => {
      const s = await watchStatus('junk');
      return s.latest?.tag !== undefined ? s : undefined;
    });
    expect(junk.latest?.tag).toBe('1.0.0');
    await eventually(
      'junk written',
      () => (showFile(cleanBare, 'apps/junk/values.yaml').includes('"1.0.0"') ? true : undefined),
      60_000,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    expect(metrics).toMatch(/slipway_gitsync_registry_invalid_tags_total [3-9]/);
    const huge = await eventually('huge refused', async () => {
      const c = (await watchStatus('huge')).conditions?.find((x) => x.type === 'Ready');
      return c?.status === 'False' && c.message?.includes('limit') ? c : undefined;
    });
    expect(huge.message).toContain('over the 4194304-byte limit');
    const redirect = await eventually('redirect refused', async () => {
      const c = (await watchStatus('redirect')).conditions?.find((x) => x.type === 'Ready');
      return c?.status === 'False' && c.message?.includes('redirect') ? c : undefined;
    });
    expect(redirect.message).toContain('redirect to another origin');
    expect(elsewhereHits).toBe(0);
    await expectNothingLeaked();
  });
});

describe('webhook server (item 6)', () => {
  const url = () => `http://127.0.0.1:${ports.webhook}`;

  it('refuses a replayed or stale generic request and explains a null event', async () => {
    const body = JSON.stringify({ image, tag: '1.0.0' });
    const headers = signRequest(WEBHOOK_SECRET, body);
    const first = await fetch(`${url()}/webhook/generic`, { method: 'POST', body, headers });
    const replay = await fetch(`${url()}/webhook/generic`, { method: 'POST', body, headers });
    const stale = await fetch(`${url()}/webhook/generic`, {
      method: 'POST',
      body,
      headers: signRequest(WEBHOOK_SECRET, body, Date.now() - 3_600_000),
    });
    expect([first.status, replay.status, stale.status]).toEqual([202, 401, 401]);
    const nulls = await fetch(`${url()}/webhook/registry`, {
      method: 'POST',
      body: '{"events":[null]}',
      headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
    });
    expect(nulls.status).toBe(400);
    expect(await nulls.json()).toEqual({ error: 'events[0] is null; each event must be an object' });
  });

  it('answers 413 to an oversized body before reading it, and drops a client that never finishes its headers', async () => {
    const status = await new Promise<number>((done, fail) => {
      const req = request(`${url()}/webhook/generic`, {
        method: 'POST',
        headers: { 'content-length': String(512 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on('error', fail);
      // Only a little of the promised half gigabyte is ever sent.
      req.write(Buffer.alloc(64 * 1024, 'x'));
    });
    expect(status).toBe(413);
    const closed = await new Promise<boolean>((done) => {
      const socket = connect(ports.webhook, '127.0.0.1', () =>
        socket.write('POST /webhook/generic HTTP/1.1\r\nHost: x\r\n'),
      );
      socket.on('close', () => done(true));
      socket.on('error', () => undefined);
      socket.resume();
    });
    expect(closed).toBe(true);
    const health = await fetch(`http://127.0.0.1:${ports.health}/healthz`);
    expect(health.status).toBe(200);
    await expectNothingLeaked();
  });
});

describe('failed fetches (item 7)', () => {
  it('keeps the clone when the remote is unreachable and carries on when it is back', async () => {
    const clone = readdirSync(workDir)
      .filter((d) => /^[0-9a-f]{32}$/.test(d))
      .map((d) => join(workDir, d))
      .find((d) => {
        try {
          return git(d, ['remote', 'get-url', 'origin']).trim() === gitServer.url('clean');
        } catch {
          return false;
        }
      });
    expect(clone).toBeDefined();
    const marker = join(clone!, '.git', 'slipway-test-kept');
    writeFileSync(marker, 'kept');
    const inode = statSync(join(clone!, '.git')).ino;
    const syncedBefore = (
      await getJsonAsync<{ status?: { lastSyncedAt?: string } }>(['gittarget', 'clean', '-n', namespace])
    ).status?.lastSyncedAt;
    renameSync(cleanBare, `${cleanBare}.away`);
    const requestCleanSync = () => requestSync(namespace, 'clean');
    await eventually('a second after the last sync', () =>
      syncedBefore === undefined || formatTime(Date.now()) > syncedBefore ? true : undefined,
    );
    requestCleanSync();
    const failed = await eventually('the sync fails', async () => {
      const s = (await getJsonAsync<{ status?: WatchStatus }>(['gittarget', 'clean', '-n', namespace]))
        .status;
      const c = s?.conditions?.find((x) => x.type === 'Ready');
      return c?.reason === 'GitError' ? c : undefined;
    });
    expect(failed.status).toBe('False');
    expect(existsSync(marker)).toBe(true);
    expect(statSync(join(clone!, '.git')).ino).toBe(inode);

    renameSync(`${cleanBare}.away`, cleanBare);
    await eventually('a second later', async () => {
      await new Promise((done) => setTimeout(done, 1100));
      return true;
    });
    requestCleanSync();
    await eventually(
      'the sync recovers',
      async () => {
        const s = (await getJsonAsync<{ status?: WatchStatus }>(['gittarget', 'clean', '-n', namespace]))
          .status;
        return s?.conditions?.find((x) => x.type === 'Ready')?.status === 'True' ? true : undefined;
      },
      120_000,
    );
    expect(existsSync(marker)).toBe(true);
    await expectNothingLeaked();
  });

  it('re-clones a clone that is corrupt', async () => {
    const bare = createBareRepo(root, 'corrupt', { 'a.yaml': 'a: 1\n' });
    const cache = join(root, 'corrupt-cache');
    const anonymous: GitAccess = { env: { GIT_TERMINAL_PROMPT: '0' }, secrets: [], dispose: async () => {} };
    const ws = new GitWorkspace({
      root: cache,
      url: gitServer.url('corrupt'),
      branch: 'main',
      access: anonymous,
      urlPolicy: { allowHttp: true },
    });
    const head = await ws.sync();
    // Damage every object the checkout needs: the next sync must notice and start afresh.
    rmSync(join(ws.dir, '.git', 'objects'), { recursive: true, force: true });
    mkdirSync(join(ws.dir, '.git', 'objects'));
    expect(await ws.sync()).toBe(head);
    expect(await ws.readFile('a.yaml')).toBe('a: 1\n');
    expect(git(bare, ['rev-parse', 'main']).trim()).toBe(head);
  });
});

describe('after all of it', () => {
  it('still checks and writes a new image the webhook announces', async () => {
    await pushImage(registry.url, 'acme/web', '1.1.0');
    const body = JSON.stringify({ image, tag: '1.1.0' });
    const response = await fetch(`http://127.0.0.1:${ports.webhook}/webhook/generic`, {
      method: 'POST',
      body,
      headers: signRequest(WEBHOOK_SECRET, body),
    });
    expect(response.status).toBe(202);
    await inBothRepositories('1.1.0', '1.1.0 in both repositories');
    await expectNothingLeaked();
  });
});
