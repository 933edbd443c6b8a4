// A client for one repository of an OCI distribution registry (Docker Registry HTTP API v2):
// tag listing with Link pagination, manifest and digest resolution, image build time from the
// config blob, the WWW-Authenticate → token flow or Basic auth, and backoff on 429.
// Written by hand: the npm registry clients either pull a container runtime along or lack auth.
import { createHash } from 'node:crypto';
import { type AuthChallenge, nextLink, parseChallenge, parseRetryAfter } from './challenge.js';
import type { RepositoryLocation } from './location.js';
import { isImageManifest, isIndex, MANIFEST_ACCEPT } from './media-types.js';
import type { RegistryCredentials } from './pull-secret.js';
import { LruMap } from './shared-repository.js';

export type RegistryErrorReason = 'Unauthorized' | 'NotFound' | 'RateLimited' | 'Unavailable' | 'BadResponse';

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly reason: RegistryErrorReason,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** The tag exists but holds no image for the platform asked for: a check skips such a tag. */
export class PlatformMissingError extends RegistryError {
  constructor(message: string) {
    super(message, 'NotFound');
    this.name = 'PlatformMissingError';
  }
}

/** distribution refuses manifests over 4 MiB; we read no more than it would accept. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** One page of a tag list: about 200 000 tags of ordinary length. */
export const MAX_TAG_PAGE_BYTES = 8 * 1024 * 1024;
/** Tags across all pages; a repository beyond this is refused rather than ranked partially. */
export const MAX_TAGS = 200_000;
/** An image config blob (the build time is all we read from it). */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/** A token endpoint's answer: a JWT and a few fields. */
export const MAX_TOKEN_BYTES = 1024 * 1024;
/**
 * Token realms on another host than the registry that may still receive pull-secret credentials:
 * Docker Hub's (registry-1.docker.io sends auth.docker.io). GHCR, GAR, GCR, Quay, ACR and Harbor
 * serve their token endpoint on the registry host itself; ECR uses Basic auth.
 */
export const DEFAULT_TOKEN_HOSTS: readonly string[] = ['auth.docker.io'];
const MAX_REDIRECTS = 5;
/** Build times kept per repository client (a few hundred bytes each). */
export const MAX_CACHED_BUILD_TIMES = 4096;
const DIGEST_REFERENCE = /^sha256:[a-f0-9]{64}$/;

export interface RegistryClientOptions {
  credentials?: RegistryCredentials;
  /**
   * Hosts (`host` or `host:port`) besides the registry's own that may receive credentials as a
   * token realm; default DEFAULT_TOKEN_HOSTS.
   */
  tokenHosts?: readonly string[];
  /** Retries of one request after 429 or 503; default 5. */
  maxRetries?: number;
  /** A longer Retry-After is an error rather than a wait; default 60 s. */
  maxRetryAfterMs?: number;
  /** Backoff without Retry-After: doubles from this, with jitter; default 500 ms. */
  initialBackoffMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Each 429/503 we wait out, for metrics. */
  onThrottled?: (waitMs: number) => void;
}

export interface ResolvedManifest {
  readonly digest: string;
  readonly mediaType: string;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface ManifestDocument {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
}

type AuthPlan = { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; challenge: AuthChallenge };

const USER_AGENT = 'slipway-git-sync';

export class RegistryClient {
  private readonly credentials: RegistryCredentials | undefined;
  private readonly maxRetries: number;
  private readonly maxRetryAfterMs: number;
  private readonly initialBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onThrottled: (waitMs: number) => void;
  private readonly tokenHosts: ReadonlySet<string>;
  private auth: AuthPlan = { kind: 'none' };
  private token: { value: string; expiresAt: number } | undefined;
  /**
   * Build times by manifest digest and platform: a digest names immutable content, so this never
   * goes stale; capped, least recently used first out.
   */
  private readonly buildTimes = new LruMap<string, { createdAt?: number; platform?: string }>(
    MAX_CACHED_BUILD_TIMES,
  );

  constructor(
    readonly location: RepositoryLocation,
    options: RegistryClientOptions = {},
  ) {
    this.credentials = options.credentials;
    this.maxRetries = options.maxRetries ?? 5;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.initialBackoffMs = options.initialBackoffMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
    this.onThrottled = options.onThrottled ?? (() => {});
    this.tokenHosts = new Set((options.tokenHosts ?? DEFAULT_TOKEN_HOSTS).map((h) => h.toLowerCase()));
  }

