// `slipway git-sync`: flags → the Git-sync process (src/gitsync/process.ts).
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { startGitSyncProcess } from '../gitsync/process.js';
import { loadKubeConfig } from '../kube/config.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../process/logger.js';
import { runUntilSignal } from '../process/signals.js';
import { parsePort } from './controller.js';

interface GitSyncFlags {
  kubeconfig?: string;
  namespace?: string;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  bindAddress: string;
  healthzPort: number;
  metricsPort: number;
  webhookPort?: number;
  webhookSecretFile?: string;
  workDir: string;
  loglevel: LogLevel;
}

export function gitSyncCommand(): Command {
  return new Command('git-sync')
    .description('watch image registries and write new image references to Git (ImageWatch, GitTarget)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('--namespace <name>', 'watch only this namespace (default: all)')
    .option('--no-leader-elect', 'run without leader election (a single replica only)')
    .option(
      '--leader-election-namespace <name>',
      'namespace of the Lease (default: $POD_NAMESPACE or default)',
    )
    .option('--bind-address <ip>', 'address of the health, metrics and webhook endpoints', '0.0.0.0')
    .option('--healthz-port <port>', 'port of /healthz and /readyz', parsePort, 8081)
    .option('--metrics-port <port>', 'port of /metrics', parsePort, 8091)
    .option(
      '--webhook-port <port>',
      'serve POST /webhook/registry and /webhook/generic on this port',
      parsePort,
    )
    .option(
      '--webhook-secret-file <path>',
      'file holding the webhook secret (a mounted Secret; default: $SLIPWAY_WEBHOOK_SECRET)',
    )
    .option('--work-dir <path>', 'where cached clones live', join(tmpdir(), 'slipway-git-sync'))
    .addOption(new Option('--loglevel <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .action(async (flags: GitSyncFlags) => {
      await runGitSync(flags);
    });
}

async function runGitSync(flags: GitSyncFlags): Promise<void> {
  const logger = createLogger('git-sync', flags.loglevel);
  const { kubeConfig } = loadKubeConfig(flags.kubeconfig ? { path: flags.kubeconfig } : {});
  const fromFile = flags.webhookSecretFile;
  const fromEnv = process.env.SLIPWAY_WEBHOOK_SECRET;
  if (flags.webhookPort !== undefined && fromFile === undefined && fromEnv === undefined) {
    throw new InvalidArgumentError('--webhook-port needs --webhook-secret-file or SLIPWAY_WEBHOOK_SECRET');
  }
  const webhookSecret =
    fromFile !== undefined
      ? () => readFileSync(fromFile, 'utf8').trim()
      : fromEnv !== undefined
        ? () => fromEnv
        : undefined;
  const proc = await startGitSyncProcess({
    kubeConfig,
    logger,
    ...(flags.namespace !== undefined && { namespace: flags.namespace }),
    leaderElection: flags.leaderElect,
    leaderElectionNamespace:
      flags.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? flags.namespace ?? 'default',
    bindAddress: flags.bindAddress,
    healthPort: flags.healthzPort,
    metricsPort: flags.metricsPort,
    ...(flags.webhookPort !== undefined && { webhookPort: flags.webhookPort }),
    ...(webhookSecret !== undefined && { webhookSecret }),
    workDir: flags.workDir,
  });
  await runUntilSignal(logger, () => proc.shutdown());
}
