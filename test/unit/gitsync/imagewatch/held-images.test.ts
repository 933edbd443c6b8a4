// An ImageWatch never picks or writes an image a PromotionPipeline holds: the hold filter as pure
// functions, the registry check passing over held tags, and the reconcile reporting CandidateHeld.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ImagePolicy, ImageWatch } from '../../../../src/api/gitsync.js';
import type { PromotionPipeline } from '../../../../src/api/promotion.js';
import {
  planRepositoryEdits,
  withoutHeldCandidates,
} from '../../../../src/gitsync/gittarget/repository-plan.js';
import {
  checkImage,
  heldCandidate,
  holdsOn,
  type ImageHold,
  type ImageSource,
} from '../../../../src/gitsync/imagewatch/check.js';
import { type CompiledPolicy, compilePolicy } from '../../../../src/gitsync/imagewatch/policy/strategy.js';
import {
  CANDIDATE_HELD,
  RegistryClients,
  reconcileImageWatch,
} from '../../../../src/gitsync/imagewatch/reconciler.js';
import { createGitSyncMetrics } from '../../../../src/gitsync/metrics.js';
import { withoutRolledBackWrites } from '../../../../src/gitsync/promotion/rolled-back-writes.js';
import type { EventRecorder } from '../../../../src/kube/events.js';
import type { RestClient } from '../../../../src/kube/rest.js';
import type { Logger } from '../../../../src/process/logger.js';

const digestOf = (tag: string) => `sha256:${Buffer.from(tag).toString('hex').padEnd(64, '0').slice(0, 64)}`;

function pipeline(name: string, held: string[], environment = 'staging'): PromotionPipeline {
  return {
    metadata: { name, namespace: 'shop' },
    spec: { image: 'ghcr.io/acme/web', environments: [] },
    status: {
      held: held.map((image) => ({ image, environment, reason: 'failed', since: '2024-01-01T00:00:00Z' })),
    },
  };
}

function policyOf(policy: ImagePolicy): CompiledPolicy {
  const compiled = compilePolicy(policy);
  if ('error' in compiled) throw new Error(compiled.error);
  return compiled;
}

function source(tags: string[], digests: Record<string, string> = {}): ImageSource & { resolved: string[] } {
  const resolved: string[] = [];
  const digestFor = (tag: string) => digests[tag] ?? digestOf(tag);
  return {
    resolved,
    listTags: async () => tags,
    resolve: async (tag: string) => {
      resolved.push(tag);
      return { digest: digestFor(tag) };
    },
    buildTime: async (tag: string) => ({ digest: digestFor(tag), createdAt: 1_000 + tags.indexOf(tag) }),
  } as unknown as ImageSource & { resolved: string[] };
}

const semver1 = policyOf({ strategy: 'semver', semver: { constraint: '>=1' } });

describe('holds on an image repository', () => {
  it('keeps the holds on the same repository, compared by canonical name', () => {
    const holds = holdsOn('nginx', [
      pipeline('a', ['docker.io/library/nginx:1.25', 'ghcr.io/acme/web:2.0.0', 'not a ref']),
      pipeline('b', [`index.docker.io/library/nginx@sha256:${'c'.repeat(64)}`, 'nginx']),
    ]);
    expect(holds).toEqual([
      { pipeline: 'a', image: 'docker.io/library/nginx:1.25', environment: 'staging', tag: '1.25' },
      {
        pipeline: 'b',
        image: `index.docker.io/library/nginx@sha256:${'c'.repeat(64)}`,
        environment: 'staging',
        digest: `sha256:${'c'.repeat(64)}`,
      },
    ]);
    expect(holdsOn('ghcr.io/acme/api', [pipeline('a', ['ghcr.io/acme/web:2.0.0'])])).toEqual([]);
  });

  it('matches a tag hold by tag and a digest hold by digest only', () => {
    const [byTag, byDigest] = holdsOn('ghcr.io/acme/web', [
      pipeline('p', ['ghcr.io/acme/web:2.0.0', `ghcr.io/acme/web:main@${digestOf('x')}`]),
    ]) as [ImageHold, ImageHold];
    const holds = [byTag, byDigest];
    expect(heldCandidate(holds, '2.0.0')).toBe(byTag);
    expect(heldCandidate(holds, '2.0.0', digestOf('any'))).toBe(byTag);
    expect(heldCandidate(holds, 'main')).toBeUndefined();
    expect(heldCandidate(holds, 'main', digestOf('y'))).toBeUndefined();
    expect(heldCandidate(holds, 'main', digestOf('x'))).toBe(byDigest);
  });
});