  /** Every tag of the repository, following Link rel="next" pages. */
  async listTags(pageSize?: number): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined =
      `${this.repoUrl('tags/list')}${pageSize === undefined ? '' : `?n=${pageSize}`}`;
    const seen = new Set<string>();
    while (url !== undefined) {
      if (seen.has(url))
        throw new RegistryError(`${this.describe()}: tag pages loop at ${url}`, 'BadResponse');
      seen.add(url);
      const response = await this.send('GET', url, { Accept: 'application/json' });
      const body = (await readJson(response, this.describe(), MAX_TAG_PAGE_BYTES)) as { tags?: unknown };
      if (body.tags !== undefined && body.tags !== null && !Array.isArray(body.tags)) {
        throw new RegistryError(`${this.describe()}: the tag list is not a list`, 'BadResponse');
      }
      for (const tag of (body.tags ?? []) as unknown[]) if (typeof tag === 'string') tags.push(tag);
      if (tags.length > MAX_TAGS) {
        throw new RegistryError(
          `${this.describe()}: more than ${MAX_TAGS} tags; git-sync does not rank repositories this large`,
          'BadResponse',
        );
      }
      url = nextLink(response.headers.get('link'), url);
    }
    return tags;
  }

  /** The digest a tag (or digest) points at: HEAD with Docker-Content-Digest, else GET and hash. */
  async resolve(reference: string): Promise<ResolvedManifest> {
    const url = this.repoUrl(`manifests/${encodeURIComponent(reference)}`);
    const head = await this.send('HEAD', url, { Accept: MANIFEST_ACCEPT });
    const digest = head.headers.get('docker-content-digest');
    const mediaType = contentType(head);
    if (digest !== null && mediaType !== '') return { digest, mediaType };
    const manifest = await this.manifest(reference);
    return { digest: manifest.digest, mediaType: manifest.mediaType };
  }

  /** A manifest with its digest, checked against Docker-Content-Digest when the registry sends one. */
  async manifest(reference: string): Promise<ResolvedManifest & { document: ManifestDocument }> {
    const url = this.repoUrl(`manifests/${encodeURIComponent(reference)}`);
    const response = await this.send('GET', url, { Accept: MANIFEST_ACCEPT });
    const bytes = await readCapped(response, MAX_MANIFEST_BYTES, `${this.describe()}: manifest ${reference}`);
    const computed = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const header = response.headers.get('docker-content-digest');
    if (header?.startsWith('sha256:') && header !== computed) {
      throw new RegistryError(
        `${this.describe()}: manifest ${reference} hashes to ${computed}, registry says ${header}`,
        'BadResponse',
      );
    }
    let document: ManifestDocument;
    try {
      document = JSON.parse(bytes.toString('utf8')) as ManifestDocument;
    } catch {
      throw new RegistryError(`${this.describe()}: manifest ${reference} is not JSON`, 'BadResponse');
    }
    const mediaType = document.mediaType ?? contentType(response);
    return { digest: header ?? computed, mediaType, document };
  }

  /**
   * When the image was built (`created` of its config blob), in epoch ms; for an index, of the
   * image for `platform` (os/arch[/variant], default linux/amd64). Undefined when the config
   * carries no time. With `platform` given, a single image built for another one is refused too
   * (PlatformMissingError), as is an index without it.
   */
  async buildTime(reference: string, platform?: string): Promise<{ digest: string; createdAt?: number }> {
    const wanted = platform ?? 'linux/amd64';
    const missing = () =>
      new PlatformMissingError(`${this.describe()}:${reference} has no image for platform ${wanted}`);
    const fromCache = (digest: string) => {
      const cached = this.buildTimes.get(`${digest} ${wanted}`);
      if (cached === undefined) return undefined;
      if (platform !== undefined && !platformMatches(cached.platform, platform)) throw missing();
      return withCreated(digest, cached.createdAt);
    };
    // Asked by digest (the shared repository resolves tags first): no request at all when known.
    if (DIGEST_REFERENCE.test(reference)) {
      const known = fromCache(reference);
      if (known !== undefined) return known;
    }
    const top = await this.manifest(reference);
    const cacheKey = `${top.digest} ${wanted}`;
    const known = fromCache(top.digest);
    if (known !== undefined) return known;
    let image = top;
    if (isIndex(top.mediaType)) {
      const chosen = pickPlatform(top.document.manifests ?? [], wanted);
      if (chosen === undefined) throw missing();
      image = await this.manifest(chosen.digest);
    }
    if (!isImageManifest(image.mediaType) || image.document.config === undefined) {
      throw new RegistryError(
        `${this.describe()}:${reference}: unsupported manifest type ${image.mediaType || '(none)'}`,
        'BadResponse',
      );
    }
    const response = await this.send('GET', this.repoUrl(`blobs/${image.document.config.digest}`), {
      Accept: '*/*',
    });
    const config = (await readJson(response, this.describe(), MAX_CONFIG_BYTES)) as {
      created?: unknown;
      os?: unknown;
      architecture?: unknown;
      variant?: unknown;
    };
    const created = typeof config.created === 'string' ? Date.parse(config.created) : Number.NaN;
    const createdAt = Number.isNaN(created) ? undefined : created;
    const built =
      typeof config.os === 'string' && typeof config.architecture === 'string'
        ? [
            config.os,
            config.architecture,
            ...(typeof config.variant === 'string' ? [config.variant] : []),
          ].join('/')
        : undefined;
    this.buildTimes.set(cacheKey, {
      ...(createdAt !== undefined && { createdAt }),
      ...(built && { platform: built }),
    });
    if (platform !== undefined && !platformMatches(built, platform)) throw missing();
    return withCreated(top.digest, createdAt);
  }

