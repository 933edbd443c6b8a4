// The Job provider's naming and outcomes, as Argo Rollouts v1.10.2's metricproviders/job has them.
import { describe, expect, it } from 'vitest';
import type { ObservedAnalysisRun } from '../../../src/analysis/plan.js';
import {
  jobProvider,
  measurementJob,
  measurementJobName,
  terminalPodError,
} from '../../../src/analysis/providers/job.js';
import type { JobObject, JobPod, ProviderContext } from '../../../src/analysis/providers/provider.js';
import type { Metric } from '../../../src/api/analysis.js';
import { ANALYSIS_RUN_UID_LABEL } from '../../../src/api/labels.js';
import type { RestClient } from '../../../src/kube/rest.js';
import { itMaps } from '../support/each.js';

const UID = '6d8b1b4e-93a2-4b8e-9c0e-1f2a3b4c5d6e'; // 36 characters, like every uid
const run = (count = 0): ObservedAnalysisRun => ({
  metadata: { name: 'run', namespace: 'shop', uid: UID },
  spec: { metrics: [] },
  ...(count ? { status: { phase: 'Running', metricResults: [{ name: 'm', count } as never] } } : {}),
});
const metric = (name: string): Metric =>
  ({ name, provider: { job: { spec: { template: { spec: { containers: [] } } } } } }) as Metric;

describe('measurementJobName', () => {
  it.each([
    ['short', 0, `${UID}.short.1`],
    ['m', 4, `${UID}.m.5`],
    // 36 + 1 + 30 + 1 + 1 = 69: six characters too many come off the metric name.
    ['a-metric-name-of-thirty-chars-', 0, `${UID}.a-metric-name-of-thirty-.1`],
    ['exactly-twenty-four-char', 0, `${UID}.exactly-twenty-four-char.1`],
  ])('%s after %i measurements', (name, count, expected) => {
    const result = measurementJobName({ run: run(count), metric: { ...metric(name), name } });
    expect(result).toBe(expected);
    expect(result.length).toBeLessThanOrEqual(63);
  });
});

describe('measurementJob', () => {
  it('labels the pod template with the run uid and annotates the run namespace', () => {
    const job = measurementJob({ run: run(), metric: metric('m') });
    const spec = job.spec as { template: { metadata: { labels: Record<string, string> } } };
    expect(spec.template.metadata.labels[ANALYSIS_RUN_UID_LABEL]).toBe(UID);
    expect(job.metadata.annotations?.['analysisrun.argoproj.io/namespace']).toBe('shop');
  });
});

const waiting = (reason: string): JobPod => ({
  metadata: { name: 'p' },
  status: { containerStatuses: [{ name: 'c', state: { waiting: { reason, message: 'no' } } }] },
});

describe('terminalPodError', () => {
  itMaps('%s terminal: %s', (reason) => terminalPodError([waiting(reason)]) !== undefined, [
    ['ErrImagePull', true],
    ['ImagePullBackOff', true],
    ['InvalidImageName', true],
    ['ContainerCreating', false],
    ['CrashLoopBackOff', false],
  ]);
});

function context(job: JobObject | undefined, pods: JobPod[] = []): ProviderContext {
  const client = {
    async request(request: { method: string; path: string }) {
      if (request.method !== 'DELETE') throw new Error(`unexpected ${request.method}`);
      return {};
    },
  } as unknown as RestClient;
  return {
    client,
    now: () => new Date('2026-01-01T00:00:00Z'),
    controllerNamespace: 'argo-rollouts',
    env: {},
    jobs: { get: () => job, ownedBy: () => [] },
    jobPods: () => pods,
  };
}

const running = {
  phase: 'Running' as const,
  startedAt: '2026-01-01T00:00:00Z',
  metadata: { 'job-name': 'j' },
};
const jobObject: JobObject = { metadata: { name: 'j', namespace: 'shop', uid: 'job-uid' }, status: {} };

describe('jobProvider', () => {
  it('a terminated measurement is Inconclusive, not Successful', async () => {
    const target = { run: run(), metric: metric('m') };
    const provider = jobProvider(target, context(jobObject));
    const result = await provider.terminate(target, running);
    expect(result.phase).toBe('Inconclusive');
    expect(result.finishedAt).toBeDefined();
  });

  it('a Job whose pod cannot pull its image is Inconclusive', async () => {
    const target = { run: run(), metric: metric('m') };
    const provider = jobProvider(target, context(jobObject, [waiting('ErrImagePull')]));
    const result = await provider.resume(target, running);
    expect(result.phase).toBe('Inconclusive');
    expect(result.message).toContain('ErrImagePull');
  });

  it('a Job still pulling keeps running', async () => {
    const target = { run: run(), metric: metric('m') };
    const provider = jobProvider(target, context(jobObject, [waiting('ContainerCreating')]));
    expect((await provider.resume(target, running)).phase).toBe('Running');
  });

  it('a running Job is looked at again after sqrt(2 x elapsed) seconds, as Argo schedules it', async () => {
    const target = { run: run(), metric: metric('m') };
    const provider = jobProvider(target, context(jobObject));
    // Started 8 s before the context's clock: sqrt(16) = 4 s later.
    const result = await provider.resume(target, { ...running, startedAt: '2025-12-31T23:59:52Z' });
    expect(result.phase).toBe('Running');
    expect(result.resumeAt).toBe('2026-01-01T00:00:04Z');
  });
});
