// The pure AnalysisRun plan, table style: scheduling, limits, phase aggregation, dry run,
// retention, termination and ttl. Cases marked [argo] restate facts of Argo Rollouts'
// analysis/analysis_test.go; the clock is passed in.
import { describe, expect, it } from 'vitest';
import {
  assessRun,
  type MeasurementOutcome,
  type MeasurementPlan,
  measurementTasks,
  nextReconcileTime,
  type ObservedAnalysisRun,
  planMeasurements,
  ttlDecision,
} from '../../../src/analysis/plan.js';
import type { AnalysisRunStatus, Measurement, Metric, MetricResult } from '../../../src/api/analysis.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const ts = (seconds: number) =>
  at(seconds)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');

const web: Metric['provider'] = { web: { url: 'http://example/metric' } };
const metric = (name: string, fields: Partial<Metric> = {}): Metric => ({ name, provider: web, ...fields });

function run(
  metrics: Metric[],
  status?: AnalysisRunStatus,
  spec: Partial<ObservedAnalysisRun['spec']> = {},
): ObservedAnalysisRun {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: { name: 'run', namespace: 'shop', uid: 'uid-1', resourceVersion: '1' },
    spec: { metrics, ...spec },
    ...(status ? { status } : {}),
  };
}

const done = (phase: Measurement['phase'], finished: number, started = finished): Measurement => ({
  phase,
  startedAt: ts(started),
  finishedAt: ts(finished),
});

const result = (name: string, fields: Partial<MetricResult>): MetricResult => ({
  name,
  phase: 'Running',
  ...fields,
});

const running = (results: MetricResult[], startedAt = 0): AnalysisRunStatus => ({
  phase: 'Running',
  startedAt: ts(startedAt),
  metricResults: results,
});

function measurePlan(r: ObservedAnalysisRun, now: Date): Extract<MeasurementPlan, { kind: 'measure' }> {
  const plan = planMeasurements(r, now);
  if (plan.kind !== 'measure') throw new Error(`expected a measure plan, got ${plan.kind}`);
  return plan;
}

/** A pass where every task yields the given phase (by metric name). */
function pass(r: ObservedAnalysisRun, now: Date, phases: Record<string, Measurement['phase']> = {}) {
  const plan = measurePlan(r, now);
  const outcomes: MeasurementOutcome[] = plan.tasks.map((task) => ({
    metricName: task.metricName,
    replacesLast: task.action !== 'run',
    measurement:
      task.action === 'terminate'
        ? { ...(task.inFlight as Measurement), phase: 'Successful', message: 'Metric Terminated' }
        : {
            phase: phases[task.metricName] ?? 'Successful',
            startedAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          },
  }));
  const assessment = assessRun(r, plan, outcomes, now);
  return { plan, assessment, next: { ...r, status: assessment.status } };
}

