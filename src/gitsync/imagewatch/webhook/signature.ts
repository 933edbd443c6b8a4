// HMAC-SHA256 request signatures (`X-Slipway-Signature: sha256=<hex>`, the GitHub webhook form),
// compared in constant time so a forger learns nothing from how fast a guess is refused. The
// generic webhook signs `<X-Slipway-Timestamp>.<body>`, so a captured request is only good within
// the replay window (and only once: the server remembers signatures it accepted in that window).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-slipway-signature';
export const TIMESTAMP_HEADER = 'x-slipway-timestamp';

/** What the generic webhook signs: the Unix timestamp (seconds), a dot, the body. */
export function signedPayload(timestamp: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}

/** Headers for a generic webhook request signed now (for senders and tests). */
export function signRequest(
  secret: string,
  body: Buffer | string,
  nowMs = Date.now(),
): { 'X-Slipway-Timestamp': string; 'X-Slipway-Signature': string } {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'X-Slipway-Timestamp': timestamp,
    'X-Slipway-Signature': signBody(secret, signedPayload(timestamp, body)),
  };
}

export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function signatureValid(secret: string, body: Buffer, header: string | undefined): boolean {
  if (header === undefined || secret === '') return false;
  return constantTimeEqual(signBody(secret, body), header.trim());
}

/** Equal strings, in time independent of where they differ (hashing first hides the lengths too). */
export function constantTimeEqual(expected: string, given: string): boolean {
  const key = 'slipway-compare';
  const a = createHmac('sha256', key).update(expected).digest();
  const b = createHmac('sha256', key).update(given).digest();
  return timingSafeEqual(a, b);
}
