// The webhook server the endpoint tests post to: secret `hook-secret`, on a loopback port,
// recording the images it accepts and the result of every request.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { createWebhookServer } from '../../../../../src/gitsync/imagewatch/webhook/server.js';

export interface WebhookEndpoint {
  /** `http://127.0.0.1:<port>` once the server listens. */
  base: string;
  /** `name:tag` of each accepted image. */
  pushed: string[];
  /** `<endpoint> <result>` of each request. */
  results: string[];
}

/** Starts the server before the tests of the calling describe block and closes it after them. */
export function webhookEndpoint(): WebhookEndpoint {
  const endpoint: WebhookEndpoint = { base: '', pushed: [], results: [] };
  const server = createWebhookServer({
    secret: () => 'hook-secret',
    onPush: (images) => {
      endpoint.pushed.push(...images.map((i) => `${i.name}:${i.tag ?? ''}`));
      return images.length;
    },
    onRequest: (name, result) => endpoint.results.push(`${name} ${result}`),
  });
  beforeAll(async () => {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());
  return endpoint;
}