describe('measurementTasks: scheduling by interval, initialDelay and count', () => {
  it.each<[string, Metric, MetricResult | undefined, number, string[]]>([
    ['[argo] never measured: measure now', metric('m'), undefined, 0, ['run']],
    [
      'no interval, no count: one measurement, then done',
      metric('m'),
      result('m', { count: 1, measurements: [done('Successful', 0)] }),
      60,
      [],
    ],
    [
      'count 3 with interval: second measurement after the interval',
      metric('m', { count: 3, interval: '30s' }),
      result('m', { count: 1, measurements: [done('Successful', 0)] }),
      31,
      ['run'],
    ],
    [
      'count 3 with interval: not before the interval',
      metric('m', { count: 3, interval: '30s' }),
      result('m', { count: 1, measurements: [done('Successful', 0)] }),
      30,
      [],
    ],
    [
      'count reached: nothing more',
      metric('m', { count: 2, interval: '1s' }),
      result('m', { count: 2, measurements: [done('Successful', 0), done('Successful', 2)] }),
      100,
      [],
    ],
    [
      'interval only: measures until terminated',
      metric('m', { interval: '10s' }),
      result('m', { count: 50, measurements: [done('Successful', 500)] }),
      511,
      ['run'],
    ],
    [
      '[argo] error: retried after 10s whatever the interval',
      metric('m', { interval: '5m' }),
      result('m', { error: 1, consecutiveError: 1, measurements: [done('Error', 0)] }),
      11,
      ['run'],
    ],
    [
      'error: not before 10s',
      metric('m', { interval: '5m' }),
      result('m', { error: 1, consecutiveError: 1, measurements: [done('Error', 0)] }),
      9,
      [],
    ],
    [
      'in flight: resumed',
      metric('m'),
      result('m', { measurements: [{ phase: 'Running', startedAt: ts(0) }] }),
      5,
      ['resume'],
    ],
    [
      'in flight with resumeAt in the future: left alone',
      metric('m'),
      result('m', { measurements: [{ phase: 'Running', startedAt: ts(0), resumeAt: ts(60) }] }),
      30,
      [],
    ],
    [
      'in flight with resumeAt passed: resumed',
      metric('m'),
      result('m', { measurements: [{ phase: 'Running', startedAt: ts(0), resumeAt: ts(60) }] }),
      61,
      ['resume'],
    ],
    [
      'completed metric: skipped',
      metric('m', { interval: '1s' }),
      result('m', { phase: 'Successful', count: 1, measurements: [done('Successful', 0)] }),
      100,
      [],
    ],
    ['[argo] initialDelay not passed: wait', metric('m', { initialDelay: '30s' }), undefined, 29, []],
    ['[argo] initialDelay passed: measure', metric('m', { initialDelay: '30s' }), undefined, 31, ['run']],
  ])('%s', (_name, m, res, now, expected) => {
    const r = run([m], running(res ? [res] : []));
    expect(measurementTasks(r, [m], at(now)).map((t) => t.action)).toEqual(expected);
  });

  it('[argo] initialDelay waits for startedAt (the first pass sets it)', () => {
    const m = metric('m', { initialDelay: '5s' });
    expect(measurementTasks(run([m]), [m], at(100))).toEqual([]);
  });

  it('[argo] terminating: in-flight measurements are terminated, nothing new starts', () => {
    const a = metric('a', { interval: '1s' });
    const b = metric('b', { interval: '1s' });
    const r = run(
      [a, b],
      running([
        result('a', { count: 1, measurements: [done('Successful', 0)] }),
        result('b', { measurements: [{ phase: 'Running', startedAt: ts(0) }] }),
      ]),
      { terminate: true },
    );
    expect(measurementTasks(r, [a, b], at(60))).toEqual([
      expect.objectContaining({ metricName: 'b', action: 'terminate' }),
    ]);
  });

  it('[argo] terminating: an in-flight measurement is terminated at once, whatever its resumeAt', () => {
    const m = metric('m');
    const r = run(
      [m],
      running([result('m', { measurements: [{ phase: 'Running', startedAt: ts(0), resumeAt: ts(600) }] })]),
      { terminate: true },
    );
    expect(measurementTasks(r, [m], at(60))).toEqual([
      expect.objectContaining({ metricName: 'm', action: 'terminate' }),
    ]);
  });
});