  private mayReceiveCredentials(realm: URL): boolean {
    const registry = new URL(this.location.baseUrl);
    if (realm.host === registry.host && realm.protocol === registry.protocol) return true;
    // Plain http only where the registry itself is plain http already (loopback, --insecure).
    if (realm.protocol !== 'https:' && registry.protocol === 'https:') return false;
    return this.tokenHosts.has(realm.hostname.toLowerCase()) || this.tokenHosts.has(realm.host.toLowerCase());
  }

  private describe(): string {
    return `${this.location.host}/${this.location.repository}`;
  }

  private repoUrl(rest: string): string {
    return `${this.location.baseUrl}/v2/${this.location.repository}/${rest}`;
  }

  /** One API call with auth and throttling handled; non-2xx (after retries) throws RegistryError. */
  private async send(
    method: 'GET' | 'HEAD',
    url: string,
    headers: Record<string, string>,
  ): Promise<Response> {
    let authenticated = false;
    for (let attempt = 0; ; attempt += 1) {
      const response = await this.follow(url, method, headers, await this.authHeader());
      if (response.ok) return response;
      await response.body?.cancel();
      if (response.status === 401 && !authenticated) {
        authenticated = true;
        this.adoptChallenge(parseChallenge(response.headers.get('www-authenticate')), method, url);
        continue;
      }
      if ((response.status === 429 || response.status === 503) && attempt < this.maxRetries) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'), Date.now());
        if (retryAfter !== undefined && retryAfter > this.maxRetryAfterMs) {
          throw new RegistryError(
            `${method} ${new URL(url).pathname}: rate limited for ${Math.ceil(retryAfter / 1000)} s`,
            'RateLimited',
            response.status,
          );
        }
        const wait = retryAfter ?? jittered(this.initialBackoffMs * 2 ** attempt);
        this.onThrottled(wait);
        await this.sleep(wait);
        continue;
      }
      throw errorFor(method, url, response.status, this.credentials !== undefined);
    }
  }

  /**
   * A request with redirects followed by hand: same origin with credentials; another origin only
   * for blobs (registries hand those to a CDN), and then without credentials; else refused.
   */
  private async follow(
    url: string,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    auth: Record<string, string>,
  ): Promise<Response> {
    const origin = new URL(url).origin;
    const blob = new URL(url).pathname.includes('/blobs/');
    let current = url;
    for (let hop = 0; ; hop += 1) {
      const sameOrigin = new URL(current).origin === origin;
      const response = await this.fetch(current, {
        method,
        headers: sameOrigin ? { ...headers, ...auth } : { ...headers, 'User-Agent': USER_AGENT },
      });
      if (response.status < 300 || response.status >= 400 || response.status === 304) return response;
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (location === null) return response;
      const next = new URL(location, current);
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryError(`${method} ${new URL(url).pathname}: too many redirects`, 'BadResponse');
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new RegistryError(
          `${method} ${new URL(url).pathname}: redirect to an unsupported scheme`,
          'BadResponse',
        );
      }
      if (next.origin !== origin && !blob) {
        throw new RegistryError(
          `${method} ${new URL(url).pathname}: redirect to another origin (${next.host}) refused`,
          'BadResponse',
        );
      }
      current = next.toString();
    }
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new RegistryError(`${init.method} ${url}: ${cause}`, 'Unavailable');
    }
  }

  private adoptChallenge(challenge: AuthChallenge | undefined, method: string, url: string): void {
    if (challenge?.scheme === 'bearer' && challenge.params.realm !== undefined) {
      this.auth = { kind: 'bearer', challenge };
      this.token = undefined;
    } else if (challenge?.scheme === 'basic' && this.credentials !== undefined) {
      this.auth = { kind: 'basic' };
    } else {
      throw errorFor(method, url, 401, this.credentials !== undefined);
    }
  }

  private async authHeader(): Promise<Record<string, string>> {
    switch (this.auth.kind) {
      case 'none':
        return { 'User-Agent': USER_AGENT };
      case 'basic':
        return { 'User-Agent': USER_AGENT, Authorization: basic(this.credentials!) };
      case 'bearer': {
        if (this.token === undefined || this.token.expiresAt <= Date.now()) {
          this.token = await this.fetchToken(this.auth.challenge);
        }
        return { 'User-Agent': USER_AGENT, Authorization: `Bearer ${this.token.value}` };
      }
    }
  }

  /** The token endpoint of a Bearer challenge, for pull access to this repository. */
  private async fetchToken(challenge: AuthChallenge): Promise<{ value: string; expiresAt: number }> {
    const realm = new URL(challenge.params.realm as string);
    if (challenge.params.service !== undefined) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', `repository:${this.location.repository}:pull`);
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new RegistryError(`${this.describe()}: token realm has an unsupported scheme`, 'BadResponse');
    }
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: 'application/json' };
    // Credentials go to the registry's own host or a realm the operator allows, never elsewhere:
    // a realm anywhere else is asked anonymously (public images still work).
    if (this.credentials !== undefined && this.mayReceiveCredentials(realm)) {
      headers.Authorization = basic(this.credentials);
    }
    const response = await this.fetch(realm.toString(), { method: 'GET', headers });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new RegistryError(
        `token endpoint ${realm.origin}${realm.pathname} redirected; refused`,
        'BadResponse',
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new RegistryError(
        `token endpoint ${realm.origin}${realm.pathname} answered ${response.status}${
          response.status === 401 ? ' (check the credentials of the pull secret)' : ''
        }`,
        response.status === 401 || response.status === 403 ? 'Unauthorized' : 'Unavailable',
        response.status,
      );
    }
    const body = (await readJson(response, 'token endpoint', MAX_TOKEN_BYTES)) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const value = body.token ?? body.access_token;
    if (typeof value !== 'string' || value === '' || /[\r\n]/.test(value))
      throw new RegistryError('token endpoint answered without a token', 'BadResponse');
    // Tokens default to 60 s (distribution token spec); renew a little early.
    const lifetime = Math.max(10, body.expires_in ?? 60) - 5;
    return { value, expiresAt: Date.now() + lifetime * 1000 };
  }
}

