// The `slipway git-sync` process: connect, serve health, metrics and the webhook, campaign for
// the Lease (one writer per cluster; a standby takes over), run the Git-sync controllers while
// leading, and shut down cleanly.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiEventSink, EventRecorder } from '../kube/events.js';
import { apiLeaseStore, LeaderElector } from '../kube/leader-election.js';
import { RequestCounter } from '../kube/request-counter.js';
import { RestClient } from '../kube/rest.js';
import { createProcessMetrics } from '../metrics/registry.js';
import { attachNotifications } from '../notifications/controller.js';
import { closeServer, serveHealth, serveMetrics } from '../process/http-endpoints.js';
import type { Logger } from '../process/logger.js';
import { GitSyncController, type GitSyncControllerOptions } from './controller.js';
import { createWebhookServer } from './imagewatch/webhook/server.js';
import { createGitSyncMetrics } from './metrics.js';
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

export interface GitSyncProcess {
  readonly registry: import('prom-client').Registry;
  readonly ports: { health: number; metrics: number; webhook?: number };
  isLeader(): boolean;
  /** What /healthz answers: false once the leader-election loop is no longer running. */
  isLive(): boolean;
  shutdown(): Promise<void>;
}

export async function startGitSyncProcess(options: GitSyncProcessOptions): Promise<GitSyncProcess> {
  const { logger } = options;
  const requestCounter = new RequestCounter();
  const client = new RestClient(options.kubeConfig, { requestCounter, userAgent: 'slipway-git-sync' });
  const processMetrics = createProcessMetrics(requestCounter);
  const metrics = createGitSyncMetrics(processMetrics.registry);
  const server = options.kubeConfig.getCurrentCluster()?.server ?? '(no server)';
  try {
    await client.request({ method: 'GET', path: '/version', verb: 'get', resource: 'version' });
  } catch (error) {
    throw new Error(`cannot reach the Kubernetes API at ${server}: ${(error as Error).message}`);
  }
  if (options.webhookPort !== undefined && options.webhookSecret === undefined) {
    throw new Error('the webhook needs a secret (--webhook-secret-file or SLIPWAY_WEBHOOK_SECRET)');
  }

  const events = new EventRecorder({
    sink: apiEventSink(client),
    component: 'slipway-git-sync',
    instance: hostname(),
    onError: (error) => logger.warn({ err: error.message }, 'recording an Event failed'),
  });
  let controller: GitSyncController | undefined;
  let promotions: PromotionController | undefined;
  let leading = false;
  const servers: Server[] = [];
  let elector: LeaderElector | undefined;
  let shuttingDown = false;
  const address = (s: Server) => {
    const a = s.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  };

  const health = serveHealth(
    {
      // Dead when the campaign loop has ended, so the kubelet restarts a process that would
      // otherwise never lead again.
      live: () => elector === undefined || elector.isRunning() || shuttingDown,
      ready: () => !leading || controller?.hasSynced() === true,
    },
    options.bindAddress,
    options.healthPort,
  );
  servers.push(
    await health,
    await serveMetrics(processMetrics.registry, options.bindAddress, options.metricsPort),
  );
  let webhookPort: number | undefined;
  if (options.webhookPort !== undefined) {
    const secret = options.webhookSecret!;
    const webhook = createWebhookServer({
      secret,
      ...(options.webhookMaxAgeMs !== undefined && { maxAgeMs: options.webhookMaxAgeMs }),
      ...(options.webhookMaxConnections !== undefined && { maxConnections: options.webhookMaxConnections }),
      onPush: (images) => controller?.onPush(images) ?? 0,
      onRequest: (endpoint, result) => {
        metrics.webhooks.inc({ endpoint, result });
        if (result === 'unauthorized') metrics.errors.inc({ reason: 'WebhookUnauthorized' });
      },
    });
    await new Promise<void>((done, fail) => {
      webhook.once('error', fail);
      webhook.listen(options.webhookPort, options.bindAddress, () => done());
    });
    servers.push(webhook);
    webhookPort = address(webhook);
  }

  let stopNotifications: (() => Promise<void>) | undefined;
  const urlPolicy = {
    allowHttp: options.allowHttpRepositories === true,
    allowLocal: options.allowLocalRepositories === true,
  };
  const startLeading = (signal: AbortSignal) => {
    leading = true;
    processMetrics.leading(GIT_SYNC_LEASE, true);
    // Git-sync's own notification triggers (on-image-bumped, on-promoted, ...), from its Events.
    stopNotifications = attachNotifications({
      client,
      events,
      registry: processMetrics.registry,
      logger,
      namespace: options.namespace,
      kinds: ['ImageWatch', 'PromotionPipeline'],
    });
    const started = new GitSyncController({
      client,
      logger,
      events,
      processMetrics,
      metrics,
      workDir: options.workDir,
      ...(options.namespace !== undefined && { namespace: options.namespace }),
      ...(options.resyncMs !== undefined && { resyncMs: options.resyncMs }),
      ...(options.sshProgram !== undefined && { sshProgram: options.sshProgram }),
      ...(options.registryFactory !== undefined && { registryFactory: options.registryFactory }),
      urlPolicy,
      ...(options.maxFileBytes !== undefined && { maxFileBytes: options.maxFileBytes }),
      ...(options.registryTokenHosts !== undefined && { registryTokenHosts: options.registryTokenHosts }),
    });
    controller = started;
    const promotion = new PromotionController({
      client,
      logger,
      events,
      processMetrics,
      workDir: options.workDir,
      ...(options.namespace !== undefined && { namespace: options.namespace }),
      ...(options.sshProgram !== undefined && { sshProgram: options.sshProgram }),
      urlPolicy,
      ...(options.maxFileBytes !== undefined && { maxFileBytes: options.maxFileBytes }),
    });
    promotions = promotion;
    promotion
      .start()
      .catch((error: Error) => logger.error({ err: error.message }, 'starting promotions failed'));
    signal.addEventListener('abort', () => void started.stop());
    started.start().catch((error: Error) => {
      if (signal.aborted) return;
      logger.error({ err: error.message }, 'starting git-sync failed; giving up this term');
      elector?.resign();
    });
  };
  const stopLeading = async () => {
    leading = false;
    processMetrics.leading(GIT_SYNC_LEASE, false);
    const stopping = controller;
    controller = undefined;
    const stoppingPromotions = promotions;
    promotions = undefined;
    const stoppingNotifications = stopNotifications;
    stopNotifications = undefined;
    await Promise.all([stopping?.stop(), stoppingPromotions?.stop(), stoppingNotifications?.()]);
  };

  let standalone: AbortController | undefined;
  if (options.leaderElection) {
    const identity = `${hostname()}_${randomBytes(4).toString('hex')}`;
    elector = new LeaderElector({
      store: apiLeaseStore(client, { namespace: options.leaderElectionNamespace, name: GIT_SYNC_LEASE }),
      identity,
      onStartedLeading: startLeading,
      // The elector campaigns again once this term's controllers have stopped.
      onStoppedLeading: async () => {
        logger.info('stopped leading; stopping git-sync, then campaigning again');
        await stopLeading();
      },
      onNewLeader: (holder) => logger.info({ leader: holder, self: holder === identity }, 'leader observed'),
      onError: (error) => logger.warn({ err: error.message }, 'leader election'),
    });
    void elector.run();
  } else {
    standalone = new AbortController();
    startLeading(standalone.signal);
  }
  logger.info(
    {
      server,
      healthPort: address(servers[0]!),
      metricsPort: address(servers[1]!),
      webhookPort,
      workDir: options.workDir,
    },
    'git-sync process started',
  );

  let shutdown: Promise<void> | undefined;
  return {
    registry: processMetrics.registry,
    ports: {
      health: address(servers[0]!),
      metrics: address(servers[1]!),
      ...(webhookPort !== undefined && { webhook: webhookPort }),
    },
    isLeader: () => leading,
    isLive: () => elector === undefined || elector.isRunning() || shuttingDown,
    shutdown: () => {
      shutdown ??= (async () => {
        shuttingDown = true;
        if (elector) await elector.release();
        await stopLeading();
        await Promise.all(servers.map(closeServer));
        processMetrics.stop();
        logger.info('shut down');
      })();
      return shutdown;
    },
  };
}
