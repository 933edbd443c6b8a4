import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { RequestCounter } from '../../../src/kube/request-counter.js';
import { WorkQueue } from '../../../src/kube/workqueue.js';
import { createProcessMetrics, EVENT_LOOP_SAMPLE_MS } from '../../../src/metrics/registry.js';

async function value(metrics: ReturnType<typeof createProcessMetrics>, name: string): Promise<number[]> {
  const metric = metrics.registry.getSingleMetric(name);
  const got = await metric?.get();
  return (got?.values ?? []).map((v) => v.value);
}

describe('controller health metrics', () => {
  it('records a blocked event loop as lag', async () => {
    const metrics = createProcessMetrics(new RequestCounter());
    try {
      await sleep(50);
      // Longer than the sampling interval, so the stall covers a tick whenever it starts.
      const until = performance.now() + EVENT_LOOP_SAMPLE_MS + 200;
      while (performance.now() < until) {
        // block the loop, as a CPU-bound reconcile would
      }
      await vi.waitFor(async () => {
        const text = await metrics.registry.getSingleMetricAsString('slipway_event_loop_lag_seconds');
        const count = Number(/slipway_event_loop_lag_seconds_count (\d+)/.exec(text)?.[1] ?? '0');
        const fast = Number(
          /slipway_event_loop_lag_seconds_bucket\{le="0.05"\} (\d+)/.exec(text)?.[1] ?? '0',
        );
        expect(count - fast).toBeGreaterThanOrEqual(1);
      });
      const [max] = await value(metrics, 'slipway_event_loop_lag_max_seconds');
      expect(max).toBeGreaterThanOrEqual(0.09);
    } finally {
      metrics.stop();
    }
  });

  it('reports busy workers and saturation per work queue', async () => {
    const metrics = createProcessMetrics(new RequestCounter());
    try {
      const queue = new WorkQueue({ name: 'rollouts', metrics: metrics.workQueue('rollouts') });
      let release = (): void => {};
      const blocked = new Promise<void>((done) => {
        release = done;
      });
      const workers = queue.run(() => blocked, 4);
      queue.add('a');
      queue.add('b');
      await vi.waitFor(async () =>
        expect(await value(metrics, 'slipway_workqueue_busy_workers')).toEqual([2]),
      );
      expect(await value(metrics, 'slipway_workqueue_worker_saturation')).toEqual([0.5]);
      release();
      await vi.waitFor(async () =>
        expect(await value(metrics, 'slipway_workqueue_busy_workers')).toEqual([0]),
      );
      await queue.shutDown();
      await workers;
    } finally {
      metrics.stop();
    }
  });

  it('exports whether this process leads', async () => {
    const metrics = createProcessMetrics(new RequestCounter());
    metrics.leading('slipway-controller-lock', true);
    expect(await metrics.registry.getSingleMetricAsString('leader_election_master_status')).toContain(
      'leader_election_master_status{name="slipway-controller-lock"} 1',
    );
    metrics.stop();
  });

  it('counts API requests with the labels and values Argo writes', async () => {
    const counter = new RequestCounter();
    const metrics = createProcessMetrics(counter);
    try {
      const request = { namespace: 'shop', statusCode: 200 };
      counter.record({ ...request, verb: 'update', resource: 'rollouts', name: 'web' });
      counter.record({ ...request, verb: 'update', resource: 'rollouts', name: 'web' });
      counter.record({ ...request, verb: 'list', resource: 'rollouts', name: '' });
      counter.record({ ...request, verb: 'patch', resource: 'replicasets', name: 'web-abc' });
      counter.record({ ...request, verb: 'create', resource: 'events', name: '', statusCode: 201 });
      const text = await metrics.scrape();
      expect(text).toContain(
        '# HELP controller_clientset_k8s_request_total Number of kubernetes requests executed during application reconciliation.',
      );
      const samples = text.split('\n').filter((line) => line.startsWith('controller_'));
      expect(samples.sort()).toEqual(
        [
          'controller_clientset_k8s_request_total{kind="rollouts",namespace="shop",name="web",verb="Update",status_code="200"} 2',
          'controller_clientset_k8s_request_total{kind="rollouts",namespace="shop",name="N/A",verb="List",status_code="200"} 1',
          'controller_clientset_k8s_request_total{kind="replicasets",namespace="shop",name="N/A",verb="Patch",status_code="200"} 1',
          'controller_clientset_k8s_request_total{kind="events",namespace="shop",name="N/A",verb="Create",status_code="201"} 1',
        ].sort(),
      );
    } finally {
      metrics.stop();
    }
  });
});
