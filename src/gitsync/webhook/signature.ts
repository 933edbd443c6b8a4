// HMAC-SHA256 request signatures (`X-Slipway-Signature: sha256=<hex>`, the GitHub webhook form),
// compared in constant time so a forger learns nothing from how fast a guess is refused.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-slipway-signature';

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
