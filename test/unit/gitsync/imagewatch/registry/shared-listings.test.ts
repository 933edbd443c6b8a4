// Many ImageWatches of one repository share its tag listing: one listing per interval (concurrent
// checks join the one in flight), a webhook-forced check gets a listing started after the push,
// credentials keep listings apart, and newest-build reads a manifest and config once per digest.
// The registry is a small HTTP server here so every request it receives can be counted.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ImageWatch } from '../../../../../src/api/gitsync.js';
import { checkImage } from '../../../../../src/gitsync/imagewatch/check.js';
import { compilePolicy } from '../../../../../src/gitsync/imagewatch/policy/strategy.js';
import { RegistryClients } from '../../../../../src/gitsync/imagewatch/reconciler.js';
import { locateRepository } from '../../../../../src/gitsync/imagewatch/registry/location.js';
import {
  LruMap,
  SharedRepository,
} from '../../../../../src/gitsync/imagewatch/registry/shared-repository.js';
import type { RestClient } from '../../../../../src/kube/rest.js';

const requests: string[] = [];
let tags = ['1.0.0', '1.1.0'];
let server: Server;
let host = '';

function config(tag: string): string {
  return JSON.stringify({
    created: `2026-01-0${tags.indexOf(tag) + 1}T00:00:00Z`,
    os: 'linux',
    architecture: 'amd64',
  });
}
const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
function manifest(tag: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config(tag)), size: 1 },
    layers: [],
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push(`${req.method} ${path}`);
    const json = { 'content-type': 'application/json' };
    if (path.endsWith('/tags/list')) return res.writeHead(200, json).end(JSON.stringify({ tags }));
    const ref = decodeURIComponent(path.split('/manifests/')[1] ?? '');
    const tag = tags.find((t) => t === ref || sha(manifest(t)) === ref);
    if (path.includes('/manifests/') && tag !== undefined) {
      const body = manifest(tag);
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'docker-content-digest': sha(body),
      });
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
    const blob = tags.find((t) => path.endsWith(`/blobs/${sha(config(t))}`));
    if (blob !== undefined) return res.writeHead(200, json).end(config(blob));
    res.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((done) => server.close(done)));
beforeEach(() => {
  requests.length = 0;
  tags = ['1.0.0', '1.1.0'];
});

function watch(name: string, pullSecret?: string): ImageWatch {
  return {
    metadata: { name, namespace: 'shop', generation: 1 },
    spec: {
      image: `${host}/acme/web`,
      policy: { strategy: 'semver', semver: { constraint: '^1' } },
      targets: [],
      ...(pullSecret !== undefined && { pullSecret: { name: pullSecret } }),
    },
  };
}

/** Secrets by name, as the API server would answer a GET of them. */
function restWithSecrets(users: Record<string, string>): RestClient {
  return {
    get: async (_resource: unknown, _ns: string, name: string) => ({
      metadata: { name, resourceVersion: '1' },
      data: {
        '.dockerconfigjson': Buffer.from(
          JSON.stringify({ auths: { [host]: { username: name, password: users[name] } } }),
        ).toString('base64'),
      },
    }),
  } as unknown as RestClient;
}

const listings = () => requests.filter((r) => r.endsWith('/tags/list')).length;
const semver = compilePolicy({ strategy: 'semver', semver: { constraint: '^1' } });
const newest = compilePolicy({ strategy: 'newest-build' });

/** The repository the watches follow, on the test registry. */
function webRepository() {
  const location = locateRepository(`${host}/acme/web`);
  if ('error' in location) throw new Error(location.error);
  return location;
}
/** Registry clients with no pull secrets, reading the time from `now`. */
const clientsOnClock = (now: () => number) =>
  new RegistryClients(restWithSecrets({}), () => {}, undefined, undefined, now);

