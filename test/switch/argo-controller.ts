// The real Argo Rollouts controller (built from its Go module by test/cluster/build-binaries.sh
// argo-rollouts) as a child process, for the controller switch tier.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { cacheDir } from '../../src/localcluster/binaries.js';
import { freePort } from '../../src/localcluster/control-plane.js';
import { CLUSTER_ASSETS_DIR } from '../../src/package-paths.js';
import { startTestController, type TestController } from '../e2e/support/controller.js';
import { kubectl } from '../e2e/support/kubectl.js';

function argoVersion(): string {
  const text = readFileSync(join(CLUSTER_ASSETS_DIR, 'versions.env'), 'utf8');
  const version = /^ARGO_ROLLOUTS_VERSION=(\S+)$/m.exec(text)?.[1];
  if (!version) throw new Error('test/cluster/versions.env: ARGO_ROLLOUTS_VERSION is missing');
  return version;
}

/** Builds the controller on first use (cold: many minutes) and returns its path. */
export function ensureArgoController(): string {
  execFileSync('bash', [join(CLUSTER_ASSETS_DIR, 'build-binaries.sh'), 'argo-rollouts'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return join(cacheDir(), 'bin', `argo-rollouts-v${argoVersion()}`, 'rollouts-controller');
}

export { freePort };

export interface ArgoController {
  readonly metricsPort: number;
  /** SIGTERM, then wait for the process to exit (it releases its Lease on the way). */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Argo Rollouts for one namespace, with leader election on its own Lease in that namespace. */
export async function startArgoController(options: {
  binary: string;
  kubeconfig: string;
  namespace: string;
  logFile: string;
}): Promise<ArgoController> {
  const metricsPort = await freePort();
  const healthzPort = await freePort();
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(
    options.binary,
    [
      '--kubeconfig',
      options.kubeconfig,
      '--namespaced',
      '--namespace',
      options.namespace,
      '--metricsPort',
      String(metricsPort),
      '--healthzPort',
      String(healthzPort),
      '--loglevel',
      'info',
      '--logformat',
      'json',
    ],
    // The Lease and the notifications ConfigMap are looked up in POD_NAMESPACE.
    { env: { ...process.env, POD_NAMESPACE: options.namespace }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    metricsPort,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      running.delete(child);
      log.end();
    },
  };
}

/**
 * The frame of a tier file that runs one scenario under each controller: a fresh namespace and
 * log directory, Argo Rollouts' controller for one run (stopped after it, which frees its
 * Lease), then `slipway controller` for the next.
 */
export function useBothControllers(prefix: string) {
  const namespace = `${prefix}-${Date.now().toString(36)}`;
  const logDir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  let binary = '';
  let argo: ArgoController | undefined;
  let slipway: TestController | undefined;
  beforeAll(() => {
    binary = ensureArgoController();
    kubectl(['create', 'namespace', namespace]);
  });
  afterAll(async () => {
    await argo?.stop();
    await slipway?.shutdown();
  });
  return {
    namespace,
    logDir,
    async underArgo<T>(scenario: () => Promise<T>): Promise<T> {
      argo = await startArgoController({
        binary,
        kubeconfig: inject('kubeconfig'),
        namespace,
        logFile: join(logDir, 'argo.log'),
      });
      const outcome = await scenario();
      await argo.stop();
      argo = undefined;
      return outcome;
    },
    async underSlipway<T>(scenario: () => Promise<T>): Promise<T> {
      slipway = await startTestController(namespace);
      return scenario();
    },
  };
}

/** rollout_reconcile_count by `namespace/name` from Prometheus text. */
export function reconcileCounts(metricsText: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('rollout_reconcile_count{')) continue;
    const name = /[{,]name="([^"]*)"/.exec(line)?.[1];
    const namespace = /[{,]namespace="([^"]*)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (name !== undefined && namespace !== undefined) counts.set(`${namespace}/${name}`, value);
  }
  return counts;
}
