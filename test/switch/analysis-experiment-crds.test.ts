// Given Slipway's CRDs (installed by the tier's setup), an AnalysisRun and an Experiment run to
// completion under the real Argo Rollouts v1.10.2 controller, which writes their status with
// the object (so a cluster switched back to Argo keeps working with our CRDs), and `retry
// experiment` as Argo's plugin sends it ({"status":null} to the object) starts a failed
// Experiment over; then the same under Slipway.
import { describe, expect, it } from 'vitest';
import { getJsonAsync, kubectl, patch } from '../e2e/support/kubectl.js';
import { experimentManifest, jobProvider } from '../e2e/support/manifests.js';
import { statusPoller } from '../e2e/support/wait.js';
import { useBothControllers } from './argo-controller.js';

const { namespace, underArgo, underSlipway } = useBothControllers('crd-status');

interface Status {
  phase?: string;
  analysisRuns?: { name: string; analysisRun: string; phase: string }[];
  metricResults?: { name: string; phase: string; count?: number }[];
}
type Observed = { status?: Status };

const waitForRun = statusPoller(
  (name) => getJsonAsync<Observed>(['analysisrun', name, '-n', namespace]),
  120_000,
);
const waitForExperiment = statusPoller(
  (name) => getJsonAsync<Observed>(['experiment', name, '-n', namespace]),
  120_000,
);

function create(object: Record<string, unknown>): void {
  kubectl(
    ['create', '-n', namespace, '-f', '-'],
    JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', ...object }),
  );
}

interface Outcome {
  run: string | undefined;
  measurements: number | undefined;
  timed: string | undefined;
  failed: string | undefined;
  retried: { analysisRun: string; phase: string } | undefined;
}

async function scenario(prefix: string): Promise<Outcome> {
  create({
    kind: 'AnalysisTemplate',
    metadata: { name: `${prefix}-fail` },
    spec: { metrics: [{ name: 'check', provider: jobProvider(1, 'check') }] },
  });
  create({
    kind: 'AnalysisRun',
    metadata: { name: `${prefix}-run` },
    spec: { metrics: [{ name: 'check', provider: jobProvider() }] },
  });
  create(experimentManifest(undefined, `${prefix}-timed`, { duration: '3s' }));
  create(
    experimentManifest(undefined, `${prefix}-failing`, {
      analyses: [{ name: 'check', templateName: `${prefix}-fail` }],
    }),
  );
  const done = (o: Observed) =>
    ['Successful', 'Failed', 'Error', 'Inconclusive'].includes(o.status?.phase ?? '');
  const run = await waitForRun(`${prefix}-run`, 'completed', done);
  const timed = await waitForExperiment(`${prefix}-timed`, 'completed', done);
  const failed = await waitForExperiment(`${prefix}-failing`, 'completed', done);
  patch('experiment', `${prefix}-failing`, namespace, { status: null });
  const retried = await waitForExperiment(
    `${prefix}-failing`,
    'completed again with a new AnalysisRun',
    (ex) => done(ex) && ex.status?.analysisRuns?.[0]?.analysisRun === `${prefix}-failing-check.1`,
  );
  const again = retried.status?.analysisRuns?.[0];
  return {
    run: run.status?.phase,
    measurements: run.status?.metricResults?.[0]?.count,
    timed: timed.status?.phase,
    failed: failed.status?.phase,
    retried: again && { analysisRun: again.analysisRun.replace(prefix, '<prefix>'), phase: again.phase },
  };
}

describe("AnalysisRun and Experiment status on Slipway's CRDs (no status subresource, as Argo's)", () => {
  let argoOutcome: Outcome;

  it('Argo Rollouts runs them to completion, and its retry starts the Experiment over', async () => {
    argoOutcome = await underArgo(() => scenario('argo'));
    expect(argoOutcome).toEqual({
      run: 'Successful',
      measurements: 1,
      timed: 'Successful',
      failed: 'Failed',
      retried: { analysisRun: '<prefix>-failing-check.1', phase: 'Failed' },
    });
  });

  it('Slipway does the same', async () => {
    expect(await underSlipway(() => scenario('slipway'))).toEqual(argoOutcome);
  });
});
