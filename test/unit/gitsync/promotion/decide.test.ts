import { describe, expect, it } from 'vitest';
import type {
  Environment,
  EnvironmentStatus,
  HeldImage,
  PromotionPipeline,
} from '../../../../src/api/promotion.js';
import { type Decision, decidePromotions } from '../../../../src/gitsync/promotion/decide.js';
import type { ObservedRollout, RolloutOutcome } from '../../../../src/gitsync/promotion/observe.js';

const NOW = Date.parse('2026-08-01T12:00:00Z');
const V1 = 'reg.local/acme/web:1.0.0';
const V2 = 'reg.local/acme/web:2.0.0';
const V3 = 'reg.local/acme/web:3.0.0';

function env(name: string, extra: Partial<Environment> = {}): Environment {
  return {
    name,
    target: {
      gitTarget: 'repo',
      path: `envs/${name}/rollout.yaml`,
      yaml: { path: 'spec.template.spec.containers[0].image' },
    },
    rollouts: [{ name: 'web', namespace: name }],
    ...extra,
  };
}

function pipeline(
  options: {
    envs?: Environment[];
    status?: EnvironmentStatus[];
    held?: HeldImage[];
    annotations?: Record<string, string>;
    scm?: boolean;
  } = {},
): PromotionPipeline {
  return {
    metadata: {
      name: 'web',
      namespace: 'ops',
      ...(options.annotations && { annotations: options.annotations }),
    },
    spec: {
      image: 'reg.local/acme/web',
      environments: options.envs ?? [env('dev'), env('staging'), env('prod')],
      ...(options.scm && {
        scm: { provider: 'github', owner: 'acme', repository: 'platform', secretRef: { name: 'gh' } },
      }),
    },
    status: { environments: options.status ?? [], held: options.held ?? [] },
  };
}

function rollout(
  envName: string,
  image: string,
  outcome: RolloutOutcome,
  analysis: ObservedRollout['analysis'] = [],
) {
  return { key: `${envName}/web`, image, revision: '2', podHash: 'abc', outcome, analysis };
}

const healthy: RolloutOutcome = { kind: 'healthy' };
const progressing: RolloutOutcome = { kind: 'progressing' };
const aborted: RolloutOutcome = { kind: 'failed', why: 'aborted: metric error-rate failed' };
/** Dev stable at `devStable`, staging (stable at V1) last written `stagingDesired`, prod as it is. */
const devStagingProd = (devStable: string, stagingDesired: string) => [
  st('dev', { stableImage: devStable }),
  st('staging', { stableImage: V1, desiredImage: stagingDesired }),
  st('prod'),
];
/** Staging and prod where most cases have them: healthy at V1. */
const laterAtV1 = { staging: rollout('staging', V1, healthy), prod: rollout('prod', V1, healthy) };
/** V2 held after it failed in staging. */
const v2HeldInStaging = [
  { image: V2, environment: 'staging', reason: 'failed', since: '2026-08-01T11:00:00Z' },
];

function observed(entries: Record<string, ObservedRollout>): Map<string, ObservedRollout[]> {
  return new Map(Object.entries(entries).map(([k, v]) => [k, [v]]));
}

function st(name: string, fields: Partial<EnvironmentStatus> = {}): EnvironmentStatus {
  return { name, state: 'Healthy', ...fields };
}

function summarize(decisions: readonly Decision[]): string[] {
  return decisions.map((d) => {
    switch (d.type) {
      case 'promote':
        return `promote ${d.image} ${d.from}->${d.environment} (${d.mode})`;
      case 'rollback':
        return `rollback ${d.environment} to ${d.image} (failed ${d.failed})`;
      case 'hold':
        return `hold ${d.image} (${d.environment})`;
      case 'release':
        return `release ${d.image}`;
      case 'release-pause':
        return `release-pause ${d.environment} ${d.key}`;
      default:
        return `unexpected ${JSON.stringify(d)}`;
    }
  });
}

