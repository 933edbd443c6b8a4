// Cost of one /metrics scrape of the controller process with N cached Rollouts (issue 22): the
// metric sources are filled in-process, without a cluster, as the informer caches and the
// controllers fill them (realistic Rollout objects, 5 reconcile observations, 2 Events, a status
// write and a patch in the request counter and a notification_send per Rollout, an AnalysisRun
// per 10 Rollouts and an Experiment per 50), then the scrape is rendered
// as the /metrics endpoint renders it. Prints CPU ms, bytes, lines and heap allocated per scrape.
//
//   npx tsx bench/metrics-scrape.ts [--rollouts 1000,10000] [--scrapes 20]
//
// Heap allocated is measured with V8's GC profiler: heap used after the scrapes minus before,
// plus what every GC during them freed.

import { parseArgs } from 'node:util';
import { GCProfiler, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { registerAnalysisMetrics } from '../src/analysis/metrics.js';
import type { AnalysisRun } from '../src/api/analysis.js';
import type { Experiment } from '../src/api/experiment.js';
import type { Rollout } from '../src/api/rollout.js';
import { registerExperimentMetrics } from '../src/experiment/metrics.js';
import { RequestCounter } from '../src/kube/request-counter.js';
import { createProcessMetrics } from '../src/metrics/registry.js';
import { registerRolloutMetrics } from '../src/metrics/rollout-metrics.js';
import { createNotificationMetrics } from '../src/notifications/metrics.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { values } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '1000,10000' },
    scrapes: { type: 'string', default: '20' },
  },
});

const PHASES = ['Healthy', 'Progressing', 'Paused', 'Degraded'] as const;

function rollout(i: number): Rollout {
  const name = `bench-rollout-${i}`;
  const namespace = `team-${i % 20}`;
  const blueGreen = i % 5 === 0;
  const phase = PHASES[i % 7 === 0 ? 1 + (i % 3) : 0] ?? 'Healthy';
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name,
      namespace,
      uid: `0b6f${i.toString(16).padStart(8, '0')}-1c2d-4e5f-8a9b-0c1d2e3f4a5b`,
      resourceVersion: String(100000 + i),
      generation: 3,
      creationTimestamp: '2026-12-07T10:00:00Z',
      labels: { app: name, 'app.kubernetes.io/part-of': 'bench' },
      annotations: { 'rollout.argoproj.io/revision': '3' },
    },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'app', image: `registry.example/web:1.${i % 10}`, ports: [{ containerPort: 8080 }] },
          ],
        },
      },
      strategy: blueGreen
        ? {
            blueGreen: {
              activeService: `${name}-active`,
              previewService: `${name}-preview`,
              autoPromotionEnabled: false,
            },
          }
        : {
            canary: {
              ...(i % 3 === 0 && {
                trafficRouting: { nginx: { stableIngress: `${name}-ingress` } },
                canaryService: `${name}-canary`,
                stableService: `${name}-stable`,
              }),
              steps: [{ setWeight: 20 }, { pause: { duration: '30s' } }, { setWeight: 60 }, { pause: {} }],
            },
          },
    },
    status: {
      phase,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: phase === 'Degraded' ? 1 : 3,
      observedGeneration: '3',
      currentPodHash: '5d8f7c9b6',
      stableRS: '5d8f7c9b6',
      currentStepIndex: 4,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'AvailableReason',
          message: 'Rollout has minimum availability',
          lastTransitionTime: '2026-12-07T10:01:00Z',
          lastUpdateTime: '2026-12-07T10:01:00Z',
        },
        {
          type: 'Healthy',
          status: 'True',
          reason: 'RolloutHealthy',
          message: 'Rollout is healthy',
          lastTransitionTime: '2026-12-07T10:01:00Z',
          lastUpdateTime: '2026-12-07T10:01:00Z',
        },
      ],
    },
  } as unknown as Rollout;
}

function analysisRun(i: number): AnalysisRun {
  return {
    metadata: {
      name: `bench-rollout-${i}-5d8f7c9b6-3`,
      namespace: `team-${i % 20}`,
      uid: `a-${i}`,
      resourceVersion: String(i),
    },
    spec: {
      metrics: [
        {
          name: 'success-rate',
          provider: { prometheus: { address: 'http://prometheus:9090', query: 'sum(rate(x[1m]))' } },
          successCondition: 'result[0] > 0.95',
        },
        { name: 'smoke', provider: { job: { spec: { template: { spec: { containers: [] } } } } } },
      ],
    },
    status: {
      phase: 'Successful',
      metricResults: [
        { name: 'success-rate', phase: 'Successful' },
        { name: 'smoke', phase: 'Successful' },
      ],
    },
  } as unknown as AnalysisRun;
}

