// The hand-written per-object families write what prom-client wrote for the same data (the old
// prom-client families in prom-client-families.ts are the oracle), escape label values, drop a
// deleted object's series after the cleanup delay, and follow an object replaced between scrapes.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerAnalysisMetrics } from '../../../src/analysis/metrics.js';
import type { AnalysisRun } from '../../../src/api/analysis.js';
import type { Experiment } from '../../../src/api/experiment.js';
import type { Rollout } from '../../../src/api/rollout.js';
import { registerExperimentMetrics } from '../../../src/experiment/metrics.js';
import { RequestCounter } from '../../../src/kube/request-counter.js';
import {
  Exposition,
  escapeLabelValue,
  METRIC_CLEANUP_DELAY_MS,
  ObjectCounter,
  ObjectHistogram,
} from '../../../src/metrics/object-families.js';
import { createProcessMetrics } from '../../../src/metrics/registry.js';
import { registerRolloutMetrics } from '../../../src/metrics/rollout-metrics.js';
import { FakeClock } from '../kube/fake-clock.js';
import {
  promClientAnalysisFamilies,
  promClientExperimentFamilies,
  promClientRolloutFamilies,
} from './prom-client-families.js';

/** Families by name: the HELP and TYPE lines as written, the sample lines sorted. */
function families(text: string): Map<string, { header: string; samples: string[] }> {
  const out = new Map<string, { header: string; samples: string[] }>();
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter(Boolean);
    const name = /^# HELP (\S+) /.exec(lines[0] ?? '')?.[1];
    if (!name) throw new Error(`a family without HELP: ${block.slice(0, 80)}`);
    expect(out.has(name), `family ${name} written once`).toBe(false);
    out.set(name, { header: lines.slice(0, 2).join('\n'), samples: lines.slice(2).sort() });
  }
  return out;
}

function rollout(
  namespace: string,
  name: string,
  strategy: Record<string, unknown>,
  status?: Record<string, unknown>,
  replicas?: number,
): Rollout {
  return {
    metadata: { namespace, name },
    spec: {
      ...(replicas !== undefined && { replicas }),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [] } },
      strategy,
    },
    ...(status && { status }),
  } as unknown as Rollout;
}

const progressing = (reason: string) => ({ type: 'Progressing', status: 'True', reason });

const ROLLOUTS = [
  rollout(
    'shop',
    'web',
    { canary: { steps: [] } },
    {
      phase: 'Healthy',
      replicas: 3,
      availableReplicas: 3,
      updatedReplicas: 3,
      conditions: [progressing('NewReplicaSetAvailable')],
    },
    3,
  ),
  rollout(
    'shop',
    'api',
    { blueGreen: { activeService: 'api' } },
    {
      phase: 'Progressing',
      replicas: 4,
      availableReplicas: 1,
      updatedReplicas: 2,
      conditions: [progressing('ReplicaSetUpdated')],
    },
    4,
  ),
  rollout(
    'team-b',
    'routed',
    { canary: { trafficRouting: { nginx: { stableIngress: 'i' }, istio: {}, plugins: {} } } },
    { phase: 'Paused', replicas: 2, conditions: [progressing('RolloutPaused')] },
  ),
  rollout('team-b', 'bare', {}),
  // Not a name the API allows, but label values are escaped whatever they hold.
  rollout(
    'team-b',
    'odd "x" \\ y\nz',
    { canary: {} },
    {
      phase: 'Degraded',
      availableReplicas: 5,
      replicas: 2,
      conditions: [{ type: 'InvalidSpec', status: 'True' }, progressing('ProgressDeadlineExceeded')],
    },
    1,
  ),
];

// Every bucket, both sides of each bound, a bound itself, and above the largest one.
const SECONDS = [0, 0.001, 0.01, 0.010001, 0.07, 0.15, 0.150001, 0.2, 0.25, 0.3, 0.5, 0.9, 1, 1.000001, 42];

