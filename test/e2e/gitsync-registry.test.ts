// Given a real docker-registry on loopback with small images pushed through the distribution API,
// the registry client lists tags page by page, resolves digests of every manifest type, reads
// build times from config blobs, authenticates with Basic credentials from a pull secret or the
// Bearer token flow, and waits out 429 answers as Retry-After says.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../src/gitsync/imagewatch/check.js';
import { compilePolicy } from '../../src/gitsync/imagewatch/policy/strategy.js';
import { RegistryClient, RegistryError } from '../../src/gitsync/imagewatch/registry/client.js';
import { locateRepository, type RepositoryLocation } from '../../src/gitsync/imagewatch/registry/location.js';
import { credentialsFromDockerConfig } from '../../src/gitsync/imagewatch/registry/pull-secret.js';
import {
  pushImage,
  startRegistry,
  startTokenServer,
  type TestRegistry,
  type TokenServer,
} from './support/registry.js';

function location(host: string, repository: string): RepositoryLocation {
  const found = locateRepository(`${host}/${repository}`);
  if ('error' in found) throw new Error(found.error);
  return found;
}

describe('registry client against a real docker-registry', () => {
  let registry: TestRegistry;
  const day = 86_400_000;
  const base = Date.parse('2026-01-01T00:00:00Z');

  beforeAll(async () => {
    registry = await startRegistry();
    for (const [i, tag] of [
      '1.0.0',
      '1.1.0',
      '1.2.0-rc.1',
      '1.10.0',
      '2.0.0',
      'latest',
      'v1.3.0',
    ].entries()) {
      await pushImage(registry.url, 'acme/web', tag, { created: new Date(base + i * day) });
    }
    await pushImage(registry.url, 'acme/multi', 'oci-index', {
      format: 'oci-index',
      created: new Date(base),
    });
    await pushImage(registry.url, 'acme/multi', 'docker-list', {
      format: 'docker-list',
      created: new Date(base + day),
    });
    await pushImage(registry.url, 'acme/multi', 'docker', {
      format: 'docker',
      created: new Date(base + 2 * day),
    });
  }, 60_000);
  afterAll(async () => registry?.stop());

  it('lists every tag across Link-paginated pages', async () => {
    const client = new RegistryClient(location(registry.host, 'acme/web'));
    const tags = await client.listTags(2);
    expect(tags.sort()).toEqual(['1.0.0', '1.1.0', '1.10.0', '1.2.0-rc.1', '2.0.0', 'latest', 'v1.3.0']);
  });

  it('resolves digests of OCI index, Docker manifest list, Docker schema 2 and OCI manifests', async () => {
    const client = new RegistryClient(location(registry.host, 'acme/multi'));
    for (const tag of ['oci-index', 'docker-list', 'docker']) {
      const resolved = await client.resolve(tag);
      const manifest = await client.manifest(tag);
      expect(resolved.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(manifest.digest).toBe(resolved.digest);
    }
    expect((await client.resolve('oci-index')).mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect((await client.resolve('docker-list')).mediaType).toBe(
      'application/vnd.docker.distribution.manifest.list.v2+json',
    );
    expect((await client.resolve('docker')).mediaType).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
  });

  it('reads build times from the config blob, through an index for the platform', async () => {
    const client = new RegistryClient(location(registry.host, 'acme/multi'));
    expect((await client.buildTime('oci-index', 'linux/arm64')).createdAt).toBe(base);
    expect((await client.buildTime('docker-list')).createdAt).toBe(base + day);
    expect((await client.buildTime('docker')).createdAt).toBe(base + 2 * day);
    await expect(client.buildTime('oci-index', 'windows/amd64')).rejects.toThrow(/no image for platform/);
  });

  it('picks candidates with each strategy from the real tags', async () => {
    const client = new RegistryClient(location(registry.host, 'acme/web'));
    const pick = async (policy: Parameters<typeof compilePolicy>[0], now = base + 30 * day) => {
      const compiled = compilePolicy(policy);
      if ('error' in compiled) throw new Error(compiled.error);
      const outcome = await checkImage(client, compiled, now);
      return outcome.kind === 'candidate' ? outcome.candidate.tag : outcome.why;
    };
    expect(await pick({ strategy: 'semver', semver: { constraint: '^1.0' } })).toBe('1.10.0');
    expect(await pick({ strategy: 'semver', semver: { constraint: '^1.0' }, ignoreTags: ['1.10.*'] })).toBe(
      'v1.3.0',
    );
    expect(await pick({ strategy: 'alphabetical', allowTags: '^\\d' })).toBe('2.0.0');
    expect(await pick({ strategy: 'newest-build' })).toBe('v1.3.0');
    expect(await pick({ strategy: 'newest-build', minAge: '2d' }, base + 7 * day)).toBe('latest');
    expect(await pick({ strategy: 'semver', semver: { constraint: '>=1' }, minAge: '31d' })).toMatch(
      /younger/,
    );
    const digest = compilePolicy({ strategy: 'digest', digest: { tag: 'latest' } });
    if ('error' in digest) throw new Error(digest.error);
    const outcome = await checkImage(client, digest, Date.now());
    expect(outcome.kind === 'candidate' && outcome.candidate.digest).toBe(
      (await client.resolve('latest')).digest,
    );
  });

  it('reports a missing repository as NotFound', async () => {
    const client = new RegistryClient(location(registry.host, 'acme/nothing'));
    await expect(client.listTags()).rejects.toMatchObject({ reason: 'NotFound' });
  });
});

describe('registry authentication', () => {
  it('uses Basic credentials from a .dockerconfigjson pull secret against htpasswd auth', async () => {
    const registry = await startRegistry({
      auth: { htpasswd: { username: 'robot', password: 's3cret-pull' } },
    });
    try {
      const basic = `Basic ${Buffer.from('robot:s3cret-pull').toString('base64')}`;
      await pushImage(registry.url, 'private/app', '1.0.0', { headers: { Authorization: basic } });
      const anonymous = new RegistryClient(location(registry.host, 'private/app'));
      const error = await anonymous.listTags().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).message).toMatch(/set spec.pullSecret/);
      const dockerConfig = JSON.stringify({
        auths: {
          [`https://${registry.host}`]: { auth: Buffer.from('robot:s3cret-pull').toString('base64') },
        },
      });
      const credentials = credentialsFromDockerConfig(dockerConfig, registry.host);
      const client = new RegistryClient(location(registry.host, 'private/app'), {
        ...(credentials && { credentials }),
      });
      expect(await client.listTags()).toEqual(['1.0.0']);
      const wrong = new RegistryClient(location(registry.host, 'private/app'), {
        credentials: { username: 'robot', password: 'wrong' },
      });
      await expect(wrong.listTags()).rejects.toMatchObject({ reason: 'Unauthorized' });
    } finally {
      await registry.stop();
    }
  });

  it('follows the WWW-Authenticate Bearer challenge to a token server the registry trusts', async () => {
    let tokens: TokenServer | undefined;
    let registry: TestRegistry | undefined;
    try {
      tokens = await startTokenServer({ robot: 'pull-pass' });
      registry = await startRegistry({ auth: { token: tokens } });
      const push = `Bearer ${tokens.token('repository:team/api:pull,push')}`;
      await pushImage(registry.url, 'team/api', '3.1.0', { headers: { Authorization: push } });
      await pushImage(registry.url, 'team/api', '3.2.0', { headers: { Authorization: push } });
      // The realm is another host than the registry: without the operator's say-so it gets no
      // credentials (asked anonymously, it refuses).
      const unlisted = new RegistryClient(location(registry.host, 'team/api'), {
        credentials: { username: 'robot', password: 'pull-pass' },
      });
      await expect(unlisted.listTags()).rejects.toThrow(/token endpoint .* 401/);
      expect(tokens.requests.filter((r) => r.user !== undefined)).toEqual([]);
      const client = new RegistryClient(location(registry.host, 'team/api'), {
        credentials: { username: 'robot', password: 'pull-pass' },
        tokenHosts: [new URL(tokens.realm).host],
      });
      expect((await client.listTags()).sort()).toEqual(['3.1.0', '3.2.0']);
      expect((await client.resolve('3.2.0')).digest).toMatch(/^sha256:/);
      // One token for the repository, reused while it is valid.
      const asked = tokens.requests.filter((r) => r.user === 'robot');
      expect(asked).toEqual([{ scope: 'repository:team/api:pull', user: 'robot' }]);
      const wrong = new RegistryClient(location(registry.host, 'team/api'), {
        credentials: { username: 'robot', password: 'nope' },
        tokenHosts: [new URL(tokens.realm).host],
      });
      await expect(wrong.listTags()).rejects.toThrow(/token endpoint .* 401/);
    } finally {
      await registry?.stop();
      await tokens?.stop();
    }
  });
});

