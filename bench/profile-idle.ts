// Profiles one idle controller: N Rollouts of 1 replica on a fresh local control plane, then
// RSS, heap and CPU while idle, a heap snapshot and a CPU profile of the idle window. For
// finding what wakes an idle controller up and what holds its memory; not part of `npm test`.
//
//   npx tsx bench/profile-idle.ts [--rollouts 500] [--idle-seconds 60] [--out /tmp/slipway-profile]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort, startControlPlane } from '../src/localcluster/control-plane.js';
import { CRD_DIR, PACKAGE_ROOT } from '../src/package-paths.js';
import { imageRuntime } from './image-runtime.js';

const { values } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '500' },
    'idle-seconds': { type: 'string', default: '60' },
    out: { type: 'string', default: join(tmpdir(), 'slipway-profile') },
    // Node flag sets to compare, ';'-separated: after the profiled run, each one starts a
    // controller on the same (settled) cluster and reports its idle RSS and CPU.
    // A token NAME=value sets an environment variable (e.g. MALLOC_ARENA_MAX=2) instead.
    variants: { type: 'string', default: '' },
    // Off: the first controller runs without --cpu-prof and no heap snapshot is taken.
    profile: { type: 'string', default: 'on' },
    // Node flags of the profiled controller; the image's (Dockerfile ENTRYPOINT) by default.
    'node-flags': { type: 'string', default: imageRuntime().flags.join(' ') },
  },
});
const n = Number(values.rollouts);
const idleSeconds = Number(values['idle-seconds']);
const out = values.out ?? '';
mkdirSync(out, { recursive: true });
const say = (line: string) => process.stderr.write(`[profile] ${line}\n`);

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
      '--no-leader-elect',
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
  const before = usage(pid);
  await sleep(idleSeconds * 1000);
  const after = usage(pid);
  say(
    `idle ${n}: CPU ${(((after.cpuSeconds - before.cpuSeconds) / idleSeconds) * 100).toFixed(2)} % of a core, RSS ${after.rssMiB.toFixed(0)} MiB`,
  );
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
        join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js'),
        'controller',
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--no-leader-elect',
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
    await sleep(30_000);
    const b = usage(c.pid ?? 0);
    await sleep(idleSeconds * 1000);
    const a = usage(c.pid ?? 0);
    const text = await (await fetch(`http://127.0.0.1:${m}/metrics`)).text();
    const metric = (name: string) =>
      (Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 1048576).toFixed(0);
    say(
      `variant '${variant}': idle CPU ${(((a.cpuSeconds - b.cpuSeconds) / idleSeconds) * 100).toFixed(2)} %, RSS ${a.rssMiB.toFixed(0)} MiB, heap used ${metric('nodejs_heap_size_used_bytes')} / total ${metric('nodejs_heap_size_total_bytes')} MiB`,
    );
    c.kill('SIGTERM');
    await new Promise((done) => c.once('exit', done));
  }
} finally {
  await cluster.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