describe('assessRun: limits', () => {
  // Every metric measures each second; the rows give the other fields.
  it.each<[string, Partial<Metric>, Measurement['phase'][], string, string?]>([
    [
      '[argo] failureLimit 0: one failure fails',
      { count: 3 },
      ['Failed'],
      'Failed',
      'Metric "m" assessed Failed due to failed (1) > failureLimit (0)',
    ],
    ['failureLimit 1: one failure is tolerated', { count: 3, failureLimit: 1 }, ['Failed'], 'Running'],
    [
      'failureLimit 1: two failures fail',
      { count: 3, failureLimit: 1 },
      ['Failed', 'Failed'],
      'Failed',
      'Metric "m" assessed Failed due to failed (2) > failureLimit (1)',
    ],
    ['failureLimit as a string', { count: 3, failureLimit: '1' }, ['Failed'], 'Running'],
    [
      'failureLimit -1: failures never fail',
      { count: 3, failureLimit: -1 },
      ['Failed', 'Failed', 'Failed'],
      'Successful',
    ],
    [
      '[argo] inconclusiveLimit 0: one inconclusive',
      { count: 2 },
      ['Inconclusive'],
      'Inconclusive',
      'Metric "m" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)',
    ],
    [
      'inconclusiveLimit 1 tolerates one',
      { count: 2, inconclusiveLimit: 1 },
      ['Inconclusive', 'Successful'],
      'Successful',
    ],
    [
      '[argo] consecutiveErrorLimit default 4: five errors',
      {},
      ['Error', 'Error', 'Error', 'Error', 'Error'],
      'Error',
      'Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)',
    ],
    ['four errors are tolerated', {}, ['Error', 'Error', 'Error', 'Error'], 'Running'],
    [
      'a success resets consecutive errors',
      {},
      ['Error', 'Error', 'Error', 'Error', 'Successful', 'Error'],
      'Running',
    ],
    [
      'consecutiveErrorLimit 0: first error',
      { consecutiveErrorLimit: 0 },
      ['Error'],
      'Error',
      'Metric "m" assessed Error due to consecutiveErrors (1) > consecutiveErrorLimit (0)',
    ],
    [
      'consecutiveSuccessLimit 2 reached before count',
      { count: 5, failureLimit: 3, consecutiveSuccessLimit: 2 },
      ['Failed', 'Successful', 'Successful'],
      'Successful',
    ],
    [
      'consecutiveSuccessLimit not reached at count, failureLimit in play: Inconclusive',
      { count: 3, failureLimit: 2, consecutiveSuccessLimit: 2 },
      ['Successful', 'Failed', 'Successful'],
      'Inconclusive',
    ],
    [
      'consecutiveSuccessLimit with failureLimit -1: count reached without it fails',
      { count: 3, failureLimit: -1, consecutiveSuccessLimit: 3 },
      ['Successful', 'Failed', 'Successful'],
      'Failed',
    ],
    [
      'count reached, failures within the limit: Successful',
      { count: 3, failureLimit: 1 },
      ['Successful', 'Failed', 'Successful'],
      'Successful',
    ],
  ])('%s', (_name, fields, phases, expectedPhase, expectedMessage) => {
    const m = metric('m', { interval: '1s', ...fields });
    let r = run([m]);
    let second = 0;
    for (const phase of phases) {
      const { next } = pass(r, at(second), { m: phase });
      r = next;
      second += 11; // past the interval and the 10 s error retry
      if (r.status?.phase !== 'Running') break;
    }
    expect(r.status?.phase).toBe(expectedPhase);
    expect(r.status?.message).toBe(expectedMessage);
  });
});

describe('assessRun: counters and status fields as Argo writes them', () => {
  it('counts, leaves zero counters out, sets startedAt, summaries and completion', () => {
    const m = metric('m', { count: 2, interval: '1s', failureLimit: 1 });
    let r = run([m]);
    r = pass(r, at(0), { m: 'Failed' }).next;
    expect(r.status).toEqual({
      phase: 'Running',
      startedAt: ts(0),
      metricResults: [
        {
          name: 'm',
          phase: 'Running',
          count: 1,
          failed: 1,
          measurements: [{ phase: 'Failed', startedAt: ts(0), finishedAt: ts(0) }],
        },
      ],
      runSummary: { count: 1 },
      dryRunSummary: {},
    });
    const second = pass(r, at(2), { m: 'Successful' });
    expect(second.assessment.status).toMatchObject({
      phase: 'Successful',
      completedAt: ts(2),
      runSummary: { count: 1, successful: 1 },
      metricResults: [
        { name: 'm', phase: 'Successful', count: 2, failed: 1, successful: 1, consecutiveSuccess: 1 },
      ],
    });
    expect(second.assessment.events).toEqual([
      { type: 'Normal', reason: 'MetricSuccessful', message: "Metric 'm' Completed. Result: Successful" },
      { type: 'Normal', reason: 'AnalysisRunSuccessful', message: 'Analysis Completed. Result: Successful' },
    ]);
  });

  it('the metric keeps the message of its last measurement, and a failing run explains it', () => {
    const m = metric('m');
    const plan = measurePlan(run([m]), at(0));
    const assessment = assessRun(
      run([m]),
      plan,
      [
        {
          metricName: 'm',
          replacesLast: false,
          measurement: { phase: 'Error', message: 'connection refused', startedAt: ts(0) },
        },
      ],
      at(0),
    );
    expect(assessment.status.metricResults?.[0]).toMatchObject({
      phase: 'Running',
      error: 1,
      consecutiveError: 1,
    });
    expect(assessment.requeueAfterMs).toBe(10_001);
  });

  it('error events are Warnings', () => {
    const m = metric('m', { consecutiveErrorLimit: 0 });
    const { assessment } = pass(run([m]), at(0), { m: 'Error' });
    expect(assessment.events).toEqual([
      { type: 'Warning', reason: 'MetricError', message: "Metric 'm' Completed. Result: Error" },
      { type: 'Warning', reason: 'AnalysisRunError', message: 'Analysis Completed. Result: Error' },
    ]);
  });
});