describe('decidePromotions', () => {
  const cases: {
    name: string;
    pipeline: PromotionPipeline;
    observed: Record<string, ObservedRollout>;
    want: string[];
    waiting?: Record<string, string>;
  }[] = [
    {
      name: 'everything at one image: nothing to do',
      pipeline: pipeline(),
      observed: { dev: rollout('dev', V1, healthy), ...laterAtV1 },
      want: [],
    },
    {
      name: 'dev completes a new image: promote it to staging by commit',
      pipeline: pipeline({ status: [st('dev', { stableImage: V1 }), st('staging'), st('prod')] }),
      observed: {
        dev: rollout('dev', V2, healthy, [{ name: 'web-abc-2', phase: 'Successful' }]),
        ...laterAtV1,
      },
      want: [`promote ${V2} dev->staging (commit)`],
    },
    {
      name: 'promotion into a pull-request environment opens a pull request',
      pipeline: pipeline({ envs: [env('dev'), env('staging', { mode: 'pull-request' })], scm: true }),
      observed: { dev: rollout('dev', V2, healthy), staging: rollout('staging', V1, healthy) },
      want: [`promote ${V2} dev->staging (pull-request)`],
    },
    {
      name: 'already written to staging: not decided again',
      pipeline: pipeline({
        status: [st('dev'), st('staging', { desiredImage: V2, state: 'Progressing' }), st('prod')],
      }),
      observed: {
        dev: rollout('dev', V2, healthy),
        staging: rollout('staging', V1, progressing),
        prod: rollout('prod', V1, healthy),
      },
      want: [],
    },
    {
      name: 'a pull request for the image is open: not decided again',
      pipeline: pipeline({
        envs: [env('dev'), env('staging', { mode: 'pull-request' })],
        scm: true,
        status: [
          st('dev'),
          st('staging', { pullRequest: { kind: 'promote', image: V2, number: 7, url: 'u' } }),
        ],
      }),
      observed: { dev: rollout('dev', V2, healthy), staging: rollout('staging', V1, healthy) },
      want: [],
    },
    {
      name: 'dev still progressing: nothing',
      pipeline: pipeline(),
      observed: { dev: rollout('dev', V2, progressing), ...laterAtV1 },
      want: [],
    },
    {
      name: 'analysis still running: wait',
      pipeline: pipeline(),
      observed: { dev: rollout('dev', V2, healthy, [{ name: 'web-abc-2', phase: 'Running' }]), ...laterAtV1 },
      want: [],
      waiting: { dev: 'AnalysisRun web-abc-2 is Running' },
    },
    {
      name: 'an inconclusive analysis blocks the promotion',
      pipeline: pipeline(),
      observed: {
        dev: rollout('dev', V2, healthy, [{ name: 'web-abc-2', phase: 'Inconclusive' }]),
        ...laterAtV1,
      },
      want: [],
      waiting: { dev: 'AnalysisRun web-abc-2 is Inconclusive' },
    },
    {
      name: 'analysis gate off: a failed background run does not block',
      pipeline: pipeline({ envs: [env('dev', { gates: { analysis: false } }), env('staging')] }),
      observed: {
        dev: rollout('dev', V2, healthy, [{ name: 'web-abc-2', phase: 'Failed' }]),
        staging: rollout('staging', V1, healthy),
      },
      want: [`promote ${V2} dev->staging (commit)`],
    },
    {
      name: 'soak time not over: wait',
      pipeline: pipeline({
        envs: [env('dev', { gates: { soak: '10m' } }), env('staging')],
        status: [st('dev', { stableImage: V2, healthySince: '2026-08-01T11:55:00Z' })],
      }),
      observed: { dev: rollout('dev', V2, healthy), staging: rollout('staging', V1, healthy) },
      want: [],
      waiting: { dev: 'soaking: 300s of 10m left' },
    },
    {
      name: 'soak time over: promote',
      pipeline: pipeline({
        envs: [env('dev', { gates: { soak: '10m' } }), env('staging')],
        status: [st('dev', { stableImage: V2, healthySince: '2026-08-01T11:49:00Z' })],
      }),
      observed: { dev: rollout('dev', V2, healthy), staging: rollout('staging', V1, healthy) },
      want: [`promote ${V2} dev->staging (commit)`],
    },
    {
      name: 'approval required and missing: wait',
      pipeline: pipeline({ envs: [env('staging', { gates: { approval: true } }), env('prod')] }),
      observed: { staging: rollout('staging', V2, healthy), prod: rollout('prod', V1, healthy) },
      want: [],
      waiting: { staging: `waiting for approval: annotate slipway.dev/approve.staging=${V2}` },
    },
    {
      name: 'approval for another image does not count; for this one it does',
      pipeline: pipeline({
        envs: [env('staging', { gates: { approval: true } }), env('prod')],
        annotations: { 'slipway.dev/approve.staging': V2 },
      }),
      observed: { staging: rollout('staging', V2, healthy), prod: rollout('prod', V1, healthy) },
      want: [`promote ${V2} staging->prod (commit)`],
    },
    {
      name: 'staging aborts: roll staging back to its last good image and hold the failed one',
      pipeline: pipeline({
        status: devStagingProd(V2, V2),
      }),
      observed: {
        dev: rollout('dev', V2, healthy),
        staging: rollout('staging', V2, aborted, [{ name: 'web-abc-2', phase: 'Failed' }]),
        prod: rollout('prod', V1, healthy),
      },
      want: [`rollback staging to ${V1} (failed ${V2})`, `hold ${V2} (staging)`],
    },
    {
      name: 'failed image held: no rollback again, and dev does not promote it again',
      pipeline: pipeline({
        status: devStagingProd(V2, V1),
        held: v2HeldInStaging,
      }),
      observed: {
        dev: rollout('dev', V2, healthy),
        staging: rollout('staging', V2, aborted),
        prod: rollout('prod', V1, healthy),
      },
      want: [],
      waiting: { dev: `${V2} is held; release it with slipway.dev/release-hold` },
    },
    {
      name: 'after the rollback synced, a newer dev image is promoted past the hold',
      pipeline: pipeline({
        status: devStagingProd(V3, V1),
        held: v2HeldInStaging,
      }),
      observed: { dev: rollout('dev', V3, healthy), ...laterAtV1 },
      want: [`promote ${V3} dev->staging (commit)`],
    },
    {
      name: 'a person releases the hold: the image may move again',
      pipeline: pipeline({
        status: devStagingProd(V2, V1),
        held: v2HeldInStaging,
        annotations: { 'slipway.dev/release-hold': V2 },
      }),
      observed: { dev: rollout('dev', V2, healthy), ...laterAtV1 },
      want: [`release ${V2}`, `promote ${V2} dev->staging (commit)`],
    },
    {
      name: 'a failure with no known good image holds without a rollback',
      pipeline: pipeline(),
      observed: { dev: rollout('dev', V2, aborted), ...laterAtV1 },
      want: [`hold ${V2} (dev)`],
    },
    {
      name: 'a Degraded rollout (progress deadline) is a failure too',
      pipeline: pipeline({ status: [st('dev', { stableImage: V1 })] }),
      observed: {
        dev: rollout('dev', V2, { kind: 'failed', why: 'degraded: ProgressDeadlineExceeded' }),
        ...laterAtV1,
      },
      want: [`rollback dev to ${V1} (failed ${V2})`, `hold ${V2} (dev)`],
    },
    {
      name: 'an indefinite pause with pauseRelease opens a release-pause pull request',
      pipeline: pipeline({
        envs: [
          env('dev', { pauseRelease: { gitTarget: 'repo', path: 'envs/dev/rollout.yaml' } }),
          env('staging'),
        ],
        scm: true,
      }),
      observed: {
        dev: rollout('dev', V2, { kind: 'paused', key: 'abc/1' }),
        staging: rollout('staging', V1, healthy),
      },
      want: ['release-pause dev abc/1'],
    },
    {
      name: 'the release-pause pull request is open: not again',
      pipeline: pipeline({
        envs: [
          env('dev', { pauseRelease: { gitTarget: 'repo', path: 'envs/dev/rollout.yaml' } }),
          env('staging'),
        ],
        scm: true,
        status: [
          st('dev', {
            state: 'Paused',
            pullRequest: { kind: 'release-pause', image: V2, number: 3, url: 'u', key: 'abc/1' },
          }),
        ],
      }),
      observed: {
        dev: rollout('dev', V2, { kind: 'paused', key: 'abc/1' }),
        staging: rollout('staging', V1, healthy),
      },
      want: [],
    },
    {
      name: 'an unknown environment decides nothing for it',
      pipeline: pipeline(),
      observed: {
        dev: rollout('dev', V2, { kind: 'unknown', why: 'not observed' }),
        prod: rollout('prod', V1, healthy),
      },
      want: [],
    },
  ];

  it.each(cases)('$name', ({ pipeline: p, observed: o, want, waiting }) => {
    const plan = decidePromotions({ pipeline: p, observed: observed(o), now: NOW });
    expect(plan.problems).toEqual([]);
    expect(summarize(plan.decisions)).toEqual(want);
    for (const [name, text] of Object.entries(waiting ?? {})) {
      expect(plan.environments.find((e) => e.name === name)?.waiting).toBe(text);
    }
  });

  it('carries the evidence of the deciding rollout', () => {
    const plan = decidePromotions({
      pipeline: pipeline(),
      observed: observed({
        dev: rollout('dev', V2, healthy, [{ name: 'web-abc-2', phase: 'Successful' }]),
        ...laterAtV1,
      }),
      now: NOW,
    });
    expect(plan.decisions[0]).toMatchObject({
      replaces: V1,
      evidence: { rollout: 'dev/web', revision: '2 (abc)', analysis: 'web-abc-2=Successful' },
    });
  });

  it('records the last good image and keeps healthySince while the same image stays healthy', () => {
    const p = pipeline({ status: [st('dev', { stableImage: V2, healthySince: '2026-08-01T10:00:00Z' })] });
    const plan = decidePromotions({
      pipeline: p,
      observed: observed({ dev: rollout('dev', V2, healthy) }),
      now: NOW,
    });
    expect(plan.environments[0]).toMatchObject({ stableImage: V2, healthySince: '2026-08-01T10:00:00Z' });
    const moved = decidePromotions({
      pipeline: p,
      observed: observed({ dev: rollout('dev', V3, healthy) }),
      now: NOW,
    });
    expect(moved.environments[0]).toMatchObject({ stableImage: V3, healthySince: '2026-08-01T12:00:00Z' });
    const failed = decidePromotions({
      pipeline: p,
      observed: observed({ dev: rollout('dev', V3, aborted) }),
      now: NOW,
    });
    expect(failed.environments[0]).toMatchObject({ state: 'Failed', stableImage: V2, image: V3 });
  });

  it('reports spec problems with the field and decides nothing', () => {
    const plan = decidePromotions({
      pipeline: pipeline({
        envs: [env('dev', { mode: 'pull-request', gates: { soak: '10 minutes' } }), env('dev')],
      }),
      observed: new Map(),
      now: NOW,
    });
    expect(plan.problems).toEqual([
      'PromotionPipeline ops/web: spec.environments[0].gates.soak: "10 minutes" is not a duration; use a number with a unit (ms, s, m, h, d), e.g. "90s" or "1h30m"',
      'PromotionPipeline ops/web: spec.environments[0] opens pull requests (mode or pauseRelease) but spec.scm is not set',
      'PromotionPipeline ops/web: spec.environments[1].name "dev" is used twice',
    ]);
    expect(plan.decisions).toEqual([]);
  });
});

