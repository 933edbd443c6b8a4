// How every long-running Slipway process starts (`slipway controller`, `slipway git-sync`):
// connect, serve health and metrics, campaign for the Lease, run its controllers while leading
// (with one set of informer caches per term), and shut down cleanly (stop watches, release the
// Lease so a standby takes over at once).
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ControllerFactory, RunningController } from '../kube/controller.js';
import { apiEventSink, EventRecorder } from '../kube/events.js';
import { startHeapTrim } from '../kube/heap-trim.js';
import { InformerCache } from '../kube/informer-cache.js';
import { apiLeaseStore, LeaderElector } from '../kube/leader-election.js';
import { RequestCounter } from '../kube/request-counter.js';
import { RestClient } from '../kube/rest.js';
import { registerBuildInfo } from '../metrics/build-info.js';
import { createProcessMetrics, type ProcessMetrics } from '../metrics/registry.js';
import { closeServer, serveHealth, serveMetrics } from './http-endpoints.js';
import type { Logger } from './logger.js';

export interface LeaderProcessOptions {
  /** `controller` or `git-sync`: names the user agent, the Event source and log lines. */
  component: string;
  kubeConfig: KubeConfig;
  logger: Logger;
  namespace?: string | undefined;
  instanceId?: string | undefined;
  leaderElection: boolean;
  leaderElectionNamespace: string;
  leaseName: string;
  leaseDurationSeconds?: number | undefined;
  renewDeadlineSeconds?: number | undefined;
  retryPeriodSeconds?: number | undefined;
  bindAddress: string;
  healthPort: number;
  metricsPort: number;
  /**
   * Started in this order each term we lead; stopped together when it ends. A function loads
   * them (their modules) when leadership first begins: the Lease, which a restart waits for,
   * is not held back by compiling code that runs only while leading.
   */
  controllers: readonly ControllerFactory[] | (() => Promise<readonly ControllerFactory[]>);
  /**
   * Runs once, after the API answered and before health and metrics are served: the process's
   * own metrics and endpoints (git-sync's webhook). Servers returned close on shutdown.
   */
  prepare?: (env: { client: RestClient; metrics: ProcessMetrics }) => Promise<Server[]>;
  /** client-go's Event spam filter: Event writes per object and type at once (default: no filter). */
  eventSpamBurst?: number | undefined;
  /** Fields of the `process started` log line. */
  describe?: Record<string, unknown>;
}

export interface LeaderProcess {
  metrics: ProcessMetrics;
  /** The bound ports (a 0 in the options picks a free one). */
  ports: { health: number; metrics: number };
  isLeader(): boolean;
  isReady(): boolean;
  /** What /healthz answers: false once the leader-election loop is no longer running. */
  isLive(): boolean;
  /** Stops controllers, releases the Lease, closes the endpoints. Safe to call twice. */
  shutdown(): Promise<void>;
}

export function boundPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

