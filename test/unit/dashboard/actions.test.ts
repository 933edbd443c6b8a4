import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/rollout.js';
import { ActionInputError, planAction } from '../../../src/dashboard/actions.js';
import { actionFor, hostAllowed, normalizeRootPath } from '../../../src/dashboard/server.js';
import { itMaps } from '../support/each.js';

const NOW = new Date('2026-12-06T12:00:00Z');

function rollout(status: Rollout['status'] = {}, paused = false): Rollout {
  return {
    metadata: {
      name: 'web',
      uid: 'ro-uid',
      resourceVersion: '42',
      annotations: { 'rollout.argoproj.io/revision': '3' },
    },
    spec: {
      paused,
      template: {
        spec: {
          initContainers: [{ name: 'init', image: 'busybox:1' }],
          containers: [
            { name: 'app', image: 'nginx:1.26' },
            { name: 'sidecar', image: 'envoy:1' },
          ],
        },
      },
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
    },
    status,
  };
}

const rs = (revision: number, image: string) => ({
  metadata: {
    name: `web-${revision}`,
    annotations: { 'rollout.argoproj.io/revision': String(revision) },
    ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: 'ro-uid' }],
  },
  spec: {
    template: {
      metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': `h${revision}` } },
      spec: { containers: [{ name: 'app', image }] },
    },
  },
});

describe('dashboard actions as patches', () => {
  const paused = rollout({
    pauseConditions: [{ reason: 'CanaryPauseStep', startTime: 't' }],
    currentStepIndex: 1,
  });
  it.each([
    [
      'promote a paused step',
      paused,
      { kind: 'promote', full: false },
      { object: { spec: { paused: false } }, status: { pauseConditions: null } },
    ],
    ['promote full', paused, { kind: 'promote', full: true }, { status: { promoteFull: true } }],
    ['abort', paused, { kind: 'abort' }, { status: { abort: true } }],
    ['retry', rollout({ abort: true }), { kind: 'retry' }, { status: { abort: false } }],
    ['restart', paused, { kind: 'restart' }, { object: { spec: { restartAt: '2026-12-06T12:00:00Z' } } }],
    ['pause', paused, { kind: 'pause', paused: true }, { object: { spec: { paused: true } } }],
    ['resume', rollout({}, true), { kind: 'pause', paused: false }, { object: { spec: { paused: false } } }],
  ] as const)('%s', (_, ro, action, plan) => {
    expect(planAction(action, ro, [], NOW)).toEqual(plan);
  });

  it('sets the image of the named container, guarded by the resourceVersion it was read at', () => {
    expect(
      planAction({ kind: 'setImage', container: 'app', image: 'nginx:1.27' }, rollout(), [], NOW),
    ).toEqual({
      json: [
        { op: 'test', path: '/metadata/resourceVersion', value: '42' },
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.27' },
      ],
    });
  });

  it('sets every container for "*", init containers included', () => {
    const plan = planAction({ kind: 'setImage', container: '*', image: 'x:2' }, rollout(), [], NOW);
    expect(plan.json?.map((op) => op.path)).toEqual([
      '/metadata/resourceVersion',
      '/spec/template/spec/initContainers/0/image',
      '/spec/template/spec/containers/0/image',
      '/spec/template/spec/containers/1/image',
    ]);
  });

  it('refuses an unknown container or a blank image as input errors', () => {
    expect(() => planAction({ kind: 'setImage', container: 'db', image: 'x:1' }, rollout(), [], NOW)).toThrow(
      new ActionInputError('unable to find container named "db"'),
    );
    expect(() =>
      planAction({ kind: 'setImage', container: 'app', image: 'a b' }, rollout(), [], NOW),
    ).toThrow(ActionInputError);
  });

  it('undo puts back the template of the asked (or previous) revision without its hash label', () => {
    const sets = [rs(1, 'nginx:1.24'), rs(2, 'nginx:1.25'), rs(3, 'nginx:1.26')];
    const previous = planAction({ kind: 'undo', revision: 0 }, rollout(), sets, NOW);
    expect(previous.json?.[1]).toEqual({
      op: 'replace',
      path: '/spec/template',
      value: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
      },
    });
    const first = planAction({ kind: 'undo', revision: 1 }, rollout(), sets, NOW);
    expect((first.json?.[1] as { value: { spec: unknown } } | undefined)?.value.spec).toEqual({
      containers: [{ name: 'app', image: 'nginx:1.24' }],
    });
    expect(() => planAction({ kind: 'undo', revision: 9 }, rollout(), sets, NOW)).toThrow(
      /no ReplicaSet of revision 9 \(earlier revisions: 1, 2\)/,
    );
  });
});

describe("action routes as Argo's rollout.proto maps them", () => {
  it.each([
    [['promote'], {}, { kind: 'promote', full: false }],
    [['promote'], { full: true }, { kind: 'promote', full: true }],
    [['abort'], {}, { kind: 'abort' }],
    [['retry'], {}, { kind: 'retry' }],
    [['restart'], {}, { kind: 'restart' }],
    [['pause'], {}, { kind: 'pause', paused: true }],
    [['pause'], { paused: false }, { kind: 'pause', paused: false }],
    [['set', 'app', 'nginx', '1.27'], {}, { kind: 'setImage', container: 'app', image: 'nginx:1.27' }],
    [
      ['set', 'app', 'registry.local:5000', 'team', 'web', 'v2'],
      {},
      { kind: 'setImage', container: 'app', image: 'registry.local:5000/team/web:v2' },
    ],
    [['undo', '0'], {}, { kind: 'undo', revision: 0 }],
    [['undo', '4'], {}, { kind: 'undo', revision: 4 }],
  ])('%j %j', (parts, body, action) => {
    expect(actionFor(parts, body)).toEqual(action);
  });

  it('rejects unknown actions and bad revisions', () => {
    expect(() => actionFor(['explode'], {})).toThrow(/unknown action explode/);
    expect(() => actionFor(['undo', '-1'], {})).toThrow(/whole number/);
    expect(() => actionFor(['undo', 'x'], {})).toThrow(/whole number/);
  });

  itMaps('root path %j is %j', normalizeRootPath, [
    [undefined, '/'],
    ['', '/'],
    ['rollouts', '/rollouts/'],
    ['/a/b/', '/a/b/'],
    ['//a//b', '/a/b/'],
  ]);
});

describe('Host names a loopback dashboard answers to (DNS rebinding)', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1:3100', true],
    ['127.0.0.1', 'localhost:3100', true],
    ['127.0.0.1', '[::1]:3100', true],
    ['127.0.0.1', 'evil.example:3100', false],
    ['127.0.0.1', undefined, false],
    ['::1', '[::1]:3100', true],
    ['0.0.0.0', 'slipway.example.com', true],
    ['10.0.0.5', 'anything', true],
  ])('bound to %s, Host %s: %s', (bind, host, allowed) => {
    expect(hostAllowed(bind, host)).toBe(allowed);
  });
});
