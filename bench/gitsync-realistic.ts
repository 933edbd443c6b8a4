// The realistic git-sync benchmark (bench/gitsync.ts's default): the local control plane, Debian's
// docker-registry behind a counting proxy (its notifications go to our webhook), a bare Git
// monorepo over file:// and the `slipway git-sync` process, as the e2e tier starts them.
//   apps: half kustomize, half Helm values, spread over `repositories` registry repositories.
// Phase 1: apply the GitTarget and every ImageWatch; measure until every file holds 1.0.0.
// Phase 2: push 1.1.0 to every repository (one round); measure until every file holds 1.1.0.
// Registry requests are counted at the proxy, Kubernetes requests from git-sync's own
// controller_clientset_k8s_request_total.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startControlPlane } from '../src/localcluster/control-plane.js';
import { CRD_DIR, PACKAGE_ROOT } from '../src/package-paths.js';
import { pushImage, startRegistry } from '../test/e2e/support/registry.js';

const NAMESPACE = 'bench';
const SECRET = 'bench-webhook-secret';
const TARGETS = { detectionToPushedS: 10, commitsPerRound: 1, listingsPerRepositoryPerInterval: 1 };

/** Registry requests as git-sync sends them: tag listings and manifest reads, per repository. */
interface Counts {
  listings: Map<string, number>;
  manifests: number;
  blobs: number;
}

