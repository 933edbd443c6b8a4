// Profiles the controller's start-up: N Rollouts on a fresh local control plane, then K
// restarts of `slipway controller`, each timed from the spawn to its requests in the API
// server's audit log (GET /version, the Lease, the first LIST of Rollouts). Where the time to
// the Lease goes; not part of `npm test`.
//
//   npx tsx bench/profile-startup.ts [--rollouts 1000] [--runs 5] [--cpu-prof /tmp/dir]
//     [--node-flags '<flags>' (the image's, from the Dockerfile, by default)] [--env 'NAME=value,...;NAME=value,...']
// --env takes variants separated by ';' (an empty one: as is); each run starts every variant.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort, startControlPlane } from '../src/localcluster/control-plane.js';
import { CRD_DIR, PACKAGE_ROOT } from '../src/package-paths.js';
import { imageRuntime } from './image-runtime.js';

const { values } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    'cpu-prof': { type: 'string', default: '' },
    'node-flags': { type: 'string', default: imageRuntime().flags.join(' ') },
    env: { type: 'string', default: '' },
  },
});
const n = Number(values.rollouts);
const runs = Number(values.runs);
const say = (line: string) => process.stderr.write(`[startup] ${line}\n`);
const USER = 'bench-controller';
const LEASE_NAMESPACE = 'argo-rollouts';

interface Seen {
  verb: string;
  resource: string;
  at: number;
}

function auditSince(path: string, from: number): Seen[] {
  if (!existsSync(path)) return [];
  const out: Seen[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as {
      stage?: string;
      verb?: string;
      user?: { username?: string };
      objectRef?: { resource?: string };
      requestURI?: string;
      requestReceivedTimestamp?: string;
    };
    if (e.user?.username !== USER || e.stage !== 'ResponseComplete') continue;
    // When the request arrived: what the controller had done by then.
    const at = Date.parse(e.requestReceivedTimestamp ?? '');
    if (at >= from)
      out.push({ verb: e.verb ?? '', resource: e.objectRef?.resource ?? e.requestURI ?? '', at });
  }
  return out;
}

const dataDir = mkdtempSync(join(tmpdir(), 'slipway-startup-'));
const auditLog = join(dataDir, 'audit.log');
const cluster = await startControlPlane({
  dataDir,
  nodes: 1,
  users: [USER],
  auditLogPath: auditLog,
  auditUsers: [USER],
});
const kubectl = (args: string[], input?: string) =>
  execFileSync(cluster.binaries.kubectl, ['--kubeconfig', cluster.kubeconfigPath, ...args], {
    encoding: 'utf8',
    input,
    maxBuffer: 512 * 1024 * 1024,
  });