describe('assessRun: phase aggregation', () => {
  it.each<[string, Record<string, Measurement['phase']>, string]>([
    ['all successful', { a: 'Successful', b: 'Successful' }, 'Successful'],
    ['[argo] worst wins: Failed over Successful', { a: 'Successful', b: 'Failed' }, 'Failed'],
    ['Error over Inconclusive', { a: 'Error', b: 'Inconclusive' }, 'Error'],
    ['Failed over Error', { a: 'Error', b: 'Failed' }, 'Failed'],
    ['Inconclusive over Successful', { a: 'Successful', b: 'Inconclusive' }, 'Inconclusive'],
  ])('%s', (_name, phases, expected) => {
    const a = metric('a', { consecutiveErrorLimit: 0 });
    const b = metric('b');
    const { next } = pass(run([a, b]), at(0), phases);
    expect(next.status?.phase).toBe(expected);
  });

  it('[argo] a bad metric ends the run early, terminating the others (which end Successful)', () => {
    const bad = metric('bad');
    const slow = metric('slow', { interval: '5m' });
    const jobLike = metric('job-like');
    // job-like stays in flight: its provider answers Running.
    let r = run([bad, slow, jobLike]);
    const first = measurePlan(r, at(0));
    const firstAssessment = assessRun(
      r,
      first,
      [
        { metricName: 'bad', replacesLast: false, measurement: { phase: 'Failed', startedAt: ts(0) } },
        { metricName: 'slow', replacesLast: false, measurement: { phase: 'Successful', startedAt: ts(0) } },
        { metricName: 'job-like', replacesLast: false, measurement: { phase: 'Running', startedAt: ts(0) } },
      ],
      at(0),
    );
    expect(firstAssessment.status.phase).toBe('Running');
    expect(firstAssessment.requeueAfterMs).toBe(1);
    r = { ...r, status: firstAssessment.status };
    const second = pass(r, at(1));
    expect(second.plan.tasks).toEqual([
      expect.objectContaining({ metricName: 'job-like', action: 'terminate' }),
    ]);
    expect(second.next.status?.phase).toBe('Failed');
    expect(second.next.status?.message).toBe(
      'Metric "bad" assessed Failed due to failed (1) > failureLimit (0)',
    );
    expect(second.next.status?.metricResults?.map((m) => [m.name, m.phase])).toEqual([
      ['bad', 'Failed'],
      ['slow', 'Successful'],
      ['job-like', 'Successful'],
    ]);
    expect(second.next.status?.metricResults?.[2]?.measurements?.[0]?.message).toBe('Metric Terminated');
  });

  it('a metric waiting for its initialDelay keeps the run Running', () => {
    const now = metric('now');
    const later = metric('later', { initialDelay: '1m' });
    const { next, assessment } = pass(run([now, later]), at(0));
    expect(next.status?.phase).toBe('Running');
    expect(assessment.requeueAfterMs).toBe(60_001);
    const { next: after } = pass(next, at(61));
    expect(after.status?.phase).toBe('Successful');
  });
});

describe('assessRun: dry run', () => {
  it.each<[string, string]>([
    ['by name', 'bad'],
    ['by expression', 'b.*'],
    ['* for every metric', '*'],
  ])('a failing dry-run metric never fails the run (%s)', (_name, rule) => {
    const bad = metric('bad');
    const good = metric('good');
    const r = run([bad, good], undefined, { dryRun: [{ metricName: rule }] });
    const { next } = pass(r, at(0), { bad: 'Failed', good: 'Successful' });
    expect(next.status?.phase).toBe('Successful');
    const badResult = next.status?.metricResults?.find((m) => m.name === 'bad');
    expect(badResult).toMatchObject({
      phase: 'Failed',
      dryRun: true,
      message: 'Metric assessed Failed due to failed (1) > failureLimit (0)',
    });
    if (rule === '*') {
      expect(next.status?.runSummary).toEqual({});
      expect(next.status?.dryRunSummary).toEqual({ count: 2, successful: 1, failed: 1 });
    } else {
      expect(next.status?.runSummary).toEqual({ count: 1, successful: 1 });
      expect(next.status?.dryRunSummary).toEqual({ count: 1, failed: 1 });
    }
  });

  it('a failed dry-run metric does not terminate the others', () => {
    const bad = metric('bad');
    const ongoing = metric('ongoing', { count: 2, interval: '1s' });
    const r = run([bad, ongoing], undefined, { dryRun: [{ metricName: 'bad' }] });
    const { next } = pass(r, at(0), { bad: 'Failed' });
    expect(next.status?.phase).toBe('Running');
    expect(measurementTasks(next, [bad, ongoing], at(2)).map((t) => t.metricName)).toEqual(['ongoing']);
  });

  it('[argo] a dryRun rule matching nothing makes the run Error', () => {
    const plan = planMeasurements(run([metric('m')], undefined, { dryRun: [{ metricName: 'nope' }] }), at(0));
    expect(plan.kind).toBe('invalid');
    expect(plan.kind === 'invalid' && plan.status.message).toBe(
      "Analysis spec invalid: dryRun[0]: Rule didn't match any metric name(s)",
    );
  });
});

