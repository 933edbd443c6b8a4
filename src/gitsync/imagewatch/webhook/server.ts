// The push-notification endpoint of `slipway git-sync`:
//   POST /webhook/registry  Docker Registry notifications; `Authorization: Bearer <secret>`
//   POST /webhook/generic   any JSON {"image", "tag"}; `X-Slipway-Timestamp: <unix seconds>` and
//                           `X-Slipway-Signature: sha256=HMAC(secret, "<timestamp>.<body>")`
//   POST /webhook/ghcr      GitHub `package` / `registry_package` events; `X-Hub-Signature-256`
//                           (the webhook's secret is ours), each X-GitHub-Delivery taken once
//   POST /webhook/harbor    Harbor PUSH_ARTIFACT; Harbor's "Auth Header" set to `Bearer <secret>`
//   POST /webhook/dockerhub/<secret>, POST /webhook/quay/<secret>
//                           Docker Hub and Quay sign nothing and send no header of our choosing,
//                           so the secret is the last path segment (or `X-Slipway-Token: <secret>`)
// A missing or wrong credential is answered 401 and counted; a valid push queues an early check of
// every ImageWatch of that image (polling still catches anything a lost webhook missed).
// The endpoint faces the network, so it is bounded: body size (413 before the body is read),
// header and request timeouts, a connection cap, and for the generic endpoint a replay window
// on the signed timestamp plus a memory of signatures already accepted within it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type PushedImage, pushesFromRegistryNotification, pushFromGenericBody } from './push-events.js';
import {
  constantTimeEqual,
  SIGNATURE_HEADER,
  signatureValid,
  signedPayload,
  TIMESTAMP_HEADER,
} from './signature.js';
import {
  GITHUB_PACKAGE_EVENTS,
  pushesFromDockerHub,
  pushesFromGitHubPackage,
  pushesFromHarbor,
  pushesFromQuay,
} from './vendor-events.js';

export type WebhookEndpoint = 'registry' | 'generic' | 'ghcr' | 'harbor' | 'dockerhub' | 'quay';
const ENDPOINTS: readonly WebhookEndpoint[] = ['registry', 'generic', 'ghcr', 'harbor', 'dockerhub', 'quay'];
/** Endpoints whose senders can only be given a URL: the secret travels as its last segment. */
const TOKEN_IN_PATH = new Set<WebhookEndpoint>(['dockerhub', 'quay']);
export const TOKEN_HEADER = 'x-slipway-token';
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';
export type WebhookResult = 'accepted' | 'unauthorized' | 'bad_request';

export interface WebhookHandlers {
  /** The current shared secret (read per request, so a rotated Secret applies at once). */
  secret(): string;
  /** Queues checks for the pushed images; returns how many ImageWatches matched. */
  onPush(images: readonly PushedImage[]): number;
  onRequest?(endpoint: WebhookEndpoint, result: WebhookResult): void;
  /** How far a generic request's timestamp may be from now, either way; default 5 min. */
  maxAgeMs?: number;
  /** Open connections at once; more are refused by the kernel backlog; default 64. */
  maxConnections?: number;
  /** Headers must arrive within this; default 10 s. */
  headersTimeoutMs?: number;
  /** The whole request must arrive within this; default 30 s. */
  requestTimeoutMs?: number;
  now?: () => number;
}

export const MAX_BODY = 1024 * 1024;
export const DEFAULT_WEBHOOK_MAX_AGE_MS = 5 * 60_000;
export const DEFAULT_WEBHOOK_MAX_CONNECTIONS = 64;
/** Signatures remembered for replay refusal; beyond this the oldest are dropped first. */
const MAX_REMEMBERED = 10_000;

