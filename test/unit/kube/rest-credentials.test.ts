// The REST client asks the kubeconfig for TLS material and auth headers once per reuse window
// rather than per request (the library re-reads files and builds an agent each time), and asks
// again at once after a 401 or a failed credential lookup, so rotated tokens are picked up.
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CREDENTIAL_REUSE_MS, RestClient } from '../../../src/kube/rest.js';
import { json, type LoopbackApi, loopbackApi } from './loopback-api.js';

const get = {
  method: 'GET',
  path: '/api/v1/namespaces/shop/configmaps/c',
  verb: 'get',
  resource: 'configmaps',
} as const;

let api: LoopbackApi | undefined;
afterEach(() => {
  api?.close();
  vi.restoreAllMocks();
});

/** An API server that accepts only `Bearer <valid>`; the test changes `valid` to rotate. */
async function server() {
  const state = { valid: 'token-1', seen: [] as string[] };
  api = await loopbackApi((req: IncomingMessage, res) => {
    const auth = req.headers.authorization ?? '';
    state.seen.push(auth);
    if (auth !== `Bearer ${state.valid}`) {
      json(res, { kind: 'Status', reason: 'Unauthorized', code: 401, message: 'Unauthorized' }, 401);
      return;
    }
    json(res, { kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } });
  });
  // A kubeconfig whose token source answers with whatever is current, counting the asks.
  const source = { token: 'token-1', asks: 0, fail: false };
  vi.spyOn(api.kubeConfig, 'applyToHTTPSOptions').mockImplementation(async (opts) => {
    source.asks += 1;
    if (source.fail) throw new Error('exec plugin failed');
    opts.headers = { Authorization: `Bearer ${source.token}` };
  });
  return { state, source, client: new RestClient(api.kubeConfig) };
}

describe('RestClient credentials', () => {
  it('asks the kubeconfig once for many requests within the window, also when they start together', async () => {
    const { state, source, client } = await server();
    await Promise.all([client.request(get), client.request(get), client.request(get)]);
    await client.request(get);
    expect(source.asks).toBe(1);
    expect(state.seen).toEqual(Array(4).fill('Bearer token-1'));
  });

  it('asks again once the window has passed', async () => {
    const { source, client } = await server();
    const now = vi.spyOn(performance, 'now').mockReturnValue(1_000_000);
    await client.request(get);
    now.mockReturnValue(1_000_000 + CREDENTIAL_REUSE_MS - 1);
    await client.request(get);
    expect(source.asks).toBe(1);
    now.mockReturnValue(1_000_000 + CREDENTIAL_REUSE_MS);
    await client.request(get);
    expect(source.asks).toBe(2);
  });

  it('a 401 (a token rotated within the window) fails that request and the next one asks afresh', async () => {
    const { state, source, client } = await server();
    await client.request(get);
    state.valid = 'token-2';
    source.token = 'token-2';
    await expect(client.request(get)).rejects.toThrow(/Unauthorized/);
    await client.request(get);
    expect(source.asks).toBe(2);
    expect(state.seen).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
  });

  it('a credential lookup that failed is not reused: the next request asks again', async () => {
    const { source, client } = await server();
    source.fail = true;
    await expect(client.request(get)).rejects.toThrow(/exec plugin failed/);
    source.fail = false;
    await client.request(get);
    expect(source.asks).toBe(2);
  });
});
