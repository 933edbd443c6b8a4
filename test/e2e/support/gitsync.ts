// Runs `slipway git-sync` (from the sources, as the CLI) against the e2e cluster for one
// namespace, on ephemeral loopback ports, in its own process group so that a kill takes its git
// children with it, as a pod's death would.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { formatTime } from '../../../src/kube/timestamps.js';
import { freePort } from '../../../src/localcluster/control-plane.js';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';
import { kubectl } from './kubectl.js';
import { eventually } from './wait.js';

export interface TestGitSync {
  child: ChildProcess;
  /** stdout and stderr, as they came. */
  output: string[];
  ports: { health: number; metrics: number; webhook: number };
  /** Signals the process group and waits for the exit (no-op once exited). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface GitSyncOptions {
  namespace: string;
  workDir: string;
  /** A fixed webhook port (a registry's notifications point at it); a free one otherwise. */
  webhookPort?: number;
  /** More command-line flags. */
  args?: string[];
  /** More environment (SLIPWAY_WEBHOOK_SECRET, ...). */
  env?: Record<string, string>;
}

export async function startTestGitSync(options: GitSyncOptions): Promise<TestGitSync> {
  const ports = {
    health: await freePort(),
    metrics: await freePort(),
    webhook: options.webhookPort ?? (await freePort()),
  };
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(PACKAGE_ROOT, 'src', 'cmd', 'slipway.ts'),
      'git-sync',
      '--kubeconfig',
      inject('kubeconfig'),
      '--namespace',
      options.namespace,
      '--no-leader-elect',
      '--bind-address',
      '127.0.0.1',
      '--healthz-port',
      String(ports.health),
      '--metrics-port',
      String(ports.metrics),
      '--webhook-port',
      String(ports.webhook),
      '--work-dir',
      options.workDir,
      '--loglevel',
      'debug',
      // The tests' git servers speak plain HTTP on loopback.
      '--allow-http-repositories',
      ...(options.args ?? []),
    ],
    {
      cwd: PACKAGE_ROOT,
      detached: true,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const handle: TestGitSync = {
    child,
    output,
    ports,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      process.kill(-child.pid, signal);
      await exited;
    },
  };
  await eventually(
    'git-sync readiness',
    async () => {
      const response = await fetch(`http://127.0.0.1:${ports.health}/readyz`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    90_000,
  ).catch(async (error: Error) => {
    await handle.kill('SIGKILL');
    throw new Error(`${error.message}\n${output.join('')}`);
  });
  return handle;
}

/**
 * A GitTarget as YAML, for files that apply it beside ImageWatches: the main branch of `url`,
 * with the token Secret createRepoSecret makes; `more` adds spec fields, each a YAML flow value
 * (`secretRef: undefined` for a Git server without a token).
 */
export function gitTargetYaml(
  name: string,
  url: string,
  more: Record<string, string | undefined> = {},
): string {
  const spec = { url, branch: 'main', secretRef: '{name: repo-creds}', ...more };
  const fields = Object.entries(spec)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `  ${key}: ${value}\n`);
  return `apiVersion: slipway.dev/v1alpha1\nkind: GitTarget\nmetadata: {name: ${name}}\nspec:\n${fields.join('')}`;
}

/**
 * Asks git-sync for a sync of the GitTarget now, as the dashboard's "sync" does: the
 * slipway.dev/sync-requested-at annotation, a second ahead so it is newer than the last sync.
 */
export function requestSync(namespace: string, gitTarget: string): void {
  kubectl([
    'annotate',
    '--overwrite',
    '-n',
    namespace,
    'gittarget',
    gitTarget,
    `slipway.dev/sync-requested-at=${formatTime(Date.now() + 1000)}`,
  ]);
}