/** A reverse proxy that counts what passes; the Host header is kept, so the registry names itself by the proxy's address. */
async function countingProxy(target: string): Promise<{ server: Server; host: string; counts: Counts }> {
  const counts: Counts = { listings: new Map(), manifests: 0, blobs: 0 };
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    const listing = /^\/v2\/(.+)\/tags\/list/.exec(path);
    if (listing && req.method === 'GET')
      counts.listings.set(listing[1]!, (counts.listings.get(listing[1]!) ?? 0) + 1);
    else if (/\/manifests\//.test(path) && (req.method === 'GET' || req.method === 'HEAD'))
      counts.manifests += 1;
    else if (/\/blobs\/sha256:/.test(path) && req.method === 'GET') counts.blobs += 1;
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`, counts };
}

function snapshot(counts: Counts): Counts {
  return { listings: new Map(counts.listings), manifests: counts.manifests, blobs: counts.blobs };
}

/** Kubernetes requests of git-sync by verb and resource, from its metrics. */
async function kubeRequests(metricsPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const totals = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('controller_clientset_k8s_request_total{')) continue;
    const verb = /verb="([^"]*)"/.exec(line)?.[1] ?? '?';
    const kind = /kind="([^"]*)"/.exec(line)?.[1] ?? '?';
    const key = `${verb} ${kind}`;
    totals.set(key, (totals.get(key) ?? 0) + Number(line.split(' ').pop()));
  }
  return totals;
}

/** Waits until git-sync's Kubernetes request count stays the same for 3 s (at most 2 min). */
async function quiet(metricsPort: number): Promise<void> {
  const total = async () => [...(await kubeRequests(metricsPort)).values()].reduce((a, b) => a + b, 0);
  let last = await total();
  let still = 0;
  for (const deadline = Date.now() + 120_000; still < 3 && Date.now() < deadline; ) {
    await sleep(1000);
    const now = await total();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

/** Seconds git-sync spent in repository syncs (fetch, edit, commit, push) so far. */
async function syncSeconds(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('slipway_gitsync_repository_sync_seconds_sum'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

function difference(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta > 0) out.set(key, delta);
  }
  return out;
}

function describeRequests(requests: Map<string, number>): string {
  const sum = (match: (key: string) => boolean) =>
    [...requests].filter(([k]) => match(k)).reduce((total, [, v]) => total + v, 0);
  const statusPatches = sum((k) => k.startsWith('patch') && /imagewatches|gittargets/.test(k));
  const reads = sum((k) => k.startsWith('get '));
  const events = sum((k) => / events$/.test(k) && (k.startsWith('create') || k.startsWith('patch')));
  const all = [...requests].map(([k, v]) => `${k} ${v}`).join(', ');
  return `status patches ${statusPatches}, reads ${reads}, Event writes ${events} (all: ${all || 'none'})`;
}

function processUsage(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      peakRssMiB: Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024,
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
    };
  } catch {
    return { peakRssMiB: 0, cpuSeconds: 0 };
  }
}

export async function realistic(options: {
  apps: number;
  repositories: number;
  root: string;
}): Promise<void> {
  const { apps, repositories, root } = options;
  const say = (line: string) => process.stderr.write(`[bench gitsync] ${line}\n`);
  const git = (cwd: string, args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args], {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const cluster = await startControlPlane({ dataDir: join(root, 'cluster'), nodes: 1, log: say });
    cleanups.push(() => cluster.stop());
    const kubectl = (args: string[], input?: string) =>
      execFileSync(cluster.binaries.kubectl, ['--kubeconfig', cluster.kubeconfigPath, ...args], {
        encoding: 'utf8',
        input,
        maxBuffer: 256 * 1024 * 1024,
      });
    kubectl(['apply', '--server-side', '-f', CRD_DIR]);
    for (let attempt = 1; ; attempt += 1) {
      try {
        kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
        break;
      } catch (error) {
        if (attempt >= 30) throw error;
        await sleep(1000);
      }
    }
    kubectl(['create', 'namespace', NAMESPACE]);

    const webhookPort = await freePort();
    const registry = await startRegistry({
      notify: { url: `http://127.0.0.1:${webhookPort}/webhook/registry`, bearer: SECRET },
    });
    cleanups.push(() => registry.stop());
    const proxy = await countingProxy(registry.url);
    cleanups.push(() => new Promise<void>((done) => proxy.server.close(() => done())));
    const registryUrl = `http://${proxy.host}`;
    const repositoryOf = (i: number) => `bench/svc${i % repositories}`;
    const image = (i: number) => `${proxy.host}/${repositoryOf(i)}`;
    const kustomize = (i: number) => i % 2 === 0;
    const fileOf = (i: number) =>
      kustomize(i) ? `apps/app${i}/kustomization.yaml` : `apps/app${i}/values.yaml`;

    say(`pushing 1.0.0 to ${repositories} repositories`);
    await forEachLimited(repositories, 8, (r) =>
      pushImage(registryUrl, `bench/svc${r}`, '1.0.0').then(() => {}),
    );

    // The monorepo: every app at 0.9.0, which the first round moves to 1.0.0.
    const seedDir = join(root, 'seed');
    mkdirSync(seedDir, { recursive: true });
    git(seedDir, ['init', '--quiet', '--initial-branch=main']);
    for (let i = 0; i < apps; i += 1) {
      const path = join(seedDir, fileOf(i));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(
        path,
        kustomize(i)
          ? `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\nimages:\n  - name: ${image(i)}\n    newTag: 0.9.0\n`
          : `# values of app${i}\nreplicaCount: 2\nimage:\n  repository: ${image(i)}\n  tag: "0.9.0"  # managed by slipway\n  pullPolicy: IfNotPresent\n`,
      );
    }
    git(seedDir, ['add', '--all']);
    git(seedDir, ['commit', '--quiet', '-m', 'seed']);
    const bare = join(root, 'monorepo.git');
    git(root, ['clone', '--quiet', '--bare', seedDir, bare]);
    const holding = (tag: string) => {
      try {
        const out = git(bare, [
          'grep',
          '-l',
          '-F',
          '-e',
          `newTag: ${tag}`,
          '-e',
          `tag: "${tag}"`,
          'main',
          '--',
          'apps',
        ]);
        return out.split('\n').filter((l) => l !== '').length;
      } catch (error) {
        // git grep exits 1 when nothing matches.
        if ((error as { status?: number }).status === 1) return 0;
        throw error;
      }
    };
    const commits = () => Number(git(bare, ['rev-list', '--count', 'main']).trim());

    const [health, metrics] = [await freePort(), await freePort()];
    const gitSync = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(PACKAGE_ROOT, 'src', 'cmd', 'slipway.ts'),
        'git-sync',
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--namespace',
        NAMESPACE,
        '--no-leader-elect',
        '--bind-address',
        '127.0.0.1',
        '--healthz-port',
        String(health),
        '--metrics-port',
        String(metrics),
        '--webhook-port',
        String(webhookPort),
        '--work-dir',
        join(root, 'work'),
        '--allow-local-repositories',
        '--loglevel',
        'warn',
      ],
      {
        cwd: PACKAGE_ROOT,
        env: { ...process.env, SLIPWAY_WEBHOOK_SECRET: SECRET },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    cleanups.push(async () => {
      if (gitSync.exitCode !== null) return;
      const exited = new Promise((done) => gitSync.once('exit', done));
      gitSync.kill('SIGTERM');
      await exited;
    });
    for (const deadline = Date.now() + 120_000; ; ) {
      const ok = await fetch(`http://127.0.0.1:${health}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline || gitSync.exitCode !== null) throw new Error('git-sync did not get ready');
      await sleep(250);
    }

    const manifests = [
      {
        apiVersion: 'slipway.dev/v1alpha1',
        kind: 'GitTarget',
        metadata: { name: 'monorepo', namespace: NAMESPACE },
        spec: { url: `file://${bare}`, branch: 'main' },
      },
      ...Array.from({ length: apps }, (_, i) => ({
        apiVersion: 'slipway.dev/v1alpha1',
        kind: 'ImageWatch',
        metadata: { name: `app${i}`, namespace: NAMESPACE },
        spec: {
          image: image(i),
          // Longer than the benchmark: only the webhook (and the first check) can bring a tag.
          interval: '30m',
          policy: { strategy: 'semver', semver: { constraint: '^1' } },
          targets: [
            kustomize(i)
              ? { gitTarget: 'monorepo', path: fileOf(i), kustomize: {} }
              : { gitTarget: 'monorepo', path: fileOf(i), helm: { tagPath: 'image.tag' } },
          ],
        },
      })),
    ];
    const waitHolding = async (tag: string, what: string) => {
      for (let last = -1; ; ) {
        const n = holding(tag);
        if (n === apps) return;
        if (n !== last) say(`${what}: ${n}/${apps} files hold ${tag}`);
        last = n;
        await sleep(200);
      }
    };

    // Phase 1: apply → every file at 1.0.0.
    const commitsBefore = commits();
    const k8sBefore = await kubeRequests(metrics);
    const applyStart = performance.now();
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }));
    await waitHolding('1.0.0', 'apply');
    const applySeconds = (performance.now() - applyStart) / 1000;
    const applyCommits = commits() - commitsBefore;
    // Let status writes and Events of the round finish before counting.
    await quiet(metrics);
    const k8sApply = difference(await kubeRequests(metrics), k8sBefore);
    const registryAfterApply = snapshot(proxy.counts);

    // Phase 2: a round of new tags in every repository, announced by the registry's notifications.
    const commitsBeforeRound = commits();
    const k8sBeforeRound = await kubeRequests(metrics);
    const syncBeforeRound = await syncSeconds(metrics);
    // Blobs first (the slow part of a push, and no news to git-sync), then the manifests at
    // once: the tags appear within a moment of each other, as when CI finishes a release.
    const roundStart = performance.now();
    const staged: (() => Promise<void>)[] = [];
    await forEachLimited(repositories, 8, async (r) => {
      staged[r] = await stageImage(registryUrl, `bench/svc${r}`, '1.1.0');
    });
    const manifestsFrom = performance.now();
    await forEachLimited(repositories, 16, (r) => staged[r]!());
    const pushedAll = performance.now();
    await waitHolding('1.1.0', 'round');
    const roundDone = performance.now();
    const roundCommits = commits() - commitsBeforeRound;
    await quiet(metrics);
    const k8sRound = difference(await kubeRequests(metrics), k8sBeforeRound);
    const roundSyncSeconds = (await syncSeconds(metrics)) - syncBeforeRound;
    const listingsRound = [...proxy.counts.listings].map(
      ([repo, n]) => n - (registryAfterApply.listings.get(repo) ?? 0),
    );
    const usage = processUsage(gitSync.pid ?? 0);

    const maxListings = Math.max(0, ...listingsRound);
    const totalListings = listingsRound.reduce((a, b) => a + b, 0);
    const detection = (roundDone - pushedAll) / 1000;
    const lines = [
      `git-sync benchmark (realistic): ${apps} applications in one monorepo, ${repositories} registry repositories, ${apps / repositories} ImageWatches each`,
      'parts: local control plane, docker-registry behind a counting proxy (notifications to the webhook), bare Git repository over file://, slipway git-sync',
      `apply -> all ${apps} written:        ${applySeconds.toFixed(1)} s in ${applyCommits} commit(s)`,
      `  registry:                      ${sumMap(registryAfterApply.listings)} tag listings, ${registryAfterApply.manifests} manifest requests, ${registryAfterApply.blobs} blob reads`,
      `  kubernetes:                    ${describeRequests(k8sApply)}`,
      `round of new tags in ${repositories} repositories:`,
      `  last tag pushed -> all pushed:  ${detection.toFixed(1)} s (target <= ${TARGETS.detectionToPushedS} s); the ${repositories} tags appeared within ${((pushedAll - manifestsFrom) / 1000).toFixed(1)} s (blobs uploaded before, ${((manifestsFrom - roundStart) / 1000).toFixed(1)} s)`,
      `  commits:                       ${roundCommits} (target ${TARGETS.commitsPerRound}); repository sync (fetch, ${apps} edits, commit, push) ${roundSyncSeconds.toFixed(1)} s of it`,
      `  tag listings:                  ${totalListings} for ${repositories} repositories, at most ${maxListings} per repository (target <= ${TARGETS.listingsPerRepositoryPerInterval})`,
      `  manifest requests:             ${proxy.counts.manifests - registryAfterApply.manifests}, blob reads ${proxy.counts.blobs - registryAfterApply.blobs}`,
      `  kubernetes:                    ${describeRequests(k8sRound)}`,
      `git-sync process:                peak RSS ${usage.peakRssMiB.toFixed(0)} MiB, CPU ${usage.cpuSeconds.toFixed(1)} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * Uploads an image's blobs (layer, config) now and returns what tags it: the manifest PUT, which
 * is what the registry announces. The same shape as the e2e push helper's OCI images.
 */
async function stageImage(
  registryUrl: string,
  repository: string,
  tag: string,
): Promise<() => Promise<void>> {
  const created = new Date().toISOString();
  const layer = Buffer.from(`layer ${repository}:${tag} ${created}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created,
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
    }),
  );
  for (const blob of [layer, config]) {
    const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    if (start.status !== 202) throw new Error(`blob upload start: ${start.status}`);
    const location = new URL(start.headers.get('location')!, registryUrl);
    location.searchParams.set('digest', sha256(blob));
    const put = await fetch(location, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob,
    });
    if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256(config),
      size: config.length,
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length },
    ],
  });
  return async () => {
    const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });
    if (response.status !== 201) throw new Error(`manifest put ${repository}:${tag}: ${response.status}`);
  };
}

function sumMap(map: Map<string, number>): number {
  let total = 0;
  for (const v of map.values()) total += v;
  return total;
}

async function forEachLimited(
  count: number,
  limit: number,
  run: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      await run(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
