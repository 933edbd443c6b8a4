// What the registry says about one repository, shared by every ImageWatch of it in this process
// (same registry, repository and credentials): at most one tag listing per interval however many
// watches ask, concurrent askers joining the listing in flight, and tag → digest answers kept with
// the listing they belong to. Build times are read by digest (immutable content) and kept by the
// client, so newest-build costs one HEAD per tag per interval (Docker Hub does not count HEADs
// against its pull limit) instead of a manifest GET per tag per check.
import type { ImageSource } from '../check.js';
import type { ResolvedManifest } from './client.js';

/** How fresh an answer must be: listed within maxAgeMs, and (webhook, check-now) not before freshAfter. */
export interface Freshness {
  readonly maxAgeMs: number;
  /** Epoch ms: only a listing started at or after this will do (it may show a tag pushed then). */
  readonly freshAfter?: number;
}

interface Listing {
  readonly startedAt: number;
  readonly tags: Promise<string[]>;
  /** Tag → digest as read while this listing is current; dropped with it. */
  readonly digests: Map<string, Promise<ResolvedManifest>>;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export class SharedRepository {
  private listing: Listing | undefined;
  /** Tag listings actually sent to the registry (for metrics and the benchmark). */
  listings = 0;

  constructor(
    private readonly source: ImageSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** An ImageSource for one check, answering from the shared listing when it is fresh enough. */
  view(freshness: Freshness): ImageSource {
    return {
      listTags: () => this.current(freshness).tags,
      resolve: (reference) => this.resolve(reference, freshness),
      buildTime: async (reference, platform) => {
        const { digest } = await this.resolve(reference, freshness);
        return this.source.buildTime(digest, platform);
      },
    };
  }

  private current(freshness: Freshness): Listing {
    const now = this.now();
    const oldest = Math.max(now - freshness.maxAgeMs, freshness.freshAfter ?? Number.NEGATIVE_INFINITY);
    const listing = this.listing;
    if (listing !== undefined && listing.startedAt >= oldest) return listing;
    const fresh: Listing = { startedAt: now, tags: this.source.listTags(), digests: new Map() };
    this.listings += 1;
    this.listing = fresh;
    // A failed listing is not kept: the next check asks again (and reports its own error).
    fresh.tags.catch(() => {
      if (this.listing === fresh) this.listing = undefined;
    });
    return fresh;
  }

  private resolve(reference: string, freshness: Freshness): Promise<ResolvedManifest> {
    if (DIGEST.test(reference)) return this.source.resolve(reference);
    const { digests } = this.current(freshness);
    let found = digests.get(reference);
    if (found === undefined) {
      found = this.source.resolve(reference);
      digests.set(reference, found);
      found.catch(() => {
        if (digests.get(reference) === found) digests.delete(reference);
      });
    }
    return found;
  }
}

/**
 * A Map used as a least-recently-used cache with a size cap (a Map keeps insertion order, so the
 * first key is the least recently used one); hand-written: a dozen lines, no TTL semantics needed.
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  values(): IterableIterator<V> {
    return this.entries.values();
  }
}
