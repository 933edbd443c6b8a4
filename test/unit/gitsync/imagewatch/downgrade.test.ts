import { describe, expect, it } from 'vitest';
import type { ImageWatch } from '../../../../src/api/gitsync.js';
import { planRepositoryEdits } from '../../../../src/gitsync/gittarget/repository-plan.js';
import { compilePolicy, isDowngrade } from '../../../../src/gitsync/imagewatch/policy/strategy.js';
import { refusedDowngrade } from '../../../../src/gitsync/imagewatch/reconciler.js';
import { imageWatchState } from '../../../../src/gitsync/imagewatch/state.js';

function policyOf(spec: Parameters<typeof compilePolicy>[0]) {
  const compiled = compilePolicy(spec);
  if ('error' in compiled) throw new Error(compiled.error);
  return compiled;
}

function watch(policy: ImageWatch['spec']['policy'], extra: Partial<ImageWatch['spec']> = {}): ImageWatch {
  return {
    metadata: { name: 'web', namespace: 'shop', generation: 1 },
    spec: {
      image: 'ghcr.io/acme/web',
      policy,
      targets: [{ gitTarget: 'repo', path: 'k.yaml', kustomize: {} }],
      ...extra,
    },
    status: {
      observedGeneration: 1,
      latest: { tag: '1.1.6', digest: `sha256:${'a'.repeat(64)}`, image: 'ghcr.io/acme/web:1.1.6' },
    },
  };
}

const latest = (tag: string) => ({ tag, image: `ghcr.io/acme/web:${tag}` });

describe('no downgrade unless the policy says so', () => {
  it('orders tags the way each strategy ranks them', () => {
    const semver = policyOf({ strategy: 'semver', semver: { constraint: '^1' } });
    expect(isDowngrade(semver, { tag: '1.1.6' }, { tag: '1.1.5' })).toBe(true);
    expect(isDowngrade(semver, { tag: '1.1.6' }, { tag: '1.2.0' })).toBe(false);
    const alpha = policyOf({ strategy: 'alphabetical' });
    expect(isDowngrade(alpha, { tag: 'b' }, { tag: 'a' })).toBe(true);
    const newest = policyOf({ strategy: 'newest-build' });
    expect(isDowngrade(newest, { tag: 'x', createdAt: 2 }, { tag: 'y', createdAt: 1 })).toBe(true);
    expect(isDowngrade(newest, { tag: 'x' }, { tag: 'y', createdAt: 1 })).toBe(false);
    const digest = policyOf({ strategy: 'digest', digest: { tag: 'latest' } });
    expect(isDowngrade(digest, { tag: 'latest' }, { tag: 'latest' })).toBe(false);
  });

  it('keeps 1.1.6 when its tag is deleted and 1.1.5 is the best left', () => {
    const spec = { strategy: 'semver', semver: { constraint: '^1' } } as const;
    const w = watch(spec);
    expect(refusedDowngrade(w, policyOf(spec), w.status!.latest, latest('1.1.5'))).toMatch(
      /kept ghcr.io\/acme\/web:1.1.6: .* 1.1.5, ranks below it .*allowDowngrade/,
    );
    expect(refusedDowngrade(w, policyOf(spec), w.status!.latest, latest('1.2.0'))).toBeUndefined();
  });

  it('takes the lower tag with allowDowngrade, or when the current one no longer passes the policy', () => {
    const allow = { strategy: 'semver', semver: { constraint: '^1' }, allowDowngrade: true } as const;
    const w = watch(allow);
    expect(refusedDowngrade(w, policyOf(allow), w.status!.latest, latest('1.1.5'))).toBeUndefined();
    const narrowed = { strategy: 'semver', semver: { constraint: '~1.0' } } as const;
    const n = watch(narrowed);
    expect(refusedDowngrade(n, policyOf(narrowed), n.status!.latest, latest('1.0.9'))).toBeUndefined();
    const other = watch({ strategy: 'semver', semver: { constraint: '^1' } }, { image: 'ghcr.io/acme/api' });
    expect(
      refusedDowngrade(other, policyOf(other.spec.policy), other.status!.latest, latest('1.1.5')),
    ).toBeUndefined();
  });
});

describe('spec.suspend', () => {
  it('plans nothing for a suspended watch and says Suspended', () => {
    const spec = { strategy: 'semver', semver: { constraint: '^1' } } as const;
    expect(planRepositoryEdits('repo', [watch(spec)]).edits).toHaveLength(1);
    const suspended = watch(spec, { suspend: true });
    expect(planRepositoryEdits('repo', [suspended])).toEqual({ edits: [], invalid: [], waiting: [] });
    expect(imageWatchState({ watch: suspended, suspended: true, missingGitTargets: [] })).toMatchObject({
      ready: false,
      error: false,
      reason: 'Suspended',
    });
  });
});

describe('a manual change to a managed line', () => {
  const spec = { strategy: 'semver', semver: { constraint: '^1' } } as const;
  const applied = (image: string, state: 'Applied' | 'ManualChange' = 'Applied') => {
    const w = watch(spec);
    return { ...w, status: { ...w.status, writes: [{ gitTarget: 'repo', path: 'k.yaml', state, image }] } };
  };

  it('is guarded when we wrote this very value before, and respected by default', () => {
    const [edit] = planRepositoryEdits('repo', [applied('ghcr.io/acme/web:1.1.6')]).edits;
    expect(edit).toMatchObject({ respectManualChange: true, writtenBefore: true });
    const [kept] = planRepositoryEdits('repo', [applied('ghcr.io/acme/web:1.1.6', 'ManualChange')]).edits;
    expect(kept).toMatchObject({ writtenBefore: true });
  });

  it('a new candidate is written again; overwrite does not respect', () => {
    const [fresh] = planRepositoryEdits('repo', [applied('ghcr.io/acme/web:1.1.5')]).edits;
    expect(fresh?.writtenBefore).toBeUndefined();
    const w = applied('ghcr.io/acme/web:1.1.6');
    const [over] = planRepositoryEdits('repo', [
      { ...w, spec: { ...w.spec, manualChanges: 'overwrite' } },
    ]).edits;
    expect(over?.respectManualChange).toBeUndefined();
  });

  it('reads as Ready ManualChangeKept', () => {
    const w = applied('ghcr.io/acme/web:1.1.6', 'ManualChange');
    w.status.writes[0] = { ...w.status.writes[0]!, message: 'changed by someone else to 1.1.5' } as never;
    expect(imageWatchState({ watch: w, missingGitTargets: [] })).toMatchObject({
      ready: true,
      reason: 'ManualChangeKept',
      message: 'changed by someone else to 1.1.5',
    });
  });
});
