// Profiles one idle controller: N Rollouts of 1 replica on a fresh local control plane, then
// RSS, heap and CPU while idle, a heap snapshot and a CPU profile of the idle window. For
// finding what wakes an idle controller up and what holds its memory; not part of `npm test`.
//
//   npx tsx bench/profile-idle.ts [--rollouts 500] [--idle-seconds 60] [--out /tmp/slipway-profile]
//     [--leader-elect on] ['--variants=FLAGS;FLAGS'] [--profile off]
//
// Each idle window is reported with its CPU split by thread (the main thread, V8's workers: GC
// and compilation, the rest), V8's GCs by kind (count and time), and the API requests made.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort, startControlPlane } from '../src/localcluster/control-plane.js';
import { CRD_DIR, PACKAGE_ROOT } from '../src/package-paths.js';
import { imageRuntime } from './image-runtime.js';
import { threadCpu } from './proc.js';

const { values } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '500' },
    'idle-seconds': { type: 'string', default: '60' },
    out: { type: 'string', default: join(tmpdir(), 'slipway-profile') },
    // Node flag sets to compare, ';'-separated: after the profiled run, each one starts a
    // controller on the same (settled) cluster and reports its idle RSS and CPU.
    // A token NAME=value sets an environment variable (e.g. MALLOC_ARENA_MAX=2) instead;
    // SLIPWAY_ENTRY=<slipway.js> runs another build (a copy of dist/ inside this checkout).
    variants: { type: 'string', default: '' },
    // How long each variant runs before its idle window (start-up compiles for a while).
    'variant-settle-seconds': { type: 'string', default: '30' },
    // Off: the first controller runs without --cpu-prof and no heap snapshot is taken.
    profile: { type: 'string', default: 'on' },
    // On: the controllers hold a Lease (renewed every 2 s) as in `npm run bench`.
    'leader-elect': { type: 'string', default: 'off' },
    // Node flags of the profiled controller; the image's (Dockerfile ENTRYPOINT) by default.
    'node-flags': { type: 'string', default: imageRuntime().flags.join(' ') },
  },
});
const n = Number(values.rollouts);
const idleSeconds = Number(values['idle-seconds']);
const out = values.out ?? '';
mkdirSync(out, { recursive: true });
const say = (line: string) => process.stderr.write(`[profile] ${line}\n`);

/** What the process did in a window: GCs by kind and API requests, from its /metrics. */
async function counters(metricsPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const sums = new Map<string, number>();
  const add = (key: string, value: number) => sums.set(key, (sums.get(key) ?? 0) + value);
  for (const [, what = '', kind = '', value = ''] of text.matchAll(
    /^nodejs_gc_duration_seconds_(count|sum)\{kind="(\w+)"\} (\S+)$/gm,
  )) {
    add(`gc ${what} ${kind}`, Number(value));
  }
  for (const [, verb = '', kind = '', value = ''] of text.matchAll(
    /^controller_clientset_k8s_request_total\{verb="(\w+)",kind="([\w.]+)"[^}]*\} (\S+)$/gm,
  )) {
    add(`requests ${verb} ${kind}`, Number(value));
  }
  return sums;
}

/**
 * One idle window: CPU by thread, GCs and requests, e.g. `all 0.15 % (480 runs/min), MainThread ...`.
 * The two /metrics scrapes it reads counters from lie outside the CPU window: rendering the
 * per-Rollout series is work an idle controller does only when scraped (at 10,000 Rollouts
 * about 40 ms of CPU a scrape, bench/metrics-scrape.ts), so counting them would make the idle
 * figure partly scrape cost.
 */
async function idleWindow(
  pid: number,
  metricsPort: number,
  seconds: number,
): Promise<{ cpuPercent: number; summary: string }> {
  const countersBefore = await counters(metricsPort);
  const threadsBefore = threadCpu(pid);
  await sleep(seconds * 1000);
  const threadsAfter = threadCpu(pid);
  const countersAfter = await counters(metricsPort);
  const percent = (cpu: number) => `${((cpu / seconds) * 100).toFixed(3)} %`;
  const zero = { cpu: 0, runs: 0 };
  const used = [...threadsAfter].map(([name, now]) => {
    const then = threadsBefore.get(name) ?? zero;
    return { name, cpu: now.cpu - then.cpu, runs: now.runs - then.runs };
  });
  const total = used.reduce((sum, t) => ({ cpu: sum.cpu + t.cpu, runs: sum.runs + t.runs }), zero);
  const threads = [
    { ...total, name: 'all' },
    ...used.filter((t) => t.cpu > 0).sort((a, b) => b.cpu - a.cpu),
  ].map((t) => `${t.name} ${percent(t.cpu)} (${((t.runs / seconds) * 60).toFixed(0)} runs/min)`);
  const delta = (key: string) => (countersAfter.get(key) ?? 0) - (countersBefore.get(key) ?? 0);
  const gcs = [...countersAfter.keys()]
    .filter((k) => k.startsWith('gc count ') && delta(k) > 0)
    .map((k) => {
      const kind = k.slice('gc count '.length);
      return `${kind} ${delta(k)} (${(delta(`gc sum ${kind}`) * 1000).toFixed(0)} ms)`;
    });
  const requests = [...countersAfter.keys()]
    .filter((k) => k.startsWith('requests ') && delta(k) > 0)
    .map((k) => `${k.slice('requests '.length)} ${delta(k)}`);
  return {
    cpuPercent: (total.cpu / seconds) * 100,
    summary: `threads: ${threads.join(', ')}; GCs: ${gcs.join(', ') || 'none'}; requests: ${requests.join(', ') || 'none'}`,
  };
}