describe('assessRun: measurement retention', () => {
  const history = (n: number) => Array.from({ length: n }, (_, i) => done('Successful', i));

  it.each<[string, Partial<ObservedAnalysisRun['spec']>, number, number]>([
    ['[argo] default keeps 10', {}, 10, 10],
    ['a rule keeps more', { measurementRetention: [{ metricName: 'm', limit: 20 }] }, 20, 20],
    [
      'a rule with limit 0 keeps the default',
      { measurementRetention: [{ metricName: '.*', limit: 0 }] },
      10,
      10,
    ],
  ])('%s', (_name, spec, limit, kept) => {
    const m = metric('m', { interval: '1s' });
    const r = run(
      [m],
      running([result('m', { count: limit, successful: limit, measurements: history(limit) })]),
      spec,
    );
    const { assessment } = pass(r, at(limit + 5));
    expect(assessment.status.metricResults?.[0]?.measurements).toHaveLength(kept);
    expect(assessment.status.metricResults?.[0]?.count).toBe(limit + 1);
    expect(assessment.garbageCollect).toEqual([{ metricName: 'm', limit }]);
  });
});

describe('terminate', () => {
  it('[argo] spec.terminate ends the run Successful with "Run Terminated"', () => {
    const m = metric('m', { interval: '10s' });
    const r = run(
      [m],
      running([result('m', { count: 3, successful: 3, measurements: [done('Successful', 20)] })]),
      {
        terminate: true,
      },
    );
    const { next, plan, assessment } = pass(r, at(25));
    expect(plan.tasks).toEqual([]);
    expect(next.status).toMatchObject({
      phase: 'Successful',
      message: 'Run Terminated',
      completedAt: ts(25),
    });
    expect(next.status?.metricResults?.[0]?.phase).toBe('Successful');
    expect(assessment.events.at(-1)?.reason).toBe('AnalysisRunSuccessful');
  });

  it('[argo] terminating before any measurement: Successful', () => {
    const { next } = pass(run([metric('m', { initialDelay: '1h' })], undefined, { terminate: true }), at(0));
    expect(next.status?.phase).toBe('Successful');
  });

  it('terminating keeps a failure that already happened', () => {
    const m = metric('m', { interval: '1s', failureLimit: 5 });
    const r = run([m], running([result('m', { count: 1, failed: 1, measurements: [done('Failed', 0)] })]), {
      terminate: true,
    });
    expect(pass(r, at(5)).next.status?.phase).toBe('Successful');
  });
});

