// Slipway under Argo Rollouts' own AnalysisRun and Experiment CRDs (v1.10.2, from its Go module),
// as on a cluster that ran Argo first (Helm never replaces existing CRDs), and under an older
// Slipway chart's (with the status subresource) applied while the controller runs, and back:
// analyses and Experiments run to completion each time, and `retry experiment` as Argo's plugin
// sends it ({"status":null} to the object) starts an Experiment over. Serial (vitest.config.ts):
// it replaces cluster-wide CRDs, and puts ours back at the end.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CRD_DIR } from '../../src/package-paths.js';
import { requestsByCode, useController } from './support/controller.js';
import { getJsonAsync, kubectl, patch } from './support/kubectl.js';
import { experimentManifest, jobProvider } from './support/manifests.js';
import { eventually, statusPoller } from './support/wait.js';

const ARGO_MODULE = 'github.com/argoproj/argo-rollouts@v1.10.2';
const KINDS = [
  { plural: 'analysisruns', argoFile: 'analysis-run-crd.yaml' },
  { plural: 'experiments', argoFile: 'experiment-crd.yaml' },
];

function argoCrdDir(): string {
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', ARGO_MODULE], {
      env: { ...process.env, GOTOOLCHAIN: 'go1.27.3', GOFLAGS: '-mod=mod' },
      encoding: 'utf8',
    }),
  ) as { Dir: string };
  return join(info.Dir, 'manifests', 'crds');
}

/** Discovery lists `<plural>/status` exactly when the CRD has the subresource. */
async function discoveryShows(hasStatus: boolean): Promise<void> {
  await eventually(`discovery to ${hasStatus ? 'list' : 'drop'} the status subresources`, () => {
    const names = new Set(
      (
        JSON.parse(kubectl(['get', '--raw', '/apis/argoproj.io/v1alpha1'])) as {
          resources: { name: string }[];
        }
      ).resources.map((r) => r.name),
    );
    return KINDS.every((k) => names.has(`${k.plural}/status`) === hasStatus) ? true : undefined;
  });
}

/** The resources whose CRD the controller logged as having gained or lost /status (from a write). */
function changesLogged(how: 'gained' | 'lost'): string[] {
  return readFileSync(controller().logPath, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`the CRD ${how} the status subresource`))
    .map((line) => (JSON.parse(line) as { resource: string }).resource)
    .sort();
}

function subresourcesOf(plural: string): unknown {
  return JSON.parse(kubectl(['get', 'crd', `${plural}.argoproj.io`, '-o', 'json'])).spec.versions[0]
    .subresources;
}

/** Adds or removes the status subresource on both CRDs, as an older chart's or Argo's would have it. */
function setStatusSubresource(on: boolean): void {
  const ops = [{ op: 'add', path: '/spec/versions/0/subresources', value: on ? { status: {} } : {} }];
  for (const { plural } of KINDS) {
    kubectl(['patch', 'crd', `${plural}.argoproj.io`, '--type', 'json', '-p', JSON.stringify(ops)]);
  }
}

// Put ours back after the controller has stopped (afterAll hooks run last-registered first).
afterAll(() => {
  for (const { plural } of KINDS) kubectl(['replace', '-f', join(CRD_DIR, `${plural}.argoproj.io.yaml`)]);
});

const { namespace, controller } = useController('argo-crds', (ns) => {
  const dir = argoCrdDir();
  for (const { argoFile } of KINDS) kubectl(['replace', '-f', join(dir, argoFile)]);
  kubectl([
    'wait',
    '--for=condition=Established',
    'crd/analysisruns.argoproj.io',
    'crd/experiments.argoproj.io',
  ]);
  kubectl(
    ['apply', '-n', ns, '-f', '-'],
    JSON.stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'job-fail' },
      spec: { metrics: [{ name: 'check', provider: jobProvider(1, 'check') }] },
    }),
  );
});

interface Status {
  phase?: string;
  analysisRuns?: { name: string; analysisRun: string; phase: string }[];
  metricResults?: { name: string; phase: string; count?: number }[];
}
type Run = { metadata: { name: string }; status?: Status };

const getRun = (name: string) => getJsonAsync<Run>(['analysisrun', name, '-n', namespace]);
const getExperiment = (name: string) => getJsonAsync<Run>(['experiment', name, '-n', namespace]);
const waitForRun = statusPoller(getRun, 90_000);
const waitForExperiment = statusPoller(getExperiment, 90_000);

function createRun(name: string): void {
  kubectl(
    ['create', '-n', namespace, '-f', '-'],
    JSON.stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      metadata: { name },
      spec: { metrics: [{ name: 'check', provider: jobProvider() }] },
    }),
  );
}

function createExperiment(name: string, spec: Record<string, unknown>): void {
  kubectl(['create', '-n', namespace, '-f', '-'], JSON.stringify(experimentManifest(undefined, name, spec)));
}

/** A Job-metric run and a timed Experiment, both to Successful. */
async function runBoth(suffix: string): Promise<void> {
  createRun(`run-${suffix}`);
  createExperiment(`timed-${suffix}`, { duration: '3s' });
  const run = await waitForRun(`run-${suffix}`, 'Successful', (r) => r.status?.phase === 'Successful');
  expect(run.status?.metricResults?.[0]).toMatchObject({ name: 'check', phase: 'Successful', count: 1 });
  await waitForExperiment(`timed-${suffix}`, 'Successful', (ex) => ex.status?.phase === 'Successful');
}

describe("Argo's CRDs for AnalysisRun and Experiment (no status subresource)", () => {
  it('are installed as Argo ships them', () => {
    for (const { plural } of KINDS) expect(subresourcesOf(plural)).toEqual({});
  });

  it('an AnalysisRun and an Experiment run to completion', async () => {
    await runBoth('argo');
  });

  it("`retry experiment` as Argo's plugin sends it ({status: null} to the object) runs a failed Experiment again", async () => {
    createExperiment('failing', { analyses: [{ name: 'check', templateName: 'job-fail' }] });
    const failed = await waitForExperiment('failing', 'Failed', (ex) => ex.status?.phase === 'Failed');
    expect(failed.status?.analysisRuns?.[0]).toMatchObject({ analysisRun: 'failing-check', phase: 'Failed' });
    patch('experiment', 'failing', namespace, { status: null });
    const again = await waitForExperiment(
      'failing',
      'Failed again with a new AnalysisRun',
      (ex) => ex.status?.phase === 'Failed' && ex.status.analysisRuns?.[0]?.analysisRun === 'failing-check.1',
    );
    expect(again.status?.analysisRuns?.[0]?.phase).toBe('Failed');
  });

  it('no write went to a /status that is not there (the start-up discovery chose the object)', async () => {
    for (const { plural } of KINDS)
      expect(await requestsByCode(controller(), plural)).not.toHaveProperty('404');
  });
});

describe('the CRDs changed under the running controller', () => {
  it("an older Slipway chart's (status subresource) applied: runs and Experiments still complete", async () => {
    setStatusSubresource(true);
    await discoveryShows(true);
    await runBoth('older');
    expect(changesLogged('gained')).toEqual(['analysisruns', 'experiments']);
  });

  it("and Argo's again (no subresource): they still complete", async () => {
    setStatusSubresource(false);
    await discoveryShows(false);
    await runBoth('again');
    expect(changesLogged('lost')).toEqual(['analysisruns', 'experiments']);
  });
});
