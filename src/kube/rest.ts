// A thin JSON-over-HTTPS client for any API path (custom resources, /status, every patch
// content type), written by hand because the library's generated clients deserialize into
// classes with Date fields and its KubernetesObjectApi does not reach subresources.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeApiErrorFor } from './api-error.js';
import type { KubeList, KubeObject } from './object.js';
import type { RequestCounter, RequestVerb } from './request-counter.js';
import { type ApiResource, apiVersionOf, resourcePath } from './resource.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method: HttpMethod;
  /** Absolute API path, e.g. from resourcePath(). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Defaults to application/json; patches pass their patch type. */
  contentType?: string;
  timeoutMs?: number;
  /** For the request counter. */
  verb: RequestVerb;
  resource: string;
  namespace?: string;
}

export interface RestClientOptions {
  requestCounter?: RequestCounter;
  /** Per-request timeout unless the request sets its own; default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the list is fetched page by page with continue tokens. Default 500. */
  limit?: number;
}

export class RestClient {
  readonly kubeConfig: KubeConfig;
  readonly requestCounter: RequestCounter | undefined;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  /** Keep-alive pools: one for Events (see POOL), one for everything else. */
  private readonly agents = new Map<'events' | 'other', http.Agent>();
  /** See connectionOptions. */
  private credentials: { at: number; options: Promise<https.RequestOptions> } | undefined;

  constructor(kubeConfig: KubeConfig, options: RestClientOptions = {}) {
    this.kubeConfig = kubeConfig;
    this.requestCounter = options.requestCounter;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'slipway-controller';
  }

