// Rollouts gated by analysis on the local cluster: an analysis step that passes, one that
// fails and aborts, one that is inconclusive and pauses until promoted, a background analysis
// failing mid-rollout, and the compat examples rollout-analysis-step.yaml and
// rollout-background-analysis.yaml with the example templates. Job metrics run as real Jobs
// (kwok completes their pods); Web metrics ask an HTTP server this test serves.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from './support/controller.js';
import { type FixtureServer, startHttpFixture } from './support/http-fixtures.js';
import { getJson, kubectl } from './support/kubectl.js';
import { ARGO_EXAMPLES, analysisTemplateManifest, canaryRollout, jobProvider } from './support/manifests.js';
import {
  expectEvents,
  getRollout,
  operate,
  setImage,
  waitForPhase,
  waitForRollout,
} from './support/rollouts.js';

const EXAMPLES = ARGO_EXAMPLES;
const namespace = `ro-analysis-${Date.now().toString(36)}`;
let controller: TestController;
let web: FixtureServer;
let metricValue = 10;

interface AnalysisRunObject {
  metadata: { name: string; labels: Record<string, string> };
  status?: { phase?: string };
}

const runsOf = () => getJson<{ items: AnalysisRunObject[] }>(['analysisruns', '-n', namespace]).items;

function rollout(name: string, strategy: Record<string, unknown>): string {
  return JSON.stringify(canaryRollout(namespace, name, strategy));
}

function template(name: string, metric: Record<string, unknown>): string {
  return JSON.stringify(analysisTemplateManifest(namespace, name, [{ name: 'check', ...metric }]));
}

const jobMetric = (exitCode?: number) => ({ provider: jobProvider(exitCode, 'check') });

async function deployed(name: string): Promise<void> {
  await waitForPhase(namespace, name, 'Healthy');
  setImage(namespace, name, 'web:2');
}

/** A canary with a step at 50% and then an analysis step of `templateName`, updated once Healthy. */
async function updatedWithAnalysisStep(name: string, templateName: string): Promise<void> {
  kubectl(
    ['apply', '-f', '-'],
    rollout(name, { steps: [{ setWeight: 50 }, { analysis: { templates: [{ templateName }] } }] }),
  );
  await deployed(name);
}

/** Waits until the Rollout is Healthy with its update (revision 2) stable. */
function healthyOnRevision2(name: string, what: string) {
  return waitForRollout(
    namespace,
    name,
    what,
    (r) =>
      r.status?.phase === 'Healthy' &&
      r.status.stableRS === r.status.currentPodHash &&
      r.metadata?.annotations?.['rollout.argoproj.io/revision'] === '2',
    120_000,
  );
}

beforeAll(async () => {
  kubectl(['create', 'namespace', namespace]);
  web = await startHttpFixture(() => ({ body: { value: metricValue } }));
  kubectl(['apply', '-f', '-'], template('job-pass', jobMetric()));
  kubectl(['apply', '-f', '-'], template('job-fail', jobMetric(1)));
  kubectl(
    ['apply', '-f', '-'],
    template('web-score', {
      provider: { web: { url: `${web.url}/score`, jsonPath: '{$.value}' } },
      successCondition: 'result > 5',
      failureCondition: 'result < 1',
    }),
  );
  // Cluster-wide, so ClusterAnalysisTemplates (cluster-scoped) are offered to runs.
  controller = await startTestController(undefined);
});

afterAll(async () => {
  await controller?.shutdown();
  await web?.close();
});

