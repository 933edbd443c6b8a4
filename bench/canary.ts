// Benchmark: N Rollouts of 5 replicas, each through a 4-step canary with 0 s pauses, on the
// local control plane, against the real `slipway controller` process. Prints wall time to
// all Healthy (first deploy, then the canary update), the controller's peak RSS and CPU
// seconds, and API requests per completed rollout.
//
//   npx tsx bench/canary.ts [--rollouts 200]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort, startControlPlane } from '../src/localcluster/control-plane.js';
import { CRD_DIR, PACKAGE_ROOT } from '../src/package-paths.js';

const { values: flags } = parseArgs({ options: { rollouts: { type: 'string', default: '200' } } });
const count = Number(flags.rollouts);
if (!Number.isInteger(count) || count < 1)
  throw new Error(`--rollouts must be a whole number >= 1, got '${flags.rollouts}'`);
const namespace = 'bench';

function rolloutManifest(i: number, image: string): unknown {
  const name = `bench-${i}`;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace },
    spec: {
      replicas: 5,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
      strategy: {
        canary: {
          steps: [
            { setWeight: 25 },
            { pause: { duration: 0 } },
            { setWeight: 75 },
            { pause: { duration: 0 } },
          ],
        },
      },
    },
  };
}

/** Peak RSS (VmHWM) in MiB and CPU seconds (user + system) of a process, from /proc. */
function processUsage(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRssMiB: hwm / 1024, cpuSeconds: ticks / 100 };
}

async function apiRequests(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('controller_clientset_k8s_request_total{')) total += Number(line.split(' ').pop());
  }
  return total;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
  const say = (line: string) => process.stderr.write(`[bench canary] ${line}\n`);
  const cluster = await startControlPlane({ dataDir, nodes: 4, log: say });
  const kubectl = (args: string[], input?: string) =>
    execFileSync(cluster.binaries.kubectl, ['--kubeconfig', cluster.kubeconfigPath, ...args], {
      encoding: 'utf8',
      input,
      maxBuffer: 256 * 1024 * 1024,
    });
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const controller = spawn(
    process.execPath,
    [
      join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js'),
      'controller',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--bind-address',
      '127.0.0.1',
      '--healthz-port',
      String(healthPort),
      '--metrics-port',
      String(metricsPort),
      '--loglevel',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    kubectl(['apply', '--server-side', '-f', CRD_DIR]);
    kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
    kubectl(['create', 'namespace', namespace]);

    const applyAll = (image: string) => {
      const list = {
        apiVersion: 'v1',
        kind: 'List',
        items: Array.from({ length: count }, (_, i) => rolloutManifest(i, image)),
      };
      kubectl(['apply', '-f', '-'], JSON.stringify(list));
    };
    const waitAllHealthy = async (what: string, hashNot?: Set<string>): Promise<Set<string>> => {
      for (;;) {
        const list = JSON.parse(kubectl(['get', 'rollouts', '-n', namespace, '-o', 'json'])) as {
          items: { status?: { phase?: string; stableRS?: string; currentPodHash?: string } }[];
        };
        const done = list.items.filter(
          (r) =>
            r.status?.phase === 'Healthy' &&
            r.status.stableRS === r.status.currentPodHash &&
            !(hashNot && r.status.stableRS && hashNot.has(r.status.stableRS)),
        );
        if (done.length === count) return new Set(done.map((r) => r.status?.stableRS ?? ''));
        say(`${what}: ${done.length}/${count} Healthy`);
        await sleep(2000);
      }
    };

    await sleep(1000);
    let started = Date.now();
    applyAll('web:1');
    const firstHashes = await waitAllHealthy('first deploy');
    const deploySeconds = (Date.now() - started) / 1000;
    const requestsAfterDeploy = await apiRequests(metricsPort);

    started = Date.now();
    applyAll('web:2');
    await waitAllHealthy('canary update', firstHashes);
    const updateSeconds = (Date.now() - started) / 1000;
    const requestsTotal = await apiRequests(metricsPort);
    const usage = processUsage(controller.pid ?? 0);

    const out = [
      `rollouts: ${count} x 5 replicas, canary steps: setWeight 25, pause 0s, setWeight 75, pause 0s`,
      `first deploy to all Healthy: ${deploySeconds.toFixed(1)} s`,
      `canary update to all Healthy: ${updateSeconds.toFixed(1)} s`,
      `controller peak RSS: ${usage.peakRssMiB.toFixed(0)} MiB`,
      `controller CPU: ${usage.cpuSeconds.toFixed(1)} s`,
      `API requests per rollout: first deploy ${(requestsAfterDeploy / count).toFixed(1)}, canary update ${((requestsTotal - requestsAfterDeploy) / count).toFixed(1)}`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    controller.kill('SIGTERM');
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