describe('an ImageWatch writing an environment after our rollback', () => {
  const V4 = 'reg.local/acme/web:4.0.0';
  const rolledBack = (history: NonNullable<PromotionPipeline['status']>['history']) => {
    const p = pipeline({
      envs: [env('dev'), env('prod')],
      status: [st('dev', { desiredImage: V1, stableImage: V1 }), st('prod', { stableImage: V1 })],
      held: [{ image: V2, environment: 'dev', reason: 'failed in dev', since: '2026-08-01T11:00:00Z' }],
    });
    return { ...p, status: { ...p.status, history } };
  };
  const history = [
    {
      type: 'rollback' as const,
      environment: 'dev',
      image: V1,
      from: V2,
      reason: 'failed',
      at: '2026-08-01T11:00:00Z',
    },
  ];
  const devRuns = (image: string) =>
    observed({ dev: rollout('dev', image, healthy), prod: rollout('prod', V1, healthy) });
  const write = (image: string, at: string) => new Map([['dev', { image, at, watch: 'ops/web' }]]);

  it('follows a newer write so the environment does not wait for good', () => {
    const plan = decidePromotions({
      pipeline: rolledBack(history),
      observed: devRuns(V4),
      now: NOW,
      imageWatchWrites: write(V4, '2026-08-01T11:30:00Z'),
    });
    expect(plan.environments[0]).toMatchObject({ name: 'dev', image: V4, desiredImage: V4 });
  });

  it('follows a released image the ImageWatch writes again after the rollback', () => {
    const released = { ...rolledBack(history), status: { ...rolledBack(history).status, held: [] } };
    const plan = decidePromotions({
      pipeline: released,
      observed: devRuns(V2),
      now: NOW,
      imageWatchWrites: write(V2, '2026-08-01T11:30:00Z'),
    });
    expect(plan.environments[0]).toMatchObject({ name: 'dev', image: V2, desiredImage: V2 });
    // In the rollback's own second the write may be the one the rollback undid.
    const sameSecond = decidePromotions({
      pipeline: released,
      observed: devRuns(V1),
      now: NOW,
      imageWatchWrites: write(V2, '2026-08-01T11:00:00Z'),
    });
    expect(sameSecond.environments[0]).toMatchObject({ desiredImage: V1 });
  });

  it('ignores a write from before the rollback, or of the held image', () => {
    for (const [image, at] of [
      [V3, '2026-08-01T10:59:59Z'],
      [V2, '2026-08-01T11:30:00Z'],
    ] as const) {
      const plan = decidePromotions({
        pipeline: rolledBack(history),
        observed: devRuns(V1),
        now: NOW,
        imageWatchWrites: write(image, at),
      });
      expect(plan.environments[0]).toMatchObject({ desiredImage: V1 });
    }
  });
});

