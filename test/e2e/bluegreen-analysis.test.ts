// Blue-green promotion gates run real AnalysisRuns: a passing prePromotionAnalysis lets the
// active Service switch to green; a failing one aborts and keeps the active Service on blue.
// The analysis is a Job metric (kwok completes the Job's pod, or fails it when the pod
// template carries slipway.dev/kwok-exit-code).
import { describe, expect, it } from 'vitest';
import { useControllerNamespace } from './support/controller.js';
import { apply } from './support/kubectl.js';
import {
  analysisTemplateManifest,
  blueGreenRollout,
  jobProvider,
  serviceManifest,
} from './support/manifests.js';
import { serviceHash, setImage, waitForPhase } from './support/rollouts.js';

const namespace = useControllerNamespace('bg-analysis', (ns) =>
  apply([
    analysisTemplateManifest(ns, 'smoke-pass', [{ name: 'smoke', provider: jobProvider() }]),
    analysisTemplateManifest(ns, 'smoke-fail', [{ name: 'smoke', provider: jobProvider(1) }]),
  ]),
);

function applyRollout(name: string, templateName: string): void {
  apply([
    serviceManifest(namespace, `${name}-active`, name),
    serviceManifest(namespace, `${name}-preview`, name),
    blueGreenRollout(
      namespace,
      name,
      {
        activeService: `${name}-active`,
        previewService: `${name}-preview`,
        scaleDownDelaySeconds: 2,
        abortScaleDownDelaySeconds: 2,
        prePromotionAnalysis: { templates: [{ templateName }] },
      },
      { image: 'web:blue' },
    ),
  ]);
}

const activeHash = (name: string) => serviceHash(namespace, `${name}-active`);

describe('blue-green with prePromotionAnalysis', () => {
  it('switches the active Service once the pre-promotion run succeeds', async () => {
    applyRollout('gated', 'smoke-pass');
    await waitForPhase(namespace, 'gated', 'Healthy');
    setImage(namespace, 'gated', 'web:green');
    const ro = await waitForPhase(
      namespace,
      'gated',
      'Healthy',
      (s, r) =>
        s.stableRS === s.currentPodHash && r.metadata?.annotations?.['rollout.argoproj.io/revision'] === '2',
    );
    const green = ro.status!.currentPodHash!;
    expect(await activeHash('gated')).toBe(green);
    expect(ro.status?.blueGreen?.prePromotionAnalysisRunStatus).toMatchObject({
      name: `gated-${green}-2-pre`,
      status: 'Successful',
    });
  });

  it('aborts and keeps the active Service on blue when the pre-promotion run fails', async () => {
    applyRollout('refused', 'smoke-fail');
    const blue = await waitForPhase(namespace, 'refused', 'Healthy');
    setImage(namespace, 'refused', 'web:green');
    const ro = await waitForPhase(namespace, 'refused', 'Degraded');
    expect(ro.status?.abort).toBe(true);
    expect(await activeHash('refused')).toBe(blue.status?.stableRS);
  });
});
