// `slipway dev`: one command to try Slipway locally. Starts the local control plane
// (building it the first time), installs the CRDs, runs the controller and git-sync (on a
// local Git repository) against it and prints commands that work as printed (an e2e test runs
// each of them). Logs go to files under the data dir (--stream-logs prints them instead).
// SIGINT, SIGTERM or SIGHUP, to this process alone or to its whole group, or the death of the
// parent (`npm run dev` killed), stop everything it started within 5 seconds.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { startGitSyncProcess } from '../gitsync/process.js';
import { loadKubeConfig } from '../kube/config.js';
import { cacheDir } from '../localcluster/binaries.js';
import { type RunningControlPlane, startControlPlane } from '../localcluster/control-plane.js';
import { createDevRepository, devGitTarget } from '../localcluster/dev-repository.js';
import { CLUSTER_ASSETS_DIR, CRD_DIR, PACKAGE_ROOT } from '../package-paths.js';
import { startControllerProcess } from '../process/controller-process.js';
import { CONTROLLERS } from '../process/controllers.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../process/logger.js';
import { parsePort } from './controller.js';

interface DevFlags {
  dataDir: string;
  nodes: number;
  healthzPort: number;
  metricsPort: number;
  gitSyncHealthzPort: number;
  gitSyncMetricsPort: number;
  loglevel: LogLevel;
  streamLogs?: boolean;
}

/** Whole shutdown budget; the issue's bar is 5 s from the signal to exit. */
const CLIENT_STOP_MS = 2000;
const HARD_EXIT_MS = 4500;
const PROCESS_GRACE_MS = 400;

export function devCommand(): Command {
  return new Command('dev')
    .description(
      'start a local Kubernetes control plane with the Slipway controller and git-sync on loopback',
    )
    .option(
      '--data-dir <dir>',
      'where the local cluster keeps its state and logs (wiped at start)',
      join(cacheDir(), 'dev'),
    )
    .option('--nodes <count>', 'number of fake (kwok) nodes', (v) => parsePositive(v, '--nodes'), 3)
    .option('--healthz-port <port>', 'port of the controller /healthz and /readyz', parsePort, 8080)
    .option('--metrics-port <port>', 'port of the controller /metrics', parsePort, 8090)
    .option('--git-sync-healthz-port <port>', 'port of git-sync /healthz and /readyz', parsePort, 8081)
    .option('--git-sync-metrics-port <port>', 'port of git-sync /metrics', parsePort, 8091)
    .option('--stream-logs', 'print the controller and git-sync JSON logs here instead of to files')
    .addOption(new Option('--loglevel <level>', 'controller log level').choices(LOG_LEVELS).default('info'))
    .action(async (flags: DevFlags) => {
      await runDev(flags);
    });
}