describe('planMeasurements: invalid specs and completed runs', () => {
  it.each<[string, Metric[], Partial<ObservedAnalysisRun['spec']>, string]>([
    ['[argo] no metrics', [], {}, 'Analysis spec invalid: no metrics specified'],
    [
      '[argo] duplicate names',
      [metric('m'), metric('m')],
      {},
      "Analysis spec invalid: metrics[1]: duplicate name 'm'",
    ],
    [
      '[argo] count > 1 without interval',
      [metric('m', { count: 2 })],
      {},
      'Analysis spec invalid: metrics[0]: interval must be specified when count > 1',
    ],
    [
      '[argo] count < failureLimit',
      [metric('m', { count: 1, failureLimit: 2 })],
      {},
      'Analysis spec invalid: metrics[0]: count must be >= failureLimit',
    ],
    [
      'bad interval',
      [metric('m', { interval: '5 minutes' })],
      {},
      'Analysis spec invalid: metrics[0]: invalid interval string: time: unknown unit " minutes" in duration "5 minutes"',
    ],
    [
      'no provider',
      [{ name: 'm', provider: {} }],
      {},
      'Analysis spec invalid: metrics[0]: no provider specified',
    ],
    [
      'two providers',
      [{ name: 'm', provider: { web: { url: 'x' }, job: { spec: {} } } }],
      {},
      'Analysis spec invalid: metrics[0]: multiple providers specified',
    ],
    [
      'unresolved placeholder',
      [metric('m', { successCondition: 'result == {{args.nope}}' })],
      {},
      'Unable to resolve metric arguments: failed to resolve {{args.nope}}',
    ],
    [
      'arg without value',
      [metric('m')],
      { args: [{ name: 'x' }] },
      'Unable to resolve metric arguments: argument "x" was not supplied',
    ],
  ])('%s', (_name, metrics, spec, message) => {
    const plan = planMeasurements(run(metrics, undefined, spec), at(0));
    expect(plan.kind).toBe('invalid');
    if (plan.kind !== 'invalid') return;
    expect(plan.status).toMatchObject({ phase: 'Error', message, metricResults: [] });
    expect(plan.events).toEqual([
      { type: 'Warning', reason: 'AnalysisRunError', message: 'Analysis Completed. Result: Error' },
    ]);
  });

  it('secret arguments are stood in for, so the plan never sees them', () => {
    const m = metric('m', { provider: { web: { url: 'http://x/?token={{args.token}}' } } });
    const plan = measurePlan(
      run([m], undefined, {
        args: [{ name: 'token', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
      }),
      at(0),
    );
    expect(plan.metrics[0]?.provider.web?.url).toBe('http://x/?token=temp-for-secret');
  });

  it('a completed run is left alone', () => {
    const plan = planMeasurements(run([metric('m')], { phase: 'Failed', completedAt: ts(0) }), at(10));
    expect(plan).toEqual({ kind: 'completed', ttl: { action: 'keep' } });
  });
});

describe('ttlStrategy', () => {
  it.each<[string, AnalysisRunStatus['phase'], Record<string, number>, number, string]>([
    ['after completion: waits', 'Successful', { secondsAfterCompletion: 60 }, 30, 'wait'],
    [
      '[argo] after completion: deleted once past',
      'Successful',
      { secondsAfterCompletion: 60 },
      61,
      'delete',
    ],
    [
      'success ttl applies to Successful',
      'Successful',
      { secondsAfterSuccess: 10, secondsAfterCompletion: 1000 },
      11,
      'delete',
    ],
    ['[argo] success ttl never deletes a Failed run', 'Failed', { secondsAfterSuccess: 10 }, 1000, 'keep'],
    [
      '[argo] failure ttl never deletes a Successful run',
      'Successful',
      { secondsAfterFailure: 10 },
      1000,
      'keep',
    ],
    [
      'failure ttl applies to Failed',
      'Failed',
      { secondsAfterFailure: 10, secondsAfterCompletion: 1000 },
      11,
      'delete',
    ],
    [
      'Error falls back to secondsAfterCompletion',
      'Error',
      { secondsAfterFailure: 10, secondsAfterCompletion: 20 },
      15,
      'wait',
    ],
  ])('%s', (_name, phase, ttl, now, action) => {
    const r = run([metric('m')], { phase, completedAt: ts(0) }, { ttlStrategy: ttl });
    expect(ttlDecision(r, at(now)).action).toBe(action);
  });

  it('a run that completes is requeued for its ttl', () => {
    const r = run([metric('m')], undefined, { ttlStrategy: { secondsAfterCompletion: 30 } });
    expect(pass(r, at(0)).assessment.requeueAfterMs).toBe(31_000);
  });
});

describe('nextReconcileTime', () => {
  it('is the earliest due measurement across metrics', () => {
    const a = metric('a', { interval: '30s' });
    const b = metric('b', { interval: '10s' });
    const r = run(
      [a, b],
      running([
        result('a', { count: 1, measurements: [done('Successful', 0)] }),
        result('b', { count: 1, measurements: [done('Successful', 5)] }),
      ]),
    );
    expect(nextReconcileTime(r, [a, b], at(6))).toBe(T0 + 15_001);
  });
});
