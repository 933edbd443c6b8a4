// `slipway git-sync`: flags → the Git-sync process (src/gitsync/process.ts).
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_FILE_BYTES } from '../gitsync/gittarget/workspace/safe-files.js';
import { DEFAULT_TOKEN_HOSTS } from '../gitsync/imagewatch/registry/client.js';
import {
  DEFAULT_WEBHOOK_MAX_AGE_MS,
  DEFAULT_WEBHOOK_MAX_CONNECTIONS,
} from '../gitsync/imagewatch/webhook/server.js';
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
  allowHttpRepositories?: boolean;
  allowLocalRepositories?: boolean;
  maxFileSize: number;
  registryTokenHosts: string[];
  webhookMaxAge: number;
  webhookMaxConnections: number;
}

/** `1048576`, `512Ki`, `4Mi`: a byte count for --max-file-size. */
export function parseByteSize(value: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(value.trim());
  if (m === null) throw new InvalidArgumentError('expected bytes, e.g. 1048576, 512Ki or 4Mi');
  const unit = m[2] === 'Ki' ? 1024 : m[2] === 'Mi' ? 1024 ** 2 : m[2] === 'Gi' ? 1024 ** 3 : 1;
  const bytes = Number(m[1]) * unit;
  if (bytes < 1024) throw new InvalidArgumentError('at least 1Ki');
  return bytes;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function parseHosts(value: string): string[] {
  return value
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
}

export function gitSyncCommand(): Command {
  return new Command('git-sync')
    .description(
      'watch image registries and write new image references to Git (ImageWatch, GitTarget), and promote them between environments (PromotionPipeline)',
    )
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
      'serve the push webhooks on this port: POST /webhook/{registry,generic,ghcr,harbor}, /webhook/{dockerhub,quay}/<secret>',
      parsePort,
    )
    .option(
      '--webhook-secret-file <path>',
      'file holding the webhook secret (a mounted Secret; default: $SLIPWAY_WEBHOOK_SECRET)',
    )
    .option('--work-dir <path>', 'where cached clones live', join(tmpdir(), 'slipway-git-sync'))
    .option('--allow-http-repositories', 'allow http:// and git:// repository URLs (unencrypted)')
    .option(
      '--allow-local-repositories',
      'allow file:// URLs and local paths as repositories (local development and tests only)',
    )
    .option(
      '--max-file-size <bytes>',
      'refuse repository files larger than this (e.g. 1Mi, 512Ki)',
      parseByteSize,
      DEFAULT_MAX_FILE_BYTES,
    )
    .option(
      '--registry-token-hosts <hosts>',
      'comma-separated hosts, besides the registry itself, that may receive pull-secret credentials as a Bearer token realm',
      parseHosts,
      [...DEFAULT_TOKEN_HOSTS],
    )
    .option(
      '--webhook-max-age <seconds>',
      'oldest X-Slipway-Timestamp the generic webhook accepts (replay window)',
      parsePositive,
      DEFAULT_WEBHOOK_MAX_AGE_MS / 1000,
    )
    .option(
      '--webhook-max-connections <n>',
      'open connections the webhook server accepts at once',
      parsePositive,
      DEFAULT_WEBHOOK_MAX_CONNECTIONS,
    )
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
    allowHttpRepositories: flags.allowHttpRepositories === true,
    allowLocalRepositories: flags.allowLocalRepositories === true,
    maxFileBytes: flags.maxFileSize,
    registryTokenHosts: flags.registryTokenHosts,
    webhookMaxAgeMs: flags.webhookMaxAge * 1000,
    webhookMaxConnections: flags.webhookMaxConnections,
  });
  await runUntilSignal(logger, () => proc.shutdown());
}
