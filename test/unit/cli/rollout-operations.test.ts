import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/rollout.js';
import { patchesFor, undoTemplate } from '../../../src/cli/rollout-operations.js';
import { revisionSet } from './replica-sets.js';

const NOW = new Date('2026-11-21T12:00:00.123Z');

function rollout(status: Rollout['status'] = {}, paused = false): Rollout {
  return {
    metadata: { name: 'web', annotations: { 'rollout.argoproj.io/revision': '3' } },
    spec: { paused, strategy: { canary: {} } },
    status,
  };
}

describe('operation patches (as Argo CD actions and the Argo Rollouts plugin send them)', () => {
  it.each([
    [
      'promote while paused',
      rollout({ pauseConditions: [{ reason: 'CanaryPauseStep', startTime: 'x' }] }),
      'promote',
      { object: { spec: { paused: false } }, status: { pauseConditions: null } },
    ],
    [
      'promote while not paused',
      rollout({ currentStepIndex: 2 }),
      'promote',
      { status: { currentStepIndex: 3 } },
    ],
    [
      'skip-step',
      rollout({ currentStepIndex: 1 }),
      'skip-step',
      { status: { pauseConditions: null, currentStepIndex: 2 } },
    ],
    ['promote-full', rollout(), 'promote-full', { status: { promoteFull: true } }],
    ['abort', rollout(), 'abort', { status: { abort: true } }],
    ['retry', rollout({ abort: true }), 'retry', { status: { abort: false } }],
    ['pause', rollout(), 'pause', { object: { spec: { paused: true } } }],
    ['restart', rollout(), 'restart', { object: { spec: { restartAt: '2026-11-21T12:00:00Z' } } }],
  ] as const)('%s', (_, ro, operation, expected) => {
    expect(patchesFor(operation, ro, NOW)).toEqual(expected);
  });
});

describe('undo', () => {
  const sets = [revisionSet(1, 'web:1'), revisionSet(2, 'web:2'), revisionSet(3, 'web:3')];

  it('takes the previous revision by default, without the hash label', () => {
    expect(undoTemplate(rollout(), sets)).toEqual({
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'web:2' }] },
    });
  });

  it('takes the asked revision', () => {
    expect(undoTemplate(rollout(), sets, 1)).toMatchObject({ spec: { containers: [{ image: 'web:1' }] } });
  });

  it('names the revisions there are when the asked one is gone', () => {
    expect(() => undoTemplate(rollout(), sets, 7)).toThrow(
      'no ReplicaSet of revision 7 (earlier revisions: 1, 2)',
    );
  });
});