describe('rate limits', () => {
  it('waits out 429 answers for as long as Retry-After says, then succeeds', async () => {
    const registry = await startRegistry();
    let proxy: Server | undefined;
    try {
      await pushImage(registry.url, 'acme/busy', '1.0.0');
      let throttleNext = 2;
      proxy = createServer((req, res) => {
        if (throttleNext > 0) {
          throttleNext -= 1;
          res.writeHead(429, { 'Retry-After': '1' }).end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
          return;
        }
        const upstream = httpRequest(
          `${registry.url}${req.url}`,
          { method: req.method, headers: { ...req.headers, host: registry.host } },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        req.pipe(upstream);
      });
      await new Promise<void>((done) => proxy!.listen(0, '127.0.0.1', done));
      const port = (proxy.address() as AddressInfo).port;
      const waits: number[] = [];
      const started = Date.now();
      const client = new RegistryClient(location(`127.0.0.1:${port}`, 'acme/busy'), {
        onThrottled: (ms) => waits.push(ms),
      });
      expect(await client.listTags()).toEqual(['1.0.0']);
      expect(waits).toEqual([1000, 1000]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      throttleNext = 10;
      const impatient = new RegistryClient(location(`127.0.0.1:${port}`, 'acme/busy'), {
        maxRetries: 1,
        sleep: async () => {},
      });
      await expect(impatient.listTags()).rejects.toMatchObject({ reason: 'RateLimited' });
    } finally {
      proxy?.closeAllConnections();
      proxy?.close();
      await registry.stop();
    }
  });
});