export function createWebhookServer(handlers: WebhookHandlers): Server {
  const maxAgeMs = handlers.maxAgeMs ?? DEFAULT_WEBHOOK_MAX_AGE_MS;
  const now = handlers.now ?? Date.now;
  const accepted = new Map<string, number>();
  const remember = (signature: string, at: number) => {
    for (const [key, when] of accepted) {
      if (accepted.size < MAX_REMEMBERED && when > at - 2 * maxAgeMs) break;
      accepted.delete(key);
    }
    accepted.set(signature, at);
  };

  const server = createServer((req, res) => {
    const [, root, name, pathToken, ...rest] = (req.url ?? '').split('?')[0]!.split('/');
    const known = ENDPOINTS.find((e) => e === name);
    const endpoint: WebhookEndpoint | undefined =
      root !== 'webhook' || known === undefined || rest.length > 0
        ? undefined
        : pathToken === undefined || TOKEN_IN_PATH.has(known)
          ? known
          : undefined;
    if (endpoint === undefined || req.method !== 'POST') {
      res.writeHead(endpoint === undefined ? 404 : 405, { connection: 'close' }).end();
      req.resume();
      return;
    }
    const answer = (status: number, result: WebhookResult, body: Record<string, unknown>) => {
      handlers.onRequest?.(endpoint, result);
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    };
    const tooLarge = () => {
      handlers.onRequest?.(endpoint, 'bad_request');
      refuseLarge(req, res);
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) return tooLarge();
    readBody(req)
      .then((body) => {
        if (body === undefined) return tooLarge();
        const secret = handlers.secret();
        let replayKey: string | undefined;
        const githubEvent = header(req, 'x-github-event') ?? '';
        if (endpoint === 'registry' || endpoint === 'harbor') {
          // Harbor sends its "Auth Header" verbatim: `Bearer <secret>` as for the registry, or the bare secret.
          const given = req.headers.authorization ?? '';
          const authorized =
            secret !== '' &&
            (constantTimeEqual(`Bearer ${secret}`, given) ||
              (endpoint === 'harbor' && constantTimeEqual(secret, given)));
          if (!authorized) return answer(401, 'unauthorized', { error: 'missing or invalid credentials' });
        } else if (endpoint === 'dockerhub' || endpoint === 'quay') {
          const given = pathToken === undefined ? header(req, TOKEN_HEADER) : decodeSegment(pathToken);
          if (secret === '' || given === undefined || !constantTimeEqual(secret, given)) {
            return answer(401, 'unauthorized', {
              error: `missing or invalid secret: POST /webhook/${endpoint}/<secret> (or send ${TOKEN_HEADER})`,
            });
          }
        } else if (endpoint === 'ghcr') {
          if (!signatureValid(secret, body, header(req, GITHUB_SIGNATURE_HEADER))) {
            return answer(401, 'unauthorized', {
              error: `missing or invalid ${GITHUB_SIGNATURE_HEADER} (set the GitHub webhook's secret to ours)`,
            });
          }
          const delivery = header(req, 'x-github-delivery');
          if (delivery !== undefined) {
            replayKey = `github ${delivery}`;
            if (accepted.has(replayKey)) {
              return answer(401, 'unauthorized', { error: 'this delivery was already received (replay)' });
            }
          }
        } else {
          const timestamp = header(req, TIMESTAMP_HEADER);
          const signature = header(req, SIGNATURE_HEADER);
          if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
            return answer(401, 'unauthorized', {
              error: `missing or malformed ${TIMESTAMP_HEADER} (Unix seconds, signed with the body)`,
            });
          }
          if (!signatureValid(secret, signedPayload(timestamp, body), signature)) {
            return answer(401, 'unauthorized', { error: 'missing or invalid signature' });
          }
          const skew = Math.abs(now() - Number(timestamp) * 1000);
          if (skew > maxAgeMs) {
            return answer(401, 'unauthorized', {
              error: `${TIMESTAMP_HEADER} is outside the ${Math.round(maxAgeMs / 1000)} s replay window; sign with the current time`,
            });
          }
          replayKey = (signature as string).trim();
          if (accepted.has(replayKey)) {
            return answer(401, 'unauthorized', {
              error: 'this signed request was already received (replay)',
            });
          }
        }
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          return answer(400, 'bad_request', { error: 'body is not JSON' });
        }
        if (endpoint === 'ghcr' && !GITHUB_PACKAGE_EVENTS.has(githubEvent) && githubEvent !== 'ping') {
          return answer(400, 'bad_request', {
            error: `X-GitHub-Event "${githubEvent.slice(0, 64)}" is not a package event; subscribe the webhook to "Packages" (or "Registry packages")`,
          });
        }
        const parsed = parseBody(endpoint, json, githubEvent);
        if ('error' in parsed) return answer(400, 'bad_request', { error: parsed.error });
        if (replayKey !== undefined) remember(replayKey, now());
        const images = Array.isArray(parsed) ? parsed : [parsed];
        const matched = images.length === 0 ? 0 : handlers.onPush(images);
        return answer(202, 'accepted', { images: images.length, matched });
      })
      .catch((error: Error) => {
        // The client went away or sent a broken stream; nothing in it is processed.
        answer(400, 'bad_request', { error: `the request body could not be received (${error.message})` });
      });
  });
  server.maxConnections = handlers.maxConnections ?? DEFAULT_WEBHOOK_MAX_CONNECTIONS;
  server.headersTimeout = handlers.headersTimeoutMs ?? 10_000;
  server.requestTimeout = handlers.requestTimeoutMs ?? 30_000;
  server.keepAliveTimeout = 5_000;
  // A socket idle this long (slowloris between chunks) is closed.
  server.setTimeout(server.requestTimeout);
  return server;
}

function parseBody(
  endpoint: WebhookEndpoint,
  json: unknown,
  githubEvent: string,
): PushedImage[] | PushedImage | { error: string } {
  switch (endpoint) {
    case 'registry':
      return pushesFromRegistryNotification(json);
    case 'generic':
      return pushFromGenericBody(json);
    case 'ghcr':
      return pushesFromGitHubPackage(githubEvent, json);
    case 'harbor':
      return pushesFromHarbor(json);
    case 'dockerhub':
      return pushesFromDockerHub(json);
    case 'quay':
      return pushesFromQuay(json);
  }
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** 413 at once; the rest of the body is never read (the connection is closed after the answer). */
function refuseLarge(req: IncomingMessage, res: ServerResponse): void {
  if (!res.headersSent) {
    res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
    res.end(`${JSON.stringify({ error: `body too large (limit ${MAX_BODY} bytes)` })}\n`, () => {
      req.socket.destroySoon?.();
      setImmediate(() => req.destroy());
    });
  }
  req.pause();
}

/** The body, or undefined as soon as it passes MAX_BODY (the rest is not read). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.off('data', onData);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}