export async function startLeaderProcess(options: LeaderProcessOptions): Promise<LeaderProcess> {
  const { logger, component } = options;
  const requestCounter = new RequestCounter();
  const client = new RestClient(options.kubeConfig, { requestCounter, userAgent: `slipway-${component}` });
  const metrics = createProcessMetrics(requestCounter);
  registerBuildInfo(metrics.registry);
  const server = options.kubeConfig.getCurrentCluster()?.server ?? '(no server)';

  // Fail fast, in one line, when the API server cannot be reached or refuses us.
  try {
    await client.request({ method: 'GET', path: '/version', verb: 'get', resource: 'version' });
  } catch (error) {
    metrics.stop();
    throw new Error(`cannot reach the Kubernetes API at ${server}: ${(error as Error).message}`);
  }

  let leading = false;
  let running: RunningController[] = [];
  let caches: InformerCache | undefined;
  let leadership: AbortController | undefined;
  const servers: Server[] = [];
  let elector: LeaderElector | undefined;
  let shuttingDown = false;

  const events = new EventRecorder({
    sink: apiEventSink(client),
    component: `slipway-${component}`,
    instance: hostname(),
    onError: (error) => logger.warn({ err: error.message }, 'recording an Event failed'),
    ...(options.eventSpamBurst !== undefined ? { spamBurst: options.eventSpamBurst } : {}),
  });

  // Starts that have not finished (caches still syncing) when a term ends are awaited by
  // stopControllers, so a new term never runs beside the last one's controllers.
  const pending = new Set<Promise<void>>();
  let loaded: Promise<readonly ControllerFactory[]> | undefined;
  const loadControllers = (): Promise<readonly ControllerFactory[]> => {
    const { controllers } = options;
    if (typeof controllers !== 'function') return Promise.resolve(controllers);
    loaded ??= controllers().catch((error: Error) => {
      loaded = undefined; // the next term tries again
      throw new Error(`loading the controllers failed: ${error.message}`, { cause: error });
    });
    return loaded;
  };
  const startControllers = async (signal: AbortSignal): Promise<void> => {
    const factories = await loadControllers();
    if (signal.aborted) return;
    const termCaches = new InformerCache(client, {
      onError: (error) => logger.warn({ err: error.message }, 'watch'),
    });
    caches = termCaches;
    for (const factory of factories) {
      if (signal.aborted) return;
      logger.info({ controller: factory.name }, 'starting controller');
      const starting = factory.start({
        client,
        namespace: options.namespace,
        instanceId: options.instanceId,
        logger: logger.child({ controller: factory.name }),
        metrics,
        events,
        caches: termCaches,
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
    if (!signal.aborted)
      logger.info({ term: elector?.termsLed() ?? 1, caches: termCaches.size() }, 'controllers running');
  };
  const stopControllers = async (): Promise<void> => {
    const stopping = running;
    running = [];
    await Promise.all([...stopping.map((c) => c.stop()), ...[...pending].map((p) => p.catch(() => {}))]);
    // A start that finished while we waited pushed into `running` after its abort check.
    const late = running;
    running = [];
    await Promise.all(late.map((c) => c.stop()));
    // The informers outlive the controllers' last reconciles, which read them.
    caches?.stop();
    caches = undefined;
  };

  const health = {
    // Dead when the campaign loop has ended (it only ends on shutdown or a bug): the kubelet
    // then restarts us instead of leaving a process that will never lead again.
    live: () => elector === undefined || elector.isRunning() || shuttingDown,
    ready: () => !leading || running.every((c) => c.hasSynced()),
  };
  try {
    servers.push(...((await options.prepare?.({ client, metrics })) ?? []));
    servers.push(await serveHealth(health, options.bindAddress, options.healthPort));
    servers.push(await serveMetrics(metrics, options.bindAddress, options.metricsPort));
  } catch (error) {
    await Promise.all(servers.map(closeServer));
    metrics.stop();
    throw error;
  }
  const ports = {
    health: boundPort(servers[servers.length - 2] as Server),
    metrics: boundPort(servers[servers.length - 1] as Server),
  };
  logger.info(
    {
      server,
      healthPort: ports.health,
      metricsPort: ports.metrics,
      namespace: options.namespace ?? '*',
      ...options.describe,
    },
    `${component} process started`,
  );
  // Once idle after a burst (e.g. a first deploy), the heap it grew is given back (heap-trim.ts).
  const heapTrim = startHeapTrim({
    onTrim: (before, after, ms) =>
      logger.info(
        { heapMiB: Math.round(before / 2 ** 20), nowMiB: Math.round(after / 2 ** 20), ms: Math.round(ms) },
        'idle: heap trimmed',
      ),
  });

  const { leaseName } = options;
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
    ports,
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
        heapTrim.stop();
        metrics.stop();
        logger.info('shut down');
      })();
      return shutdown;
    },
  };
}
