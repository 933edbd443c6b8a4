// Starts the local control plane once for the e2e tier (building it on first use), or uses
// the cluster named by SLIPWAY_TEST_KUBECONFIG (kind, k3d or a real one), installs our CRDs
// and the other projects' test CRDs, and hands the kubeconfig path to the tests.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  type ControlPlaneComponent,
  type RunningControlPlane,
  startControlPlane,
} from '../../src/localcluster/control-plane.js';
import { CLUSTER_ASSETS_DIR, PACKAGE_ROOT } from '../../src/package-paths.js';
import { installTestCrds, kubectlBinary } from './support/kubectl.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    kubectl: string;
    /** POST <url>/<component>/stop|start stops or starts etcd or kube-apiserver; '' for another cluster. */
    controlPlaneUrl: string;
  }
}

/** Newest modification time of the TypeScript sources under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** Tests run the built CLI (`slipway controller`, ...): rebuild it when a source is newer. */
function ensureBuilt(log: (line: string) => void): void {
  const cli = join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js');
  let built = 0;
  try {
    built = statSync(cli).mtimeMs;
  } catch {
    // not built yet
  }
  if (built >= newestSource(join(PACKAGE_ROOT, 'src'))) return;
  log('dist/ is older than src/: building it (npm run build)');
  execFileSync(
    process.execPath,
    [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: PACKAGE_ROOT,
      stdio: 'inherit',
    },
  );
}

/**
 * On a cold cache, builds what later test files need (Helm 3 and 4, the Argo CD Lua harness) in
 * the background at low priority, beside the control plane's build and the first test files,
 * instead of inside those files one after another. The build scripts' per-component locks and
 * .complete markers make a file that needs a binary wait for the build in flight; on a warm
 * cache each script exits at once. Returns a stop for the teardown (the Go build cache keeps
 * what a stopped build compiled). SLIPWAY_E2E_PREFETCH=0 turns it off.
 */
function prefetchBinaries(log: (line: string) => void): () => void {
  if (process.env.SLIPWAY_E2E_PREFETCH === '0') return () => {};
  const logDir = join(tmpdir(), 'slipway-e2e-logs');
  mkdirSync(logDir, { recursive: true });
  const builds: [string, string[]][] = [
    ['helm', [join(CLUSTER_ASSETS_DIR, 'build-binaries.sh'), 'helm', 'helm4']],
    ['argocd-lua', [join(PACKAGE_ROOT, 'test', 'argocd', 'build-harness.sh')]],
  ];
  const children: ChildProcess[] = builds.map(([name, args]) => {
    const logPath = join(logDir, `prefetch-${name}-${process.pid}.log`);
    const out = openSync(logPath, 'w');
    const child = spawn('nice', ['-n', '10', 'bash', ...args], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) log(`background build of ${name} failed (${code}): see ${logPath}`);
    });
    return child;
  });
  return () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
}

/** Lets a test file (another process) stop and start components of the cluster this setup owns. */
function serveControl(cluster: RunningControlPlane): Promise<Server> {
  const server = createServer((req, res) => {
    const match = /^\/(etcd|kube-apiserver)\/(stop|start)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      res.writeHead(404).end();
      return;
    }
    const name = match[1] as ControlPlaneComponent;
    const done = match[2] === 'stop' ? cluster.stopComponent(name) : cluster.startComponent(name);
    done.then(
      () => res.writeHead(200).end('ok\n'),
      (error: Error) => res.writeHead(500).end(`${error.message}\n`),
    );
  });
  return new Promise((ready) => server.listen(0, '127.0.0.1', () => ready(server)));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[e2e setup] ${line}\n`);
  ensureBuilt(log);
  const stopPrefetch = prefetchBinaries(log);
  let kubeconfig = process.env.SLIPWAY_TEST_KUBECONFIG;
  let teardown = async (): Promise<void> => stopPrefetch();
  let controlPlaneUrl = '';
  if (kubeconfig) {
    log(`using the cluster of SLIPWAY_TEST_KUBECONFIG=${kubeconfig}`);
  } else {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-e2e-'));
    const started = Date.now();
    const cluster = await startControlPlane({ dataDir, log });
    log(
      `local control plane up in ${((Date.now() - started) / 1000).toFixed(1)}s (pids ${cluster.pids.join(' ')})`,
    );
    kubeconfig = cluster.kubeconfigPath;
    const control = await serveControl(cluster);
    const address = control.address();
    controlPlaneUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    teardown = async () => {
      stopPrefetch();
      control.close();
      await cluster.stop();
      if (!process.env.SLIPWAY_KEEP_E2E_DATA) rmSync(dataDir, { recursive: true, force: true });
    };
  }
  try {
    const kubectl = kubectlBinary();
    installTestCrds(kubectl, kubeconfig);
    project.provide('kubeconfig', kubeconfig);
    project.provide('kubectl', kubectl);
    project.provide('controlPlaneUrl', controlPlaneUrl);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
