// One HTTP(S) request for the HTTP-based providers, on node:http/https rather than fetch because
// `insecure: true` needs rejectUnauthorized, which fetch does not expose without undici.
import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Skip TLS certificate verification. */
  insecure?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class HttpTimeoutError extends Error {}

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
  const transport = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: request.method,
        headers,
        ...(url.protocol === 'https:' && request.insecure ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.setTimeout(request.timeoutMs, () => {
      req.destroy(
        new HttpTimeoutError(
          `${request.method} ${url.origin}${url.pathname}: no response within ${request.timeoutMs / 1000}s`,
        ),
      );
    });
    req.on('error', (error) => {
      if (error instanceof HttpTimeoutError) reject(error);
      else
        reject(
          new Error(`${request.method} ${url.origin}${url.pathname}: ${error.message}`, { cause: error }),
        );
    });
    req.end(request.body);
  });
}

/** Authorization header value for basic auth. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