function experiment(i: number): Experiment {
  return {
    metadata: {
      name: `bench-rollout-${i}-exp`,
      namespace: `team-${i % 20}`,
      uid: `e-${i}`,
      resourceVersion: String(i),
    },
    spec: { templates: [{ name: 'baseline', selector: { matchLabels: { app: 'x' } }, template: {} }] },
    status: { phase: 'Successful' },
  } as unknown as Experiment;
}

/** The metric sources of one controller process, filled for n Rollouts; returns the scrape. */
function fill(n: number): { scrape(): Promise<string>; stop(): void; heapWithoutMetrics: number } {
  const requests = new RequestCounter();
  const process = createProcessMetrics(requests);
  const rollouts = Array.from({ length: n }, (_, i) => rollout(i));
  const runs = Array.from({ length: Math.ceil(n / 10) }, (_, i) => analysisRun(i * 10));
  const experiments = Array.from({ length: Math.ceil(n / 50) }, (_, i) => experiment(i * 50));
  gc();
  const heapWithoutMetrics = globalThis.process.memoryUsage().heapUsed;
  const rolloutMetrics = registerRolloutMetrics(process.exposition, () => [...rollouts]);
  const analysisMetrics = registerAnalysisMetrics(process.exposition, () => [...runs]);
  const experimentMetrics = registerExperimentMetrics(process.exposition, () => [...experiments]);
  const notificationMetrics = createNotificationMetrics(process.registry, process.exposition);
  for (const ro of rollouts) {
    const { namespace = '', name = '' } = ro.metadata ?? {};
    for (let i = 0; i < 5; i++) rolloutMetrics.startReconcile(namespace, name)();
    rolloutMetrics.eventRecorded(namespace, name, 'Normal', 'RolloutUpdated');
    rolloutMetrics.eventRecorded(namespace, name, 'Normal', 'RolloutCompleted');
    // As a live controller's: the status writes and patch per Rollout in the request counter
    // (Argo's `name` label), notification_send for its Events.
    for (const verb of ['update', 'patch'] as const) {
      requests.record({ verb, resource: 'rollouts', namespace, name, statusCode: 200 });
    }
    notificationMetrics.observe(ro, 0);
  }
  for (const run of runs) {
    analysisMetrics.startReconcile(run.metadata?.namespace ?? '', run.metadata?.name ?? '')();
  }
  for (const ex of experiments) {
    experimentMetrics.startReconcile(ex.metadata?.namespace ?? '', ex.metadata?.name ?? '')();
  }
  return {
    heapWithoutMetrics,
    scrape: () => process.scrape(),
    stop: () => {
      rolloutMetrics.unregister();
      analysisMetrics.unregister();
      experimentMetrics.unregister();
      notificationMetrics.unregister();
      process.stop();
    },
  };
}

async function measure(n: number, scrapes: number): Promise<void> {
  const source = fill(n);
  let text = '';
  for (let i = 0; i < 3; i++) await source.scrape(); // warm-up: compile the hot paths
  gc();
  // What the metric sources keep between scrapes (series, caches), beyond the cached objects.
  const retainedMiB = (process.memoryUsage().heapUsed - source.heapWithoutMetrics) / 2 ** 20;
  const profiler = new GCProfiler();
  const heapBefore = process.memoryUsage().heapUsed;
  profiler.start();
  const cpu = process.cpuUsage();
  const started = performance.now();
  // As the endpoint does: the text is encoded once for the response (res.end).
  let bytes = 0;
  for (let i = 0; i < scrapes; i++) {
    text = await source.scrape();
    bytes = Buffer.from(text).length;
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const heapAfter = process.memoryUsage().heapUsed;
  const gcs = profiler.stop()?.statistics ?? [];
  const freed = gcs.reduce(
    (sum, gc) => sum + (gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize),
    0,
  );
  const gcMs = gcs.reduce((sum, gc) => sum + gc.cost / 1000, 0);
  const cpuMs = (used.user + used.system) / 1000 / scrapes;
  const allocatedMiB = (heapAfter - heapBefore + freed) / scrapes / 2 ** 20;
  const lines = text.split('\n').length - 1;
  console.log(
    `${String(n).padStart(6)} rollouts: ${cpuMs.toFixed(1)} ms CPU/scrape (${(wallMs / scrapes).toFixed(1)} ms wall, ` +
      `GC ${(gcMs / scrapes).toFixed(1)} ms), ${(bytes / 2 ** 20).toFixed(2)} MiB, ${lines} lines, ` +
      `${allocatedMiB.toFixed(1)} MiB heap allocated/scrape, ${retainedMiB.toFixed(1)} MiB retained`,
  );
  source.stop();
}

const { loadavg } = await import('node:os');
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, node ${process.version}`,
);
for (const n of (values.rollouts ?? '').split(',').map(Number)) await measure(n, Number(values.scrapes));
