// The Prometheus registry of the controller process and the metrics shared by every
// controller: API requests (Argo Rollouts' controller_clientset_k8s_request_total), work
// queues (workqueue_*), the process itself (RSS, CPU seconds), and the controller's own
// health: event-loop lag, worker saturation and leadership (slipway_*). The families with series
// per object (the request counter here; Rollouts, AnalysisRuns, Experiments, notifications in
// their modules) are written by hand into `exposition` (object-families.ts).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { packageVersion } from '../cmd/version.js';
import type { RequestCounter, RequestVerb } from '../kube/request-counter.js';
import type { WorkQueueMetrics } from '../kube/workqueue.js';
import { Exposition, labelString, ObjectCounter } from './object-families.js';

export interface ProcessMetrics {
  registry: Registry;
  /** The per-object families, written after the registry's in each scrape. */
  exposition: Exposition;
  /** The whole /metrics text: the registry's families, then the exposition's. */
  scrape(): Promise<string>;
  /** Hooks for a named work queue (label `name`). */
  workQueue(name: string): WorkQueueMetrics;
  /** Whether this process holds the Lease named `name` (client-go's leader_election_master_status). */
  leading(name: string, leading: boolean): void;
  /** Stops the event-loop sampler. */
  stop(): void;
}

/**
 * How often the event-loop sampler asks for a timer; its lateness is the lag. Each tick wakes
 * JavaScript, so this is a cost an idle controller pays all the time: at 1,000 idle Rollouts,
 * 200 ms ticks put the controller at 0.16-0.19 % of a core, 1 s ticks at 0.14-0.15 %
 * (bench/profile-idle.ts, one cluster, the two builds alternating). A stall of a second or
 * more is always seen at its full length; shorter ones are seen when they cover a tick.
 * prom-client's nodejs_eventloop_lag_* (a native monitor, no JavaScript) keeps the 200 ms view.
 */
export const EVENT_LOOP_SAMPLE_MS = 1000;
/** Precision of prom-client's native event-loop delay monitor (its default, 10 ms, wakes 100 times a second). */
const NATIVE_LAG_PRECISION_MS = 200;

/** Verbs as Argo's request counter writes them (kubeclientmetrics). */
const GO_VERBS: Readonly<Record<RequestVerb, string>> = {
  get: 'Get',
  list: 'List',
  watch: 'Watch',
  create: 'Create',
  update: 'Update',
  patch: 'Patch',
  delete: 'Delete',
};

export function createProcessMetrics(requestCounter: RequestCounter): ProcessMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: NATIVE_LAG_PRECISION_MS });

  const exposition = new Exposition();
  // Argo's labels and values (controller/metrics/client.go): the verb as client-go names it,
  // `name` "N/A" for lists and for Events and ReplicaSets. With a series per object written to
  // (two per Rollout at 10,000 Rollouts), it is written as text like the per-object families.
  const requests = new ObjectCounter(
    'controller_clientset_k8s_request_total',
    'Number of kubernetes requests executed during application reconciliation.',
  );
  exposition.add({ render: () => requests.render() });
  requestCounter.onRequest((r) => {
    const name =
      r.verb === 'list' || r.resource === 'events' || r.resource === 'replicasets' ? 'N/A' : r.name;
    requests.inc(
      `${r.resource}/${r.namespace}/${name}`,
      labelString([
        ['kind', r.resource],
        ['namespace', r.namespace],
        ['name', name],
        ['verb', GO_VERBS[r.verb]],
        ['status_code', String(r.statusCode)],
      ]),
    );
  });

  const depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of the work queue',
    labelNames: ['name'] as const,
    registers: [registry],
  });
  const adds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by the work queue',
    labelNames: ['name'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by the work queue',
    labelNames: ['name'] as const,
    registers: [registry],
  });
  // Argo's version gauge; `kubectl slipway version` reads the controller's version from it.
  new Gauge({
    name: 'argo_rollouts_controller_info',
    help: 'Running Argo-rollouts version',
    labelNames: ['version'] as const,
    registers: [registry],
  }).set({ version: `v${packageVersion()}` }, 1);
  const buckets = [0.001, 0.01, 0.1, 1, 10, 100];
  const queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'Seconds a key waits in the work queue before being processed',
    labelNames: ['name'] as const,
    buckets,
    registers: [registry],
  });
  const workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'Seconds processing one key takes',
    labelNames: ['name'] as const,
    buckets,
    registers: [registry],
  });

  // Event-loop lag: how late a timer fires. Everything in this process (reconciles, Lease
  // renewals, /healthz) shares one loop, so lag is the first sign of CPU-bound work starving it.
  const lag = new Histogram({
    name: 'slipway_event_loop_lag_seconds',
    help: 'How late a timer fired on the event loop, sampled every second',
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  let maxLagSinceScrape = 0;
  new Gauge({
    name: 'slipway_event_loop_lag_max_seconds',
    help: 'The largest event-loop lag sampled since the previous scrape',
    registers: [registry],
    collect() {
      this.set(maxLagSinceScrape);
      maxLagSinceScrape = 0;
    },
  });
  let expected = performance.now() + EVENT_LOOP_SAMPLE_MS;
  const sampler = setInterval(() => {
    const now = performance.now();
    const lateSeconds = Math.max(0, now - expected) / 1000;
    expected = now + EVENT_LOOP_SAMPLE_MS;
    lag.observe(lateSeconds);
    maxLagSinceScrape = Math.max(maxLagSinceScrape, lateSeconds);
  }, EVENT_LOOP_SAMPLE_MS);
  sampler.unref();

  const busyWorkers = new Gauge({
    name: 'slipway_workqueue_busy_workers',
    help: 'Workers of the work queue busy with a key right now',
    labelNames: ['name'] as const,
    registers: [registry],
  });
  const saturation = new Gauge({
    name: 'slipway_workqueue_worker_saturation',
    help: 'Busy workers divided by workers (1: every worker is busy and new keys wait)',
    labelNames: ['name'] as const,
    registers: [registry],
  });
  const masterStatus = new Gauge({
    name: 'leader_election_master_status',
    help: 'Whether this process holds the Lease (1) or not (0)',
    labelNames: ['name'] as const,
    registers: [registry],
  });

  return {
    registry,
    exposition,
    scrape: async () => {
      const text = await registry.metrics();
      const own = exposition.render();
      return own ? `${text}\n${own}` : text;
    },
    leading: (name, leading) => masterStatus.set({ name }, leading ? 1 : 0),
    stop: () => clearInterval(sampler),
    workQueue: (name) => ({
      busy: (busy, total) => {
        busyWorkers.set({ name }, busy);
        saturation.set({ name }, total > 0 ? busy / total : 0);
      },
      depth: (value) => depth.set({ name }, value),
      add: () => adds.inc({ name }),
      retry: () => retries.inc({ name }),
      queueDuration: (seconds) => queueDuration.observe({ name }, seconds),
      workDuration: (seconds) => workDuration.observe({ name }, seconds),
    }),
  };
}
