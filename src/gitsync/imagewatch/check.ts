// One registry check of an ImageWatch: list tags, rank them by the policy, and take the best one
// old enough. Build times are fetched only when the strategy or minAge needs them (each costs a
// manifest and a config blob request, the calls registries rate-limit). A tag a PromotionPipeline
// holds (its rollout failed) is passed over, so the next best one is taken instead.

import { canonicalImageName, formatImageRef, parseImageRef } from '../../api/image-ref.js';
import { RELEASE_HOLD_ANNOTATION } from '../../api/labels.js';
import type { PromotionPipeline } from '../../api/promotion.js';
import { type CompiledPolicy, oldEnough, rankTags, tagsNeedingBuildTime } from './policy/strategy.js';
import { PlatformMissingError, type RegistryClient } from './registry/client.js';

export interface ImageCandidate {
  /** The tag picked; for the digest strategy, the mutable tag followed. */
  readonly tag: string;
  readonly digest: string;
  readonly createdAt?: number;
}

/** An image a PromotionPipeline holds (status.held[]): never written by an ImageWatch until released. */
export interface ImageHold {
  /** Name of the PromotionPipeline (same namespace as the ImageWatch). */
  readonly pipeline: string;
  /** The held reference as the pipeline records it, e.g. `ghcr.io/acme/web:2.0.0`. */
  readonly image: string;
  readonly environment: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Says whether a tag (and, once resolved, its digest) is held; undefined = free to take. */
export type HoldCheck = (tag: string, digest?: string) => ImageHold | undefined;

export type CheckOutcome =
  | {
      readonly kind: 'candidate';
      readonly candidate: ImageCandidate;
      readonly tagsSeen: number;
      /** Better-ranked tags passed over because they are held. */
      readonly skipped: readonly ImageHold[];
    }
  /**
   * No tag passes the policy (or none is old enough yet); `why` says which. `held` is set when
   * tags that pass are all held (the rest too young), best-ranked first.
   */
  | {
      readonly kind: 'none';
      readonly why: string;
      readonly tagsSeen: number;
      readonly held?: readonly ImageHold[];
    };

/**
 * The holds of these PromotionPipelines (callers pass those of the watch's namespace) on the image
 * repository `image` (tag or digest in it ignored), compared by canonical name: `nginx` and
 * `docker.io/library/nginx` are one repository. Held references that do not parse are ignored.
 */
export function holdsOn(image: string, pipelines: readonly PromotionPipeline[]): ImageHold[] {
  const watched = parseImageRef(image);
  if (!watched.ok) return [];
  const name = canonicalImageName(watched.ref);
  const holds: ImageHold[] = [];
  for (const pipeline of pipelines) {
    for (const held of pipeline.status?.held ?? []) {
      const parsed = parseImageRef(held.image);
      if (!parsed.ok || canonicalImageName(parsed.ref) !== name) continue;
      if (parsed.ref.tag === undefined && parsed.ref.digest === undefined) continue;
      holds.push({
        pipeline: pipeline.metadata.name,
        image: held.image,
        environment: held.environment,
        ...(parsed.ref.tag !== undefined && { tag: parsed.ref.tag }),
        ...(parsed.ref.digest !== undefined && { digest: parsed.ref.digest }),
      });
    }
  }
  return holds;
}

/**
 * The hold on a candidate, if any. A hold naming a digest matches that digest only (a mutable tag
 * moved on is a new image); a hold naming only a tag matches that tag. Without `digest` only
 * tag holds can match, which lets a check skip a held tag before resolving it.
 */
export function heldCandidate(
  holds: readonly ImageHold[],
  tag: string,
  digest?: string,
): ImageHold | undefined {
  return holds.find((h) => (h.digest !== undefined ? h.digest === digest : h.tag === tag));
}

/** A one-line explanation of a hold, with the command that releases it. */
export function holdMessage(hold: ImageHold, namespace: string): string {
  return (
    `${hold.image} is held by PromotionPipeline ${hold.pipeline} (failed in ${hold.environment}); ` +
    `release it with: kubectl annotate promotionpipeline ${hold.pipeline} -n ${namespace} ` +
    `${RELEASE_HOLD_ANNOTATION}=${hold.image} --overwrite`
  );
}

/** The registry calls a check makes; RegistryClient implements it, the benchmark fakes it. */
export type ImageSource = Pick<RegistryClient, 'listTags' | 'resolve' | 'buildTime'>;

const BUILD_TIME_CONCURRENCY = 4;

function heldOutcome(hold: ImageHold, tagsSeen: number): CheckOutcome {
  return {
    kind: 'none',
    why: 'the best matching tag is held by a PromotionPipeline',
    tagsSeen,
    held: [hold],
  };
}

/** The OCI distribution tag grammar: a tag outside it cannot be written or pulled, so never rank it. */
export const OCI_TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** The tags that follow the OCI grammar, and how many did not. */
export function validTags(tags: readonly string[]): { tags: string[]; invalid: number } {
  const valid = tags.filter((tag) => OCI_TAG.test(tag));
  return { tags: valid, invalid: tags.length - valid.length };
}

export async function checkImage(
  source: ImageSource,
  policy: CompiledPolicy,
  now: number,
  platform?: string,
  held: HoldCheck = () => undefined,
  onInvalidTags: (count: number) => void = () => {},
): Promise<CheckOutcome> {
  const listed = validTags(await source.listTags());
  if (listed.invalid > 0) onInvalidTags(listed.invalid);
  const { tags } = listed;
  const built = new Map<string, { digest: string; createdAt?: number }>();
  // Tags without an image for spec.platform: passed over, never the end of the check.
  const noPlatform = new Set<string>();
  const buildTimeOf = async (tag: string) => {
    let found = built.get(tag);
    if (found === undefined && !noPlatform.has(tag)) {
      try {
        found = await source.buildTime(tag, platform);
        built.set(tag, found);
      } catch (error) {
        if (!(error instanceof PlatformMissingError)) throw error;
        noPlatform.add(tag);
      }
    }
    return found;
  };
  await forEachLimited(tagsNeedingBuildTime(policy, tags), BUILD_TIME_CONCURRENCY, buildTimeOf);
  const createdAt = new Map<string, number>();
  for (const [tag, info] of built) if (info.createdAt !== undefined) createdAt.set(tag, info.createdAt);

  const ranked = rankTags(policy, tags, createdAt);
  const platformNote = () =>
    noPlatform.size === 0 ? '' : `; ${noPlatform.size} tag(s) have no image for ${platform}`;
  if (ranked.length === 0) {
    const why =
      policy.strategy === 'digest'
        ? `tag ${policy.digestTag} does not exist`
        : `none of ${tags.length} tags matches the policy (${policy.description})`;
    return { kind: 'none', why: why + platformNote(), tagsSeen: tags.length };
  }
  let tooYoung = 0;
  const skipped: ImageHold[] = [];
  for (const tag of ranked) {
    // A hold blocks the held image only: the watch never falls back to an older tag, which
    // would downgrade targets that already run the held one. It waits for a newer tag or a release.
    const tagHold = held(tag);
    if (tagHold !== undefined) return heldOutcome(tagHold, tags.length);
    let digest: string;
    let builtAt: number | undefined;
    if (policy.minAgeMs > 0 || platform !== undefined) {
      // With spec.platform, the image's platform is read before the tag is taken.
      const info = await buildTimeOf(tag);
      if (info === undefined) continue;
      if (!oldEnough(policy, info.createdAt, now)) {
        tooYoung += 1;
        continue;
      }
      ({ digest, createdAt: builtAt } = info);
    } else {
      digest = (built.get(tag) ?? (await source.resolve(tag))).digest;
      builtAt = built.get(tag)?.createdAt;
    }
    const digestHold = held(tag, digest);
    if (digestHold !== undefined) return heldOutcome(digestHold, tags.length);
    return {
      kind: 'candidate',
      candidate: candidate(tag, digest, builtAt),
      tagsSeen: tags.length,
      skipped,
    };
  }
  const why =
    tooYoung > 0
      ? `${tooYoung} matching tag(s) are younger than policy.minAge${platformNote()}`
      : `no matching tag has an image for ${platform}`;
  return { kind: 'none', why, tagsSeen: tags.length };
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
