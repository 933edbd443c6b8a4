// The writes of `kubectl slipway`, table-tested against what Argo's plugin (v1.10.2) sends.
import { describe, expect, it } from 'vitest';
import {
  promotePatches,
  restartPatch,
  templateMatches,
  undoReplicaSet,
  undoTemplate,
  withImage,
} from '../../../src/cli/argo-patches.js';
import type { RolloutObject } from '../../../src/cli/info.js';
import { revisionSet } from './replica-sets.js';

const canary = (status: RolloutObject['status'] = {}, paused = false): RolloutObject => ({
  metadata: { name: 'web' },
  spec: { paused, strategy: { canary: { steps: [{ setWeight: 20 }, {}, { setWeight: 50 }] } } },
  status,
});
const none = { full: false, skipCurrentStep: false, skipAllSteps: false };

describe('promote', () => {
  it.each([
    [
      'paused at a step: clears the pause conditions',
      canary({ currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] }),
      none,
      { status: { pauseConditions: null } },
    ],
    [
      'not paused: moves past the current step',
      canary({ currentStepIndex: 0 }),
      none,
      { status: { pauseConditions: null, currentStepIndex: 1 } },
    ],
    [
      'spec.paused: unpauses too',
      canary({ currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] }, true),
      none,
      { spec: { spec: { paused: false } }, status: { pauseConditions: null } },
    ],
    [
      'inconclusive analysis: clears controllerPause and moves on',
      canary({
        currentStepIndex: 1,
        controllerPause: true,
        pauseConditions: [{ reason: 'InconclusiveAnalysisRun' }],
        canary: { currentStepAnalysisRunStatus: { status: 'Inconclusive' } },
      } as RolloutObject['status']),
      none,
      { status: { pauseConditions: null, controllerPause: false, currentStepIndex: 2 } },
    ],
    [
      '--full mid-update',
      canary({ currentPodHash: 'b', stableRS: 'a' }),
      { ...none, full: true },
      { status: { promoteFull: true } },
    ],
    [
      '--full when already stable: nothing to send',
      canary({ currentPodHash: 'a', stableRS: 'a' }),
      { ...none, full: true },
      {},
    ],
    [
      '--skip-current-step at the last step stays there',
      canary({ currentStepIndex: 3 }),
      { ...none, skipCurrentStep: true },
      { status: { currentStepIndex: 3 } },
    ],
    [
      '--skip-all-steps',
      canary({ currentStepIndex: 0 }),
      { ...none, skipAllSteps: true },
      { status: { currentStepIndex: 3 } },
    ],
  ] as const)('%s', (_, ro, flags, expected) => {
    const { unified, ...sent } = promotePatches(ro, flags);
    expect(Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== undefined))).toEqual(expected);
    expect(unified).toBeDefined();
  });

  it("refuses skipping on blue-green and rollouts without steps, with Argo's messages", () => {
    const blueGreen: RolloutObject = { spec: { strategy: { blueGreen: {} } } };
    expect(() => promotePatches(blueGreen, { ...none, skipCurrentStep: true })).toThrow(
      'Cannot skip steps of a bluegreen rollout. Run without a flags',
    );
    const noSteps: RolloutObject = { spec: { strategy: { canary: {} } } };
    expect(() => promotePatches(noSteps, { ...none, skipAllSteps: true })).toThrow(
      'Cannot skip steps of a rollout without steps',
    );
    expect(() => promotePatches(canary(), { ...none, skipAllSteps: true, skipCurrentStep: true })).toThrow(
      'Cannot use skip-current-step and skip-all-steps flags at the same time',
    );
  });
});

describe('restart --in', () => {
  const now = new Date('2026-11-21T12:00:00.700Z');
  it.each([
    [undefined, '2026-11-21T12:00:00Z'],
    ['10s', '2026-11-21T12:00:10Z'],
    ['90', '2026-11-21T12:01:30Z'],
    ['1h', '2026-11-21T13:00:00Z'],
  ])('%s', (inText, at) => {
    expect(restartPatch(now, inText)).toEqual({ spec: { restartAt: at } });
  });
  it('rejects what is not a duration', () => {
    expect(() => restartPatch(now, 'soon')).toThrow('time: invalid duration "soon"');
  });
});

describe('set image', () => {
  const ro = {
    spec: {
      template: {
        spec: {
          initContainers: [{ name: 'init', image: 'busybox:1' }],
          containers: [
            { name: 'app', image: 'nginx:1', ports: [{ containerPort: 80 }] },
            { name: 'side', image: 'envoy:1' },
          ],
        },
      },
    },
  };
  it('changes the named container, keeping its other fields, without touching the input', () => {
    const next = withImage(ro, 'app', 'nginx:2');
    expect(next.spec.template.spec.containers).toEqual([
      { name: 'app', image: 'nginx:2', ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'envoy:1' },
    ]);
    expect(ro.spec.template.spec.containers[0]?.image).toBe('nginx:1');
  });
  it('changes init containers by name, and every container with *', () => {
    expect(withImage(ro, 'init', 'busybox:2').spec.template.spec.initContainers[0]?.image).toBe('busybox:2');
    const all = withImage(ro, '*', 'x:9').spec.template.spec;
    expect([...all.initContainers, ...all.containers].map((c) => c.image)).toEqual(['x:9', 'x:9', 'x:9']);
  });
  it("says when no container has the name (Argo's message)", () => {
    expect(() => withImage(ro, 'nope', 'x')).toThrow('unable to find container named "nope"');
  });
});

describe('undo', () => {
  const sets = [revisionSet(3, 'web:3'), revisionSet(1, 'web:1'), revisionSet(2, 'web:2')];
  it('goes to the second-highest revision by default, without the hash label', () => {
    const target = undoReplicaSet('web', sets, 0);
    expect(undoTemplate(target)).toEqual({
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'web:2' }] },
    });
  });
  it('goes to the asked revision, and names the ones there are when it is gone', () => {
    expect(undoReplicaSet('web', sets, 1).metadata?.name).toBe('web-1');
    expect(() => undoReplicaSet('web', sets, 7)).toThrow(
      'unable to find specified revision 7 in history (revisions there: 1, 2, 3)',
    );
    expect(() => undoReplicaSet('web', [revisionSet(1, 'web:1')], 0)).toThrow(
      'no revision found for rollout "web"',
    );
  });
  it('sees a template as matching when every field it sets is equal (API defaults ignored)', () => {
    const current = {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'web:2' }] },
    };
    const fromServer = {
      metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': 'h2' } },
      spec: {
        containers: [{ name: 'app', image: 'web:2', imagePullPolicy: 'IfNotPresent' }],
        dnsPolicy: 'ClusterFirst',
      },
    };
    expect(templateMatches(current, fromServer)).toBe(true);
    expect(templateMatches(current, revisionSet(1, 'web:1').spec?.template)).toBe(false);
  });
});
