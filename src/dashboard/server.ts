// `slipway dashboard`: Argo Rollouts' dashboard REST API (pkg/apiclient/rollout/rollout.proto,
// the grpc-gateway paths and JSON of server/server.go) served from informer caches, plus the
// web UI's static files. Slipway-only additions live under /api/v1/slipway/ and one
// /pause action (Argo has none). Streams answer as grpc-gateway does (`{"result": ...}` per
// line) or, for an EventSource (Accept: text/event-stream), as server-sent events.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { apiResourceOf, ROLLOUT_KIND } from '../api/kinds.js';
import { REVISION_ANNOTATION } from '../api/labels.js';
import type { PromotionPipeline } from '../api/promotion.js';
import type { Rollout } from '../api/rollout.js';
import { KubeApiError } from '../kube/api-error.js';
import type { CoreEvent } from '../kube/events.js';
import { jsonPatch, mergePatch, patchStatus } from '../kube/patch.js';
import { coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import type { Logger } from '../process/logger.js';
import { ActionInputError, type DashboardAction, planAction } from './actions.js';
import { GitSyncView, PROMOTION_PIPELINES, pipelineActionPatch } from './gitsync-view.js';
import { compact, type JsonObject } from './info.js';
import { type NamespaceView, NamespaceViews } from './views.js';

const ROLLOUTS = apiResourceOf(ROLLOUT_KIND);
const MAX_BODY_BYTES = 64 * 1024;
const KEEPALIVE_MS = 20_000;
const MAX_EVENTS = 50;
const MAX_GITSYNC_VIEWS = 16;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface DashboardOptions {
  client: RestClient;
  logger: Logger;
  host: string;
  port: number;
  /** Serve under this path prefix (e.g. behind an Ingress), like Argo's --root-path. */
  rootPath?: string;
  /** Refuse every action (PUT) with 403. */
  readOnly?: boolean;
  /** The namespace the UI opens first. */
  namespace: string;
  /** Serve this namespace only (the chart's namespaced install: its Role covers no other). */
  namespaced?: boolean;
  /** Built web UI (index.html and assets); without it only the API is served. */
  uiDir?: string;
  version: string;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** grpc-gateway's error body; `code` is the gRPC code Argo's clients read. */
class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
  }
}
const notFound = (what: string) => new ApiError(404, 5, what);

