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
  /** What /healthz answers: false once the leader-election loop is no longer running. */
  isLive(): boolean;
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
  let elector: LeaderElector | undefined;
  let shuttingDown = false;

  const events = new EventRecorder({
    sink: apiEventSink(client),
    component: 'slipway-controller',
    instance: hostname(),
    onError: (error) => logger.warn({ err: error.message }, 'recording an Event failed'),
  });

  // Starts that have not finished (caches still syncing) when a term ends are awaited by
  // stopControllers, so a new term never runs beside the last one's controllers.
  const pending = new Set<Promise<void>>();
  const startControllers = async (signal: AbortSignal): Promise<void> => {
    for (const factory of options.controllers) {
      if (signal.aborted) return;
      logger.info({ controller: factory.name }, 'starting controller');
      const starting = factory.start({
        client,
        namespace: options.namespace,
        instanceId: options.instanceId,
        logger: logger.child({ controller: factory.name }),
        metrics,
        events,
        signal,
      });
      // Leadership may end while this controller syncs its caches (the API server may be the
      // reason); then it is stopped as soon as its start returns.
      const settled = starting.then(
        async (started) => {
          if (signal.aborted) await started.stop();
          else running.push(started);
        },
        (error: Error) => {
          if (!signal.aborted) throw error;
        },
      );
      pending.add(settled);
      try {
        await settled;
      } finally {
        pending.delete(settled);
      }
    }
    if (!signal.aborted) logger.info({ term: elector?.termsLed() ?? 1 }, 'controllers running');
  };
  const stopControllers = async (): Promise<void> => {
    const stopping = running;
    running = [];
    await Promise.all([...stopping.map((c) => c.stop()), ...[...pending].map((p) => p.catch(() => {}))]);
    // A start that finished while we waited pushed into `running` after its abort check.
    const late = running;
    running = [];
    await Promise.all(late.map((c) => c.stop()));
  };

  const health = {
    // Dead when the campaign loop has ended (it only ends on shutdown or a bug): the kubelet
    // then restarts us instead of leaving a process that will never lead again.
    live: () => elector === undefined || elector.isRunning() || shuttingDown,
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

  const leaseName = options.instanceId ? `${LEASE_NAME}-${options.instanceId}` : LEASE_NAME;
  const onStartedLeading = (signal: AbortSignal) => {
    leading = true;
    metrics.leading(leaseName, true);
    startControllers(signal).catch((error: Error) => {
      logger.error({ err: error.message }, 'starting controllers failed; giving up this term');
      elector?.resign();
    });
  };
  const onStoppedLeading = async () => {
    leading = false;
    metrics.leading(leaseName, false);
    logger.info('stopped leading; stopping controllers, then campaigning again');
    await stopControllers();
  };

  if (options.leaderElection) {
    const identity = `${hostname()}_${randomBytes(4).toString('hex')}`;
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
    isLive: () => health.live(),
    shutdown: () => {
      shutdown ??= (async () => {
        shuttingDown = true;
        logger.info('shutting down');
        if (elector) {
          await elector.release();
        } else {
          leadership?.abort();
          leading = false;
        }
        await stopControllers();
        await Promise.all(servers.map(closeServer));
        metrics.stop();
        logger.info('shut down');
      })();
      return shutdown;
    },
  };
}