describe('releasing a hold before the rollback has synced', () => {
  const holdRecord = {
    type: 'hold' as const,
    environment: 'prod',
    image: V2,
    rollout: 'prod/web',
    revision: '2 (abc)',
    reason: 'failed in prod',
    at: '2026-08-01T11:00:00Z',
  };
  const released = (history: (typeof holdRecord)[]) => {
    const p = pipeline({
      envs: [env('staging'), env('prod')],
      status: [st('staging', { stableImage: V2 }), st('prod', { desiredImage: V1, stableImage: V1 })],
      annotations: { 'slipway.dev/release-hold': V2 },
      held: [{ image: V2, environment: 'prod', reason: 'failed', since: '2026-08-01T11:00:00Z' }],
    });
    return { ...p, status: { ...p.status, history } };
  };
  const stillFailed = observed({
    staging: rollout('staging', V2, healthy),
    prod: rollout('prod', V2, aborted),
  });

  it('is not undone while the Rollout still shows the released failure', () => {
    const plan = decidePromotions({ pipeline: released([holdRecord]), observed: stillFailed, now: NOW });
    // Released means it may move again: no new rollback or hold for the failure already handled.
    expect(summarize(plan.decisions)).toEqual([`release ${V2}`, `promote ${V2} staging->prod (commit)`]);
    expect(plan.held).toEqual([]);
  });

  it('holds again when a new revision fails', () => {
    const plan = decidePromotions({
      pipeline: released([{ ...holdRecord, revision: '1 (old)' }]),
      observed: stillFailed,
      now: NOW,
    });
    expect(summarize(plan.decisions)).toContain(`hold ${V2} (prod)`);
  });
});

