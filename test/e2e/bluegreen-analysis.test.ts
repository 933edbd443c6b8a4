// Blue-green promotion gates run real AnalysisRuns: a passing prePromotionAnalysis lets the
// active Service switch to green; a failing one aborts and keeps the active Service on blue.
// The analysis is a Job metric (kwok completes the Job's pod, or fails it when the pod
// template carries slipway.dev/kwok-exit-code).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from './support/controller.js';
import { getJson, kubectl } from './support/kubectl.js';
import { setImage, waitForRollout } from './support/rollouts.js';

const namespace = `bg-analysis-${Date.now().toString(36)}`;
let controller: TestController;

const jobTemplate = (name: string, exitCode?: number) =>
  JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name, namespace },
    spec: {
      metrics: [
        {
          name: 'smoke',
          provider: {
            job: {
              spec: {
                backoffLimit: 0,
                template: {
                  metadata:
                    exitCode === undefined
                      ? {}
                      : { annotations: { 'slipway.dev/kwok-exit-code': String(exitCode) } },
                  spec: {
                    restartPolicy: 'Never',
                    containers: [{ name: 'smoke', image: 'busybox', command: ['true'] }],
                  },
                },
              },
            },
          },
        },
      ],
    },
  });

function apply(name: string, templateName: string): void {
  const service = (svc: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: svc, namespace },
    spec: { selector: { app: name }, ports: [{ port: 80 }] },
  });
  const rollout = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'web:blue' }] },
      },
      strategy: {
        blueGreen: {
          activeService: `${name}-active`,
          previewService: `${name}-preview`,
          scaleDownDelaySeconds: 2,
          abortScaleDownDelaySeconds: 2,
          prePromotionAnalysis: { templates: [{ templateName }] },
        },
      },
    },
  };
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [service(`${name}-active`), service(`${name}-preview`), rollout],
    }),
  );
}

const activeHash = (name: string) =>
  getJson<{ spec: { selector: Record<string, string> } }>(['service', `${name}-active`, '-n', namespace]).spec
    .selector['rollouts-pod-template-hash'];

beforeAll(async () => {
  kubectl(['create', 'namespace', namespace]);
  kubectl(['apply', '-f', '-'], jobTemplate('smoke-pass'));
  kubectl(['apply', '-f', '-'], jobTemplate('smoke-fail', 1));
  controller = await startTestController(namespace);
});
afterAll(async () => {
  await controller?.shutdown();
});

describe('blue-green with prePromotionAnalysis', () => {
  it('switches the active Service once the pre-promotion run succeeds', async () => {
    apply('gated', 'smoke-pass');
    await waitForRollout(namespace, 'gated', 'blue Healthy', (r) => r.status?.phase === 'Healthy');
    setImage(namespace, 'gated', 'web:green');
    const ro = await waitForRollout(
      namespace,
      'gated',
      'green Healthy and active',
      (r) =>
        r.status?.phase === 'Healthy' &&
        r.status.stableRS === r.status.currentPodHash &&
        r.metadata?.annotations?.['rollout.argoproj.io/revision'] === '2',
    );
    const green = ro.status!.currentPodHash!;
    expect(activeHash('gated')).toBe(green);
    expect(ro.status?.blueGreen?.prePromotionAnalysisRunStatus).toMatchObject({
      name: `gated-${green}-2-pre`,
      status: 'Successful',
    });
  });

  it('aborts and keeps the active Service on blue when the pre-promotion run fails', async () => {
    apply('refused', 'smoke-fail');
    const blue = await waitForRollout(
      namespace,
      'refused',
      'blue Healthy',
      (r) => r.status?.phase === 'Healthy',
    );
    setImage(namespace, 'refused', 'web:green');
    const ro = await waitForRollout(namespace, 'refused', 'Degraded', (r) => r.status?.phase === 'Degraded');
    expect(ro.status?.abort).toBe(true);
    expect(activeHash('refused')).toBe(blue.status?.stableRS);
  });
});
