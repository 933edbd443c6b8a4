// What test files start and stop around their tests: Slipway's processes run inside the test
// process (where a test reads their metrics or leader state directly), and the afterAll that
// stops a file's servers and removes its namespace and work directory.
import { rmSync } from 'node:fs';
import { inject } from 'vitest';
import {
  type GitSyncProcess,
  type GitSyncProcessOptions,
  startGitSyncProcess,
} from '../../../src/gitsync/process.js';
import { loadKubeConfig } from '../../../src/kube/config.js';
import { createLogger } from '../../../src/process/logger.js';
import { kubectl } from './kubectl.js';

/**
 * The options a controller or git-sync started in the test process gets: the e2e cluster, this
 * namespace only, no Lease, ephemeral loopback ports, and a quiet log (SLIPWAY_E2E_LOGLEVEL=debug
 * for more). Spread it and override what a test needs otherwise.
 */
export function inProcessOptions(component: 'controller' | 'git-sync', namespace: string) {
  return {
    kubeConfig: loadKubeConfig({ path: inject('kubeconfig') }).kubeConfig,
    logger: createLogger(component, process.env.SLIPWAY_E2E_LOGLEVEL === 'debug' ? 'debug' : 'warn'),
    namespace,
    leaderElection: false,
    leaderElectionNamespace: namespace,
    bindAddress: '127.0.0.1',
    healthPort: 0,
    metricsPort: 0,
  };
}

/** git-sync in the test process, for the tests' plain-HTTP Git servers on loopback. */
export function startInProcessGitSync(
  namespace: string,
  workDir: string,
  options: Partial<GitSyncProcessOptions> = {},
): Promise<GitSyncProcess> {
  return startGitSyncProcess({
    ...inProcessOptions('git-sync', namespace),
    workDir,
    allowHttpRepositories: true,
    ...options,
  });
}

/** Something a test file started: a server, fixture or process, or how to stop it. */
export type Started =
  | { stop(): Promise<unknown> }
  | { shutdown(): Promise<unknown> }
  | (() => unknown)
  | undefined;

/**
 * The afterAll of a file: stops what it started, in the order given (processes before the
 * servers they talk to), then deletes its namespace without waiting and its work directory
 * (kept with SLIPWAY_KEEP_E2E_DATA, to read after a failure).
 */
export async function tearDown(
  started: Started[],
  cleanUp: { namespace?: string; root?: string },
): Promise<void> {
  for (const s of started) {
    if (s === undefined) continue;
    if (typeof s === 'function') await s();
    else await ('stop' in s ? s.stop() : s.shutdown());
  }
  if (cleanUp.namespace)
    kubectl(['delete', 'namespace', cleanUp.namespace, '--wait=false', '--ignore-not-found']);
  if (cleanUp.root && !process.env.SLIPWAY_KEEP_E2E_DATA) {
    rmSync(cleanUp.root, { recursive: true, force: true });
  }
}
