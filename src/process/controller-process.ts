// The `slipway controller` process: connect, serve health and metrics, campaign for the
// Lease, run the controllers while leading, and shut down cleanly (stop watches, release
// the Lease so a standby takes over at once).

import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiEventSink, EventRecorder } from '../kube/events.js';
import { apiLeaseStore, LeaderElector } from '../kube/leader-election.js';
import { RequestCounter } from '../kube/request-counter.js';
import { RestClient } from '../kube/rest.js';
import { createProcessMetrics, type ProcessMetrics } from '../metrics/registry.js';
import { closeServer, serveHealth, serveMetrics } from './http-endpoints.js';
import type { Logger } from './logger.js';

export interface ControllerContext {
  client: RestClient;
  /** Only this namespace is watched and changed (--namespaced); undefined = cluster-wide. */
  namespace: string | undefined;
  /** Only objects labelled argo-rollouts.argoproj.io/controller-instance-id=<id> are ours. */
  instanceId: string | undefined;
  logger: Logger;
  metrics: ProcessMetrics;
  events: EventRecorder;
  /** Aborts when this process stops leading. */
  signal: AbortSignal;
}

export interface RunningController {
  /** Informer caches have their first full list. */
  hasSynced(): boolean;
  stop(): Promise<void>;
}

/** One controller (Rollout, AnalysisRun, Experiment, ...): started when we lead. */
export interface ControllerFactory {
  name: string;
  start(context: ControllerContext): Promise<RunningController>;
}

export interface ControllerProcessOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  namespace?: string;
  instanceId?: string;
  leaderElection: boolean;
  leaderElectionNamespace: string;
  /** The Lease to hold (default: slipway-controller-lock, suffixed with the instance id). */
  leaseName?: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  bindAddress: string;
  healthPort: number;
  metricsPort: number;
  controllers: ControllerFactory[];
}

export interface ControllerProcess {
  metrics: ProcessMetrics;
  isLeader(): boolean;
  isReady(): boolean;
  /** Stops controllers, releases the Lease, closes the endpoints. Safe to call twice. */
  shutdown(): Promise<void>;
}

export const LEASE_NAME = 'slipway-controller-lock';

export async function startControllerProcess(options: ControllerProcessOptions): Promise<ControllerProcess> {
  const { logger } = options;
  const requestCounter = new RequestCounter();
  const client = new RestClient(options.kubeConfig, { requestCounter, userAgent: 'slipway-controller' });
  const metrics = createProcessMetrics(requestCounter);
  const server = options.kubeConfig.getCurrentCluster()?.server ?? '(no server)';

  // Fail fast, in one line, when the API server cannot be reached or refuses us.
  try {
    await client.request({ method: 'GET', path: '/version', verb: 'get', resource: 'version' });
  } catch (error) {
    throw new Error(`cannot reach the Kubernetes API at ${server}: ${(error as Error).message}`);
  }

  let leading = false;
  let running: RunningController[] = [];
  let leadership: AbortController | undefined;
  const servers: Server[] = [];

  const events = new EventRecorder({
    sink: apiEventSink(client),
    component: 'slipway-controller',
    instance: hostname(),
    onError: (error) => logger.warn({ err: error.message }, 'recording an Event failed'),
  });

  const startControllers = async (signal: AbortSignal): Promise<void> => {
    for (const factory of options.controllers) {
      if (signal.aborted) return;
      logger.info({ controller: factory.name }, 'starting controller');
      const started = await factory.start({
        client,
        namespace: options.namespace,
        instanceId: options.instanceId,
        logger: logger.child({ controller: factory.name }),
        metrics,
        events,
        signal,
      });
      // Leadership may have ended while this controller was syncing its caches.
      if (signal.aborted) {
        await started.stop();
        return;
      }
      running.push(started);
    }
  };
  const stopControllers = async (): Promise<void> => {
    const stopping = running;
    running = [];
    await Promise.all(stopping.map((c) => c.stop()));
  };

  const health = {
    live: () => true,
    ready: () => !leading || running.every((c) => c.hasSynced()),
  };
  servers.push(await serveHealth(health, options.bindAddress, options.healthPort));
  servers.push(await serveMetrics(metrics.registry, options.bindAddress, options.metricsPort));
  logger.info(
    {
      server,
      healthPort: options.healthPort,
      metricsPort: options.metricsPort,
      namespace: options.namespace ?? '*',
    },
    'controller process started',
  );

  const onStartedLeading = (signal: AbortSignal) => {
    leading = true;
    startControllers(signal).catch((error: Error) => {
      logger.error({ err: error.message }, 'starting controllers failed; giving up leadership');
      void elector?.release();
    });
  };
  const onStoppedLeading = () => {
    leading = false;
    logger.info('stopped leading');
    void stopControllers();
  };

  let elector: LeaderElector | undefined;
  if (options.leaderElection) {
    const identity = `${hostname()}_${randomBytes(4).toString('hex')}`;
    const leaseName =
      options.leaseName ?? (options.instanceId ? `${LEASE_NAME}-${options.instanceId}` : LEASE_NAME);
    elector = new LeaderElector({
      store: apiLeaseStore(client, { namespace: options.leaderElectionNamespace, name: leaseName }),
      identity,
      ...(options.leaseDurationSeconds ? { leaseDurationSeconds: options.leaseDurationSeconds } : {}),
      ...(options.renewDeadlineSeconds ? { renewDeadlineSeconds: options.renewDeadlineSeconds } : {}),
      ...(options.retryPeriodSeconds ? { retryPeriodSeconds: options.retryPeriodSeconds } : {}),
      onStartedLeading,
      onStoppedLeading,
      onNewLeader: (holder) => logger.info({ leader: holder, self: holder === identity }, 'leader observed'),
      onError: (error) => logger.warn({ err: error.message }, 'leader election'),
    });
    logger.info(
      { lease: `${options.leaderElectionNamespace}/${leaseName}`, identity },
      'campaigning for leadership',
    );
    void elector.run();
  } else {
    leadership = new AbortController();
    onStartedLeading(leadership.signal);
  }

  let shutdown: Promise<void> | undefined;
  return {
    metrics,
    isLeader: () => leading,
    isReady: () => health.ready(),
    shutdown: () => {
      shutdown ??= (async () => {
        logger.info('shutting down');
        if (elector) {
          await elector.release();
        } else {
          leadership?.abort();
          leading = false;
        }
        await stopControllers();
        await Promise.all(servers.map(closeServer));
        logger.info('shut down');
      })();
      return shutdown;
    },
  };
}
