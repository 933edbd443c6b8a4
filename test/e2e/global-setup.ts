// Starts the local control plane once for the e2e tier (building it on first use), or uses
// the cluster named by SLIPWAY_TEST_KUBECONFIG (kind, k3d or a real one), installs our CRDs
// and the other projects' test CRDs, and hands the kubeconfig path to the tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  type ControlPlaneComponent,
  type RunningControlPlane,
  startControlPlane,
} from '../../src/localcluster/control-plane.js';
import { PACKAGE_ROOT } from '../../src/package-paths.js';
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
  let kubeconfig = process.env.SLIPWAY_TEST_KUBECONFIG;
  let teardown = async (): Promise<void> => {};
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