describe('rollback in a pull-request environment', () => {
  it('goes through a pull request like promotions into it', () => {
    const plan = decidePromotions({
      pipeline: pipeline({
        envs: [env('staging'), env('prod', { mode: 'pull-request' })],
        status: [st('staging', { stableImage: V2 }), st('prod', { stableImage: V1 })],
        scm: true,
      }),
      observed: observed({ staging: rollout('staging', V2, healthy), prod: rollout('prod', V2, aborted) }),
      now: NOW,
    });
    expect(plan.decisions.find((d) => d.type === 'rollback')).toMatchObject({
      image: V1,
      mode: 'pull-request',
    });
  });

  it('an open rollback pull request is done once the environment runs the image it restores', () => {
    const pr = { kind: 'rollback' as const, image: V1, number: 7, url: 'https://example/pr/7' };
    const plan = decidePromotions({
      pipeline: pipeline({
        envs: [env('staging'), env('prod', { mode: 'pull-request' })],
        status: [st('staging', { stableImage: V2 }), st('prod', { stableImage: V1, pullRequest: pr })],
        held: [{ image: V2, environment: 'prod', reason: 'failed', since: '2026-08-01T11:00:00Z' }],
        scm: true,
      }),
      observed: observed({ staging: rollout('staging', V2, healthy), prod: rollout('prod', V1, healthy) }),
      now: NOW,
    });
    expect(plan.environments[1]!.pullRequest).toBeUndefined();
  });
});
