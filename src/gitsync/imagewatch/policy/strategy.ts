// The update strategies, as pure functions over tags and what the registry told us about them:
// filter with allowTags/ignoreTags, rank best first, then take the first tag old enough.
import semver from 'semver';
import type { ImagePolicy, UpdateStrategy } from '../../../api/gitsync.js';
import { parseDuration } from './duration.js';
import { compileTagFilter, type TagFilter, tagAllowed } from './tag-filter.js';

export interface CompiledPolicy {
  readonly strategy: UpdateStrategy;
  readonly filter: TagFilter;
  readonly semverRange?: semver.Range;
  readonly prereleases: boolean;
  /** The mutable tag the digest strategy follows. */
  readonly digestTag?: string;
  readonly minAgeMs: number;
  /** One line for the Slipway-Policy trailer and messages, e.g. `semver ^1.4`. */
  readonly description: string;
}

/** Checks an ImagePolicy once; the error names the field to fix. */
export function compilePolicy(policy: ImagePolicy): CompiledPolicy | { error: string } {
  const filter = compileTagFilter(policy.allowTags, policy.ignoreTags);
  if ('error' in filter) return filter;
  let minAgeMs = 0;
  if (policy.minAge !== undefined) {
    const parsed = parseDuration(policy.minAge);
    if (typeof parsed !== 'number') return { error: `policy.minAge: ${parsed.error}` };
    minAgeMs = parsed;
  }
  const base = {
    strategy: policy.strategy,
    filter,
    minAgeMs,
    prereleases: policy.semver?.prereleases === true,
  };
  switch (policy.strategy) {
    case 'semver': {
      const constraint = policy.semver?.constraint;
      if (constraint === undefined)
        return { error: 'policy.semver.constraint is required for strategy semver' };
      let range: semver.Range;
      try {
        range = new semver.Range(constraint, { loose: true, includePrerelease: base.prereleases });
      } catch {
        return {
          error: `policy.semver.constraint "${constraint}" is not a semver range (e.g. "^1.4" or ">=1.2 <2")`,
        };
      }
      return { ...base, semverRange: range, description: `semver ${constraint}` };
    }
    case 'digest': {
      const tag = policy.digest?.tag;
      if (tag === undefined || tag === '')
        return { error: 'policy.digest.tag is required for strategy digest' };
      return { ...base, digestTag: tag, description: `digest of ${tag}` };
    }
    case 'newest-build':
    case 'alphabetical':
      return { ...base, description: policy.strategy };
    default:
      return assertNever(policy.strategy);
  }
}

/**
 * The tags the strategy would take, best first. newest-build ranks by `createdAt` (epoch ms) and
 * leaves out tags without one; digest ranks only its tag, which needs no allow/ignore match.
 */
export function rankTags(
  policy: CompiledPolicy,
  tags: readonly string[],
  createdAt: ReadonlyMap<string, number> = new Map(),
): string[] {
  if (policy.strategy === 'digest') return tags.includes(policy.digestTag!) ? [policy.digestTag!] : [];
  const allowed = [...new Set(tags)].filter((tag) => tagAllowed(policy.filter, tag));
  switch (policy.strategy) {
    case 'semver': {
      const versions = allowed
        .map((tag) => ({ tag, version: semver.parse(tag, { loose: true }) }))
        .filter((v): v is { tag: string; version: semver.SemVer } => v.version !== null)
        .filter((v) => policy.semverRange!.test(v.version));
      return versions
        .sort((a, b) => semver.rcompare(a.version, b.version) || descending(a.tag, b.tag))
        .map((v) => v.tag);
    }
    case 'alphabetical':
      return allowed.sort(descending);
    case 'newest-build':
      return allowed
        .filter((tag) => createdAt.has(tag))
        .sort((a, b) => createdAt.get(b)! - createdAt.get(a)! || descending(a, b));
    default:
      return assertNever(policy.strategy);
  }
}

/**
 * Whether moving from `current` to `next` goes backwards in the strategy's own order: a lower
 * version (semver), an earlier name (alphabetical), an older build (newest-build). The digest
 * strategy follows its tag wherever it points, so it never downgrades. Unknown order: false.
 */
export function isDowngrade(
  policy: CompiledPolicy,
  current: { readonly tag?: string; readonly createdAt?: number },
  next: { readonly tag: string; readonly createdAt?: number },
): boolean {
  if (current.tag === undefined || current.tag === next.tag) return false;
  switch (policy.strategy) {
    case 'semver': {
      const from = semver.parse(current.tag, { loose: true });
      const to = semver.parse(next.tag, { loose: true });
      return from !== null && to !== null && semver.lt(to, from);
    }
    case 'alphabetical':
      return next.tag < current.tag;
    case 'newest-build':
      return (
        current.createdAt !== undefined && next.createdAt !== undefined && next.createdAt < current.createdAt
      );
    case 'digest':
      return false;
    default:
      return assertNever(policy.strategy);
  }
}

/** Whether the policy's filters and range accept this tag at all (built at any time). */
export function acceptsTag(policy: CompiledPolicy, tag: string): boolean {
  return rankTags(policy, [tag], new Map([[tag, 0]])).length > 0;
}

/** Which tags need a build time before ranking: all allowed ones for newest-build, none otherwise. */
export function tagsNeedingBuildTime(policy: CompiledPolicy, tags: readonly string[]): string[] {
  return policy.strategy === 'newest-build' ? tags.filter((tag) => tagAllowed(policy.filter, tag)) : [];
}

/** True when a tag built at `createdAt` may be taken at `now`; an unknown build time never passes a minAge. */
export function oldEnough(policy: CompiledPolicy, createdAt: number | undefined, now: number): boolean {
  if (policy.minAgeMs === 0) return true;
  return createdAt !== undefined && now - createdAt >= policy.minAgeMs;
}

function descending(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

function assertNever(value: never): never {
  throw new Error(`unhandled update strategy ${String(value)}`);
}