describe('a registry check passes over held tags', () => {
  const holds = holdsOn('ghcr.io/acme/web', [pipeline('web', ['ghcr.io/acme/web:2.0.0'])]);
  const held = (tag: string, digest?: string) => heldCandidate(holds, tag, digest);

  it('never falls back to an older tag when the best one is held (that would downgrade)', async () => {
    const registry = source(['1.0.0', '2.0.0']);
    const outcome = await checkImage(registry, semver1, 0, undefined, held);
    expect(outcome).toMatchObject({ kind: 'none', held: holds });
    expect(registry.resolved).toEqual([]);
  });

  it('takes a newer tag once one exists', async () => {
    const outcome = await checkImage(source(['1.0.0', '2.0.0', '2.0.1']), semver1, 0, undefined, held);
    expect(outcome).toMatchObject({ kind: 'candidate', candidate: { tag: '2.0.1' }, skipped: [] });
  });

  it('finds nothing when every matching tag is held', async () => {
    const outcome = await checkImage(
      source(['2.0.0']),
      policyOf({ strategy: 'semver', semver: { constraint: '^2' } }),
      0,
      undefined,
      held,
    );
    expect(outcome).toMatchObject({ kind: 'none', held: holds });
  });

  it('holds a digest the digest strategy follows, not the tag', async () => {
    const digestPolicy = policyOf({ strategy: 'digest', digest: { tag: 'main' } });
    const mainHolds = holdsOn('ghcr.io/acme/web', [
      pipeline('web', [`ghcr.io/acme/web:main@${digestOf('bad')}`]),
    ]);
    const check = (tag: string, digest?: string) => heldCandidate(mainHolds, tag, digest);
    const bad = await checkImage(
      source(['main'], { main: digestOf('bad') }),
      digestPolicy,
      0,
      undefined,
      check,
    );
    expect(bad).toMatchObject({ kind: 'none', held: mainHolds });
    const moved = await checkImage(
      source(['main'], { main: digestOf('ok') }),
      digestPolicy,
      0,
      undefined,
      check,
    );
    expect(moved).toMatchObject({ kind: 'candidate', candidate: { tag: 'main', digest: digestOf('ok') } });
  });
});

function watch(policy: ImagePolicy, latest?: string, conditions?: ImageWatch['status']): ImageWatch {
  const tag = latest?.split(':').pop();
  return {
    metadata: { name: 'web', namespace: 'shop', generation: 1 },
    spec: {
      image: 'ghcr.io/acme/web',
      interval: '10m',
      policy,
      targets: [{ gitTarget: 'platform', path: 'envs/staging/k.yaml', kustomize: {} }],
    },
    status: {
      observedGeneration: 1,
      lastCheckedAt: new Date(0).toISOString(),
      ...(latest !== undefined && { latest: { tag, digest: digestOf(tag!), image: latest } }),
      ...conditions,
    },
  };
}

function harness(registry: ImageSource, pipelines: PromotionPipeline[]) {
  const patches: { status: Record<string, unknown> }[] = [];
  const events: [string, string, string][] = [];
  const client = {
    request: async (r: { body: { status: Record<string, unknown> } }) => {
      patches.push(r.body);
      return {};
    },
  } as unknown as RestClient;
  const deps = {
    client,
    events: {
      normal: async (_: unknown, reason: string, message: string) => events.push(['Normal', reason, message]),
      warning: async (_: unknown, reason: string, message: string) =>
        events.push(['Warning', reason, message]),
    } as unknown as EventRecorder,
    logger: { info: () => undefined, warn: () => undefined } as unknown as Logger,
    metrics: createGitSyncMetrics(new Registry()),
    registries: new RegistryClients(
      client,
      () => undefined,
      () => registry,
    ),
    now: () => 10_000,
    gitTargetExists: () => true,
    holdsFor: (w: ImageWatch) => holdsOn(w.spec.image, pipelines),
  };
  return { deps, patches, events };
}