describe('shared tag listings', () => {
  it('lists once for fifty watches of one repository checking at once, and once more after the interval', async () => {
    if ('error' in semver) throw new Error(semver.error);
    let now = 1_000_000;
    const clients = clientsOnClock(() => now);
    const location = webRepository();
    const check = async (i: number) =>
      checkImage(await clients.forWatch(watch(`w${i}`), location, { maxAgeMs: 60_000 }), semver, now);
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => check(i)));
    expect(outcomes.every((o) => o.kind === 'candidate' && o.candidate.tag === '1.1.0')).toBe(true);
    expect(listings()).toBe(1);
    // Tag → digest answers are shared with the listing too: one HEAD for the one tag picked.
    expect(requests.filter((r) => r.startsWith('HEAD')).length).toBe(1);

    now += 30_000;
    await Promise.all(Array.from({ length: 50 }, (_, i) => check(i)));
    expect(listings()).toBe(1);
    now += 30_001;
    tags = ['1.0.0', '1.1.0', '1.2.0'];
    const later = await Promise.all(Array.from({ length: 50 }, (_, i) => check(i)));
    expect(listings()).toBe(2);
    expect(later.every((o) => o.kind === 'candidate' && o.candidate.tag === '1.2.0')).toBe(true);
    expect(clients.listings).toBe(2);
  });

  it('gives a check forced by a push a listing started after the push, shared by the others forced with it', async () => {
    if ('error' in semver) throw new Error(semver.error);
    let now = 5_000_000;
    const clients = clientsOnClock(() => now);
    const location = webRepository();
    const check = async (i: number, freshAfter?: number) =>
      checkImage(
        await clients.forWatch(watch(`w${i}`), location, {
          maxAgeMs: 600_000,
          ...(freshAfter !== undefined && { freshAfter }),
        }),
        semver,
        now,
      );
    await check(0);
    now += 1000;
    tags = ['1.0.0', '1.1.0', '1.3.0'];
    const pushedAt = now;
    now += 10;
    const forced = await Promise.all(Array.from({ length: 20 }, (_, i) => check(i, pushedAt)));
    expect(forced.every((o) => o.kind === 'candidate' && o.candidate.tag === '1.3.0')).toBe(true);
    expect(listings()).toBe(2);
  });

  it('keeps listings apart for different credentials and shares them for the same ones', async () => {
    if ('error' in semver) throw new Error(semver.error);
    const clients = new RegistryClients(restWithSecrets({ alice: 'a-secret', bob: 'b-secret' }), () => {});
    const location = webRepository();
    for (const [name, secret] of [
      ['a1', 'alice'],
      ['a2', 'alice'],
      ['b1', 'bob'],
      ['anon', undefined],
    ] as const) {
      await checkImage(
        await clients.forWatch(watch(name, secret), location, { maxAgeMs: 60_000 }),
        semver,
        Date.now(),
      );
    }
    expect(listings()).toBe(3);
  });

  it('reads manifest and config once per digest for newest-build, then only HEADs tags in later intervals', async () => {
    if ('error' in newest) throw new Error(newest.error);
    let now = 9_000_000;
    const clients = clientsOnClock(() => now);
    const location = webRepository();
    tags = ['a', 'b', 'c', 'd'];
    const check = async () =>
      checkImage(await clients.forWatch(watch('w'), location, { maxAgeMs: 60_000 }), newest, now);
    const first = await check();
    expect(first.kind === 'candidate' && first.candidate.tag).toBe('d');
    const gets = () => requests.filter((r) => r.startsWith('GET') && !r.endsWith('/tags/list')).length;
    expect(gets()).toBe(8); // a manifest and a config per tag
    await check();
    expect(requests.length).toBe(13); // same interval: nothing new (1 listing, 4 HEADs, 8 GETs)
    now += 60_001;
    await check();
    expect(gets()).toBe(8);
    expect(listings()).toBe(2);
    expect(requests.filter((r) => r.startsWith('HEAD')).length).toBe(8);
  });

  it('does not keep a failed listing', async () => {
    let calls = 0;
    const shared = new SharedRepository({
      listTags: async () => {
        calls += 1;
        if (calls === 1) throw new Error('registry down');
        return ['1.0.0'];
      },
      resolve: async () => ({ digest: 'sha256:x', mediaType: 'x' }),
      buildTime: async () => ({ digest: 'sha256:x' }),
    });
    await expect(shared.view({ maxAgeMs: 60_000 }).listTags()).rejects.toThrow('registry down');
    await expect(shared.view({ maxAgeMs: 60_000 }).listTags()).resolves.toEqual(['1.0.0']);
    expect(calls).toBe(2);
  });
});

describe('LruMap', () => {
  it('drops the least recently used entry beyond its capacity', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.size).toBe(2);
  });
});
