// The Prometheus registry of the controller process and the metrics shared by every
// controller: API requests (Argo Rollouts' controller_clientset_k8s_request_total), work
// queues (workqueue_*) and the process itself (RSS, CPU seconds).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { packageVersion } from '../cmd/version.js';
import type { RequestCounter } from '../kube/request-counter.js';
import type { WorkQueueMetrics } from '../kube/workqueue.js';

export interface ProcessMetrics {
  registry: Registry;
  /** Hooks for a named work queue (label `name`). */
  workQueue(name: string): WorkQueueMetrics;
}

export function createProcessMetrics(requestCounter: RequestCounter): ProcessMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'controller_clientset_k8s_request_total',
    help: 'Number of requests to the Kubernetes API, by verb, resource and status code',
    labelNames: ['verb', 'kind', 'namespace', 'status_code'] as const,
    registers: [registry],
  });
  requestCounter.onRequest((r) =>
    requests.inc({
      verb: r.verb,
      kind: r.resource,
      namespace: r.namespace,
      status_code: String(r.statusCode),
    }),
  );

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

  return {
    registry,
    workQueue: (name) => ({
      depth: (value) => depth.set({ name }, value),
      add: () => adds.inc({ name }),
      retry: () => retries.inc({ name }),
      queueDuration: (seconds) => queueDuration.observe({ name }, seconds),
      workDuration: (seconds) => workDuration.observe({ name }, seconds),
    }),
  };
}