/** `/a/b/` from `a/b`, `/a/b`, `/a/b/`; `/` for none. */
export function normalizeRootPath(rootPath: string | undefined): string {
  const trimmed = (rootPath ?? '').split('/').filter(Boolean).join('/');
  return trimmed ? `/${trimmed}/` : '/';
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { client, logger } = options;
  const root = normalizeRootPath(options.rootPath);
  const views = new NamespaceViews(client, (error) => logger.warn({ err: error.message }, 'watch failed'));
  const streams = new Set<ServerResponse>();
  const gitSyncViews = new Map<string, Promise<GitSyncView>>();

  async function gitSyncView(namespace: string): Promise<GitSyncView> {
    let view = gitSyncViews.get(namespace);
    if (!view) {
      if (gitSyncViews.size >= MAX_GITSYNC_VIEWS) {
        // Bounded like the rollout views: drop the oldest (its streams reconnect on their own).
        const [oldest, stale] = gitSyncViews.entries().next().value as [string, Promise<GitSyncView>];
        gitSyncViews.delete(oldest);
        void stale.then((v) => v.stop()).catch(() => {});
      }
      const created = new GitSyncView(namespace, client, (error) =>
        logger.warn({ err: error.message }, 'git-sync watch failed'),
      );
      view = created.start().then(() => created);
      gitSyncViews.set(namespace, view);
      view.catch(() => {
        created.stop();
        gitSyncViews.delete(namespace);
      });
    }
    try {
      return await view;
    } catch (error) {
      throw new ApiError(
        503,
        14,
        `cannot read the Git-sync kinds in ${namespace}: ${(error as Error).message}`,
      );
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, error));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(options.host, req.headers.host)) {
      throw new ApiError(421, 7, 'a dashboard on a loopback address answers only to localhost names');
    }
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    if (root !== '/' && (path === '/' || path === root.slice(0, -1))) {
      res.writeHead(302, { location: root }).end();
      return;
    }
    if (!path.startsWith(root)) throw notFound(`${path} is outside ${root}`);
    const rest = path.slice(root.length - 1);
    if (rest.startsWith('/api/')) {
      await api(req, res, rest, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 12, 'method not allowed');
    serveStatic(res, rest);
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    const parts = path.split('/').filter(Boolean).slice(2).map(decodeURIComponent); // drop api/v1
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      if (parts.length === 1 && parts[0] === 'version') {
        return sendJson(res, { rolloutsVersion: `slipway ${options.version}` });
      }
      if (parts.length === 1 && parts[0] === 'namespace') return sendJson(res, await namespaceInfo());
      if (parts.length === 2 && parts[0] === 'slipway' && parts[1] === 'settings') {
        return sendJson(res, { readOnly: options.readOnly === true, version: options.version });
      }
      if (parts[0] === 'slipway' && parts[1] === 'gitsync' && (parts.length === 3 || parts.length === 4)) {
        const namespace = checkNamespace(parts[2], options);
        if (parts.length === 3) {
          const [git, rollouts] = await Promise.all([gitSyncView(namespace), views.get(namespace)]);
          return sendJson(res, git.snapshot(rollouts.rollouts.list(namespace)));
        }
        if (parts[3] === 'watch') return watchGitSync(req, res, namespace);
      }
      if (parts[0] === 'slipway' && parts[1] === 'rollouts' && parts.length === 4) {
        return sendJson(res, await rolloutExtras(checkNamespace(parts[2], options), checkName(parts[3])));
      }
      if (parts[0] === 'rollouts' && parts.length >= 3) {
        const namespace = checkNamespace(parts[1], options);
        if (parts.length === 3 && parts[2] === 'info') return sendJson(res, await listInfos(namespace));
        if (parts.length === 4 && parts[2] === 'info' && parts[3] === 'watch') {
          return watch(req, res, namespace, undefined);
        }
        const name = checkName(parts[2]);
        if (parts.length === 4 && parts[3] === 'info') {
          const view = await views.get(namespace);
          const info = view.info(name, true);
          if (!info) throw notFound(`rollout.argoproj.io "${name}" not found`);
          return sendJson(res, info);
        }
        if (parts.length === 5 && parts[3] === 'info' && parts[4] === 'watch') {
          return watch(req, res, namespace, name);
        }
      }
      void url;
      throw notFound(`no API at ${path}`);
    }
    if (
      method === 'PUT' &&
      parts[0] === 'slipway' &&
      parts[1] === 'promotionpipelines' &&
      parts.length === 5
    ) {
      checkSameOrigin(req);
      if (options.readOnly) throw new ApiError(403, 7, 'the dashboard is read-only (--read-only)');
      const namespace = checkNamespace(parts[2], options);
      const name = checkName(parts[3]);
      const action = parts[4];
      if (action !== 'release' && action !== 'approve')
        throw notFound(`unknown action ${String(action).slice(0, 40)}`);
      const body = await readBody(req);
      const pipeline = await client.get<PromotionPipeline>(PROMOTION_PIPELINES, namespace, name);
      let patch: Record<string, unknown>;
      try {
        patch = pipelineActionPatch(pipeline, action, body);
      } catch (error) {
        throw new ApiError(400, 9, (error as Error).message);
      }
      const updated = await mergePatch(client, { resource: PROMOTION_PIPELINES, namespace, name }, patch, {
        resourceVersion: pipeline.metadata.resourceVersion,
      });
      logger.info({ namespace, promotionPipeline: name, action }, 'dashboard action');
      return sendJson(res, updated);
    }
    if (method === 'PUT' && parts[0] === 'rollouts' && parts.length >= 4) {
      checkSameOrigin(req);
      if (options.readOnly) throw new ApiError(403, 7, 'the dashboard is read-only (--read-only)');
      const namespace = checkNamespace(parts[1], options);
      const name = checkName(parts[2]);
      const body = await readBody(req);
      const action = actionFor(parts.slice(3), body);
      const rollout = await runAction(namespace, name, action);
      logger.info({ namespace, rollout: name, action: action.kind }, 'dashboard action');
      return sendJson(res, rollout);
    }
    throw new ApiError(405, 12, `${method} ${path} is not supported`);
  }

  async function namespaceInfo(): Promise<JsonObject> {
    let available: string[] = [];
    if (options.namespaced) return { namespace: options.namespace, availableNamespaces: [options.namespace] };
    try {
      const all = await client.list<Rollout>(ROLLOUTS, {});
      available = [...new Set(all.items.map((r) => r.metadata?.namespace ?? ''))].filter(Boolean).sort();
    } catch {
      // Without cluster-wide list rights the UI still works on the configured namespace.
    }
    return compact({ namespace: options.namespace, availableNamespaces: available });
  }

  async function listInfos(namespace: string): Promise<JsonObject> {
    const view = await views.get(namespace);
    const rollouts = view.rolloutNames().map((name) => view.info(name, false));
    return compact({ rollouts: rollouts.filter(Boolean) as JsonObject[] });
  }

  /** Conditions and recent Events, which Argo's RolloutInfo does not carry. */
  async function rolloutExtras(namespace: string, name: string): Promise<JsonObject> {
    const view = await views.get(namespace);
    const rollout = view.rollouts.get(namespace, name);
    if (!rollout) throw notFound(`rollout.argoproj.io "${name}" not found`);
    const uid = rollout.metadata?.uid ?? '';
    const related = new Set([uid]);
    for (const rs of view.replicaSets.byOwner(uid)) related.add(rs.metadata?.uid ?? '');
    for (const run of view.analysisRuns.byOwner(uid)) related.add(run.metadata?.uid ?? '');
    let events: JsonObject[] = [];
    try {
      const list = await client.list<CoreEvent & { metadata?: { uid?: string } }>(coreResources.events, {
        namespace,
      });
      events = list.items
        .filter((e) => related.has(e.involvedObject?.uid ?? ''))
        .map((e) => {
          const event = e as CoreEvent & Record<string, unknown>;
          return {
            type: event.type,
            reason: event.reason,
            message: event.message,
            count: event.count ?? 1,
            object: `${event.involvedObject?.kind}/${event.involvedObject?.name}`,
            lastTimestamp: event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp,
          };
        })
        .sort((a, b) => String(b.lastTimestamp ?? '').localeCompare(String(a.lastTimestamp ?? '')))
        .slice(0, MAX_EVENTS);
    } catch (error) {
      logger.debug({ err: (error as Error).message }, 'cannot list events');
    }
    const status = rollout.status ?? {};
    return {
      conditions: status.conditions ?? [],
      pauseConditions: status.pauseConditions ?? [],
      paused: rollout.spec.paused === true,
      abort: status.abort === true,
      currentStepIndex: status.currentStepIndex ?? null,
      revision: rollout.metadata?.annotations?.[REVISION_ANNOTATION] ?? '',
      events,
    };
  }

  async function watch(
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
    name: string | undefined,
  ): Promise<void> {
    const view = await views.get(namespace);
    if (name !== undefined && !view.rollouts.get(namespace, name)) {
      throw notFound(`rollout.argoproj.io "${name}" not found`);
    }
    const sse = (req.headers.accept ?? '').includes('text/event-stream');
    res.writeHead(200, {
      'content-type': sse ? 'text/event-stream' : 'application/json',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    const send = (result: unknown) => {
      const line = JSON.stringify({ result });
      res.write(sse ? `data: ${line}\n\n` : `${line}\n`);
    };
    const sendRollout = (rollout: string, deleted: boolean, v: NamespaceView) => {
      if (name !== undefined) {
        if (rollout !== name) return;
        const info = v.info(name, true);
        if (info) send(info);
        return;
      }
      if (deleted) {
        send({ type: 'Deleted', rolloutInfo: { objectMeta: { name: rollout, namespace } } });
        return;
      }
      const info = v.info(rollout, false);
      if (info) send({ type: 'Updated', rolloutInfo: info });
    };
    // Like Argo's informer start: everything there is, then each change.
    for (const rollout of name !== undefined ? [name] : view.rolloutNames())
      sendRollout(rollout, false, view);
    const unsubscribe = view.subscribe((rollout, deleted) => sendRollout(rollout, deleted, view));
    const keepalive = sse ? setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS) : undefined;
    streams.add(res);
    const close = () => {
      unsubscribe();
      if (keepalive) clearInterval(keepalive);
      streams.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
  }

  async function watchGitSync(req: IncomingMessage, res: ServerResponse, namespace: string): Promise<void> {
    const [git, rollouts] = await Promise.all([gitSyncView(namespace), views.get(namespace)]);
    const sse = (req.headers.accept ?? '').includes('text/event-stream');
    res.writeHead(200, {
      'content-type': sse ? 'text/event-stream' : 'application/json',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    const send = () => {
      const line = JSON.stringify({ result: git.snapshot(rollouts.rollouts.list(namespace)) });
      res.write(sse ? `data: ${line}\n\n` : `${line}\n`);
    };
    send();
    const unsubscribeGit = git.subscribe(send);
    const unsubscribeRollouts = rollouts.subscribe(() => git.changed());
    const keepalive = sse ? setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS) : undefined;
    streams.add(res);
    const close = () => {
      unsubscribeGit();
      unsubscribeRollouts();
      if (keepalive) clearInterval(keepalive);
      streams.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
  }

  async function runAction(namespace: string, name: string, action: DashboardAction): Promise<unknown> {
    // Plan on the live object (not the cache), so the patch fits what the API server holds.
    const rollout = await client.get<Rollout>(ROLLOUTS, namespace, name);
    let replicaSets: never[] | Awaited<ReturnType<typeof client.list>>['items'] = [];
    if (action.kind === 'undo') {
      replicaSets = (await client.list(coreResources.replicaSets, { namespace })).items;
    }
    const plan = planAction(action, rollout, replicaSets, new Date());
    const target = { resource: ROLLOUTS, namespace, name };
    let latest: unknown = rollout;
    if (plan.json) latest = await jsonPatch(client, target, plan.json);
    if (plan.object) latest = await mergePatch(client, target, plan.object);
    if (plan.status) latest = await patchStatus(client, target, plan.status);
    return latest;
  }

  function serveStatic(res: ServerResponse, path: string): void {
    const dir = options.uiDir;
    if (!dir || !existsSync(join(dir, 'index.html'))) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('the dashboard UI is not built (npm run build); the API is at api/v1/\n');
      return;
    }
    const base = resolve(dir);
    let file = resolve(base, `.${normalize(path === '/' ? '/index.html' : path)}`);
    if (file !== base && !file.startsWith(base + sep)) throw notFound(path);
    if (!existsSync(file) || !statSync(file).isFile()) {
      // Unknown paths get the app, which routes on the URL hash.
      file = join(base, 'index.html');
    }
    const immutable = file.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy':
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    });
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `cannot serve the dashboard on ${options.host}:${options.port}: ${error.code ?? error.message}`,
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${root}`,
    port,
    async close() {
      for (const res of streams) res.end();
      await views.stop();
      for (const view of gitSyncViews.values()) void view.then((v) => v.stop()).catch(() => {});
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

function checkNamespace(value: string | undefined, options: DashboardOptions): string {
  const namespace = checkName(value);
  if (options.namespaced && namespace !== options.namespace) {
    throw new ApiError(403, 7, `this dashboard serves namespace ${options.namespace} only`);
  }
  return namespace;
}

function checkName(value: string | undefined): string {
  if (!value || !NAME.test(value)) throw new ApiError(400, 3, `invalid name "${String(value).slice(0, 80)}"`);
  return value;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * On a loopback address only loopback Host names are served: a DNS-rebinding page (its own
 * name resolving to 127.0.0.1) would otherwise read and drive the cluster with the user's
 * kubeconfig. Other bind addresses (in-cluster, behind an Ingress) accept any Host.
 */
export function hostAllowed(bindHost: string, hostHeader: string | undefined): boolean {
  if (!LOOPBACK_NAMES.has(bindHost) && !bindHost.startsWith('127.')) return true;
  if (!hostHeader) return false;
  const name = hostHeader.startsWith('[')
    ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
    : hostHeader.split(':')[0];
  return LOOPBACK_NAMES.has(name ?? '') || (name ?? '').startsWith('127.');
}

/** Browsers send Origin on cross-site writes: refuse them, so a web page cannot drive the cluster. */
function checkSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = '';
  }
  if (host !== req.headers.host) throw new ApiError(403, 7, 'cross-origin request refused');
}

/** PUT path after `{namespace}/{name}` → the action, as rollout.proto maps them. */
export function actionFor(parts: string[], body: JsonObject): DashboardAction {
  const [verb, ...args] = parts;
  if (args.length === 0) {
    switch (verb) {
      case 'promote':
        return { kind: 'promote', full: body.full === true };
      case 'abort':
      case 'retry':
      case 'restart':
        return { kind: verb };
      case 'pause':
        return { kind: 'pause', paused: body.paused !== false };
    }
  }
  if (verb === 'set' && args.length >= 3) {
    // set/{container}/{image=**}/{tag}: the image may hold slashes (a registry path).
    const container = args[0] as string;
    const tag = args[args.length - 1] as string;
    const image = args.slice(1, -1).join('/');
    return { kind: 'setImage', container, image: `${image}:${tag}` };
  }
  if (verb === 'undo' && args.length === 1) {
    const revision = Number(args[0]);
    if (!Number.isInteger(revision) || revision < 0) {
      throw new ApiError(400, 3, `revision must be a whole number, got "${String(args[0]).slice(0, 20)}"`);
    }
    return { kind: 'undo', revision };
  }
  throw new ApiError(404, 5, `unknown action ${parts.join('/').slice(0, 100)}`);
}

async function readBody(req: IncomingMessage): Promise<JsonObject> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 3, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as JsonObject)
      : {};
  } catch {
    throw new ApiError(400, 3, 'request body is not JSON');
  }
}

function sendJson(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  res.end(JSON.stringify(body));
}

const GRPC_CODE_BY_HTTP: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 422: 3 };

function sendError(res: ServerResponse, error: unknown): void {
  let status = 500;
  let code = 2;
  let message = (error as Error)?.message ?? String(error);
  if (error instanceof ApiError) {
    status = error.httpStatus;
    code = error.grpcCode;
  } else if (error instanceof ActionInputError) {
    status = 400;
    code = 3;
  } else if (error instanceof KubeApiError) {
    // The API server's own words (e.g. forbidden, conflict), without our request line.
    status = error.statusCode === 422 ? 400 : error.statusCode;
    code = GRPC_CODE_BY_HTTP[error.statusCode] ?? 2;
    message = error.status?.message ?? message;
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: message, code, message }));
}
