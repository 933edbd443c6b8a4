// The seam every notification service implements, and the HTTP helper they share.

import { request as plainRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RenderedNotification } from '../render.js';
import type { Destination } from '../subscriptions.js';

export interface NotificationService {
  send(notification: RenderedNotification, destination: Destination): Promise<void>;
}

/** A failure worth retrying (network, 5xx, 429) or not (4xx, bad configuration). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 30_000;
const MAX_RESPONSE_CHARS = 512;

export interface HttpResult {
  status: number;
  body: string;
}

/**
 * One HTTP call with a timeout; the response body is kept short for error messages. node:http
 * rather than fetch, because Argo's webhook sends its message as the body of a GET.
 */
function httpRequest(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<HttpResult> {
  const fail = (message: string) => new DeliveryError(`${init.method} ${redactUrl(url)}: ${message}`, true);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new DeliveryError(`invalid URL ${redactUrl(url)}`, false));
  }
  const send = target.protocol === 'https:' ? httpsRequest : plainRequest;
  const body = init.body ?? '';
  return new Promise<HttpResult>((resolve, reject) => {
    const req = send(
      target,
      {
        method: init.method,
        headers: {
          ...(init.headers ?? {}),
          ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
        },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 64 * 1024) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', (error) => reject(fail(error.message)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
    req.on('error', (error) => reject(fail(error.message)));
    req.end(body || undefined);
  });
}

/**
 * One HTTP call that must succeed: a non-2xx answer is a DeliveryError naming `what`, retryable
 * for 5xx, 429 and 408. Returns the (shortened) answer.
 */
export async function successfulRequest(
  what: string,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<HttpResult> {
  const result = await httpRequest(url, init);
  if (result.status >= 200 && result.status <= 299) return result;
  const retryable = result.status >= 500 || result.status === 429 || result.status === 408;
  throw new DeliveryError(
    `${what} ${redactUrl(url)} failed with status ${result.status}: ${result.body.slice(0, MAX_RESPONSE_CHARS)}`,
    retryable,
  );
}

/** Webhook URLs often carry their secret in the path or query (Teams, Slack hooks): show only the origin. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : '/...'}`;
  } catch {
    return '(invalid URL)';
  }
}

export function stringOption(options: Record<string, unknown>, key: string): string | undefined {
  const v = options[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