let child: ChildProcess | undefined;
try {
  kubectl(['apply', '--server-side', '-f', CRD_DIR]);
  kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']);
  kubectl(['create', 'namespace', 'bench']);
  kubectl(['create', 'namespace', LEASE_NAMESPACE]);
  // Rollouts only (no controller runs between restarts long enough to matter): the LIST's size.
  kubectl(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: Array.from({ length: n }, (_, i) => ({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata: { name: `s-${i}`, namespace: 'bench' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: `s-${i}` } },
          template: {
            metadata: { labels: { app: `s-${i}` } },
            spec: { containers: [{ name: 'a', image: 'x:1' }] },
          },
          strategy: { canary: { steps: [{ setWeight: 50 }] } },
        },
      })),
    }),
  );
  const variants = (values.env ?? '').split(';');
  const rowsOf = new Map<string, number[][]>(variants.map((v) => [v, []]));
  for (let i = 0; i < runs * variants.length; i++) {
    const run = Math.floor(i / variants.length) + 1;
    const variant = variants[i % variants.length] ?? '';
    const rows = rowsOf.get(variant) ?? [];
    const extraEnv = Object.fromEntries(
      variant
        .split(',')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    kubectl(['delete', 'leases', '--all', '-n', LEASE_NAMESPACE, '--wait=true']);
    await sleep(1500);
    const profDir = values['cpu-prof'] ? join(values['cpu-prof'], `run-${run}-${i % variants.length}`) : '';
    if (profDir) mkdirSync(profDir, { recursive: true });
    const [health, metrics] = [await freePort(), await freePort()];
    const spawnedAt = Date.now();
    child = spawn(
      process.execPath,
      [
        ...(values['node-flags'] ?? '').split(' ').filter(Boolean),
        ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
        // SLIPWAY_ENTRY=<path> in a variant starts another build (e.g. an older one) instead.
        extraEnv.SLIPWAY_ENTRY ?? join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js'),
        'controller',
        '--kubeconfig',
        cluster.userKubeconfigs[USER] ?? '',
        '--leader-election-namespace',
        LEASE_NAMESPACE,
        '--bind-address',
        '127.0.0.1',
        '--healthz-port',
        String(health),
        '--metrics-port',
        String(metrics),
        '--loglevel',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...imageRuntime().env, ...extraEnv } },
    );
    // The process's CPU seconds over time (/proc, every 5 ms): what start-up costs, read at
    // the moment of each request, which on a loaded machine says more than the wall time.
    const cpuSamples: [number, number][] = [];
    const cpuOf = (pid: number) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(f[11]) + Number(f[12])) / 100;
      } catch {
        return Number.NaN;
      }
    };
    const sampler = setInterval(() => cpuSamples.push([Date.now(), cpuOf(child?.pid ?? 0)]), 5);
    let seen: Seen[] = [];
    const find = (verb: string, resource: string) =>
      seen.find((e) => e.verb === verb && e.resource === resource);
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await sleep(1000);
      seen = auditSince(auditLog, spawnedAt);
      if (find('list', 'rollouts')) break;
    }
    clearInterval(sampler);
    const s = (e?: Seen) => (e ? (e.at - spawnedAt) / 1000 : Number.NaN);
    const cpuAt = (e?: Seen) =>
      e ? ([...cpuSamples].reverse().find(([t]) => t <= e.at)?.[1] ?? Number.NaN) : Number.NaN;
    const first = seen[0];
    const lease = seen.find((e) => e.resource === 'leases' && (e.verb === 'create' || e.verb === 'update'));
    const list = find('list', 'rollouts');
    rows.push([s(first), s(lease), s(list), cpuAt(first), cpuAt(lease), cpuAt(list)]);
    say(
      `run ${run} [${variant || 'as is'}]: first request ${s(first).toFixed(3)} s (CPU ${cpuAt(first).toFixed(2)} s), Lease written ${s(lease).toFixed(3)} s (CPU ${cpuAt(lease).toFixed(2)}), first LIST of Rollouts ${s(list).toFixed(3)} s (CPU ${cpuAt(list).toFixed(2)}); load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    say(
      `  requests: ${seen
        .slice(0, 8)
        .map((e) => `${e.verb} ${e.resource} +${((e.at - spawnedAt) / 1000).toFixed(3)}`)
        .join(', ')}`,
    );
    const exited = new Promise((done) => child?.once('exit', done));
    child.kill('SIGTERM');
    await exited;
    child = undefined;
  }
  for (const [variant, rows] of rowsOf) {
    const med = (i: number) => {
      const v = rows.map((r) => r[i] ?? Number.NaN).sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)] ?? Number.NaN;
    };
    process.stdout.write(
      `start-up at ${n} Rollouts [${variant || 'as is'}], median of ${runs}: first request ${med(0).toFixed(3)} s, Lease ${med(1).toFixed(3)} s, first LIST ${med(2).toFixed(3)} s; CPU by then ${med(3).toFixed(2)} / ${med(4).toFixed(2)} / ${med(5).toFixed(2)} s\n`,
    );
  }
} finally {
  child?.kill('SIGKILL');
  await cluster.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
