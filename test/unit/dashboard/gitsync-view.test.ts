import { describe, expect, it } from 'vitest';
import type { GitTarget, ImageWatch } from '../../../src/api/gitsync.js';
import type { PromotionPipeline } from '../../../src/api/promotion.js';
import type { Rollout } from '../../../src/api/rollout.js';
import {
  commitUrl,
  gitSyncSnapshot,
  imageRepository,
  pipelineActionPatch,
} from '../../../src/dashboard/gitsync-view.js';
import { itMaps } from '../support/each.js';

describe('image repositories', () => {
  itMaps('%s is %s', imageRepository, [
    ['ghcr.io/acme/web:1.2', 'ghcr.io/acme/web'],
    ['registry.local:5000/web:2', 'registry.local:5000/web'],
    ['registry.local:5000/web', 'registry.local:5000/web'],
    ['nginx@sha256:abc', 'nginx'],
    ['web:1@sha256:abc', 'web'],
  ]);
});

describe('commit links on known forges', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';
  itMaps('%s', (remote) => commitUrl(remote, sha), [
    ['https://github.com/acme/deploy.git', `https://github.com/acme/deploy/commit/${sha}`],
    ['git@github.com:acme/deploy.git', `https://github.com/acme/deploy/commit/${sha}`],
    ['ssh://git@gitlab.com/group/sub/deploy.git', `https://gitlab.com/group/sub/deploy/-/commit/${sha}`],
    ['https://bitbucket.org/acme/deploy', `https://bitbucket.org/acme/deploy/commits/${sha}`],
    ['https://token@codeberg.org/acme/deploy.git', `https://codeberg.org/acme/deploy/commit/${sha}`],
    ['https://git.internal/acme/deploy.git', undefined],
    ['file:///tmp/repo', undefined],
    ['https://github.com.evil.example/acme/deploy', undefined],
  ]);
  it('links nothing without a commit hash', () => {
    expect(commitUrl('https://github.com/acme/deploy', undefined)).toBeUndefined();
    expect(commitUrl('https://github.com/acme/deploy', 'main; rm')).toBeUndefined();
  });
});

const pipeline: PromotionPipeline = {
  metadata: { name: 'web', namespace: 'shop', annotations: { 'slipway.dev/approve.staging': 'acme/web:1' } },
  spec: {
    image: 'acme/web',
    environments: [
      {
        name: 'staging',
        target: { gitTarget: 'g', path: 'a' } as never,
        rollouts: [{ name: 'web' }],
        gates: { approval: true },
      },
      { name: 'prod', target: { gitTarget: 'g', path: 'b' } as never, rollouts: [{ name: 'web-prod' }] },
    ],
  },
  status: {
    environments: [
      {
        name: 'staging',
        state: 'Healthy',
        image: 'acme/web:2',
        waiting: 'waiting for approval of acme/web:2',
      },
      { name: 'prod', state: 'Healthy', image: 'acme/web:1', stableImage: 'acme/web:1' },
    ],
    held: [{ image: 'acme/web:3', environment: 'staging', reason: 'analysis failed', since: 't' }],
    lastDecision: {
      type: 'hold',
      environment: 'staging',
      image: 'acme/web:3',
      reason: 'analysis failed',
      at: 't',
    },
  },
};

describe('the Git-sync snapshot', () => {
  it('puts the candidate next to what the Rollouts run, and links commits', () => {
    const watch = {
      metadata: { name: 'web' },
      spec: { image: 'acme/web', policy: { strategy: 'semver' }, targets: [] },
      status: {
        latest: { tag: '2', image: 'acme/web:2' },
        writes: [
          { gitTarget: 'deploy', path: 'app/kustomization.yaml', state: 'Applied', commit: 'abcdef0' },
        ],
      },
    } as unknown as ImageWatch;
    const target = {
      metadata: { name: 'deploy' },
      spec: { url: 'https://github.com/acme/deploy.git', branch: 'main' },
      status: { lastPushedCommit: 'abcdef0123' },
    } as unknown as GitTarget;
    const rollout = (name: string, image: string) =>
      ({
        metadata: { name },
        spec: { template: { spec: { containers: [{ name: 'app', image }] } }, strategy: {} },
      }) as Rollout;
    const snapshot = gitSyncSnapshot(
      [watch],
      [target],
      [pipeline],
      [rollout('web', 'acme/web:1'), rollout('other', 'acme/other:1')],
    );
    expect(snapshot.imageWatches).toEqual([
      expect.objectContaining({
        name: 'web',
        candidate: { tag: '2', image: 'acme/web:2' },
        running: [{ rollout: 'web', container: 'app', image: 'acme/web:1' }],
        writes: [expect.objectContaining({ commitUrl: 'https://github.com/acme/deploy/commit/abcdef0' })],
      }),
    ]);
    expect(snapshot.gitTargets).toEqual([
      expect.objectContaining({
        name: 'deploy',
        mode: 'commit',
        commitUrl: 'https://github.com/acme/deploy/commit/abcdef0123',
      }),
    ]);
    expect(snapshot.promotionPipelines).toEqual([
      expect.objectContaining({
        name: 'web',
        environments: [
          expect.objectContaining({
            name: 'staging',
            image: 'acme/web:2',
            approval: true,
            approvedImage: 'acme/web:1',
          }),
          expect.objectContaining({
            name: 'prod',
            image: 'acme/web:1',
            stableImage: 'acme/web:1',
            approval: false,
          }),
        ],
        history: [pipeline.status?.lastDecision],
      }),
    ]);
  });
});

describe('PromotionPipeline actions as the Lua actions set them', () => {
  it('release sets the release-hold annotation to a held image only', () => {
    expect(pipelineActionPatch(pipeline, 'release', { image: 'acme/web:3' })).toEqual({
      metadata: { annotations: { 'slipway.dev/release-hold': 'acme/web:3' } },
    });
    expect(() => pipelineActionPatch(pipeline, 'release', { image: 'acme/web:9' })).toThrow(/does not hold/);
  });
  it('approve sets the approve annotation of the environment to the image it runs', () => {
    expect(pipelineActionPatch(pipeline, 'approve', { environment: 'staging', image: 'acme/web:2' })).toEqual(
      {
        metadata: { annotations: { 'slipway.dev/approve.staging': 'acme/web:2' } },
      },
    );
    expect(() =>
      pipelineActionPatch(pipeline, 'approve', { environment: 'staging', image: 'acme/web:1' }),
    ).toThrow(/runs acme\/web:2/);
    expect(() => pipelineActionPatch(pipeline, 'approve', { environment: 'qa', image: 'x' })).toThrow(
      /no environment/,
    );
  });
});
