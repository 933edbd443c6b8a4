import { type AddressInfo, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { pushesFromRegistryNotification } from '../../../../../src/gitsync/imagewatch/webhook/push-events.js';
import { createWebhookServer } from '../../../../../src/gitsync/imagewatch/webhook/server.js';
import {
  constantTimeEqual,
  signatureValid,
  signBody,
  signRequest,
} from '../../../../../src/gitsync/imagewatch/webhook/signature.js';
import { webhookEndpoint } from './endpoint.js';

describe('HMAC-SHA256 signatures', () => {
  const body = Buffer.from('{"image":"ghcr.io/acme/web","tag":"1.4.2"}');

  it('accepts the signature of the exact body and nothing else', () => {
    const signature = signBody('s3cret', body);
    expect(signature).toMatch(/^sha256=[a-f0-9]{64}$/);
    expect(signatureValid('s3cret', body, signature)).toBe(true);
    expect(signatureValid('s3cret', Buffer.from(`${body} `), signature)).toBe(false);
    expect(signatureValid('other', body, signature)).toBe(false);
    expect(signatureValid('s3cret', body, undefined)).toBe(false);
    expect(signatureValid('s3cret', body, signature.slice(0, -1))).toBe(false);
    expect(signatureValid('', body, signBody('', body))).toBe(false);
  });

  it('compares strings of any length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });
});

describe('webhook endpoint', () => {
  const endpoint = webhookEndpoint();
  const { pushed, results } = endpoint;

  it('takes a signed generic body and rejects a missing or bad signature with 401', async () => {
    const body = JSON.stringify({ image: '127.0.0.1:5000/acme/web', tag: '1.0.1' });
    const ok = await fetch(`${endpoint.base}/webhook/generic`, {
      method: 'POST',
      body,
      headers: signRequest('hook-secret', body),
    });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ images: 1, matched: 1 });
    const missing = await fetch(`${endpoint.base}/webhook/generic`, { method: 'POST', body });
    const bad = await fetch(`${endpoint.base}/webhook/generic`, {
      method: 'POST',
      body,
      headers: signRequest('guess', body),
    });
    expect([missing.status, bad.status]).toEqual([401, 401]);
    expect(pushed).toEqual(['127.0.0.1:5000/acme/web:1.0.1']);
    expect(results).toEqual(['generic accepted', 'generic unauthorized', 'generic unauthorized']);
  });

  it('takes a Docker Registry notification with the bearer secret', async () => {
    const envelope = {
      events: [
        {
          action: 'push',
          target: {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            repository: 'acme/api',
            tag: '2.0.0',
            url: 'http://127.0.0.1:5000/v2/acme/api/manifests/sha256:abc',
          },
          request: { host: '127.0.0.1:5000' },
        },
        { action: 'push', target: { mediaType: 'application/octet-stream', repository: 'acme/api' } },
        { action: 'pull', target: { repository: 'acme/api', tag: '1' } },
      ],
    };
    const response = await fetch(`${endpoint.base}/webhook/registry`, {
      method: 'POST',
      body: JSON.stringify(envelope),
      headers: {
        Authorization: 'Bearer hook-secret',
        'Content-Type': 'application/vnd.docker.distribution.events.v1+json',
      },
    });
    expect(response.status).toBe(202);
    expect(pushed.at(-1)).toBe('127.0.0.1:5000/acme/api:2.0.0');
    const wrong = await fetch(`${endpoint.base}/webhook/registry`, {
      method: 'POST',
      body: '{}',
      headers: { Authorization: 'Bearer x' },
    });
    expect(wrong.status).toBe(401);
  });

  it('answers 400 to a signed body that is not a push', async () => {
    const body = '{"hello":1}';
    const response = await fetch(`${endpoint.base}/webhook/generic`, {
      method: 'POST',
      body,
      headers: signRequest('hook-secret', body),
    });
    expect(response.status).toBe(400);
    expect(pushesFromRegistryNotification({})).toEqual({
      error: 'expected a notification envelope with an events array',
    });
  });

  it('refuses a replayed request, a stale timestamp and a body-only signature', async () => {
    const body = JSON.stringify({ image: '127.0.0.1:5000/acme/replay', tag: '1.0.0' });
    const headers = signRequest('hook-secret', body);
    const first = await fetch(`${endpoint.base}/webhook/generic`, { method: 'POST', body, headers });
    const again = await fetch(`${endpoint.base}/webhook/generic`, { method: 'POST', body, headers });
    expect([first.status, again.status]).toEqual([202, 401]);
    expect(((await again.json()) as { error: string }).error).toContain('replay');
    const stale = await fetch(`${endpoint.base}/webhook/generic`, {
      method: 'POST',
      body,
      headers: signRequest('hook-secret', body, Date.now() - 10 * 60_000),
    });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: string }).error).toContain('replay window');
    const bodyOnly = await fetch(`${endpoint.base}/webhook/generic`, {
      method: 'POST',
      body,
      headers: {
        'X-Slipway-Timestamp': headers['X-Slipway-Timestamp'],
        'X-Slipway-Signature': signBody('hook-secret', body),
      },
    });
    expect(bodyOnly.status).toBe(401);
    expect(pushed.filter((p) => p.includes('replay'))).toHaveLength(1);
  });

  it('says what is wrong with a null event instead of a read error', async () => {
    expect(pushesFromRegistryNotification({ events: [null] })).toEqual({
      error: 'events[0] is null; each event must be an object',
    });
    const response = await fetch(`${endpoint.base}/webhook/registry`, {
      method: 'POST',
      body: '{"events":[null]}',
      headers: { Authorization: 'Bearer hook-secret' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'events[0] is null; each event must be an object' });
  });
});

describe('webhook connection cap', () => {
  it('closes connections beyond the cap at once and serves again when one is free', async () => {
    const server = createWebhookServer({ secret: () => 's', onPush: () => 0, maxConnections: 2 });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port;
    const open = (): Promise<Socket> =>
      new Promise((done) => {
        const socket = connect(port, '127.0.0.1', () => done(socket));
        socket.on('error', () => undefined);
      });
    try {
      const held = [await open(), await open()];
      // Headers begun but never finished: both slots stay taken.
      for (const socket of held) socket.write('POST /webhook/generic HTTP/1.1\r\n');
      const third = await open();
      await new Promise<void>((done) => third.once('close', () => done()));
      held[0]!.destroy();
      const answer = await (async () => {
        for (;;) {
          const response = await fetch(`http://127.0.0.1:${port}/nowhere`).catch(() => undefined);
          if (response !== undefined) return response.status;
        }
      })();
      expect(answer).toBe(404);
      held[1]!.destroy();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 60_000);
});
