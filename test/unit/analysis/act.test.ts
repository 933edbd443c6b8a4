// The act layer with a fake API client and fake providers: secrets read and redacted, the
// status written with the resourceVersion read, Events after the write, terminate messages,
// providers asked to clean up after trimming, ttl deletion.
import { describe, expect, it } from 'vitest';
import { type AnalysisActContext, reconcileAnalysisRun } from '../../../src/analysis/act.js';
import type { ObservedAnalysisRun } from '../../../src/analysis/plan.js';
import {
  MAX_STATUS_TEXT,
  type MetricProvider,
  type ProviderFactory,
} from '../../../src/analysis/providers/provider.js';
import type { Measurement, Metric } from '../../../src/api/analysis.js';
import { type CoreEvent, EventRecorder } from '../../../src/kube/events.js';
import type { KubeRequest, RestClient } from '../../../src/kube/rest.js';
import { StatusSubresources } from '../../../src/kube/status-subresource.js';
import { createLogger } from '../../../src/process/logger.js';

const NOW = new Date(Date.UTC(2025, 0, 1, 12, 0, 0));
const SECRET = 'hunter2-secret';

interface Harness {
  ctx: AnalysisActContext;
  requests: KubeRequest[];
  events: CoreEvent[];
  calls: string[];
}

