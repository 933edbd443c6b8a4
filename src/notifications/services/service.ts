// The seam every notification service implements, and the HTTP helper they share.

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

/** One HTTP call with a timeout; the response body is kept short for error messages. */
export async function httpRequest(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<HttpResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      headers: init.headers ?? {},
      ...(init.body !== undefined && init.method !== 'GET' && init.method !== 'HEAD'
        ? { body: init.body }
        : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    throw new DeliveryError(
      `${init.method} ${redactUrl(url)}: ${cause?.message ?? (error as Error).message}`,
      true,
    );
  }
  const body = (await response.text()).slice(0, 64 * 1024);
  return { status: response.status, body };
}

export function expectSuccess(what: string, url: string, result: HttpResult): void {
  if (result.status >= 200 && result.status <= 299) return;
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
