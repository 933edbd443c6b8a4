// The two HTTP endpoints of the controller process, on separate ports as in Argo Rollouts:
// /healthz and /readyz (default :8080) and Prometheus /metrics (default :8090).
import { createServer, type Server } from 'node:http';
import type { ProcessMetrics } from '../metrics/registry.js';

export interface HealthState {
  /** The process is alive and its event loop turns. */
  live(): boolean;
  /** The process can do its job: connected, and caches synced if it leads. */
  ready(): boolean;
}

function listen(server: Server, host: string, port: number, what: string): Promise<Server> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve ${what} on ${host}:${port}: ${error.code ?? error.message}`)),
    );
    server.listen(port, host, () => resolveListen(server));
  });
}

export function serveHealth(state: HealthState, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const ok = path === '/healthz' ? state.live() : path === '/readyz' ? state.ready() : undefined;
    if (ok === undefined) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
  });
  return listen(server, host, port, 'health checks');
}

export function serveMetrics(
  metrics: Pick<ProcessMetrics, 'registry' | 'scrape'>,
  host: string,
  port: number,
): Promise<Server> {
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    metrics
      .scrape()
      .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
      .catch((error: Error) => res.writeHead(500).end(`${error.message}\n`));
  });
  return listen(server, host, port, 'metrics');
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}
