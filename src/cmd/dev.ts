// `slipway dev`: one command to try Slipway locally. Starts the local control plane
// (building it the first time), installs the CRDs, runs the controller and git-sync (on a
// local Git repository) against it and prints how to apply an example and watch it. Ctrl-C stops everything it started.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { startGitSyncProcess } from '../gitsync/process.js';
import { loadKubeConfig } from '../kube/config.js';
import { cacheDir } from '../localcluster/binaries.js';
import { startControlPlane } from '../localcluster/control-plane.js';
import { createDevRepository, devGitTarget } from '../localcluster/dev-repository.js';
import { CRD_DIR, PACKAGE_ROOT } from '../package-paths.js';
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
}

export function devCommand(): Command {
  return new Command('dev')
    .description('start a local Kubernetes control plane with the Slipway controller on loopback')
    .option(
      '--data-dir <dir>',
      'where the local cluster keeps its state (wiped at start)',
      join(cacheDir(), 'dev'),
    )
    .option('--nodes <count>', 'number of fake (kwok) nodes', (v) => parsePositive(v, '--nodes'), 3)
    .option('--healthz-port <port>', 'port of the controller /healthz and /readyz', parsePort, 8080)
    .option('--metrics-port <port>', 'port of the controller /metrics', parsePort, 8090)
    .option('--git-sync-healthz-port <port>', 'port of git-sync /healthz and /readyz', parsePort, 8081)
    .option('--git-sync-metrics-port <port>', 'port of git-sync /metrics', parsePort, 8091)
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

async function runDev(flags: DevFlags): Promise<void> {
  const say = (line: string) => process.stderr.write(`[slipway dev] ${line}\n`);
  const started = Date.now();
  rmSync(flags.dataDir, { recursive: true, force: true });
  mkdirSync(flags.dataDir, { recursive: true });
  const cluster = await startControlPlane({ dataDir: flags.dataDir, nodes: flags.nodes, log: say });
  let controller: Awaited<ReturnType<typeof startControllerProcess>> | undefined;
  let gitSync: Awaited<ReturnType<typeof startGitSyncProcess>> | undefined;
  try {
    say('installing the CRDs');
    execFileSync(
      cluster.binaries.kubectl,
      ['--kubeconfig', cluster.kubeconfigPath, 'apply', '--server-side', '-f', CRD_DIR],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    execFileSync(
      cluster.binaries.kubectl,
      [
        '--kubeconfig',
        cluster.kubeconfigPath,
        'wait',
        '--for=condition=Established',
        'crd',
        '--all',
        '--timeout=60s',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    say('starting the controller');
    controller = await startControllerProcess({
      kubeConfig: loadKubeConfig({ path: cluster.kubeconfigPath }).kubeConfig,
      logger: createLogger('controller', flags.loglevel),
      leaderElection: true,
      leaderElectionNamespace: 'default',
      bindAddress: '127.0.0.1',
      healthPort: flags.healthzPort,
      metricsPort: flags.metricsPort,
      controllers: CONTROLLERS,
    });
    say('creating the local Git repository and starting git-sync');
    const repository = createDevRepository(join(flags.dataDir, 'git'));
    execFileSync(cluster.binaries.kubectl, ['--kubeconfig', cluster.kubeconfigPath, 'apply', '-f', '-'], {
      input: devGitTarget(repository.url, 'default'),
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    gitSync = await startGitSyncProcess({
      kubeConfig: loadKubeConfig({ path: cluster.kubeconfigPath }).kubeConfig,
      logger: createLogger('git-sync', flags.loglevel),
      leaderElection: true,
      leaderElectionNamespace: 'default',
      bindAddress: '127.0.0.1',
      healthPort: flags.gitSyncHealthzPort,
      metricsPort: flags.gitSyncMetricsPort,
      workDir: join(flags.dataDir, 'git-sync'),
      // The dev repository is a local bare repository (file://), which only the operator may allow.
      allowLocalRepositories: true,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const example = join(PACKAGE_ROOT, 'examples', 'rollout-canary.yaml');
    process.stdout.write(
      [
        '',
        `Slipway is up (${seconds}s). In another shell:`,
        '',
        `  export KUBECONFIG=${cluster.kubeconfigPath}`,
        `  alias kubectl=${cluster.binaries.kubectl}`,
        `  kubectl apply -f ${example}`,
        '  kubectl get rollouts,replicasets,pods -w',
        '',
        `Controller health: http://127.0.0.1:${flags.healthzPort}/readyz  metrics: http://127.0.0.1:${flags.metricsPort}/metrics`,
        `git-sync writes to ${repository.bareDir} (GitTarget dev-repository); look with: git clone ${repository.bareDir}`,
        `  point an ImageWatch at it: see ${join(PACKAGE_ROOT, 'examples', 'imagewatch-dev.yaml')}`,
        'Press Ctrl-C to stop the controller and the cluster.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolveSignal) => {
      process.once('SIGINT', () => resolveSignal());
      process.once('SIGTERM', () => resolveSignal());
    });
    say('stopping');
  } finally {
    await gitSync?.shutdown();
    await controller?.shutdown();
    await cluster.stop();
  }
}