function parsePositive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number >= 1, got '${value}'`);
  return n;
}

/** Resolves on the first stop request: a signal, or the parent process going away. */
function stopRequests(say: (line: string) => void): { requested: Promise<string>; dispose(): void } {
  let resolveStop: (why: string) => void = () => {};
  const requested = new Promise<string>((resolve) => {
    resolveStop = resolve;
  });
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    const handler = () => resolveStop(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  // `npm run dev` runs us under `sh -c`; a signal to npm alone may end the shell without
  // reaching us, so a changed parent is a stop request too.
  const parent = process.ppid;
  const poll = setInterval(() => {
    if (process.ppid !== parent) resolveStop(`parent process ${parent} exited`);
  }, 500);
  poll.unref();
  requested.then((why) => {
    say(`stopping (${why}); this takes at most 5 s`);
    // Whatever is still starting or stopping by then is killed: process.exit runs the control
    // plane's exit hook, which SIGKILLs every process it started.
    setTimeout(() => {
      say('orderly stop took too long; killing what is left');
      process.exit(130);
    }, HARD_EXIT_MS).unref();
  });
  return {
    requested,
    dispose() {
      clearInterval(poll);
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    },
  };
}

/** Builds missing binaries in a child we can stop (a cold build takes 15-25 minutes). */
async function buildBinaries(say: (line: string) => void, stop: Promise<string>): Promise<boolean> {
  say('checking the cached Kubernetes, etcd and kwok binaries (a cold build prints its progress below)');
  const child = spawn('bash', [join(CLUSTER_ASSETS_DIR, 'build-binaries.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const outcome = await Promise.race([exited.then((code) => ({ code })), stop.then(() => undefined)]);
  if (!outcome) {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
    await exited;
    return false;
  }
  if (outcome.code !== 0) throw new Error(`building the local control plane failed (exit ${outcome.code})`);
  return true;
}

/** A directory for PATH with `kubectl` and the `kubectl-slipway` plugin of this checkout. */
function toolDir(dataDir: string, kubectl: string): string {
  const dir = join(dataDir, 'bin');
  mkdirSync(dir, { recursive: true });
  symlinkSync(kubectl, join(dir, 'kubectl'));
  const plugin = join(dir, 'kubectl-slipway');
  writeFileSync(
    plugin,
    `#!/bin/sh\nexec "${process.execPath}" "${join(PACKAGE_ROOT, 'dist', 'cmd', 'kubectl-slipway.js')}" "$@"\n`,
  );
  chmodSync(plugin, 0o755);
  const complete = join(dir, 'kubectl_complete-slipway');
  writeFileSync(
    complete,
    `#!/bin/sh\nexec "${process.execPath}" "${join(PACKAGE_ROOT, 'dist', 'cmd', 'kubectl_complete-slipway.js')}" "$@"\n`,
  );
  chmodSync(complete, 0o755);
  return dir;
}

/** The commands the banner prints; test/e2e/dev-banner.test.ts runs every one of them. */
export function bannerCommands(paths: { kubeconfig: string; toolDir: string; example: string }): string[] {
  return [
    `export KUBECONFIG=${paths.kubeconfig} PATH=${paths.toolDir}:$PATH`,
    `kubectl apply -f ${paths.example}`,
    'kubectl slipway status canary-demo',
    'kubectl slipway set image canary-demo app=nginx:1.27',
    'kubectl slipway get rollout canary-demo',
    'kubectl slipway promote canary-demo',
    'kubectl slipway status canary-demo',
    'kubectl get rollouts,replicasets,pods',
  ];
}

/** What each banner line does, printed after it (so the commands stay copy-pasteable). */
const BANNER_NOTES: Record<string, string> = {
  'kubectl slipway status canary-demo': 'waits until the Rollout is Healthy',
  'kubectl slipway get rollout canary-demo': 'the revision tree; add --watch to follow it live',
  'kubectl slipway promote canary-demo': 'once it is Paused at the 20% step',
};