function harness(provider: Partial<MetricProvider>): Harness {
  const requests: KubeRequest[] = [];
  const events: CoreEvent[] = [];
  const calls: string[] = [];
  const client = {
    request: async (req: KubeRequest) => {
      requests.push(req);
      // API discovery as with Argo's AnalysisRun CRD: no status subresource.
      if (req.method === 'GET' && req.path === '/apis/argoproj.io/v1alpha1') {
        return { resources: [{ name: 'analysisruns' }] };
      }
      if (req.method === 'GET' && req.path.includes('/secrets/')) {
        return { kind: 'Secret', data: { token: Buffer.from(SECRET).toString('base64') } };
      }
      if (req.method === 'PUT') return { ...(req.body as object), metadata: { resourceVersion: '2' } };
      return {};
    },
    get: async (_r: unknown, namespace: string, name: string) =>
      client.request({
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/secrets/${name}`,
        verb: 'get',
        resource: 'secrets',
      }),
  } as unknown as RestClient;
  const full: MetricProvider = {
    type: 'Fake',
    run: async () => ({ phase: 'Successful', startedAt: '2025-01-01T12:00:00Z' }),
    resume: async (_t, m) => m,
    terminate: async (_t, m) => ({ ...m, phase: 'Successful' }),
    garbageCollect: async (_t, limit) => {
      calls.push(`gc:${limit}`);
    },
    ...provider,
  };
  const factory: ProviderFactory = (target) => {
    calls.push(`build:${target.metric.name}:${JSON.stringify(target.metric.provider)}`);
    return full;
  };
  const recorder = new EventRecorder({
    sink: {
      create: async (event) => {
        events.push(event);
        return event;
      },
      patch: async () => {
        throw new Error('unexpected');
      },
    },
    clock: { now: () => NOW.getTime(), setTimer: () => ({ cancel() {} }) },
  });
  return {
    requests,
    events,
    calls,
    ctx: {
      client,
      statusSubresources: new StatusSubresources(client),
      events: recorder,
      logger: createLogger('test', 'error'),
      now: () => NOW,
      factoryFor: () => factory,
      providers: {
        client,
        now: () => NOW,
        controllerNamespace: 'argo-rollouts',
        env: {},
        jobs: { get: () => undefined, ownedBy: () => [] },
      },
    },
  };
}

const metric = (fields: Partial<Metric> = {}): Metric => ({
  name: 'm',
  provider: { web: { url: 'http://svc/?t={{args.token}}' } },
  ...fields,
});

const run = (
  spec: Partial<ObservedAnalysisRun['spec']>,
  status?: ObservedAnalysisRun['status'],
): ObservedAnalysisRun => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AnalysisRun',
  metadata: { name: 'r', namespace: 'shop', uid: 'uid-1', resourceVersion: '1' },
  spec: {
    metrics: [metric()],
    args: [{ name: 'token', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }],
    ...spec,
  },
  ...(status ? { status } : {}),
});

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('reconcileAnalysisRun', () => {
  it('reads the secret into the metric only, redacts what comes back, writes with the read resourceVersion', async () => {
    const h = harness({
      run: async (target) => ({
        phase: 'Error',
        startedAt: '2025-01-01T12:00:00Z',
        message: `GET ${String(target.metric.provider.web?.url)} refused`,
        value: SECRET,
      }),
    });
    const outcome = await reconcileAnalysisRun(h.ctx, run({}));
    await flush();
    expect(h.calls[0]).toContain(SECRET); // the provider got the real value
    const put = h.requests.find((r) => r.method === 'PUT');
    // With the object: the CRD has no status subresource (as Argo's).
    expect(put?.path).toBe('/apis/argoproj.io/v1alpha1/namespaces/shop/analysisruns/r');
    const written = JSON.stringify(put?.body);
    expect(written).not.toContain(SECRET);
    expect(written).toContain('GET http://svc/?t=***** refused');
    expect((put?.body as ObservedAnalysisRun | undefined)?.metadata.resourceVersion).toBe('1');
    expect(outcome).toEqual({ requeueAfterMs: 10_001, writtenResourceVersion: '2' });
  });

  it('bounds measurement value, message and metadata in status, after redacting', async () => {
    const huge = `${SECRET}${'9'.repeat(1_000_000)}`;
    const h = harness({
      run: async () => ({
        phase: 'Successful',
        startedAt: '2025-01-01T12:00:00Z',
        value: huge,
        message: huge,
        metadata: { big: huge },
      }),
    });
    await reconcileAnalysisRun(h.ctx, run({}));
    const put = h.requests.find((r) => r.method === 'PUT')?.body as ObservedAnalysisRun;
    const written = put.status?.metricResults?.[0]?.measurements?.[0];
    for (const text of [written?.value, written?.message, written?.metadata?.big]) {
      expect(text).toHaveLength(MAX_STATUS_TEXT);
      expect(text?.startsWith('*****9999')).toBe(true);
      expect(text?.endsWith(`...[truncated, ${1_000_000 + 5} characters in all]`)).toBe(true);
    }
    expect(JSON.stringify(put).length).toBeLessThan(10_000);
  });

  it('a provider throwing a JavaScript TypeError gives a readable Error, not the raw text', async () => {
    const h = harness({
      run: async () => {
        const shape = JSON.parse('{}') as { value: { trim(): string } };
        return { phase: 'Successful', value: shape.value.trim() };
      },
    });
    await reconcileAnalysisRun(h.ctx, run({}));
    const put = h.requests.find((r) => r.method === 'PUT')?.body as ObservedAnalysisRun;
    const measurement = put.status?.metricResults?.[0]?.measurements?.[0];
    expect(measurement?.phase).toBe('Error');
    expect(measurement?.message).toBe('the provider answered with a result of an unexpected shape');
  });

  it('a missing secret key ends the run with Error and an Event', async () => {
    const h = harness({});
    await reconcileAnalysisRun(h.ctx, {
      ...run({ args: [{ name: 'token', valueFrom: { secretKeyRef: { name: 'api', key: 'other' } } }] }),
    });
    await flush();
    const put = h.requests.find((r) => r.method === 'PUT')?.body as ObservedAnalysisRun;
    expect(put.status).toMatchObject({
      phase: 'Error',
      message: "Unable to resolve metric arguments: key 'other' does not exist in secret 'api'",
    });
    expect(h.events.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'AnalysisRunError', 'Analysis Completed. Result: Error'],
    ]);
  });

  it('terminating an in-flight measurement marks it "Metric Terminated"', async () => {
    const h = harness({});
    const inFlight: Measurement = {
      phase: 'Running',
      startedAt: '2025-01-01T11:59:00Z',
      metadata: { 'job-name': 'j' },
    };
    await reconcileAnalysisRun(
      h.ctx,
      run(
        { terminate: true },
        {
          phase: 'Running',
          startedAt: '2025-01-01T11:59:00Z',
          metricResults: [{ name: 'm', phase: 'Running', measurements: [inFlight] }],
        },
      ),
    );
    const put = h.requests.find((r) => r.method === 'PUT')?.body as ObservedAnalysisRun;
    expect(put.status?.phase).toBe('Successful');
    expect(put.status?.message).toBe('Run Terminated');
    expect(put.status?.metricResults?.[0]?.measurements?.[0]).toMatchObject({
      phase: 'Successful',
      message: 'Metric Terminated',
    });
  });

  it('asks the provider to clean up when measurements are trimmed', async () => {
    const h = harness({});
    const history = Array.from({ length: 10 }, (_, i) => ({
      phase: 'Successful' as const,
      startedAt: `2025-01-01T11:0${i}:00Z`,
      finishedAt: `2025-01-01T11:0${i}:00Z`,
    }));
    await reconcileAnalysisRun(
      h.ctx,
      run(
        { metrics: [metric({ interval: '1s' })] },
        {
          phase: 'Running',
          startedAt: '2025-01-01T11:00:00Z',
          metricResults: [{ name: 'm', phase: 'Running', count: 10, successful: 10, measurements: history }],
        },
      ),
    );
    expect(h.calls.at(-1)).toBe('gc:10');
    const put = h.requests.find((r) => r.method === 'PUT')?.body as ObservedAnalysisRun;
    expect(put.status?.metricResults?.[0]?.measurements).toHaveLength(10);
  });

  it('writes nothing when nothing changed', async () => {
    const h = harness({});
    const status = {
      phase: 'Running' as const,
      startedAt: '2025-01-01T11:59:59Z',
      metricResults: [
        {
          name: 'm',
          phase: 'Running' as const,
          count: 1,
          successful: 1,
          consecutiveSuccess: 1,
          measurements: [
            {
              phase: 'Successful' as const,
              startedAt: '2025-01-01T11:59:59Z',
              finishedAt: '2025-01-01T11:59:59Z',
            },
          ],
        },
      ],
      runSummary: { count: 1 },
      dryRunSummary: {},
    };
    const outcome = await reconcileAnalysisRun(h.ctx, run({ metrics: [metric({ interval: '1m' })] }, status));
    expect(h.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(outcome.requeueAfterMs).toBe(59_001);
  });

  it('deletes a run whose ttl expired, only that incarnation', async () => {
    const h = harness({});
    await reconcileAnalysisRun(
      h.ctx,
      run(
        { ttlStrategy: { secondsAfterCompletion: 5 } },
        { phase: 'Successful', completedAt: '2025-01-01T11:59:00Z' },
      ),
    );
    const del = h.requests.find((r) => r.method === 'DELETE');
    expect(del?.path).toBe('/apis/argoproj.io/v1alpha1/namespaces/shop/analysisruns/r');
    expect(del?.body).toMatchObject({ preconditions: { uid: 'uid-1' } });
  });
});