describe('per-object families as Prometheus text', () => {
  it('write the rollout families exactly as prom-client did', async () => {
    const oracleRegistry = new Registry();
    let cached = ROLLOUTS;
    const oracle = promClientRolloutFamilies(oracleRegistry, () => cached);
    const exposition = new Exposition();
    const metrics = registerRolloutMetrics(exposition, () => cached, { clock: new FakeClock() });
    const both = (fn: (m: typeof oracle) => void) => {
      fn(oracle);
      fn(metrics);
    };
    SECONDS.forEach((s, i) => {
      const ro = ROLLOUTS[i % 3] as Rollout;
      both((m) => m.observeReconcile(ro.metadata?.namespace ?? '', ro.metadata?.name ?? '', s));
    });
    both((m) => m.observeReconcile('team-b', 'odd', 0.2));
    both((m) => m.reconcileError('shop', 'api'));
    both((m) => m.reconcileError('shop', 'api'));
    both((m) => m.reconcileError('team-b', 'routed'));
    both((m) => m.eventRecorded('shop', 'web', 'Normal', 'RolloutUpdated'));
    both((m) => m.eventRecorded('shop', 'api', 'Warning', 'RolloutAborted'));
    both((m) => m.eventRecorded('shop', 'web', 'Normal', 'RolloutUpdated'));
    both((m) => m.eventRecorded('shop', 'web', 'Normal', 'Reason with "quotes"\nand \\'));

    const expected = await oracleRegistry.metrics();
    const written = `${exposition.render()}`;
    expect(families(written)).toEqual(families(expected));
    expect([...families(written).keys()]).toEqual([...families(expected).keys()]);
    // The families are separated as prom-client separates them, and the text ends in a newline.
    expect(written.endsWith('\n')).toBe(true);
    expect(written.split('\n\n')).toHaveLength(9);

    // A Rollout replaced in the cache between scrapes (the informer's update) gets new labels;
    // a Rollout gone from the cache loses its info lines at once.
    const web = ROLLOUTS[0] as Rollout;
    cached = [
      {
        ...web,
        status: {
          ...web.status,
          phase: 'Paused',
          availableReplicas: 2,
          conditions: [progressing('RolloutPaused')],
        },
      } as Rollout,
      ...ROLLOUTS.slice(2),
    ];
    const after = exposition.render();
    expect(families(after)).toEqual(families(await oracleRegistry.metrics()));
    expect(after).toContain(
      'rollout_info{namespace="shop",name="web",strategy="canary",traffic_router="",phase="Paused"} 1\n',
    );
    expect(after).not.toContain('phase="Completed"} 1');
    expect(after).toContain('rollout_info_replicas_available{namespace="shop",name="web"} 2\n');
    expect(after).not.toContain('rollout_info{namespace="shop",name="api"');
  });

  it('write the analysis and experiment families exactly as prom-client did', async () => {
    const runs = [
      {
        metadata: { name: 'run-1', namespace: 'shop' },
        spec: {
          metrics: [
            { name: 'success-rate', provider: { prometheus: { query: 'q' } } },
            { name: 'smoke', provider: { job: { spec: {} } } },
            { name: 'weird', provider: {} },
          ],
          dryRun: [{ metricName: 'smo.*' }],
        },
        status: { phase: 'Running', metricResults: [{ name: 'success-rate', phase: 'Successful' }] },
      },
      { metadata: { name: 'run-2', namespace: 'team-b' }, spec: { metrics: [] } },
    ] as unknown as AnalysisRun[];
    const experiments = [
      {
        metadata: { name: 'exp-1', namespace: 'shop' },
        spec: { templates: [] },
        status: { phase: 'Running' },
      },
      { metadata: { name: 'exp-2', namespace: 'shop' }, spec: { templates: [] } },
      { metadata: { name: 'exp-3', namespace: 'x' }, spec: { templates: [] }, status: { phase: 'Failed' } },
    ] as unknown as Experiment[];
    const oracleRegistry = new Registry();
    const oracleRuns = promClientAnalysisFamilies(oracleRegistry, () => runs);
    const oracleExperiments = promClientExperimentFamilies(oracleRegistry, () => experiments);
    const exposition = new Exposition();
    const clock = new FakeClock();
    const runMetrics = registerAnalysisMetrics(exposition, () => runs, { clock });
    const experimentMetrics = registerExperimentMetrics(exposition, () => experiments, { clock });
    SECONDS.forEach((s, i) => {
      for (const m of [oracleRuns, runMetrics]) m.observeReconcile('shop', i % 2 ? 'run-1' : 'run-2', s);
      for (const m of [oracleExperiments, experimentMetrics])
        m.observeReconcile('shop', i % 2 ? 'exp-1' : 'exp-2', s);
    });
    for (const m of [oracleExperiments, experimentMetrics]) m.reconcileError('x', 'exp-3');
    for (const m of [oracleRuns, runMetrics]) m.reconcileError('team-b', 'run-2');
    expect(families(exposition.render())).toEqual(families(await oracleRegistry.metrics()));
    expect(exposition.render()).toContain(
      'analysis_run_metric_phase{name="run-1",namespace="shop",metric="smoke",type="Job",dry_run="true",phase="Pending"} 1\n',
    );
    expect(exposition.render()).toContain('analysis_run_info{name="run-2",namespace="team-b",phase=""} 1\n');
    expect(exposition.render()).toContain('analysis_run_reconcile_count{name="run-1",namespace="shop"} 7\n');
  });

  it('write cumulative buckets, +Inf, sum and count, le first', () => {
    const histogram = new ObjectHistogram('demo', 'Demo.', [0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 3]) histogram.observe('a/b', () => 'namespace="a",name="b"', v);
    expect(histogram.render()).toBe(
      [
        '# HELP demo Demo.',
        '# TYPE demo histogram',
        'demo_bucket{le="0.1",namespace="a",name="b"} 2',
        'demo_bucket{le="1",namespace="a",name="b"} 3',
        'demo_bucket{le="+Inf",namespace="a",name="b"} 4',
        'demo_sum{namespace="a",name="b"} 3.65',
        'demo_count{namespace="a",name="b"} 4',
        '',
      ].join('\n'),
    );
    // A series' lines are kept between scrapes; an observation after a scrape shows in the next.
    histogram.observe('a/b', () => 'namespace="a",name="b"', 0.2);
    expect(histogram.render()).toContain('demo_bucket{le="1",namespace="a",name="b"} 4\n');
    expect(histogram.render()).toContain('demo_count{namespace="a",name="b"} 5\n');
  });

  it('write a counter increment made after a scrape in the next one', () => {
    const counter = new ObjectCounter('demo_total', 'Demo.');
    counter.inc('a/b', 'namespace="a",name="b",reason="X"');
    expect(counter.render()).toContain('demo_total{namespace="a",name="b",reason="X"} 1\n');
    counter.inc('a/b', 'namespace="a",name="b",reason="X"');
    counter.inc('a/b', 'namespace="a",name="b",reason="Y"');
    expect(counter.render()).toContain('demo_total{namespace="a",name="b",reason="X"} 2\n');
    expect(counter.render()).toContain('demo_total{namespace="a",name="b",reason="Y"} 1\n');
    counter.remove('a/b');
    expect(counter.render()).not.toContain('name="b"');
  });

  it('escape backslash, double quote and newline in label values', () => {
    expect(escapeLabelValue('plain-name.1')).toBe('plain-name.1');
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const exposition = new Exposition();
    registerRolloutMetrics(exposition, () => [ROLLOUTS[4] as Rollout]);
    expect(exposition.render()).toContain(
      'rollout_info{namespace="team-b",name="odd \\"x\\" \\\\ y\\nz",strategy="canary",traffic_router="",phase="InvalidSpec"} 1\n',
    );
  });

  it("drop a deleted Rollout's reconcile, error and event series after the cleanup delay", async () => {
    const clock = new FakeClock();
    const exposition = new Exposition();
    const metrics = registerRolloutMetrics(exposition, () => [], { clock });
    metrics.observeReconcile('shop', 'gone', 0.2);
    metrics.reconcileError('shop', 'gone');
    metrics.eventRecorded('shop', 'gone', 'Normal', 'RolloutUpdated');
    metrics.eventRecorded('shop', 'gone', 'Warning', 'RolloutAborted');
    metrics.observeReconcile('shop', 'kept', 0.2);
    metrics.deleted('shop', 'gone');
    await clock.advance(METRIC_CLEANUP_DELAY_MS - 1);
    // Still there for the scrapes in between, as in Argo: 8 histogram lines, 1 error, 2 events.
    expect(exposition.render().match(/name="gone"/g)).toHaveLength(8 + 1 + 2);
    await clock.advance(1);
    const text = exposition.render();
    expect(text).not.toContain('name="gone"');
    expect(text).toContain('rollout_reconcile_count{namespace="shop",name="kept"} 1\n');
    // The empty families keep their HELP and TYPE, as prom-client's did.
    expect(text).toContain('# TYPE rollout_reconcile_error counter\n');
    // A Rollout of the same name observed again starts from zero.
    metrics.observeReconcile('shop', 'gone', 0.2);
    expect(exposition.render()).toContain('rollout_reconcile_count{namespace="shop",name="gone"} 1\n');
    // Stopping the controller drops pending removals and the families.
    metrics.deleted('shop', 'kept');
    metrics.unregister();
    expect(clock.pendingTimers()).toBe(0);
    expect(exposition.render()).toBe('');
  });

  it('drop deleted AnalysisRuns and Experiments after the cleanup delay', async () => {
    const clock = new FakeClock();
    const exposition = new Exposition();
    const runs = registerAnalysisMetrics(exposition, () => [], { clock });
    const experiments = registerExperimentMetrics(exposition, () => [], { clock });
    runs.observeReconcile('shop', 'run', 0.1);
    experiments.observeReconcile('shop', 'exp', 0.1);
    experiments.reconcileError('shop', 'exp');
    runs.deleted('shop', 'run');
    experiments.deleted('shop', 'exp');
    await clock.advance(METRIC_CLEANUP_DELAY_MS - 1);
    expect(exposition.render()).toContain('name="run"');
    expect(exposition.render()).toContain('experiment_reconcile_error{namespace="shop",name="exp"} 1\n');
    await clock.advance(1);
    expect(exposition.render()).not.toMatch(/name="(run|exp)"/);
  });

  it('serve the registry and the per-object families in one scrape', async () => {
    const process = createProcessMetrics(new RequestCounter());
    try {
      const metrics = registerRolloutMetrics(process.exposition, () => ROLLOUTS.slice(0, 1));
      // The controller's timer, as prom-client's startTimer: a reconcile far below 10 ms.
      metrics.startReconcile('shop', 'web')();
      const text = await process.scrape();
      const byName = families(text);
      expect(byName.get('argo_rollouts_controller_info')?.samples).toHaveLength(1);
      expect(byName.get('rollout_info')?.samples).toEqual([
        'rollout_info{namespace="shop",name="web",strategy="canary",traffic_router="",phase="Completed"} 1',
      ]);
      expect(text).toContain('rollout_reconcile_bucket{le="0.01",namespace="shop",name="web"} 1\n');
      expect(text).toContain('rollout_reconcile_count{namespace="shop",name="web"} 1\n');
      expect(text.endsWith('\n')).toBe(true);
      metrics.unregister();
      const without = await process.scrape();
      expect(without).toContain('# TYPE argo_rollouts_controller_info gauge\n');
      expect(without).not.toContain('rollout_');
    } finally {
      process.stop();
    }
  });
});
