// Benchmark: Slipway side by side with the real Argo Rollouts v1.10.2 controller. Each
// (round, product, workload) runs on a fresh local control plane; products alternate within
// a round and swap order between rounds. Every API request of the controller is counted from
// the API server's audit log (the controller runs as its own token user), not only from
// what it reports itself. Prints each figure for both products and Slipway's ratio to Argo
// with its spread over rounds.
//
//   npm run bench -- --against argo [--rollouts 200] [--replicas 5] [--idle 1000] [--burst 50]
//     [--idle-seconds 60] [--rounds 2] [--workloads canary,idle]
//     [--products slipway,argo,argo-raised] [--raised-qps 200 --raised-burst 400]
//     [--slipway-node-flags '--flag ...'] [--slipway-env NAME=value,...] [--memory-trace DIR]
//     [--save-metrics DIR]
//     [--products slipway,slipway-variant,argo --variant-node-flags='--flag ...' --variant-env N=v,...
//      --variant-entry <slipway.js of another build, e.g. main's dist/ copied aside>]
//
// Products: `argo` is Argo at its defaults (client QPS 40, burst 80), as its users run it;
// `argo-raised` is Argo with a raised client limit (--raised-qps/--raised-burst), since part
// of its slower deploys is its own throttle. `--products slipway` runs Slipway alone (scale).
//
// Workloads:
//   canary  N Rollouts x R replicas: first deploy, then a 6-step canary update to all Healthy
//           (one kubectl apply of all N, then polling), and each Rollout's own update from a
//           watch: its new spec seen -> seen Healthy on the new template (p50, p99).
//   floor   no controller: what the cluster itself allows for the canary update. N pairs of
//           ReplicaSets (R replicas on the old one) go through the update's R scale steps
//           (new +1, old -1), each step as soon as the last one's pods are available and gone,
//           driven from a watch: a controller with no overhead at all. Runs once per round.
//   idle    M Rollouts of 1 replica: first deploy, an idle window (requests/min, CPU, RSS),
//           a burst of B image changes (JSON patches sent in parallel through RestClient;
//           send -> watch event with a new currentPodHash: p50, p99, max), ten scrapes of
//           its /metrics as Prometheus would make them (CPU, time, size per scrape), then a
//           restart (start-up: process start -> Lease held, -> first LIST of Rollouts).
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { apiResourceOf, ROLLOUT_KIND } from '../src/api/kinds.js';
import { loadKubeConfig } from '../src/kube/config.js';
import { InformerCache } from '../src/kube/informer-cache.js';
import type { KubeObject } from '../src/kube/object.js';
import { createObject, jsonPatch, mergePatch } from '../src/kube/patch.js';
import { coreResources } from '../src/kube/resource.js';
import { RestClient } from '../src/kube/rest.js';
import { freePort, type RunningControlPlane, startControlPlane } from '../src/localcluster/control-plane.js';
import { CRD_DIR, PACKAGE_ROOT } from '../src/package-paths.js';
import type { ReplicaSet } from '../src/rollout/workload-types.js';
import { envList, imageRuntime } from './image-runtime.js';
import { processCpu, sampleRssSplit } from './proc.js';

