// Given one set of objects (a canary paused after a finished analysis step with a dry-run
// metric, a blue-green, an Istio canary, an AnalysisTemplate, a ClusterAnalysisTemplate and a
// running Experiment), when the real Argo Rollouts v1.10.2 controller runs them and then
// Slipway does, then Slipway's /metrics has each family Argo's has, with the same TYPE, HELP,
// label names and histogram buckets, and the same series for what the objects' state says
// (phase, strategy, traffic router, metric type, dry run, replica counts): existing Grafana
// dashboards and alerts read the same numbers.
//
// Opt-in (`npm run test:switch`): it needs Argo's controller, built from its Go module.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestController, type TestController } from '../e2e/support/controller.js';
import { type FixtureServer, startHttpFixture } from '../e2e/support/http-fixtures.js';
import { apply, getJson, kubectl } from '../e2e/support/kubectl.js';
import {
  ARGO_EXAMPLES,
  analysisTemplateManifest,
  blueGreenRollout,
  canaryRollout,
  jobProvider,
  serviceManifest,
} from '../e2e/support/manifests.js';
import { setImage, waitForRollout } from '../e2e/support/rollouts.js';
import { eventually } from '../e2e/support/wait.js';
import { type ArgoController, ensureArgoController, startArgoController } from './argo-controller.js';
import { type Comparison, compareScrapes, type Family, parseMetrics } from './metrics-text.js';

const namespace = `mcompat-${Date.now().toString(36)}`;
const logDir = mkdtempSync(join(tmpdir(), 'slipway-mcompat-'));
const CLUSTER_TEMPLATE = `${namespace}-cluster`;
const ROLLOUTS = ['mc-canary', 'mc-bluegreen', 'istio-subset-split', 'mc-invalid'];
/** Its active Service does not exist: InvalidSpec under both controllers. */
const INVALID = 'mc-invalid';
const EXPERIMENT = 'mc-experiment';

/** Argo's families that are not its Rollouts metrics, left out with why. */
const OUT_OF_SCOPE: [RegExp, string][] = [
  [/^go_/, 'the Go runtime (Slipway is a Node process: nodejs_*)'],
  [/^process_/, "the process, from each runtime's client library"],
  [/^workqueue_/, "client-go's work queues: Argo's queue names and component-base's HELP texts"],
  [
    /^(registered_metrics_total|disabled_metrics_total|hidden_metrics_total|cardinality_enforcement_unexpected_categorizations_total)$/,
    "k8s component-base's bookkeeping of its own registry, not Argo's metrics",
  ],
  [/^(rest_client_|leader_election_)/, "client-go's, not Argo's metrics"],
];

/** Gauges Argo reads from its caches at scrape time: their series are the objects' state. */
const STATE_FAMILIES = new Set([
  'rollout_info',
  'rollout_info_replicas_available',
  'rollout_info_replicas_unavailable',
  'rollout_info_replicas_desired',
  'rollout_info_replicas_updated',
  'rollout_phase',
  'analysis_run_info',
  'analysis_run_phase',
  'analysis_run_metric_type',
  'analysis_run_metric_phase',
  'analysis_template_info',
  'analysis_template_metric_info',
  'experiment_info',
  'experiment_phase',
]);

/**
 * The families Argo's controller/metrics/prommetrics.go defines. The counters of errors and
 * notifications have no series unless something fails or is sent, so this run may not show
 * them under Argo: Slipway must still declare them.
 */
const ARGO_FAMILIES = [
  'rollout_reconcile',
  'rollout_reconcile_error',
  'rollout_info',
  'rollout_info_replicas_available',
  'rollout_info_replicas_unavailable',
  'rollout_info_replicas_desired',
  'rollout_info_replicas_updated',
  'rollout_events_total',
  'rollout_phase',
  'analysis_run_reconcile',
  'analysis_run_reconcile_error',
  'analysis_run_info',
  'analysis_run_phase',
  'analysis_run_metric_type',
  'analysis_run_metric_phase',
  'analysis_template_info',
  'analysis_template_metric_info',
  'experiment_reconcile',
  'experiment_reconcile_error',
  'experiment_info',
  'experiment_phase',
  'notification_send_success',
  'notification_send_error',
  'notification_send',
  'controller_clientset_k8s_request_total',
  'argo_rollouts_controller_info',
  'build_info',
];

const mine = (labels: Record<string, string>) =>
  labels.namespace === namespace || (labels.namespace === '' && labels.name === CLUSTER_TEMPLATE);

function log(line: string): void {
  process.stderr.write(`[metrics-compat] ${line}\n`);
}

