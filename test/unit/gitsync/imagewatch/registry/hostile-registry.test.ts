// A registry answering as an attacker would: huge manifests and tag pages are cut off at the
// cap, redirects to another origin are refused (and carry no credentials), a token realm on
// another host never sees the pull secret, and tags outside the OCI grammar never get ranked.
// The registry is a small HTTP server here because a real registry will not misbehave on cue.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validTags } from '../../../../../src/gitsync/imagewatch/check.js';
import { MAX_MANIFEST_BYTES, RegistryClient } from '../../../../../src/gitsync/imagewatch/registry/client.js';

interface Seen {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

function serve(handler: (path: string, res: import('node:http').ServerResponse) => void, seen: Seen[]) {
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    handler(req.url ?? '', res);
  });
  return server;
}

const listen = (server: Server) =>
  new Promise<number>((done) =>
    server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port)),
  );

const registrySeen: Seen[] = [];
const elsewhereSeen: Seen[] = [];
let registryPort = 0;
let elsewherePort = 0;
let registry: Server;
let elsewhere: Server;
const credentials = { username: 'robot', password: 'PULL-SECRET-PASSWORD-91f' };

beforeAll(async () => {
  elsewhere = serve((path, res) => {
    if (path.startsWith('/token')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t-elsewhere"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["9.9.9"]}');
  }, elsewhereSeen);
  elsewherePort = await listen(elsewhere);
  registry = serve((path, res) => {
    const bearer = registrySeen.at(-1)?.headers.authorization?.startsWith('Bearer ');
    // foreign-realm sends the token request to another host, own-realm to this registry.
    const realmPort = path.startsWith('/v2/foreign-realm/')
      ? elsewherePort
      : path.startsWith('/v2/own-realm/')
        ? registryPort
        : undefined;
    if (realmPort !== undefined && !bearer) {
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://127.0.0.1:${realmPort}/token",service="x"`,
        })
        .end();
      return;
    }
    if (path.startsWith('/token')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t-own"}');
      return;
    }
    if (path.includes('/tags/list')) {
      if (path.startsWith('/v2/redirect/')) {
        res.writeHead(307, { location: `http://127.0.0.1:${elsewherePort}/v2/redirect/tags/list` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["1.0.0","zé","1.1.0"]}');
      return;
    }
    if (path.includes('/manifests/')) {
      // Streams far past the cap without a Content-Length, as a hostile registry would.
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => {
        sent = Number.POSITIVE_INFINITY;
      });
      pump();
      return;
    }
    res.writeHead(404).end();
  }, registrySeen);
  registryPort = await listen(registry);
});
afterAll(() => {
  registry.closeAllConnections();
  elsewhere.closeAllConnections();
  registry.close();
  elsewhere.close();
});

const client = (repository: string) =>
  new RegistryClient(
    { host: `127.0.0.1:${registryPort}`, baseUrl: `http://127.0.0.1:${registryPort}`, repository },
    { credentials, maxRetries: 0 },
  );

describe('a hostile registry', () => {
  it('cuts a manifest off at the cap instead of buffering it', async () => {
    await expect(client('big').manifest('1.0.0')).rejects.toThrow(
      `manifest 1.0.0: response is over the ${MAX_MANIFEST_BYTES}-byte limit`,
    );
  });

  it('refuses a redirect to another origin; the other origin hears nothing', async () => {
    const before = elsewhereSeen.length;
    await expect(client('redirect').listTags()).rejects.toThrow(
      `redirect to another origin (127.0.0.1:${elsewherePort}) refused`,
    );
    expect(elsewhereSeen.length).toBe(before);
  });

  it('asks a token realm on another host anonymously, never with the pull secret', async () => {
    expect(await client('foreign-realm').listTags()).toEqual(['1.0.0', 'zé', '1.1.0']);
    const tokenRequests = elsewhereSeen.filter((s) => s.path.startsWith('/token'));
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.headers.authorization).toBeUndefined();
  });

  it('sends the pull secret to a realm on the registry host itself', async () => {
    await client('own-realm').listTags();
    const token = registrySeen.find((s) => s.path.startsWith('/token'));
    expect(token?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
    );
  });
});

describe('OCI tag grammar', () => {
  it('keeps grammatical tags and counts the rest', () => {
    expect(
      validTags(['1.0.0', 'zé', 'x'.repeat(128), 'y'.repeat(129), '.hidden', '-x', '_ok', 'a b']),
    ).toEqual({
      tags: ['1.0.0', 'x'.repeat(128), '_ok'],
      invalid: 5,
    });
  });
});
