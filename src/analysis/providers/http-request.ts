// One HTTP(S) request for the HTTP-based providers, on node:http/https rather than fetch because
// `insecure: true` needs rejectUnauthorized, which fetch does not expose without undici.
// The servers asked are named by AnalysisTemplates, so every request is bounded: a total
// deadline (not an idle timeout: a server dribbling one byte a second must not hold a
// measurement, and the worker awaiting it, for ever), a cap on the response size, and the
// denied networks of network-policy.ts, checked on the address actually connected to.
import dns, { type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { DeniedAddressError, type NetworkPolicy, providerNetworkPolicy } from './network-policy.js';

/**
 * Largest response body read, by default. Metric answers are a number or a short vector; 1 MiB
 * holds some 20,000 Prometheus samples, and parsing it takes milliseconds, not the hundreds a
 * 10 MB answer would block the event loop for (4 workers may be reading at once).
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange (connect, send, every byte of the answer) must end within this. */
  timeoutMs: number;
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /** Default DEFAULT_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
  /** Default: the process-wide policy (providerNetworkPolicy()). */
  networkPolicy?: NetworkPolicy;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class HttpTimeoutError extends Error {}
export class HttpResponseTooLargeError extends Error {}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup, refusing a name when any address it resolves to is denied. */
function checkedLookup(policy: NetworkPolicy) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      for (const { address } of addresses) {
        const network = policy.deniedNetworkOf(address);
        if (network) {
          callback(
            Object.assign(new DeniedAddressError(hostname, address, network), { code: 'EDENIED' }),
            [],
          );
          return;
        }
      }
      const first = addresses[0];
      if (options.all) callback(null, addresses);
      else if (first) callback(null, first.address, first.family);
      else callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
    });
  };
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

export function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return Promise.reject(new Error(`invalid URL "${request.url}"`));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new Error(`unsupported protocol scheme "${url.protocol.replace(/:$/, '')}"`));
  }
  const what = `${request.method} ${url.origin}${url.pathname}`;
  const policy = request.networkPolicy ?? providerNetworkPolicy();
  // An address literal is never looked up, so it is checked here.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) {
    const network = policy.deniedNetworkOf(host);
    if (network)
      return Promise.reject(new Error(`${what}: ${new DeniedAddressError(host, host, network).message}`));
  }
  const maxBytes = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const transport = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  return new Promise((resolve, reject) => {
    let settled = false;
    // Settles once; a failure also tears the connection down.
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      reject(error);
      req.destroy();
    };
    const tooLarge = () =>
      new HttpResponseTooLargeError(
        `${what}: response is larger than ${formatBytes(maxBytes)}; metric providers read at most that much`,
      );
    const req = transport.request(
      url,
      {
        method: request.method,
        headers,
        lookup: checkedLookup(policy),
        // No keep-alive: a socket is not reused by a later request, whose policy may differ.
        agent: false,
        ...(url.protocol === 'https:' && request.insecure ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          fail(tooLarge());
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxBytes) fail(tooLarge());
          else chunks.push(chunk);
        });
        res.on('error', (error) => fail(new Error(`${what}: ${error.message}`, { cause: error })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    const deadline = setTimeout(
      () =>
        fail(
          new HttpTimeoutError(
            `${what}: no complete response within ${Math.round(request.timeoutMs / 100) / 10}s`,
          ),
        ),
      request.timeoutMs,
    );
    req.on('error', (error) => {
      if (error instanceof DeniedAddressError) fail(new Error(`${what}: ${error.message}`));
      else fail(new Error(`${what}: ${error.message}`, { cause: error }));
    });
    req.end(request.body);
  });
}

/** Authorization header value for basic auth. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
