// The `slipway git-sync` process: the webhook endpoint beside health and metrics, and the
// Git-sync controllers (image watches and Git targets, promotions, notifications) run through
// the one start-up path of process/leader-process.ts, under their own Lease (one writer per
// cluster; a standby takes over).
import type { Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ControllerContext, ControllerFactory } from '../kube/controller.js';
import { notificationsControllerFor } from '../notifications/controller.js';
import { boundPort, type LeaderProcess, startLeaderProcess } from '../process/leader-process.js';
import type { Logger } from '../process/logger.js';
import { GitSyncController, type GitSyncControllerOptions } from './controller.js';
import { KeyedMutex } from './gittarget/workspace/keyed-mutex.js';
import { createWebhookServer } from './imagewatch/webhook/server.js';
import { createGitSyncMetrics, type GitSyncMetrics } from './metrics.js';
import { PromotionController } from './promotion/controller.js';

export const GIT_SYNC_LEASE = 'slipway-git-sync-lock';

export interface GitSyncProcessOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly namespace?: string;
  readonly leaderElection: boolean;
  readonly leaderElectionNamespace: string;
  readonly bindAddress: string;
  readonly healthPort: number;
  readonly metricsPort: number;
  /** Undefined: no webhook endpoint. */
  readonly webhookPort?: number;
  /** The webhook secret, read per request; required with webhookPort. */
  readonly webhookSecret?: () => string;
  readonly workDir: string;
  readonly resyncMs?: number;
  readonly sshProgram?: string;
  readonly registryFactory?: GitSyncControllerOptions['registryFactory'];
  /** http:// and git:// repository URLs (operator opt-in). */
  readonly allowHttpRepositories?: boolean;
  /** file:// URLs and local paths (operator opt-in: `slipway dev`, tests). */
  readonly allowLocalRepositories?: boolean;
  /** Repository files over this size are refused; default 1 MiB. */
  readonly maxFileBytes?: number;
  /** Token realm hosts besides the registry's own that may receive credentials; default auth.docker.io. */
  readonly registryTokenHosts?: readonly string[];
  /** Replay window of the generic webhook's signed timestamp; default 5 min. */
  readonly webhookMaxAgeMs?: number;
  /** Open webhook connections at once; default 64. */
  readonly webhookMaxConnections?: number;
}

export interface GitSyncProcess extends LeaderProcess {
  readonly registry: import('prom-client').Registry;
  readonly ports: { health: number; metrics: number; webhook?: number };
}

export async function startGitSyncProcess(options: GitSyncProcessOptions): Promise<GitSyncProcess> {
  const { logger } = options;
  if (options.webhookPort !== undefined && options.webhookSecret === undefined) {
    throw new Error('the webhook needs a secret (--webhook-secret-file or SLIPWAY_WEBHOOK_SECRET)');
  }
  // What both Git writers (image bumps, promotions) share, their clones' locks included.
  const writers = {
    workDir: options.workDir,
    repositories: new KeyedMutex(),
    ...(options.namespace !== undefined && { namespace: options.namespace }),
    ...(options.sshProgram !== undefined && { sshProgram: options.sshProgram }),
    urlPolicy: {
      allowHttp: options.allowHttpRepositories === true,
      allowLocal: options.allowLocalRepositories === true,
    },
    ...(options.maxFileBytes !== undefined && { maxFileBytes: options.maxFileBytes }),
  };
  const fromContext = (ctx: ControllerContext) => ({
    client: ctx.client,
    logger: ctx.logger,
    events: ctx.events,
    caches: ctx.caches,
    signal: ctx.signal,
    processMetrics: ctx.metrics,
  });
  let metrics: GitSyncMetrics | undefined;
  // The running image-watch controller, which webhook pushes wake; undefined while not leading.
  let imageWatches: GitSyncController | undefined;
  let webhookPort: number | undefined;

  const gitSync: ControllerFactory = {
    name: 'git-sync',
    async start(ctx) {
      const controller = new GitSyncController({
        ...fromContext(ctx),
        ...writers,
        metrics: metrics as GitSyncMetrics,
        ...(options.resyncMs !== undefined && { resyncMs: options.resyncMs }),
        ...(options.registryFactory !== undefined && { registryFactory: options.registryFactory }),
        ...(options.registryTokenHosts !== undefined && { registryTokenHosts: options.registryTokenHosts }),
      });
      await controller.start();
      imageWatches = controller;
      return {
        hasSynced: () => controller.hasSynced(),
        stop: async () => {
          if (imageWatches === controller) imageWatches = undefined;
          await controller.stop();
        },
      };
    },
  };
  const promotions: ControllerFactory = {
    name: 'promotions',
    async start(ctx) {
      const controller = new PromotionController({ ...fromContext(ctx), ...writers });
      await controller.start();
      return controller;
    },
  };

  const proc = await startLeaderProcess({
    component: 'git-sync',
    kubeConfig: options.kubeConfig,
    logger,
    namespace: options.namespace,
    leaderElection: options.leaderElection,
    leaderElectionNamespace: options.leaderElectionNamespace,
    leaseName: GIT_SYNC_LEASE,
    bindAddress: options.bindAddress,
    healthPort: options.healthPort,
    metricsPort: options.metricsPort,
    controllers: [
      // Git-sync's own notification triggers (on-image-bumped, on-promoted, ...), from its Events.
      notificationsControllerFor(['ImageWatch', 'PromotionPipeline']),
      gitSync,
      promotions,
    ],
    prepare: async ({ metrics: processMetrics }) => {
      const gitSyncMetrics = createGitSyncMetrics(processMetrics.registry);
      metrics = gitSyncMetrics;
      if (options.webhookPort === undefined) return [];
      const webhook = createWebhookServer({
        secret: options.webhookSecret as () => string,
        ...(options.webhookMaxAgeMs !== undefined && { maxAgeMs: options.webhookMaxAgeMs }),
        ...(options.webhookMaxConnections !== undefined && { maxConnections: options.webhookMaxConnections }),
        onPush: (images) => imageWatches?.onPush(images) ?? 0,
        onRequest: (endpoint, result) => {
          gitSyncMetrics.webhooks.inc({ endpoint, result });
          if (result === 'unauthorized') gitSyncMetrics.errors.inc({ reason: 'WebhookUnauthorized' });
        },
      });
      await new Promise<void>((done, fail) => {
        webhook.once('error', fail);
        webhook.listen(options.webhookPort, options.bindAddress, () => done());
      });
      webhookPort = boundPort(webhook);
      return [webhook as Server];
    },
    describe: { webhookPort: options.webhookPort, workDir: options.workDir },
  });
  return {
    ...proc,
    registry: proc.metrics.registry,
    ports: { ...proc.ports, ...(webhookPort !== undefined && { webhook: webhookPort }) },
  };
}