function applyObjects(fixtureUrl: string): void {
  const smoke = analysisTemplateManifest(namespace, 'mc-smoke', [
    { name: 'smoke', provider: jobProvider() },
    {
      name: 'probe',
      successCondition: 'result == true',
      provider: { web: { url: `${fixtureUrl}/ok`, jsonPath: '{$.ok}' } },
    },
  ]);
  const clusterTemplate = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ClusterAnalysisTemplate',
    metadata: { name: CLUSTER_TEMPLATE },
    spec: {
      metrics: [
        { name: 'cluster-smoke', provider: jobProvider() },
        { name: 'cluster-probe', provider: { web: { url: `${fixtureUrl}/ok`, jsonPath: '{$.ok}' } } },
      ],
    },
  };
  const experiment = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Experiment',
    metadata: { name: EXPERIMENT, namespace },
    // No duration: it runs until terminated.
    spec: {
      templates: [
        {
          name: 'baseline',
          replicas: 1,
          selector: { matchLabels: { app: EXPERIMENT } },
          template: {
            metadata: { labels: { app: EXPERIMENT } },
            spec: { containers: [{ name: 'app', image: 'web:1' }] },
          },
        },
      ],
    },
  };
  apply([
    smoke,
    clusterTemplate,
    canaryRollout(namespace, 'mc-canary', {
      steps: [
        { setWeight: 50 },
        { analysis: { templates: [{ templateName: 'mc-smoke' }], dryRun: [{ metricName: 'probe' }] } },
        { pause: {} },
      ],
    }),
    serviceManifest(namespace, 'mc-bluegreen-active', 'mc-bluegreen'),
    blueGreenRollout(namespace, 'mc-bluegreen', { activeService: 'mc-bluegreen-active' }),
    blueGreenRollout(namespace, INVALID, { activeService: 'mc-no-such-service' }),
    experiment,
  ]);
  kubectl(['apply', '-n', namespace, '-f', join(ARGO_EXAMPLES, 'istio_istio-subset-split.yaml')]);
}

interface Named {
  metadata: { name: string };
  status?: { phase?: string };
}

const phaseOf = (kind: string, name: string) =>
  getJson<Named>([kind, name, '-n', namespace]).status?.phase ?? '(none)';

/** Reconcile counts by `name` for the test's namespace, from a histogram's _count. */
function reconcileCounts(families: Map<string, Family>, family: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of families.get(family)?.samples ?? []) {
    if (s.name === `${family}_count` && s.labels.namespace === namespace) counts.set(s.labels.name!, s.value);
  }
  return counts;
}

/**
 * Waits until the controller has reconciled every Rollout, annotates each (a change that asks
 * for nothing) and waits for one more reconcile of each: what the first pass wrote, the second
 * has seen. Then, for a while, for a reconcile of the Experiment and the AnalysisRun (a
 * controller that never times them shows it in the comparison).
 */
async function settle(scrape: () => Promise<string>, who: string, run: string): Promise<string> {
  const families = async () => parseMetrics(await scrape());
  const reconciledAtLeast = async (min: Map<string, number>) => {
    const counts = reconcileCounts(await families(), 'rollout_reconcile');
    return ROLLOUTS.every((name) => (counts.get(name) ?? 0) >= (min.get(name) ?? 1)) ? counts : undefined;
  };
  const first = await eventually(
    `${who}: every Rollout reconciled`,
    () => reconciledAtLeast(new Map()),
    120_000,
  );
  for (const name of ROLLOUTS) {
    kubectl([
      'annotate',
      'rollout',
      name,
      '-n',
      namespace,
      `metrics-compat.slipway.dev/by=${who}`,
      '--overwrite',
    ]);
  }
  const next = new Map(ROLLOUTS.map((name) => [name, (first.get(name) ?? 0) + 1]));
  await eventually(`${who}: every Rollout reconciled again`, () => reconciledAtLeast(next), 120_000);
  const others = async () => {
    const f = await families();
    return (reconcileCounts(f, 'experiment_reconcile').get(EXPERIMENT) ?? 0) > 0 &&
      (reconcileCounts(f, 'analysis_run_reconcile').get(run) ?? 0) > 0
      ? true
      : undefined;
  };
  await eventually(`${who}: the Experiment and the AnalysisRun reconciled`, others, 30_000).catch(() =>
    log(`${who}: no reconcile of the Experiment or the AnalysisRun seen on /metrics`),
  );
  const text = await scrape();
  writeFileSync(join(logDir, `${who}.txt`), text);
  return text;
}

/** Verbs Slipway writes in another case than Argo (e.g. `get` for Argo's `Get`). */
function verbCaseDifferences(argo: Map<string, Family>, ours: Map<string, Family>): string[] {
  const verbs = (f: Family | undefined) => new Set((f?.samples ?? []).map((s) => s.labels.verb ?? ''));
  const argoVerbs = verbs(argo.get('controller_clientset_k8s_request_total'));
  const ourVerbs = verbs(ours.get('controller_clientset_k8s_request_total'));
  const clashes = [...ourVerbs]
    .map((v) => [v, [...argoVerbs].find((a) => a.toLowerCase() === v.toLowerCase() && a !== v)] as const)
    .filter(([, a]) => a !== undefined)
    .map(([v, a]) => `${v} (Argo ${a})`)
    .sort();
  return clashes.length > 0
    ? [`controller_clientset_k8s_request_total: verb values ${clashes.join(', ')}`]
    : [];
}