function basic(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

function jittered(ms: number): number {
  return Math.round(ms * (0.5 + Math.random()));
}

function contentType(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
}

/** A config naming no platform is taken to fit (old images); os/arch must match, variant when asked. */
function platformMatches(built: string | undefined, wanted: string): boolean {
  if (built === undefined) return true;
  const [os, arch, variant] = wanted.split('/');
  const [bOs, bArch, bVariant] = built.split('/');
  return os === bOs && arch === bArch && (variant === undefined || variant === bVariant);
}

function withCreated(digest: string, createdAt: number | undefined): { digest: string; createdAt?: number } {
  return createdAt === undefined ? { digest } : { digest, createdAt };
}

function pickPlatform(manifests: readonly Descriptor[], platform: string): Descriptor | undefined {
  const [os, architecture, variant] = platform.split('/');
  return manifests.find(
    (m) =>
      m.platform?.os === os &&
      m.platform?.architecture === architecture &&
      (variant === undefined || m.platform?.variant === variant),
  );
}

/** The body, refusing (and cancelling) one over `max` bytes, whatever Content-Length claims. */
export async function readCapped(response: Response, max: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await response.body?.cancel();
    throw new RegistryError(
      `${what}: response of ${declared} bytes is over the ${max}-byte limit`,
      'BadResponse',
    );
  }
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new RegistryError(`${what}: response is over the ${max}-byte limit`, 'BadResponse');
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

async function readJson(response: Response, what: string, max: number): Promise<unknown> {
  const text = (await readCapped(response, max, what)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RegistryError(`${what}: expected JSON from ${new URL(response.url).pathname}`, 'BadResponse');
  }
}

function errorFor(method: string, url: string, status: number, hasCredentials: boolean): RegistryError {
  const path = new URL(url).pathname;
  if (status === 401 || status === 403) {
    const hint = hasCredentials
      ? 'the pull secret was refused'
      : 'the registry wants credentials; set spec.pullSecret';
    return new RegistryError(`${method} ${path}: ${status}, ${hint}`, 'Unauthorized', status);
  }
  if (status === 404) return new RegistryError(`${method} ${path}: not found`, 'NotFound', status);
  if (status === 429)
    return new RegistryError(`${method} ${path}: rate limited (429)`, 'RateLimited', status);
  return new RegistryError(
    `${method} ${path}: HTTP ${status}`,
    status >= 500 ? 'Unavailable' : 'BadResponse',
    status,
  );
}