describe('rollouts gated by analysis', () => {
  it('completes an analysis step when its run succeeds', async () => {
    await updatedWithAnalysisStep('pass', 'job-pass');
    const ro = await waitForPhase(
      namespace,
      'pass',
      'Healthy',
      (s, r) =>
        s.stableRS === s.currentPodHash &&
        s.currentStepIndex === 2 &&
        r.metadata?.annotations?.['rollout.argoproj.io/revision'] === '2',
    );
    const run = runsOf().find((r) => r.metadata.name === `pass-${ro.status?.currentPodHash}-2-1`);
    expect(run?.status?.phase).toBe('Successful');
    expect(run?.metadata.labels).toMatchObject({ 'rollout-type': 'Step', 'step-index': '1' });
  });

  it('aborts when the analysis step fails', async () => {
    await updatedWithAnalysisStep('fail', 'job-fail');
    const ro = await waitForPhase(namespace, 'fail', 'Degraded');
    expect(ro.status?.message).toMatch(
      /^RolloutAborted: Rollout aborted update to revision 2: AnalysisRun 'fail-[a-z0-9]+-2-1' Failed/,
    );
    expect(ro.status?.abort).toBe(true);
    await expectEvents(namespace, 'fail', ['AnalysisRunFailed', 'RolloutAborted']);
  });

  it('pauses on an inconclusive result and goes on when promoted', async () => {
    metricValue = 3;
    await updatedWithAnalysisStep('unsure', 'web-score');
    const paused = await waitForPhase(namespace, 'unsure', 'Paused');
    expect(paused.status?.message).toBe('InconclusiveAnalysisRun');
    expect(paused.status?.canary?.currentStepAnalysisRunStatus?.status).toBe('Inconclusive');
    operate(namespace, 'unsure', 'promote');
    await waitForPhase(
      namespace,
      'unsure',
      'Healthy',
      (s) => s.stableRS === s.currentPodHash && s.currentStepIndex === 2,
    );
  });

  it('aborts mid-rollout when the background analysis fails', async () => {
    metricValue = 10;
    kubectl(
      ['apply', '-f', '-'],
      rollout('background', {
        analysis: { templates: [{ templateName: 'web-score' }] },
        steps: [{ setWeight: 50 }, { pause: {} }],
      }),
    );
    await deployed('background');
    const paused = await waitForPhase(
      namespace,
      'background',
      'Paused',
      (s) => s.canary?.currentBackgroundAnalysisRunStatus !== undefined,
    );
    expect(paused.status?.canary?.currentBackgroundAnalysisRunStatus?.name).toBe(
      `background-${paused.status?.currentPodHash}-2`,
    );
    metricValue = 0;
    // The background run measures once unless it has an interval: ours has none, so it already
    // passed; a new template starts a new run that sees the failing value.
    setImage(namespace, 'background', 'web:3');
    const ro = await waitForPhase(namespace, 'background', 'Degraded');
    expect(ro.status?.message).toMatch(/AnalysisRun 'background-[a-z0-9]+-3' Failed/);
  });

  it('runs the compat example rollout-analysis-step.yaml with the example templates', async () => {
    kubectl(['apply', '-n', namespace, '-f', join(EXAMPLES, 'analysis-templates.yaml')]);
    kubectl(['apply', '-f', join(EXAMPLES, 'cluster-analysis-templates.yaml')]);
    kubectl(['apply', '-n', namespace, '-f', join(EXAMPLES, 'rollout-analysis-step.yaml')]);
    await deployed('rollout-analysis-step');
    const ro = await healthyOnRevision2(
      'rollout-analysis-step',
      'Healthy on revision 2, past the analysis step',
    );
    const run = runsOf().find(
      (r) => r.metadata.name === `rollout-analysis-step-${ro.status?.currentPodHash}-2-1`,
    );
    expect(run?.status?.phase).toBe('Successful');
  });

  it('runs the compat example rollout-background-analysis.yaml and stops the run when it completes', async () => {
    kubectl(['apply', '-n', namespace, '-f', join(EXAMPLES, 'rollout-background-analysis.yaml')]);
    await deployed('rollout-background-analysis');
    const paused = await waitForPhase(namespace, 'rollout-background-analysis', 'Paused');
    const name = `rollout-background-analysis-${paused.status?.currentPodHash}-2`;
    expect(runsOf().some((r) => r.metadata.name === name)).toBe(true);
    operate(namespace, 'rollout-background-analysis', 'promote-full');
    await healthyOnRevision2('rollout-background-analysis', 'Healthy');
    expect(
      getRollout(namespace, 'rollout-background-analysis').status?.canary?.currentBackgroundAnalysisRunStatus,
    ).toBeUndefined();
  });
});
