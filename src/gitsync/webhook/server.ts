// The push-notification endpoint of `slipway git-sync`:
//   POST /webhook/registry  Docker Registry notifications; `Authorization: Bearer <secret>`
//   POST /webhook/generic   any JSON {"image", "tag"}; `X-Slipway-Signature: sha256=HMAC(secret, body)`
// A missing or wrong credential is answered 401 and counted; a valid push queues an early check of
// every ImageWatch of that image (polling still catches anything a lost webhook missed).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type PushedImage, pushesFromRegistryNotification, pushFromGenericBody } from './push-events.js';
import { constantTimeEqual, SIGNATURE_HEADER, signatureValid } from './signature.js';

export type WebhookEndpoint = 'registry' | 'generic';
export type WebhookResult = 'accepted' | 'unauthorized' | 'bad_request';

export interface WebhookHandlers {
  /** The current shared secret (read per request, so a rotated Secret applies at once). */
  secret(): string;
  /** Queues checks for the pushed images; returns how many ImageWatches matched. */
  onPush(images: readonly PushedImage[]): number;
  onRequest?(endpoint: WebhookEndpoint, result: WebhookResult): void;
}

const MAX_BODY = 1024 * 1024;

export function createWebhookServer(handlers: WebhookHandlers): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const endpoint: WebhookEndpoint | undefined =
      path === '/webhook/registry' ? 'registry' : path === '/webhook/generic' ? 'generic' : undefined;
    if (endpoint === undefined || req.method !== 'POST') {
      res.writeHead(endpoint === undefined ? 404 : 405).end();
      return;
    }
    const answer = (status: number, result: WebhookResult, body: Record<string, unknown>) => {
      handlers.onRequest?.(endpoint, result);
      res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    };
    readBody(req)
      .then((body) => {
        if (body === undefined) return answer(413, 'bad_request', { error: 'body too large' });
        const secret = handlers.secret();
        const authorized =
          endpoint === 'registry'
            ? constantTimeEqual(`Bearer ${secret}`, req.headers.authorization ?? '') && secret !== ''
            : signatureValid(secret, body, header(req, SIGNATURE_HEADER));
        if (!authorized) return answer(401, 'unauthorized', { error: 'missing or invalid signature' });
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          return answer(400, 'bad_request', { error: 'body is not JSON' });
        }
        const parsed =
          endpoint === 'registry' ? pushesFromRegistryNotification(json) : pushFromGenericBody(json);
        if ('error' in parsed) return answer(400, 'bad_request', { error: parsed.error });
        const images = Array.isArray(parsed) ? parsed : [parsed];
        const matched = images.length === 0 ? 0 : handlers.onPush(images);
        return answer(202, 'accepted', { images: images.length, matched });
      })
      .catch(() => answer(400, 'bad_request', { error: 'could not read the body' }));
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
