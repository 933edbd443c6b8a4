// One registry check of an ImageWatch: list tags, rank them by the policy, and take the best one
// old enough. Build times are fetched only when the strategy or minAge needs them (each costs a
// manifest and a config blob request, the calls registries rate-limit).
import { formatImageRef, parseImageRef } from './editors/image-ref.js';
import { type CompiledPolicy, oldEnough, rankTags, tagsNeedingBuildTime } from './policy/strategy.js';
import type { RegistryClient } from './registry/client.js';

export interface ImageCandidate {
  /** The tag picked; for the digest strategy, the mutable tag followed. */
  readonly tag: string;
  readonly digest: string;
  readonly createdAt?: number;
}

export type CheckOutcome =
  | { readonly kind: 'candidate'; readonly candidate: ImageCandidate; readonly tagsSeen: number }
  /** No tag passes the policy (or none is old enough yet); `why` says which. */
  | { readonly kind: 'none'; readonly why: string; readonly tagsSeen: number };

/** The registry calls a check makes; RegistryClient implements it, the benchmark fakes it. */
export type ImageSource = Pick<RegistryClient, 'listTags' | 'resolve' | 'buildTime'>;

const BUILD_TIME_CONCURRENCY = 4;

export async function checkImage(
  source: ImageSource,
  policy: CompiledPolicy,
  now: number,
  platform?: string,
): Promise<CheckOutcome> {
  const tags = await source.listTags();
  const built = new Map<string, { digest: string; createdAt?: number }>();
  const buildTimeOf = async (tag: string) => {
    let found = built.get(tag);
    if (found === undefined) {
      found = await source.buildTime(tag, platform);
      built.set(tag, found);
    }
    return found;
  };
  await forEachLimited(tagsNeedingBuildTime(policy, tags), BUILD_TIME_CONCURRENCY, buildTimeOf);
  const createdAt = new Map<string, number>();
  for (const [tag, info] of built) if (info.createdAt !== undefined) createdAt.set(tag, info.createdAt);

  const ranked = rankTags(policy, tags, createdAt);
  if (ranked.length === 0) {
    const why =
      policy.strategy === 'digest'
        ? `tag ${policy.digestTag} does not exist`
        : `none of ${tags.length} tags matches the policy (${policy.description})`;
    return { kind: 'none', why, tagsSeen: tags.length };
  }
  let tooYoung = 0;
  for (const tag of ranked) {
    if (policy.minAgeMs > 0) {
      const info = await buildTimeOf(tag);
      if (!oldEnough(policy, info.createdAt, now)) {
        tooYoung += 1;
        continue;
      }
      return {
        kind: 'candidate',
        candidate: candidate(tag, info.digest, info.createdAt),
        tagsSeen: tags.length,
      };
    }
    const info = built.get(tag) ?? (await source.resolve(tag));
    const created = built.get(tag)?.createdAt;
    return { kind: 'candidate', candidate: candidate(tag, info.digest, created), tagsSeen: tags.length };
  }
  return {
    kind: 'none',
    why: `${tooYoung} matching tag(s) are younger than policy.minAge`,
    tagsSeen: tags.length,
  };
}

function candidate(tag: string, digest: string, createdAt: number | undefined): ImageCandidate {
  return createdAt === undefined ? { tag, digest } : { tag, digest, createdAt };
}

/** The reference written to Git: `image:tag`, or `image:tag@digest` for the digest strategy. */
export function candidateReference(image: string, policy: CompiledPolicy, found: ImageCandidate): string {
  const parsed = parseImageRef(image);
  const base = parsed.ok ? parsed.ref : { repository: image };
  return policy.strategy === 'digest'
    ? formatImageRef({ ...base, tag: found.tag, digest: found.digest })
    : formatImageRef({ ...base, tag: found.tag });
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
