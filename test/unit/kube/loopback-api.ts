// A stand-in Kubernetes API server on loopback for unit tests, and a KubeConfig pointing at it.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface LoopbackApi {
  kubeConfig: KubeConfig;
  close(): void;
}

export async function loopbackApi(handler: RequestListener): Promise<LoopbackApi> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    // Plain http on loopback; the client library only allows it with skipTLSVerify.
    clusters: [
      {
        name: 'loopback',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'loopback' }],
    contexts: [{ name: 'loopback', cluster: 'loopback', user: 'loopback' }],
    currentContext: 'loopback',
  });
  return { kubeConfig, close: () => server.close() };
}

/** A JSON answer, e.g. a Status for a 404. */
export function json(res: Parameters<RequestListener>[1], body: unknown, statusCode = 200): void {
  res.writeHead(statusCode, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