async function runDev(flags: DevFlags): Promise<void> {
  const say = (line: string) => process.stderr.write(`[slipway dev] ${line}\n`);
  const started = Date.now();
  const stop = stopRequests(say);
  let cluster: RunningControlPlane | undefined;
  let controller: Awaited<ReturnType<typeof startControllerProcess>> | undefined;
  let gitSync: Awaited<ReturnType<typeof startGitSyncProcess>> | undefined;
  try {
    rmSync(flags.dataDir, { recursive: true, force: true });
    const logDir = join(flags.dataDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    if (!(await buildBinaries(say, stop.requested))) return;
    say('waiting for the local control plane (etcd, kube-apiserver, kwok nodes) to be ready');
    cluster = await startControlPlane({
      dataDir: flags.dataDir,
      nodes: flags.nodes,
      log: say,
      build: false,
      ownProcessGroup: true,
    });
    say('installing the CRDs and waiting for them to be Established');
    const kubectl = (args: string[], input?: string) =>
      execFileSync(
        cluster?.binaries.kubectl ?? 'kubectl',
        ['--kubeconfig', cluster?.kubeconfigPath ?? '', ...args],
        {
          input,
          stdio: [input ? 'pipe' : 'ignore', 'ignore', 'inherit'],
        },
      );
    kubectl(['apply', '--server-side', '-f', CRD_DIR]);
    kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
    const logFile = (name: string) =>
      flags.streamLogs ? undefined : pino.destination({ dest: join(logDir, `${name}.log`), sync: true });
    const { kubeconfigPath } = cluster;
    /** What both processes are started with: the cluster, their log, leader election, local ports. */
    const processOptions = (name: string) => ({
      kubeConfig: loadKubeConfig({ path: kubeconfigPath }).kubeConfig,
      logger: createLogger(name, flags.loglevel, logFile(name)),
      leaderElection: true,
      leaderElectionNamespace: 'default',
      bindAddress: '127.0.0.1',
    });
    say('starting the controller');
    controller = await startControllerProcess({
      ...processOptions('controller'),
      healthPort: flags.healthzPort,
      metricsPort: flags.metricsPort,
      controllers: CONTROLLERS,
    });
    say('creating the local Git repository and starting git-sync');
    const repository = createDevRepository(join(flags.dataDir, 'git'));
    kubectl(['apply', '-f', '-'], devGitTarget(repository.url, 'default'));
    gitSync = await startGitSyncProcess({
      ...processOptions('git-sync'),
      healthPort: flags.gitSyncHealthzPort,
      metricsPort: flags.gitSyncMetricsPort,
      workDir: join(flags.dataDir, 'git-sync'),
      // The dev repository is a local bare repository (file://), which only the operator may allow.
      allowLocalRepositories: true,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const commands = bannerCommands({
      kubeconfig: cluster.kubeconfigPath,
      toolDir: toolDir(flags.dataDir, cluster.binaries.kubectl),
      example: join(PACKAGE_ROOT, 'examples', 'rollout-canary.yaml'),
    });
    const logs = flags.streamLogs
      ? 'Controller and git-sync logs: on this terminal (--stream-logs).'
      : `Logs: ${logDir}/{controller,git-sync,kube-apiserver,etcd,...}.log (--stream-logs to print them here).`;
    process.stdout.write(
      [
        '',
        `Slipway is up (${seconds}s). In another shell, try a canary (the plugin takes every`,
        '`kubectl argo rollouts` command; `kubectl slipway --help` lists them):',
        '',
        ...commands.map((c) => (BANNER_NOTES[c] ? `${`  ${c}`.padEnd(60)}# ${BANNER_NOTES[c]}` : `  ${c}`)),
        '',
        'Elsewhere: `npm install -g .` in this checkout (or of the release tarball) puts kubectl-slipway on PATH;',
        'without installing, `npx kubectl-slipway ...` runs it from the checkout.',
        `Controller health: http://127.0.0.1:${flags.healthzPort}/readyz  metrics: http://127.0.0.1:${flags.metricsPort}/metrics`,
        `git-sync writes to ${repository.bareDir} (GitTarget dev-repository); look with: git clone ${repository.bareDir}`,
        `  point an ImageWatch at it: see ${join(PACKAGE_ROOT, 'examples', 'imagewatch-dev.yaml')}`,
        logs,
        '',
      ].join('\n'),
    );
    say('running; waiting for Ctrl-C (SIGINT) or SIGTERM to stop the controller, git-sync and the cluster');
    await stop.requested;
  } finally {
    // Clients first, while the API server is still up (they release their Leases), each
    // bounded; then the cluster's processes, which run in their own group for this reason.
    const clients = Promise.all([gitSync?.shutdown(), controller?.shutdown()]).catch(() => undefined);
    await Promise.race([clients, sleep(CLIENT_STOP_MS)]);
    await cluster?.stop(PROCESS_GRACE_MS);
    stop.dispose();
    say('stopped');
  }
}
