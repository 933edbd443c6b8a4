import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../../src/api/rollout.js';
import { observeRollout, outcomeOf } from '../../../../src/gitsync/promotion/observe.js';

function rollout(
  status: Rollout['status'],
  strategy: Rollout['spec']['strategy'] = {
    canary: { steps: [{ setWeight: 50 }, { pause: {} }, { pause: { duration: '1m' } }] },
  },
): Rollout {
  return {
    metadata: {
      name: 'web',
      namespace: 'dev',
      generation: 3,
      annotations: { 'rollout.argoproj.io/revision': '4' },
    },
    spec: {
      selector: {},
      template: {
        spec: {
          containers: [
            { name: 'sidecar', image: 'envoy:1' },
            { name: 'web', image: 'reg.local/acme/web:2.0.0' },
          ],
        },
      },
      strategy,
    },
    status: { observedGeneration: '3', currentPodHash: 'abc', ...status },
  } as Rollout;
}

describe('outcomeOf', () => {
  const cases: [string, Rollout, string][] = [
    ['not observed yet', rollout({ observedGeneration: '2', phase: 'Healthy', stableRS: 'abc' }), 'unknown'],
    ['completed', rollout({ phase: 'Healthy', stableRS: 'abc' }), 'healthy'],
    [
      'Healthy but the stable RS is still the old one',
      rollout({ phase: 'Healthy', stableRS: 'old' }),
      'progressing',
    ],
    [
      'aborted',
      rollout({ phase: 'Degraded', abort: true, message: 'RolloutAborted: metric check failed' }),
      'failed',
    ],
    [
      'degraded by the progress deadline',
      rollout({ phase: 'Degraded', message: 'ProgressDeadlineExceeded' }),
      'failed',
    ],
    [
      'paused at an indefinite step',
      rollout({
        phase: 'Paused',
        currentStepIndex: 1,
        pauseConditions: [{ reason: 'CanaryPauseStep', startTime: 't' }],
      }),
      'paused abc/1',
    ],
    [
      'paused at a timed step',
      rollout({
        phase: 'Paused',
        currentStepIndex: 2,
        pauseConditions: [{ reason: 'CanaryPauseStep', startTime: 't' }],
      }),
      'progressing',
    ],
    [
      'blue-green without auto promotion',
      rollout(
        { phase: 'Paused', pauseConditions: [{ reason: 'BlueGreenPause', startTime: 't' }] },
        { blueGreen: { activeService: 'a', autoPromotionEnabled: false } },
      ),
      'paused abc',
    ],
  ];
  it.each(cases)('%s', (_, r, want) => {
    const o = outcomeOf(r);
    expect(o.kind === 'paused' ? `paused ${o.key}` : o.kind).toBe(want);
  });
});

/** An AnalysisRun of pod template hash `hash`, owned by the Rollout `owner` (`web`). */
function analysisRun(
  name: string,
  hash: string,
  phase: string,
  more: { owner?: string; revision?: string } = {},
) {
  return {
    metadata: {
      name,
      labels: { 'rollouts-pod-template-hash': hash },
      ...(more.revision && { annotations: { 'rollout.argoproj.io/revision': more.revision } }),
      ownerReferences: [{ name: more.owner ?? 'web' }],
    },
    status: { phase },
  };
}

describe('observeRollout', () => {
  it('reads the watched image, the revision and the analysis runs of the current revision only', () => {
    const runs = [
      analysisRun('web-abc-4-1', 'abc', 'Successful'),
      analysisRun('web-old-3-1', 'old', 'Failed'),
      // The same template at an earlier revision (rolled back, released, deployed again).
      analysisRun('web-abc-2-1', 'abc', 'Failed', { revision: '2' }),
      analysisRun('api-abc-1-1', 'abc', 'Failed', { owner: 'api' }),
    ];
    const observed = observeRollout(
      { name: 'web' },
      'dev',
      'reg.local/acme/web',
      rollout({ phase: 'Healthy', stableRS: 'abc' }),
      runs,
    );
    expect(observed).toEqual({
      key: 'dev/web',
      image: 'reg.local/acme/web:2.0.0',
      revision: '4',
      podHash: 'abc',
      outcome: { kind: 'healthy' },
      analysis: [{ name: 'web-abc-4-1', phase: 'Successful' }],
    });
  });

  it('says when the Rollout does not exist', () => {
    expect(observeRollout({ name: 'web', namespace: 'prod' }, 'dev', 'x', undefined, []).outcome).toEqual({
      kind: 'unknown',
      why: 'Rollout prod/web not found',
    });
  });
});