const { values: flags } = parseArgs({
  options: {
    against: { type: 'string', default: 'argo' },
    rollouts: { type: 'string', default: '200' },
    replicas: { type: 'string', default: '5' },
    idle: { type: 'string', default: '1000' },
    burst: { type: 'string', default: '50' },
    'idle-seconds': { type: 'string', default: '60' },
    rounds: { type: 'string', default: '2' },
    workloads: { type: 'string', default: 'canary,idle' },
    products: { type: 'string', default: 'slipway,argo' },
    'raised-qps': { type: 'string', default: '200' },
    'raised-burst': { type: 'string', default: '400' },
    // Slipway's Node flags instead of the image's (e.g. to compare V8 options), space-separated.
    'slipway-node-flags': { type: 'string' },
    // Extra environment for Slipway's process, NAME=value,... (e.g. MALLOC_ARENA_MAX=2).
    'slipway-env': { type: 'string', default: '' },
    // A directory: Slipway runs with bench/memory-trace.mjs preloaded, one trace file per run.
    'memory-trace': { type: 'string', default: '' },
    // The `slipway-variant` product: Slipway with these Node flags (without the option: Slipway's,
    // the image's) and extra environment (e.g. an older set, compared in the same run,
    // interleaved with the others).
    'variant-node-flags': { type: 'string' },
    'variant-env': { type: 'string', default: '' },
    // The variant's entry point: another build of Slipway (its dist/ must sit inside this
    // checkout, as dist/ resolves node_modules from its parents). Default: this build.
    'variant-entry': { type: 'string', default: '' },
    // A directory: the idle workload's last /metrics scrape of each run is saved there.
    'save-metrics': { type: 'string', default: '' },
  },
});
function whole(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1, got '${value}'`);
  return n;
}
if (flags.against !== 'argo') throw new Error(`--against: only 'argo' is known, got '${flags.against}'`);
const settings = {
  rollouts: whole('rollouts', flags.rollouts),
  replicas: whole('replicas', flags.replicas),
  idle: whole('idle', flags.idle),
  burst: whole('burst', flags.burst),
  idleSeconds: whole('idle-seconds', flags['idle-seconds']),
  rounds: whole('rounds', flags.rounds),
  workloads: (flags.workloads ?? '').split(',').filter(Boolean),
  products: (flags.products ?? '').split(',').filter(Boolean) as Product[],
  raisedQps: whole('raised-qps', flags['raised-qps']),
  raisedBurst: whole('raised-burst', flags['raised-burst']),
};
for (const w of settings.workloads) {
  if (w !== 'canary' && w !== 'idle' && w !== 'floor')
    throw new Error(`--workloads: unknown '${w}' (known: canary, idle, floor)`);
}
if (settings.burst > settings.idle) throw new Error('--burst must not exceed --idle');
// The traced controller appends to a file there, and would exit at its first sample without it.
if (flags['memory-trace']) mkdirSync(flags['memory-trace'], { recursive: true });

const PRODUCTS = ['slipway', 'slipway-variant', 'argo', 'argo-raised'] as const;
type Product = (typeof PRODUCTS)[number];
/** `slipway-variant`: Slipway again, with --variant-node-flags/--variant-env (e.g. main's). */
const isSlipway = (p: Product) => p === 'slipway' || p === 'slipway-variant';
for (const p of settings.products) {
  if (!PRODUCTS.includes(p)) throw new Error(`--products: unknown '${p}' (known: ${PRODUCTS.join(', ')})`);
}
if (settings.products.length === 0) throw new Error('--products: name at least one');
const NAMESPACE = 'bench';
const CONTROLLER_USER = 'bench-controller';
const LEASE_NAMESPACE = 'argo-rollouts';
const ROLLOUTS = apiResourceOf(ROLLOUT_KIND);
const say = (line: string) => process.stderr.write(`[bench vs argo] ${line}\n`);

/** Argo's controller and CRDs, built from its Go module by the conformance build script. */
function argoDir(): string {
  const script = join(PACKAGE_ROOT, 'test', 'conformance', 'build-argo.sh');
  const result = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !existsSync(join(dir, 'rollouts-controller'))) {
    throw new Error(`building Argo Rollouts failed (exit ${result.status})`);
  }
  return dir;
}

interface Usage {
  peakRssMiB: number;
  rssMiB: number;
  cpuSeconds: number;
}

/** From /proc: peak and current RSS, CPU seconds (user + system). */
function usageOf(pid: number): Usage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    peakRssMiB: kb('VmHWM') / 1024,
    rssMiB: kb('VmRSS') / 1024,
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
  };
}

interface AuditEntry {
  verb: string;
  resource: string;
  subresource?: string;
  name?: string;
  code: number;
  /** ms since the epoch, when the response completed. */
  at: number;
}

/** What has been read of one audit log so far (it only grows during a run). */
interface AuditCursor {
  offset: number;
  partial: string;
  entries: AuditEntry[];
}
const auditCursors = new Map<string, AuditCursor>();

/**
 * The controller user's finished requests, from the audit log (JSON lines). Reads only what
 * was appended since the last call: at 10,000 Rollouts the log runs to hundreds of MB, and
 * re-parsing it on every poll would take the CPU the controllers are measured on.
 */
function auditEntries(path: string): AuditEntry[] {
  if (!existsSync(path)) return [];
  let cursor = auditCursors.get(path);
  if (!cursor) {
    cursor = { offset: 0, partial: '', entries: [] };
    auditCursors.set(path, cursor);
  }
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(8 * 1024 * 1024);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, cursor.offset);
      if (n === 0) break;
      cursor.offset += n;
      const lines = (cursor.partial + chunk.toString('utf8', 0, n)).split('\n');
      cursor.partial = lines.pop() ?? '';
      for (const line of lines) {
        const entry = auditEntry(line);
        if (entry) cursor.entries.push(entry);
      }
    }
  } finally {
    closeSync(fd);
  }
  return cursor.entries;
}

function auditEntry(line: string): AuditEntry | undefined {
  if (!line) return undefined;
  const e = JSON.parse(line) as {
    stage?: string;
    verb?: string;
    user?: { username?: string };
    objectRef?: { resource?: string; subresource?: string; name?: string };
    responseStatus?: { code?: number };
    stageTimestamp?: string;
  };
  if (e.user?.username !== CONTROLLER_USER || (e.stage !== 'ResponseComplete' && e.stage !== 'Panic'))
    return undefined;
  return {
    verb: e.verb ?? '',
    resource: e.objectRef?.resource ?? '',
    ...(e.objectRef?.subresource ? { subresource: e.objectRef.subresource } : {}),
    ...(e.objectRef?.name ? { name: e.objectRef.name } : {}),
    code: e.responseStatus?.code ?? 0,
    at: Date.parse(e.stageTimestamp ?? ''),
  };
}

interface Counts {
  requests: number;
  eventWrites: number;
  conflicts: number;
  leaseWrites: number;
  leaseReads: number;
}

function count(entries: AuditEntry[], from = 0, to = Number.POSITIVE_INFINITY): Counts {
  const within = entries.filter((e) => e.at >= from && e.at < to);
  const writes = new Set(['create', 'update', 'patch']);
  return {
    requests: within.length,
    eventWrites: within.filter((e) => e.resource === 'events' && writes.has(e.verb)).length,
    conflicts: within.filter((e) => e.code === 409).length,
    leaseWrites: within.filter((e) => e.resource === 'leases' && writes.has(e.verb)).length,
    leaseReads: within.filter((e) => e.resource === 'leases' && e.verb === 'get').length,
  };
}

/** Requests in a window by (verb, resource[/subresource], code). */
function requestKinds(entries: AuditEntry[], from: number, to: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of entries) {
    if (e.at < from || e.at >= to) continue;
    const key = `${e.verb} ${e.resource}${e.subresource ? `/${e.subresource}` : ''} ${e.code}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The most frequent (verb, resource, code) in a window, for reading a surprising figure. */
function breakdown(entries: AuditEntry[], from: number, to: number): string {
  return [...requestKinds(entries, from, to)]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
}

interface Bench {
  cluster: RunningControlPlane;
  dataDir: string;
  auditLog: string;
  kubectl(args: string[], input?: string): string;
  /** kubectl without blocking the event loop (a watch of the bench's own keeps its timestamps). */
  kubectlAsync(args: string[], input?: string): Promise<string>;
}

async function freshCluster(product: Product, argo: string): Promise<Bench> {
  const dataDir = mkdtempSync(join(tmpdir(), `slipway-bench-${product}-`));
  const auditLog = join(dataDir, 'audit.log');
  const cluster = await startControlPlane({
    dataDir,
    nodes: 4,
    users: [CONTROLLER_USER],
    auditLogPath: auditLog,
    auditUsers: [CONTROLLER_USER],
  });
  const kubectl = (args: string[], input?: string) =>
    execFileSync(cluster.binaries.kubectl, ['--kubeconfig', cluster.kubeconfigPath, ...args], {
      encoding: 'utf8',
      input,
      maxBuffer: 512 * 1024 * 1024,
    });
  // Each product with its own CRDs, as its users install it.
  kubectl(['apply', '--server-side', '-f', isSlipway(product) ? CRD_DIR : join(argo, 'crds')]);
  kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']);
  kubectl(['create', 'namespace', NAMESPACE]);
  kubectl(['create', 'namespace', LEASE_NAMESPACE]);
  const kubectlAsync = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(
        cluster.binaries.kubectl,
        ['--kubeconfig', cluster.kubeconfigPath, ...args],
        { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
      child.stdin?.end(input ?? '');
    });
  return { cluster, dataDir, auditLog, kubectl, kubectlAsync };
}

/** Stops the run's control plane and removes its data dir (audit log included). */
async function discardCluster(bench: Bench): Promise<void> {
  await bench.cluster.stop();
  auditCursors.delete(bench.auditLog);
  rmSync(bench.dataDir, { recursive: true, force: true });
}

/** startController, or the cluster is discarded before the error goes on (nothing else would stop it). */
async function startFirstController(product: Product, bench: Bench, argo: string): Promise<Controller> {
  try {
    return await startController(product, bench, argo);
  } catch (error) {
    await discardCluster(bench);
    throw error;
  }
}

/** Slipway runs with the image's Node flags and environment (bench/image-runtime.ts) unless told. */
const IMAGE = imageRuntime();
const SLIPWAY_NODE_FLAGS =
  flags['slipway-node-flags'] === undefined
    ? IMAGE.flags
    : flags['slipway-node-flags'].split(' ').filter(Boolean);
const SLIPWAY_ENV: Record<string, string> = { ...IMAGE.env, ...envList(flags['slipway-env'] ?? '') };
let traceRuns = 0;

/** A running controller, the port its /metrics listens on, and the file its stderr goes to. */
type Controller = ChildProcess & { metricsPort: number; product: Product; log: string };

/** Both at their defaults (leader election on, Argo's client QPS 40 / burst 80 unless raised). */
async function startController(product: Product, bench: Bench, argo: string): Promise<Controller> {
  const kubeconfig = bench.cluster.userKubeconfigs[CONTROLLER_USER] ?? '';
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const variant = product === 'slipway-variant';
  const stderr = openSync(controllerLog(bench), 'a');
  const child = isSlipway(product)
    ? spawn(
        process.execPath,
        [
          ...(variant && flags['variant-node-flags'] !== undefined
            ? flags['variant-node-flags'].split(' ').filter(Boolean)
            : SLIPWAY_NODE_FLAGS),
          ...(flags['memory-trace'] ? ['--import', join(PACKAGE_ROOT, 'bench', 'memory-trace.mjs')] : []),
          variant && flags['variant-entry']
            ? resolvePath(flags['variant-entry'])
            : join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js'),
          'controller',
          '--kubeconfig',
          kubeconfig,
          '--leader-election-namespace',
          LEASE_NAMESPACE,
          '--bind-address',
          '127.0.0.1',
          '--healthz-port',
          String(healthPort),
          '--metrics-port',
          String(metricsPort),
          '--loglevel',
          'warn',
        ],
        {
          stdio: ['ignore', 'ignore', stderr],
          env: {
            ...process.env,
            ...(variant ? { ...IMAGE.env, ...envList(flags['variant-env'] ?? '') } : SLIPWAY_ENV),
            ...(flags['memory-trace']
              ? { SLIPWAY_MEMORY_TRACE: join(flags['memory-trace'], `${product}-${++traceRuns}.jsonl`) }
              : {}),
          },
        },
      )
    : spawn(
        join(argo, 'rollouts-controller'),
        [
          '--kubeconfig',
          kubeconfig,
          '--healthzPort',
          String(healthPort),
          '--metricsPort',
          String(metricsPort),
          '--loglevel',
          'warn',
          ...(product === 'argo-raised'
            ? ['--qps', String(settings.raisedQps), '--burst', String(settings.raisedBurst)]
            : []),
        ],
        {
          stdio: ['ignore', 'ignore', stderr],
          env: { ...process.env, POD_NAMESPACE: LEASE_NAMESPACE },
        },
      );
  closeSync(stderr); // the child has its own copy
  await sleep(200);
  const controller = Object.assign(child, { metricsPort, product, log: controllerLog(bench) });
  assertRunning(controller);
  return controller;
}

/** The controller's stderr, in the cluster's data dir (removed with it). */
function controllerLog(bench: Bench): string {
  return join(bench.dataDir, 'controller.log');
}

/** Throws, with the end of its stderr, when the controller has exited: a wait for it would never end. */
function assertRunning(controller: Controller): void {
  if (controller.exitCode === null && controller.signalCode === null) return;
  const stderr = existsSync(controller.log) ? readFileSync(controller.log, 'utf8').slice(-2000) : '';
  throw new Error(
    `${controller.product} controller exited (${controller.exitCode ?? controller.signalCode}); its stderr ends:\n${stderr}`,
  );
}

let metricsSaves = 0;

interface ScrapeCost {
  cpuMs: number;
  seconds: number;
  bytes: number;
  samples: number;
}

/**
 * What one Prometheus scrape of the controller's /metrics costs it: `times` scrapes one after
 * the other, after a first one left out (its label caches and buffers are set up once). CPU is
 * every thread's (schedstat, see bench/proc.ts) up to 2 s after the last answer, so the
 * collection the scrapes cause counts too. Per scrape: CPU, wall time, body size and samples.
 */
async function scrapeCost(controller: Controller, product: Product, times = 10): Promise<ScrapeCost> {
  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${controller.metricsPort}/metrics`);
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    return response.text();
  };
  await scrape();
  const pid = controller.pid ?? 0;
  const cpuBefore = processCpu(pid);
  const walls: number[] = [];
  let text = '';
  for (let i = 0; i < times; i++) {
    const sent = Date.now();
    text = await scrape();
    walls.push((Date.now() - sent) / 1000);
  }
  await sleep(2000);
  if (flags['save-metrics']) {
    mkdirSync(flags['save-metrics'], { recursive: true });
    writeFileSync(join(flags['save-metrics'], `${product}-${++metricsSaves}.txt`), text);
  }
  return {
    cpuMs: ((processCpu(pid) - cpuBefore) * 1000) / times,
    seconds: median(walls),
    bytes: Buffer.byteLength(text),
    samples: text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length,
  };
}

async function stopController(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => false), sleep(20_000).then(() => true)])) {
    child.kill('SIGKILL');
    await exited;
  }
}

function rolloutManifest(
  name: string,
  replicas: number,
  image: string,
  steps: unknown[],
  labels = {},
): unknown {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: NAMESPACE, labels },
    spec: {
      replicas,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
      strategy: { canary: { steps } },
    },
  };
}

interface RolloutState {
  name: string;
  phase: string;
  stable: string;
  current: string;
}

async function rolloutStates(bench: Bench, selector?: string): Promise<RolloutState[]> {
  const out = await bench.kubectlAsync([
    'get',
    'rollouts',
    '-n',
    NAMESPACE,
    ...(selector ? ['-l', selector] : []),
    '--no-headers',
    '-o',
    'custom-columns=N:.metadata.name,P:.status.phase,S:.status.stableRS,C:.status.currentPodHash',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', phase = '', stable = '', current = ''] = line.trim().split(/\s+/);
      return { name, phase, stable, current };
    });
}

/** Polls until every Rollout is Healthy on a stable hash not in `old`; returns name -> hash. Throws if the controller exits. */
async function waitAllHealthy(
  bench: Bench,
  controller: Controller,
  total: number,
  what: string,
  old?: Map<string, string>,
) {
  let last = -1;
  for (;;) {
    assertRunning(controller);
    const states = await rolloutStates(bench);
    const done = states.filter(
      (r) =>
        r.phase === 'Healthy' &&
        r.stable === r.current &&
        r.stable !== '<none>' &&
        old?.get(r.name) !== r.stable,
    );
    if (done.length === total) return new Map(done.map((r) => [r.name, r.stable]));
    if (done.length !== last) say(`${what}: ${done.length}/${total} Healthy`);
    last = done.length;
    // Listing 10,000 Rollouts every 2 s would load the API server the controllers share (and
    // each `kubectl get` of them takes seconds of CPU on a machine of 2 cores).
    await sleep(2000 + total * (total > 2000 ? 3 : 1));
  }
}

/** Audit lines reach the log within this (the control plane's --audit-log-batch-max-wait, 1 s, and the write). */
const AUDIT_FLUSH_MS = 2500;
/**
 * Waits until the controller has finished the requests a phase caused, and returns the time of
 * its last one: until it has sent nothing for `quietMs` but Lease renewals and the end of a
 * watch (not work a phase caused), at most `limitMs`. "All Healthy" is not that moment: Argo's
 * event recorder writes its Events from a queue behind its client throttle, seconds after the
 * status that makes a Rollout Healthy; a window that ends at Healthy would leave them out of the
 * count (and push them into the next phase's).
 */
async function waitQuiet(bench: Bench, since: number, quietMs = 5000, limitMs = 120_000): Promise<number> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    let last = since;
    for (const e of auditEntries(bench.auditLog)) {
      if (e.at > last && e.resource !== 'leases' && e.verb !== 'watch') last = e.at;
    }
    if (Date.now() - last >= quietMs + AUDIT_FLUSH_MS) return last;
    if (Date.now() > deadline) {
      say(`still sending requests ${limitMs / 1000} s on: going on from now`);
      return last;
    }
    await sleep(1000);
  }
}

type Figures = Record<string, number>;

/** Per product and round: the canary update window's requests per rollout by kind. */
const canaryKinds: Record<Product, Figures[]> = {
  slipway: [],
  'slipway-variant': [],
  argo: [],
  'argo-raised': [],
};

async function runCanary(product: Product, argo: string): Promise<Figures> {
  const n = settings.rollouts;
  const bench = await freshCluster(product, argo);
  const steps = [
    { setWeight: 20 },
    { pause: { duration: 0 } },
    { setWeight: 40 },
    { pause: { duration: 0 } },
    { setWeight: 60 },
    { setWeight: 80 },
  ];
  const manifests = (image: string) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: Array.from({ length: n }, (_, i) =>
        rolloutManifest(`bench-${i}`, settings.replicas, image, steps),
      ),
    });
  const apply = (image: string) => bench.kubectl(['apply', '-f', '-'], manifests(image));
  // The update's: the bench's watch (watchEachUpdate) stamps events while kubectl runs.
  const applyAsync = (image: string) => bench.kubectlAsync(['apply', '-f', '-'], manifests(image));
  const spawnedAt = Date.now();
  const controller = await startFirstController(product, bench, argo);
  const rssSplit = sampleRssSplit(controller.pid ?? 0);
  try {
    // Time the deploy from a running controller: wait for its first LIST of Rollouts.
    const listDeadline = Date.now() + 120_000;
    while (
      Date.now() < listDeadline &&
      !auditEntries(bench.auditLog).some(
        (e) => e.at >= spawnedAt && e.resource === 'rollouts' && e.verb === 'list',
      )
    ) {
      await sleep(1000);
    }
    await sleep(1000);
    let started = Date.now();
    apply('web:1');
    const first = await waitAllHealthy(bench, controller, n, `${product} canary first deploy`);
    const deployS = (Date.now() - started) / 1000;
    // The update window starts once the deploy's last request (e.g. a queued Event) is written.
    await waitQuiet(bench, started);
    const afterDeploy = Date.now();
    const eachUpdate = await watchEachUpdate(bench, first);
    let applyS: number;
    let perRollout: number[];
    started = Date.now();
    try {
      await applyAsync('web:2');
      // Part of the update time for both products: kubectl's own start and its GETs and PATCHes.
      applyS = (Date.now() - started) / 1000;
      await waitAllHealthy(bench, controller, n, `${product} canary update`, first);
    } finally {
      perRollout = eachUpdate.stop();
    }
    const healthyAt = Date.now();
    const updateS = (healthyAt - started) / 1000;
    if (perRollout.length !== n)
      say(`${product}: the watch saw ${perRollout.length} of ${n} updates through`);
    const each = (p: number) => (perRollout.length === n ? percentile(perRollout, p) : Number.NaN);
    // Requests, Events and CPU are counted up to the update's last request, not to Healthy.
    const lastRequestAt = await waitQuiet(bench, started);
    const usage = usageOf(controller.pid ?? 0);
    const split = rssSplit.stop();
    const events = JSON.parse(bench.kubectl(['get', 'events', '-n', NAMESPACE, '-o', 'json'])) as {
      items: { reason?: string; count?: number; involvedObject?: { kind?: string } }[];
    };
    const reasons = new Map<string, string>();
    for (const e of events.items) {
      const key = `${e.involvedObject?.kind}/${e.reason}`;
      const [objects, total] = (reasons.get(key) ?? '0 0').split(' ').map(Number);
      reasons.set(key, `${(objects ?? 0) + 1} ${(total ?? 0) + (e.count ?? 1)}`);
    }
    say(
      `${product} Events (kind/reason: Event objects, total count): ${[...reasons]
        .sort()
        .map(([k, v]) => `${k}: ${v.replace(' ', ', ')}`)
        .join('; ')}`,
    );
    const entries = auditEntries(bench.auditLog);
    const update = count(entries, afterDeploy, lastRequestAt + 1);
    // Every (verb, resource, code) of the update window per rollout update, printed side by
    // side for all products at the end (where one product spends requests the other does not).
    const kinds: Figures = {};
    for (const [kind, total] of requestKinds(entries, afterDeploy, lastRequestAt + 1)) {
      kinds[`update requests per rollout: ${kind}`] = total / n;
    }
    canaryKinds[product].push(kinds);
    const all = count(entries);
    return {
      'canary: first deploy to all Healthy (s)': deployS,
      'canary: update to all Healthy (s)': updateS,
      'canary: of which the kubectl apply (s)': applyS,
      'canary: each Rollout, new spec -> Healthy, p50 (s)': each(50),
      'canary: each Rollout, new spec -> Healthy, p99 (s)': each(99),
      'canary: last update request after all Healthy (s)': Math.max(0, (lastRequestAt - healthyAt) / 1000),
      'canary: peak RSS (MiB)': usage.peakRssMiB,
      'canary: peak anonymous RSS (MiB)': split.anonMiB,
      'canary: peak file-backed RSS (MiB)': split.fileMiB,
      'canary: CPU (s)': usage.cpuSeconds,
      'canary: API requests per rollout update': update.requests / n,
      'canary: Event writes (create+patch), whole run': all.eventWrites,
      'canary: 409 conflicts, whole run': all.conflicts,
    };
  } finally {
    rssSplit.stop();
    await stopController(controller);
    await discardCluster(bench);
  }
}

/** The `floor` workload (see the header): the cluster's own time for the canary's pod changes. */
async function runFloor(): Promise<Figures> {
  const n = settings.rollouts;
  const r = settings.replicas;
  const bench = await freshCluster('slipway', '');
  const client = new RestClient(loadKubeConfig({ path: bench.cluster.kubeconfigPath }).kubeConfig);
  const caches = new InformerCache(client, { onError: () => {} });
  try {
    const rsOf = (i: number, role: string, replicas: number): ReplicaSet => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `floor-${i}-${role}`, namespace: NAMESPACE },
      spec: {
        replicas,
        selector: { matchLabels: { app: `floor-${i}`, role } },
        template: {
          metadata: { labels: { app: `floor-${i}`, role } },
          spec: { containers: [{ name: 'app', image: `web:${role}` }] },
        },
      },
    });
    const sets = caches.informer<ReplicaSet>(coreResources.replicaSets, { namespace: NAMESPACE });
    sets.start();
    await sets.waitForSync(60_000);
    let changed: () => void = () => {};
    sets.addHandlers({ add: () => changed(), update: () => changed() });
    const settled = (name: string, want: (rs: ReplicaSet) => boolean) =>
      new Promise<void>((done) => {
        const check = () => {
          const rs = sets.get(NAMESPACE, name);
          if (rs && want(rs)) done();
          else waiters.add(check);
        };
        check();
      });
    const waiters = new Set<() => void>();
    changed = () => {
      const now = [...waiters];
      waiters.clear();
      for (const check of now) check();
    };
    const available = (want: number) => (rs: ReplicaSet) =>
      (rs.status?.availableReplicas ?? 0) >= want &&
      (rs.status?.observedGeneration ?? 0) >= (rs.metadata?.generation ?? 1);
    const down = (want: number) => (rs: ReplicaSet) =>
      (rs.status?.replicas ?? 0) <= want &&
      (rs.status?.observedGeneration ?? 0) >= (rs.metadata?.generation ?? 1);
    let started = Date.now();
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await createObject(client, coreResources.replicaSets, rsOf(i, 'old', r));
        await createObject(client, coreResources.replicaSets, rsOf(i, 'new', 0));
        await settled(`floor-${i}-old`, available(r));
      }),
    );
    const deployS = (Date.now() - started) / 1000;
    started = Date.now();
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        for (let k = 1; k <= r; k++) {
          const target = (role: string) => ({
            resource: coreResources.replicaSets,
            namespace: NAMESPACE,
            name: `floor-${i}-${role}`,
          });
          await Promise.all([
            mergePatch(client, target('new'), { spec: { replicas: k } }),
            mergePatch(client, target('old'), { spec: { replicas: r - k } }),
          ]);
          await Promise.all([
            settled(`floor-${i}-new`, available(k)),
            settled(`floor-${i}-old`, down(r - k)),
          ]);
        }
      }),
    );
    return {
      'floor: first deploy, ReplicaSets created to all available (s)': deployS,
      [`floor: ${r} scale steps (new +1, old -1) to all settled (s)`]: (Date.now() - started) / 1000,
    };
  } finally {
    caches.stop();
    await discardCluster(bench);
  }
}

type WatchedRollout = KubeObject & {
  status?: { phase?: string; stableRS?: string; currentPodHash?: string };
};

/**
 * Each Rollout's own update time, seen by a watch of the bench's: from the first event that
 * shows its new spec (a generation past the one it had when the watch started) to the first
 * that shows it Healthy on a stable hash other than `old`'s. "Update to all Healthy" also counts
 * the client sending the change to one Rollout after the other (kubectl apply) and the 2 s
 * polling; this is what one team waiting on its own Rollout sees. Call before the change.
 */
async function watchEachUpdate(bench: Bench, old: Map<string, string>): Promise<{ stop(): number[] }> {
  const client = new RestClient(loadKubeConfig({ path: bench.cluster.kubeconfigPath }).kubeConfig);
  const caches = new InformerCache(client, { onError: () => {} });
  const generation = new Map<string, number>();
  const changedAt = new Map<string, number>();
  const seconds = new Map<string, number>();
  const see = (ro: WatchedRollout) => {
    const name = ro.metadata?.name ?? '';
    const gen = Number(ro.metadata?.generation ?? 0);
    const known = generation.get(name);
    if (known === undefined) {
      generation.set(name, gen);
      return;
    }
    if (!changedAt.has(name)) {
      if (gen > known) changedAt.set(name, Date.now());
      else return;
    }
    const s = ro.status;
    if (
      !seconds.has(name) &&
      s?.phase === 'Healthy' &&
      s.stableRS !== undefined &&
      s.stableRS === s.currentPodHash &&
      s.stableRS !== old.get(name)
    ) {
      seconds.set(name, (Date.now() - (changedAt.get(name) ?? 0)) / 1000);
    }
  };
  const informer = caches.informer<WatchedRollout>(ROLLOUTS, { namespace: NAMESPACE });
  informer.addHandlers({ add: see, update: (_previous, ro) => see(ro) });
  informer.start();
  await informer.waitForSync(60_000);
  return {
    stop() {
      caches.stop();
      return [...seconds.values()];
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function runIdle(product: Product, argo: string): Promise<Figures> {
  const m = settings.idle;
  const bench = await freshCluster(product, argo);
  const steps = [{ setWeight: 50 }, { pause: { duration: 0 } }];
  const manifests = (image: (i: number) => string) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: Array.from({ length: m }, (_, i) =>
        rolloutManifest(`idle-${i}`, 1, image(i), steps, { burst: i < settings.burst ? 'yes' : 'no' }),
      ),
    });
  // create, not apply: one request per Rollout instead of a GET and a create, which at
  // 10,000 takes minutes (nothing applies these manifests again; the burst patches them).
  bench.kubectl(
    ['create', '-f', '-'],
    manifests(() => 'web:1'),
  );
  let controller = await startFirstController(product, bench, argo);
  const rssSplit = sampleRssSplit(controller.pid ?? 0);
  try {
    const started = Date.now();
    const first = await waitAllHealthy(bench, controller, m, `${product} idle first deploy`);
    const deployS = (Date.now() - started) / 1000;
    const deployCpuS = usageOf(controller.pid ?? 0).cpuSeconds;

    say(`${product}: idle for ${settings.idleSeconds} s`);
    // Idle means idle: 10 s with no request but Lease renewals (at most 5 minutes; a
    // controller still working through its backlog is not idle yet).
    await waitQuiet(bench, started, 10_000, 300_000);
    const idleFrom = Date.now();
    const cpuBefore = usageOf(controller.pid ?? 0).cpuSeconds;
    await sleep(settings.idleSeconds * 1000);
    const idleTo = Date.now();
    const idleUsage = usageOf(controller.pid ?? 0);
    const idleMinutes = (idleTo - idleFrom) / 60_000;

    // Burst: B Rollouts get a new image at once, each by its own JSON patch sent in parallel
    // through RestClient (no kubectl start-up in the measure); latency runs from each patch's
    // send to the watch event that shows that Rollout with a new status.currentPodHash (a watch
    // on burst=yes, no polling). Clients of 8 patches each, their connections opened (by 8
    // GETs at once) before the burst: RestClient keeps 8 idle sockets, and 50 TLS handshakes
    // at the moment of the burst would be measured as the controller's time.
    const kubeConfig = loadKubeConfig({ path: bench.cluster.kubeconfigPath }).kubeConfig;
    const clients = Array.from({ length: Math.ceil(settings.burst / 8) }, () => new RestClient(kubeConfig));
    const watcher = new RestClient(kubeConfig);
    const caches = new InformerCache(watcher, { onError: () => {} });
    const sentAt = new Map<string, number>();
    const answeredAt = new Map<string, number>();
    const latency = new Map<string, number>();
    let finished: () => void = () => {};
    const allSeen = new Promise<void>((done) => {
      finished = done;
    });
    const see = (ro: { metadata?: { name?: string }; status?: { currentPodHash?: string } }) => {
      const name = ro.metadata?.name ?? '';
      const at = sentAt.get(name);
      const hash = ro.status?.currentPodHash;
      if (at === undefined || latency.has(name) || !hash || hash === first.get(name)) return;
      latency.set(name, (Date.now() - at) / 1000);
      if (latency.size === settings.burst) finished();
    };
    let latencies: number[] = [];
    let answers: number[] = [];
    try {
      const watched = caches.informer<KubeObject & { status?: { currentPodHash?: string } }>(ROLLOUTS, {
        namespace: NAMESPACE,
        labelSelector: 'burst=yes',
      });
      watched.addHandlers({ add: see, update: (_old, ro) => see(ro) });
      watched.start();
      await watched.waitForSync(60_000);
      await Promise.all(
        clients.flatMap((c) =>
          Array.from({ length: 8 }, () => c.get(coreResources.namespaces, undefined, NAMESPACE)),
        ),
      );
      const patches = Array.from({ length: settings.burst }, async (_, i) => {
        const name = `idle-${i}`;
        sentAt.set(name, Date.now());
        await jsonPatch(
          clients[Math.floor(i / 8)] ?? watcher,
          { resource: ROLLOUTS, namespace: NAMESPACE, name },
          [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'web:2' }],
        );
        answeredAt.set(name, Date.now());
      });
      await Promise.all(patches);
      const timedOut = await Promise.race([
        allSeen.then(() => false),
        // Unref: a pending 10-minute timer would keep the process alive after the table.
        sleep(600_000, undefined, { ref: false }).then(() => true),
      ]);
      if (timedOut) throw new Error(`${product}: burst did not finish in 10 minutes`);
      latencies = [...latency.values()];
      answers = [...answeredAt].map(([name, at]) => (at - (sentAt.get(name) ?? at)) / 1000);
    } finally {
      caches.stop();
    }
    // Exited on its own before the planned restart below (nothing restarts it here): a crash.
    const crashed = controller.exitCode !== null || controller.signalCode !== null;
    const peakRssMiB = crashed ? Number.NaN : usageOf(controller.pid ?? 0).peakRssMiB;
    const split = rssSplit.stop();

    if (!crashed) await waitAllHealthy(bench, controller, m, `${product} after the burst`, undefined);
    // After the peak RSS above, so the scrapes' buffers do not change that figure.
    const scrape = crashed ? undefined : await scrapeCost(controller, product);

    // Start-up: stop, drop the Lease (a standby would otherwise wait out its 15 s), start again.
    await stopController(controller);
    bench.kubectl(['delete', 'leases', '--all', '-n', LEASE_NAMESPACE, '--wait=true']);
    await sleep(2500);
    const restartAt = Date.now();
    controller = await startController(product, bench, argo);
    let leaseAt = 0;
    let listAt = 0;
    const deadline = Date.now() + 300_000;
    while ((leaseAt === 0 || listAt === 0) && Date.now() < deadline) {
      await sleep(1500);
      const after = auditEntries(bench.auditLog).filter((e) => e.at >= restartAt);
      leaseAt ||=
        after.find(
          (e) => e.resource === 'leases' && (e.verb === 'create' || e.verb === 'update') && e.code < 300,
        )?.at ?? 0;
      listAt ||= after.find((e) => e.resource === 'rollouts' && e.verb === 'list' && e.code === 200)?.at ?? 0;
    }
    await sleep(2500);
    const idle = count(auditEntries(bench.auditLog), idleFrom, idleTo);
    say(
      `${product}: idle window requests by kind: ${breakdown(auditEntries(bench.auditLog), idleFrom, idleTo)}`,
    );
    return {
      [`idle ${m}: process start to all Healthy (s)`]: deployS,
      [`idle ${m}: CPU, process start to all Healthy (s)`]: deployCpuS,
      [`idle ${m}: API requests/min`]: idle.requests / idleMinutes,
      [`idle ${m}: Lease requests/min (GET + writes)`]: (idle.leaseReads + idle.leaseWrites) / idleMinutes,
      [`idle ${m}: CPU (% of a core)`]:
        ((idleUsage.cpuSeconds - cpuBefore) / ((idleTo - idleFrom) / 1000)) * 100,
      [`idle ${m}: RSS (MiB)`]: idleUsage.rssMiB,
      [`idle ${m}: peak RSS, deploy to after the burst (MiB)`]: peakRssMiB,
      [`idle ${m}: peak anonymous RSS (MiB)`]: crashed ? Number.NaN : split.anonMiB,
      [`idle ${m}: peak file-backed RSS (MiB)`]: crashed ? Number.NaN : split.fileMiB,
      [`idle ${m}: controller exits before the planned restart`]: crashed ? 1 : 0,
      [`idle ${m}: /metrics scrape CPU (ms)`]: scrape?.cpuMs ?? Number.NaN,
      [`idle ${m}: /metrics scrape time p50 (s)`]: scrape?.seconds ?? Number.NaN,
      [`idle ${m}: /metrics size (KiB)`]: scrape ? scrape.bytes / 1024 : Number.NaN,
      [`idle ${m}: /metrics samples`]: scrape?.samples ?? Number.NaN,
      [`burst ${settings.burst} of ${m}: patch -> new currentPodHash p50 (s)`]: percentile(latencies, 50),
      [`burst ${settings.burst} of ${m}: p99 (s)`]: percentile(latencies, 99),
      [`burst ${settings.burst} of ${m}: max (s)`]: Math.max(...latencies),
      [`burst ${settings.burst} of ${m}: patch send -> answer p50 (s)`]: percentile(answers, 50),
      [`start-up at ${m}: process start -> Lease held (s)`]: leaseAt
        ? (leaseAt - restartAt) / 1000
        : Number.NaN,
      [`start-up at ${m}: process start -> first LIST of Rollouts (s)`]: listAt
        ? (listAt - restartAt) / 1000
        : Number.NaN,
      [`idle ${m}: 409 conflicts, whole run`]: count(auditEntries(bench.auditLog)).conflicts,
    };
  } finally {
    rssSplit.stop();
    await stopController(controller);
    await discardCluster(bench);
  }
}

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function fmt(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  return Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 10
      ? value.toFixed(1)
      : value.toFixed(2);
}

async function main(): Promise<void> {
  // The controller as `npm run build` makes it: tsc, then the one-file controller bundle.
  for (const args of [
    [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    [join(PACKAGE_ROOT, 'scripts', 'bundle-controller.mjs')],
  ]) {
    execFileSync(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: 'inherit' });
  }
  const argo = settings.products.some((p) => !isSlipway(p)) ? argoDir() : '';
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const loadSeen: string[] = [load()];
  const results: Record<Product, Figures[]> = {
    slipway: [],
    'slipway-variant': [],
    argo: [],
    'argo-raised': [],
  };
  const floor: Figures[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    if (settings.workloads.includes('floor')) {
      say(`round ${round}: floor (no controller) (load ${load()})`);
      try {
        floor.push(await runFloor());
        say(`round ${round} floor: ${JSON.stringify(floor.at(-1))}`);
      } catch (error) {
        say(`round ${round}: floor failed: ${(error as Error).message}`);
      }
    }
    // Alternate: each round runs the products in the opposite order of the one before.
    const order = round % 2 === 1 ? settings.products : [...settings.products].reverse();
    for (const product of order) {
      const figures: Figures = {};
      for (const workload of settings.workloads.filter((w) => w !== 'floor')) {
        say(`round ${round}: ${product} ${workload} (load ${load()})`);
        try {
          Object.assign(
            figures,
            workload === 'canary' ? await runCanary(product, argo) : await runIdle(product, argo),
          );
        } catch (error) {
          // One failed run leaves its figures out (n/a) rather than losing the whole table.
          say(`round ${round}: ${product} ${workload} failed: ${(error as Error).message}`);
        }
      }
      results[product].push(figures);
      say(`round ${round} ${product}: ${JSON.stringify(figures)}`);
      loadSeen.push(load());
    }
  }
  const names = [...new Set(PRODUCTS.flatMap((p) => results[p].flatMap((f) => Object.keys(f))))];
  const label: Record<Product, string> = {
    argo: 'Argo default',
    'argo-raised': `Argo --qps ${settings.raisedQps} --burst ${settings.raisedBurst}`,
    slipway: 'Slipway',
    'slipway-variant':
      `Slipway ${flags['variant-entry'] ?? ''} ${flags['variant-node-flags'] ?? ''} ${flags['variant-env']}`.trim(),
  };
  const shown = PRODUCTS.filter((p) => settings.products.includes(p)).sort(
    (a, b) => (a === 'slipway' ? 1 : 0) - (b === 'slipway' ? 1 : 0),
  );
  const baselines = settings.products.includes('slipway') ? shown.filter((p) => p !== 'slipway') : [];
  const lines = [
    `Slipway vs Argo Rollouts v1.10.2, ${settings.rounds} round(s), fresh cluster per run, requests from the audit log`,
    `canary: ${settings.rollouts} x ${settings.replicas} replicas, 6 steps; idle: ${settings.idle} x 1, burst ${settings.burst}, idle window ${settings.idleSeconds} s`,
    `machine load average (1/5/15 min) at each run: ${loadSeen.join(' | ')}`,
    '',
    `| figure | ${shown.map((p) => label[p]).join(' | ')} |${baselines.map((b) => ` Slipway / ${label[b]} (spread) |`).join('')}`,
    `|---|${shown.map(() => '---|').join('')}${baselines.map(() => '---|').join('')}`,
  ];
  for (const name of names) {
    const values = (p: Product) => results[p].map((f) => f[name] ?? Number.NaN);
    const cells = shown.map((p) => values(p).map(fmt).join(' / '));
    const ratioCells = baselines.map((b) => {
      const a = values(b);
      const ratios = values('slipway')
        .map((v, i) => v / (a[i] ?? Number.NaN))
        .filter((r) => Number.isFinite(r));
      const spread = ratios.length > 1 ? ` (${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))})` : '';
      return ratios.length ? `${fmt(median(ratios))}×${spread}` : 'n/a';
    });
    lines.push(`| ${name} | ${[...cells, ...ratioCells].join(' | ')} |`);
  }
  if (floor.length > 0) {
    lines.push('', `floor (no controller, ${settings.rollouts} x ${settings.replicas}; each round):`, '');
    for (const name of Object.keys(floor[0] ?? {})) {
      lines.push(`- ${name}: ${floor.map((f) => fmt(f[name] ?? Number.NaN)).join(' / ')}`);
    }
  }
  const kindNames = [...new Set(PRODUCTS.flatMap((p) => canaryKinds[p].flatMap((f) => Object.keys(f))))];
  if (kindNames.length > 0) {
    const perRun = (p: Product, name: string) =>
      canaryKinds[p].map((f) => fmt(f[name] ?? 0)).join(' / ') || 'n/a';
    const total = (name: string) =>
      shown.reduce((sum, p) => sum + canaryKinds[p].reduce((s, f) => s + (f[name] ?? 0), 0), 0);
    lines.push(
      '',
      'canary update window: requests per rollout update by verb, resource, code (each round)',
      '',
      `| request | ${shown.map((p) => label[p]).join(' | ')} |`,
      `|---|${shown.map(() => '---|').join('')}`,
      ...kindNames
        .sort((a, b) => total(b) - total(a))
        .map(
          (name) =>
            `| ${name.replace('update requests per rollout: ', '')} | ${shown.map((p) => perRun(p, name)).join(' | ')} |`,
        ),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