function usage(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssMiB: kb('VmRSS') / 1024, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
}

/** Heap, per-space and external memory in MiB from the controller's /metrics (prom-client). */
async function memory(metricsPort: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const mib = (pattern: string) => {
    const value = new RegExp(`^${pattern} (\\S+)`, 'm').exec(text)?.[1];
    return value === undefined ? '?' : (Number(value) / 1048576).toFixed(0);
  };
  const spaces = ['new', 'old', 'code', 'large_object']
    .map(
      (s) =>
        `${s} ${mib(`nodejs_heap_space_size_used_bytes\\{space="${s}"\\}`)}/${mib(`nodejs_heap_space_size_total_bytes\\{space="${s}"\\}`)}`,
    )
    .join(', ');
  return `heap used ${mib('nodejs_heap_size_used_bytes')} / total ${mib('nodejs_heap_size_total_bytes')} (${spaces}), external ${mib('nodejs_external_memory_bytes')} MiB`;
}

const leaderElection =
  values['leader-elect'] === 'on' ? ['--leader-election-namespace', 'default'] : ['--no-leader-elect'];

const dataDir = mkdtempSync(join(tmpdir(), 'slipway-profile-'));
const cluster = await startControlPlane({ dataDir, nodes: 2 });
const kubectl = (args: string[], input?: string) =>
  execFileSync(cluster.binaries.kubectl, ['--kubeconfig', cluster.kubeconfigPath, ...args], {
    encoding: 'utf8',
    input,
    maxBuffer: 512 * 1024 * 1024,
  });
try {
  kubectl(['apply', '--server-side', '-f', CRD_DIR]);
  kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']);
  kubectl(['create', 'namespace', 'profile']);
  const items = Array.from({ length: n }, (_, i) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: `idle-${i}`, namespace: 'profile' },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: `idle-${i}` } },
      template: {
        metadata: { labels: { app: `idle-${i}` } },
        spec: { containers: [{ name: 'app', image: 'web:1' }] },
      },
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: { duration: 0 } }] } },
    },
  }));
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const [health, metrics] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      ...(values.profile === 'on' ? ['--cpu-prof', `--cpu-prof-dir=${out}`] : []),
      ...(values['node-flags'] ?? '').split(' ').filter(Boolean),
      '--heapsnapshot-signal=SIGUSR2',
      `--diagnostic-dir=${out}`,
      join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js'),
      'controller',
      '--kubeconfig',
      cluster.kubeconfigPath,
      ...leaderElection,
      '--bind-address',
      '127.0.0.1',
      '--healthz-port',
      String(health),
      '--metrics-port',
      String(metrics),
      '--loglevel',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], cwd: out, env: { ...process.env, ...imageRuntime().env } },
  );
  const pid = child.pid ?? 0;
  for (;;) {
    await sleep(3000);
    const healthy = kubectl([
      'get',
      'rollouts',
      '-n',
      'profile',
      '-o',
      'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}',
    ])
      .split('\n')
      .filter((p) => p === 'Healthy').length;
    const heap = await memory(metrics).catch(() => 'metrics not up');
    say(`${healthy}/${n} Healthy, RSS ${usage(pid).rssMiB.toFixed(0)} MiB, ${heap}`);
    if (healthy === n) break;
  }
  await sleep(20_000);
  const window = await idleWindow(pid, metrics, idleSeconds);
  const after = usage(pid);
  say(`idle ${n}: CPU ${window.cpuPercent.toFixed(3)} % of a core, RSS ${after.rssMiB.toFixed(0)} MiB`);
  say(`idle ${n}: ${window.summary}`);
  say(`idle ${n}: ${await memory(metrics)}`);
  if (values.profile === 'on') {
    child.kill('SIGUSR2');
    await sleep(15_000);
  }
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  say(`profiles in ${out}: ${readdirSync(out).join(', ')}`);

  for (const variant of (values.variants ?? '').split(';')) {
    if (values.variants === '') break;
    const tokens = variant.split(' ').filter(Boolean);
    const flags = tokens.filter((t) => !/^[A-Z_]+=/.test(t));
    const env = Object.fromEntries(
      tokens
        .filter((t) => /^[A-Z_]+=/.test(t))
        .map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
    );
    const [h, m] = [await freePort(), await freePort()];
    const c = spawn(
      process.execPath,
      [
        ...flags,
        // SLIPWAY_ENTRY=<path> in a variant starts another build (e.g. an older one) instead.
        env.SLIPWAY_ENTRY ?? join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js'),
        'controller',
        '--kubeconfig',
        cluster.kubeconfigPath,
        ...leaderElection,
        '--bind-address',
        '127.0.0.1',
        '--healthz-port',
        String(h),
        '--metrics-port',
        String(m),
        '--loglevel',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...imageRuntime().env, ...env } },
    );
    await sleep(Number(values['variant-settle-seconds']) * 1000);
    const window = await idleWindow(c.pid ?? 0, m, idleSeconds);
    const a = usage(c.pid ?? 0);
    const text = await (await fetch(`http://127.0.0.1:${m}/metrics`)).text();
    const metric = (name: string) =>
      (Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 1048576).toFixed(0);
    say(
      `variant '${variant}': idle CPU ${window.cpuPercent.toFixed(3)} %, RSS ${a.rssMiB.toFixed(0)} MiB, heap used ${metric('nodejs_heap_size_used_bytes')} / total ${metric('nodejs_heap_size_total_bytes')} MiB`,
    );
    say(`variant '${variant}': ${window.summary}`);
    c.kill('SIGTERM');
    await new Promise((done) => c.once('exit', done));
  }
} finally {
  await cluster.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