  /** Sends one request and returns the parsed JSON body; non-2xx throws a KubeApiError subclass. */
  async request(req: KubeRequest): Promise<unknown> {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) {
      throw new Error(
        `kubeconfig context "${this.kubeConfig.getCurrentContext()}" has no cluster server; check current-context`,
      );
    }
    const url = new URL(server.replace(/\/$/, '') + req.path);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) {
        url.searchParams.set(key, String(value));
      }
    }
    const options = await this.connectionOptions();
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.userAgent };
    for (const [key, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) {
        headers[key] = Array.isArray(value) ? value.join(', ') : String(value);
      }
    }
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (payload !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    let statusCode = 0;
    try {
      const response = await send(url, {
        method: req.method,
        headers,
        auth: options.auth,
        agent: this.agentFor(url, options, req.resource === 'events' ? 'events' : 'other'),
        timeoutMs: req.timeoutMs ?? this.timeoutMs,
        payload,
      });
      statusCode = response.statusCode;
      if (statusCode === 401) {
        // Credentials that expired (or were rotated) within the reuse window: ask afresh.
        this.credentials = undefined;
      }
      const body = parseBody(response.body);
      if (statusCode < 200 || statusCode >= 300) {
        throw kubeApiErrorFor({ method: req.method, path: req.path }, statusCode, body);
      }
      return body;
    } finally {
      this.requestCounter?.record({
        verb: req.verb,
        resource: req.resource,
        namespace: req.namespace ?? '',
        name: objectNameOf(req.path),
        statusCode,
      });
    }
  }

  /**
   * TLS material and auth headers from the kubeconfig, reused for CREDENTIAL_REUSE_MS. The
   * library's applyToHTTPSOptions reads the CA, certificate and key files again and builds
   * (and drops) a new https.Agent on every call: ~4 % of the controller's CPU in a profile of
   * a deploy of 1,000 Rollouts. Tokens may rotate, so the answer is asked for again after the
   * window, or at once after a 401; the library's token-file reader re-reads only once a
   * minute anyway.
   */
  private connectionOptions(): Promise<https.RequestOptions> {
    // A monotonic clock: a wall clock set back would stretch the window.
    const now = performance.now();
    if (this.credentials === undefined || now - this.credentials.at >= CREDENTIAL_REUSE_MS) {
      const options: https.RequestOptions = {};
      const pending = this.kubeConfig.applyToHTTPSOptions(options).then(() => options);
      const entry = { at: now, options: pending };
      this.credentials = entry;
      // An exec plugin that failed is asked again on the next request, not after the window.
      pending.catch(() => {
        if (this.credentials === entry) this.credentials = undefined;
      });
    }
    return this.credentials.options;
  }

  /** GET one object. */
  async get<T extends KubeObject>(
    resource: ApiResource,
    namespace: string | undefined,
    name: string,
  ): Promise<T> {
    return (await this.request({
      method: 'GET',
      path: resourcePath(resource, { namespace, name }),
      verb: 'get',
      resource: resource.plural,
      namespace,
    })) as T;
  }

  /**
   * Lists every page. Items get apiVersion and kind filled in, because list responses omit
   * them per item while watch events carry them, and caches should hold one shape.
   */
  async list<T extends KubeObject>(
    resource: ApiResource,
    options: ListOptions = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = (await this.request({
        method: 'GET',
        path: resourcePath(resource, { namespace: options.namespace }),
        query: {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: options.limit ?? 500,
          continue: continueToken,
        },
        verb: 'list',
        resource: resource.plural,
        namespace: options.namespace,
      })) as KubeList<T>;
      for (const item of page.items ?? []) {
        items.push({ apiVersion: apiVersionOf(resource), kind: resource.kind, ...item });
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  /**
   * Keep-alive agents per client (Events in a pool of their own): the library builds a fresh
   * agent without keep-alive on every call, which would cost a TLS handshake per request. Proxied clusters keep the
   * library's agent. Certificates are read once, so a rotated client cert needs a restart.
   */
  private agentFor(
    url: URL,
    options: https.RequestOptions,
    pool: 'events' | 'other',
  ): http.Agent | undefined {
    if (this.kubeConfig.getCurrentCluster()?.proxyUrl) {
      return options.agent instanceof http.Agent ? options.agent : undefined;
    }
    let agent = this.agents.get(pool);
    if (!agent) {
      const limits = { ...POOL, maxSockets: pool === 'events' ? EVENT_SOCKETS : POOL.maxSockets };
      agent =
        url.protocol === 'http:'
          ? new http.Agent(limits)
          : new https.Agent({
              ...limits,
              // One TLS context, built once. Given as ca/cert/key instead, each new connection
              // parsed them again and every request turned them into text for the pool's name
              // (~5 KiB per request, 8 % of all allocation while 1,000 Rollouts deployed).
              secureContext: tls.createSecureContext({
                ca: options.ca,
                cert: options.cert,
                key: options.key,
              }),
              rejectUnauthorized: options.rejectUnauthorized,
              servername: options.servername,
            });
      this.agents.set(pool, agent);
    }
    return agent;
  }
}

/**
 * HTTP/1.1 takes one connection per request in flight (client-go multiplexes all of them over
 * one HTTP/2 connection). Unbounded, a burst of fire-and-forget Event writes opened hundreds
 * of TLS connections, each a handshake and native buffers, kept open afterwards; excess
 * requests now wait for one of 32, and at most 8 stay open when idle.
 */
/**
 * The object an API path names: the segment after the resource in
 * `/api/v1[/namespaces/NS]/RESOURCE/NAME[/SUBRESOURCE]` (or `/apis/GROUP/VERSION/...`); '' when
 * the path names a collection.
 */
export function objectNameOf(path: string): string {
  const segments = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  let rest = segments.slice(segments[0] === 'api' ? 2 : 3);
  // `namespaces/NS/...` scopes a resource; `namespaces/NS` alone is the Namespace NS.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  if (rest[1] === undefined) return '';
  try {
    return decodeURIComponent(rest[1]);
  } catch {
    // Not percent-encoding we wrote (object names have no `%`): the segment as it is.
    return rest[1];
  }
}

const POOL: http.AgentOptions = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8 };
/** How long the kubeconfig's TLS material and auth headers are reused (connectionOptions). */
export const CREDENTIAL_REUSE_MS = 10_000;

/**
 * Event writes (fire-and-forget, one chain per object, so thousands at once when a controller
 * starts on many Rollouts) have a pool of their own and never queue ahead of a reconcile's
 * reads and writes. client-go writes Events one at a time.
 */
const EVENT_SOCKETS = 8;

interface SendOptions {
  method: HttpMethod;
  headers: Record<string, string>;
  auth: string | null | undefined;
  agent: http.Agent | undefined;
  timeoutMs: number;
  payload: string | undefined;
}

function send(url: URL, options: SendOptions): Promise<{ statusCode: number; body: string }> {
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: options.method,
        headers: options.headers,
        auth: options.auth ?? undefined,
        agent: options.agent,
      },
      (response) => {
        // Decoded chunk by chunk into a string (V8's heap) rather than joined into one Buffer:
        // a LIST page runs to megabytes, and malloc tends to keep such buffers' memory after
        // they are freed, where V8 returns its large strings' pages.
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('error', reject);
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body }));
      },
    );
    request.setTimeout(options.timeoutMs, () => {
      request.destroy(new Error(`no response within ${options.timeoutMs} ms`));
    });
    request.on('error', (error) =>
      reject(new Error(`${options.method} ${url.pathname}: ${error.message}`, { cause: error })),
    );
    request.end(options.payload);
  });
}

function parseBody(text: string): unknown {
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    // Proxies and some aggregated APIs answer errors in plain text; keep it for the message.
    return { kind: 'Status', message: text.slice(0, 500) };
  }
}