describe('/metrics compared family by family with Argo Rollouts v1.10.2 on the same objects', () => {
  let binary = '';
  let fixture: FixtureServer;
  let argo: ArgoController | undefined;
  let slipway: TestController | undefined;
  let run = '';
  let argoText = '';
  let slipwayText = '';

  beforeAll(async () => {
    binary = ensureArgoController();
    kubectl(['create', 'namespace', namespace]);
    fixture = await startHttpFixture(() => ({ body: { ok: true } }));
    log(`namespace ${namespace}; logs and scrapes in ${logDir}`);
  });

  afterAll(async () => {
    await argo?.stop();
    await slipway?.shutdown();
    kubectl(['delete', 'clusteranalysistemplate', CLUSTER_TEMPLATE, '--ignore-not-found']);
    await fixture?.close();
  });

  it('under Argo: the objects reach their states and Argo is scraped', async () => {
    argo = await startArgoController({
      binary,
      kubeconfig: inject('kubeconfig'),
      namespace,
      logFile: join(logDir, 'argo.log'),
    });
    applyObjects(fixture.url);
    for (const name of ROLLOUTS.filter((n) => n !== INVALID)) {
      await waitForRollout(
        namespace,
        name,
        'Healthy under Argo',
        (r) => r.status?.phase === 'Healthy',
        180_000,
      );
    }
    await waitForRollout(namespace, INVALID, 'InvalidSpec under Argo', (r) =>
      (r.status?.conditions ?? []).some((c) => c.type === 'InvalidSpec' && c.status === 'True'),
    );
    setImage(namespace, 'mc-canary', 'web:2');
    await waitForRollout(
      namespace,
      'mc-canary',
      'paused after its analysis under Argo',
      (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 2,
      180_000,
    );
    run = await eventually(
      'the canary step AnalysisRun Successful',
      () => {
        const runs = getJson<{ items: Named[] }>(['analysisruns', '-n', namespace]).items;
        if (runs.length !== 1) throw new Error(`${runs.length} AnalysisRuns`);
        if (runs[0]!.status?.phase !== 'Successful') throw new Error(`phase ${runs[0]!.status?.phase}`);
        return runs[0]!.metadata.name;
      },
      120_000,
    );
    await eventually('the Experiment Running under Argo', () =>
      phaseOf('experiment', EXPERIMENT) === 'Running' ? true : undefined,
    );
    const port = argo.metricsPort;
    argoText = await settle(
      async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
      'argo',
      run,
    );
    await argo.stop();
    argo = undefined;
  });

  it('under Slipway: the same objects, Slipway is scraped', async () => {
    expect(argoText).not.toBe('');
    slipway = await startTestController(namespace);
    const controller = slipway;
    slipwayText = await settle(() => controller.metricsText(), 'slipway', run);
    // The objects kept their states (Slipway took over without changing them).
    expect(phaseOf('rollout', 'mc-canary')).toBe('Paused');
    expect(phaseOf('experiment', EXPERIMENT)).toBe('Running');
  });

  it("Slipway's families are Argo's: TYPE, HELP, label names, buckets and the objects' state", () => {
    expect(slipwayText).not.toBe('');
    const argoFamilies = parseMetrics(argoText);
    const ourFamilies = parseMetrics(slipwayText);
    const comparison: Comparison = compareScrapes(argoFamilies, ourFamilies, {
      outOfScope: OUT_OF_SCOPE,
      stateFamilies: STATE_FAMILIES,
      mine,
    });
    const unseen = ARGO_FAMILIES.filter((name) => !comparison.compared.includes(name));
    const differences = [
      ...comparison.differences,
      ...verbCaseDifferences(argoFamilies, ourFamilies),
      ...unseen
        .filter((name) => !ourFamilies.has(name))
        .map(
          (name) =>
            `${name}: not declared (defined in Argo's prommetrics.go; no series under Argo in this run)`,
        ),
    ];
    log(`compared (${comparison.compared.length}): ${comparison.compared.join(', ')}`);
    log(`not seen under Argo in this run: ${unseen.join(', ') || '(none)'}`);
    const excludedBy = new Map<string, number>();
    for (const line of comparison.excluded) {
      const why = line.slice(line.indexOf(': ') + 2);
      excludedBy.set(why, (excludedBy.get(why) ?? 0) + 1);
    }
    for (const [why, count] of excludedBy) log(`excluded ${count} families: ${why}`);
    for (const line of differences) log(`DIFFERENCE ${line}`);
    writeFileSync(join(logDir, 'differences.txt'), `${differences.join('\n')}\n`);
    expect(differences).toEqual([]);
  });
});