describe('an ImageWatch reconcile with holds', () => {
  const policy: ImagePolicy = { strategy: 'semver', semver: { constraint: '>=1' } };

  it('drops a held candidate at once and writes nothing older in its place', async () => {
    const { deps, patches } = harness(source(['1.0.0', '2.0.0']), [
      pipeline('web', ['ghcr.io/acme/web:2.0.0']),
    ]);
    // Checked just now (not due), but its candidate became held since.
    await reconcileImageWatch({ ...deps, now: () => 1 }, watch(policy, 'ghcr.io/acme/web:2.0.0'), false);
    const status = patches.at(-1)!.status;
    expect(status.latest).toBeNull();
    const ready = (status.conditions as { type: string; reason: string }[]).find((c) => c.type === 'Ready')!;
    expect(ready.reason).toBe(CANDIDATE_HELD);
  });

  it('writes nothing and says how to release when every candidate is held', async () => {
    const { deps, patches, events } = harness(source(['2.0.0']), [
      pipeline('web', ['ghcr.io/acme/web:2.0.0']),
    ]);
    await reconcileImageWatch(deps, watch(policy, 'ghcr.io/acme/web:2.0.0'), true);
    const status = patches[0]!.status;
    expect(status.latest).toBeNull();
    const ready = (status.conditions as { type: string; reason: string; message: string }[]).find(
      (c) => c.type === 'Ready',
    )!;
    expect(ready.reason).toBe(CANDIDATE_HELD);
    expect(ready.message).toContain('ghcr.io/acme/web:2.0.0 is held by PromotionPipeline web');
    expect(ready.message).toContain(
      'kubectl annotate promotionpipeline web -n shop slipway.dev/release-hold=ghcr.io/acme/web:2.0.0',
    );
    expect(events).toEqual([['Warning', CANDIDATE_HELD, ready.message]]);

    // Not due again: the state is kept, no new event.
    const again = watch(policy, undefined, {
      lastCheckedAt: new Date(10_000).toISOString(),
      conditions: status.conditions as never,
    });
    await reconcileImageWatch({ ...deps, now: () => 20_000 }, again, false);
    expect(patches).toHaveLength(1);
    expect(events).toHaveLength(1);
  });

  it('keeps an earlier candidate that is not held', async () => {
    const { deps, patches } = harness(source(['1.0.0', '2.0.0']), [
      pipeline('web', ['ghcr.io/acme/web:2.0.0', 'ghcr.io/acme/web:1.0.0']),
    ]);
    await reconcileImageWatch(deps, watch(policy, 'ghcr.io/acme/web:0.9.0'), true);
    expect(patches[0]?.status.latest).toMatchObject({ image: 'ghcr.io/acme/web:0.9.0' });
  });
});

describe('the repository plan', () => {
  it('does not write a candidate held since it was picked', () => {
    const target = { gitTarget: 'platform', path: 'envs/staging/k.yaml', kustomize: {} };
    const held = watch({ strategy: 'semver', semver: { constraint: '>=1' } }, 'ghcr.io/acme/web:2.0.0');
    const free = {
      ...watch({ strategy: 'semver', semver: { constraint: '>=1' } }, 'ghcr.io/acme/web:1.0.0'),
    };
    free.metadata = { ...free.metadata, name: 'other' };
    const holds = holdsOn('ghcr.io/acme/web', [pipeline('web', ['ghcr.io/acme/web:2.0.0'])]);
    const plan = planRepositoryEdits(
      'platform',
      withoutHeldCandidates([held, free], () => holds),
    );
    expect(held.spec.targets[0]).toEqual(target);
    expect(plan.edits.map((e) => e.reference)).toEqual(['ghcr.io/acme/web:1.0.0']);
    expect(plan.waiting.map((w) => w.watch)).toEqual(['shop/web']);
  });

  it("writes a released image again over the pipeline's rollback, not as a person's change", () => {
    const released = watch({ strategy: 'semver', semver: { constraint: '>=1' } }, 'ghcr.io/acme/web:2.0.0', {
      writes: [
        {
          gitTarget: 'platform',
          path: 'envs/staging/k.yaml',
          state: 'Applied',
          image: 'ghcr.io/acme/web:2.0.0',
          updatedAt: '2024-01-01T10:00:00Z',
        },
      ],
    });
    const rolledBack = (at: string, path = 'envs/staging/k.yaml'): PromotionPipeline => ({
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        image: 'ghcr.io/acme/web',
        environments: [
          {
            name: 'staging',
            target: { gitTarget: 'platform', path, kustomize: {} },
            rollouts: [{ name: 'web' }],
          },
        ],
      },
      status: {
        history: [
          {
            type: 'rollback',
            environment: 'staging',
            image: 'ghcr.io/acme/web:1.0.0',
            from: 'ghcr.io/acme/web:2.0.0',
            reason: 'failed in staging',
            at,
          },
        ],
      },
    });
    const edit = (pipelines: PromotionPipeline[]) =>
      planRepositoryEdits(
        'platform',
        withoutRolledBackWrites([released], () => pipelines),
      ).edits[0];
    // Without a rollback (or one of another file, or from before the write): a different value
    // in the file is someone else's.
    expect(edit([])).toMatchObject({ writtenBefore: true, respectManualChange: true });
    expect(edit([rolledBack('2024-01-01T10:05:00Z', 'envs/prod/k.yaml')])).toMatchObject({
      writtenBefore: true,
    });
    expect(edit([rolledBack('2024-01-01T09:59:59Z')])).toMatchObject({ writtenBefore: true });
    // Rolled back by the pipeline after the write: ours, so the image is written again.
    expect(edit([rolledBack('2024-01-01T10:05:00Z')])?.writtenBefore).toBeUndefined();
  });
});
