import { describe, expect, it } from 'vitest';
import type { ImagePolicy } from '../../../../../src/api/gitsync.js';
import { parseDuration } from '../../../../../src/gitsync/imagewatch/policy/duration.js';
import {
  type CompiledPolicy,
  compilePolicy,
  oldEnough,
  rankTags,
} from '../../../../../src/gitsync/imagewatch/policy/strategy.js';

function compiled(policy: ImagePolicy): CompiledPolicy {
  const result = compilePolicy(policy);
  if ('error' in result) throw new Error(result.error);
  return result;
}

const TAGS = [
  '1.0.0',
  '1.2.0',
  '1.10.0',
  'v1.3.0',
  '1.11.0-rc.1',
  '2.0.0',
  'latest',
  'main-abc123',
  'sha-9f8e',
];

describe('semver strategy', () => {
  it('ranks versions in the constraint highest first, numerically (1.10 above 1.2), v-prefix included', () => {
    expect(rankTags(compiled({ strategy: 'semver', semver: { constraint: '^1.0' } }), TAGS)).toEqual([
      '1.10.0',
      'v1.3.0',
      '1.2.0',
      '1.0.0',
    ]);
  });

  it('considers pre-releases only when asked', () => {
    const policy = compiled({ strategy: 'semver', semver: { constraint: '>=1.10.0 <2', prereleases: true } });
    expect(rankTags(policy, TAGS)[0]).toBe('1.11.0-rc.1');
  });

  it('takes the allowTags regexp and ignoreTags globs into account', () => {
    const policy = compiled({
      strategy: 'semver',
      semver: { constraint: '*' },
      allowTags: '^\\d',
      ignoreTags: ['2.*', '1.1?.0'],
    });
    expect(rankTags(policy, TAGS)).toEqual(['1.2.0', '1.0.0']);
  });

  it('refuses a missing or unreadable constraint with the field name', () => {
    expect(compilePolicy({ strategy: 'semver' })).toEqual({
      error: 'policy.semver.constraint is required for strategy semver',
    });
    expect(compilePolicy({ strategy: 'semver', semver: { constraint: 'not a range!' } })).toMatchObject({
      error: expect.stringContaining('policy.semver.constraint "not a range!"'),
    });
  });
});

describe('alphabetical strategy', () => {
  it('ranks lexically descending, the last tag first', () => {
    expect(rankTags(compiled({ strategy: 'alphabetical', allowTags: '^main-|^sha-' }), TAGS)).toEqual([
      'sha-9f8e',
      'main-abc123',
    ]);
  });
});

describe('newest-build strategy', () => {
  it('ranks by build time and leaves out tags with none', () => {
    const created = new Map([
      ['main-abc123', 300],
      ['sha-9f8e', 200],
      ['latest', 300],
    ]);
    expect(rankTags(compiled({ strategy: 'newest-build', ignoreTags: ['latest'] }), TAGS, created)).toEqual([
      'main-abc123',
      'sha-9f8e',
    ]);
  });
});

describe('digest strategy', () => {
  it('follows only its tag, which needs no allowTags match', () => {
    const policy = compiled({ strategy: 'digest', digest: { tag: 'latest' }, allowTags: '^v' });
    expect(rankTags(policy, TAGS)).toEqual(['latest']);
    expect(rankTags(policy, ['v1'])).toEqual([]);
  });

  it('requires the tag', () => {
    expect(compilePolicy({ strategy: 'digest' })).toEqual({
      error: 'policy.digest.tag is required for strategy digest',
    });
  });
});

describe('minimum age', () => {
  const policy = compiled({ strategy: 'alphabetical', minAge: '1h' });

  it('passes a tag built at least minAge ago, and no tag whose build time is unknown', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    expect(oldEnough(policy, now - 3_600_000, now)).toBe(true);
    expect(oldEnough(policy, now - 3_599_999, now)).toBe(false);
    expect(oldEnough(policy, undefined, now)).toBe(false);
    expect(oldEnough(compiled({ strategy: 'alphabetical' }), undefined, now)).toBe(true);
  });

  it('reads Go-style durations and days', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(compilePolicy({ strategy: 'alphabetical', minAge: '1 hour' })).toMatchObject({
      error: expect.stringMatching(/^policy.minAge: "1 hour" is not a duration/),
    });
  });

  it("rejects a broken allowTags regexp with Go's error", () => {
    expect(compilePolicy({ strategy: 'alphabetical', allowTags: '(' })).toEqual({
      error: 'policy.allowTags: error parsing regexp: missing closing ): `(`',
    });
    // Lookahead is JavaScript syntax, not Go's (Image Updater uses Go's regexp).
    expect(compilePolicy({ strategy: 'alphabetical', allowTags: '^v(?=1)' })).toEqual({
      error: 'policy.allowTags: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    });
  });

  it("matches allowTags with Go's syntax, anywhere in the tag", () => {
    const tags = ['V1.0', 'v2-rc', 'main-1', 'release-v3'];
    expect(rankTags(compiled({ strategy: 'alphabetical', allowTags: '(?i)^v\\d' }), tags)).toEqual([
      'v2-rc',
      'V1.0',
    ]);
    expect(rankTags(compiled({ strategy: 'alphabetical', allowTags: '-(?P<n>\\d)$' }), tags)).toEqual([
      'main-1',
    ]);
    expect(rankTags(compiled({ strategy: 'alphabetical', allowTags: 'v3' }), tags)).toEqual(['release-v3']);
  });

  // The patterns come from a watched repository and the tags from a registry. Under the old code
  // (JavaScript's backtracking RegExp) both cases take minutes (exponential in the tag for the
  // regexp, the tag's length to the tenth power for the glob): these tests fail by never finishing.
  it("matches a catastrophic allowTags regexp in linear time, with Go's answer", () => {
    const tags = [`${'a'.repeat(30)}b`, 'aaa', 'c'];
    expect(rankTags(compiled({ strategy: 'alphabetical', allowTags: '^(a|a)*$' }), tags)).toEqual(['aaa']);
    expect(rankTags(compiled({ strategy: 'alphabetical', allowTags: '(a+)+$' }), tags)).toEqual(['aaa']);
  });

  it('matches an ignoreTags glob of many stars in linear time', () => {
    const long = 'a'.repeat(120);
    const glob = `${'*a'.repeat(9)}*b`;
    expect(rankTags(compiled({ strategy: 'alphabetical', ignoreTags: [glob] }), [long, `${long}b`])).toEqual([
      long,
    ]);
    expect(compilePolicy({ strategy: 'alphabetical', ignoreTags: ['x', '*'.repeat(600)] })).toEqual({
      error: 'policy.ignoreTags[1]: glob is longer than 511 characters',
    });
  });
});
