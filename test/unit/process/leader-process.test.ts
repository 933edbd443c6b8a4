// The one start-up path: every controller of a process gets the same informer caches for the
// term, health says ready once each has synced, and shutdown stops the controllers, then the caches.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControllerContext, ControllerFactory } from '../../../src/kube/controller.js';
import { startLeaderProcess } from '../../../src/process/leader-process.js';

let api: Server | undefined;

afterEach(() => {
  api?.close();
  api = undefined;
});

/** A stand-in API server that only answers GET /version (the start-up check). */
async function fakeApi(): Promise<KubeConfig> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/version') res.end(JSON.stringify({ major: '1', minor: '35' }));
    else res.writeHead(404).end(JSON.stringify({ kind: 'Status', code: 404, message: 'not found' }));
  });
  api = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    // Plain http on loopback; the client library only allows it with skipTLSVerify.
    clusters: [
      {
        name: 'fake',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'fake' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return kubeConfig;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('startLeaderProcess', () => {
  it('starts every controller with one set of caches, reports ready when all synced, and stops them in order', async () => {
    const contexts: ControllerContext[] = [];
    const log: string[] = [];
    let synced = false;
    const factory = (name: string): ControllerFactory => ({
      name,
      async start(ctx) {
        contexts.push(ctx);
        log.push(`start ${name}`);
        return {
          hasSynced: () => synced,
          stop: async () => {
            log.push(`stop ${name}`);
          },
        };
      },
    });
    const proc = await startLeaderProcess({
      component: 'test',
      kubeConfig: await fakeApi(),
      logger: pino({ level: 'silent' }),
      leaderElection: false,
      leaderElectionNamespace: 'default',
      leaseName: 'test-lock',
      bindAddress: '127.0.0.1',
      healthPort: 0,
      metricsPort: 0,
      controllers: [factory('first'), factory('second')],
    });
    try {
      await until(() => contexts.length === 2);
      expect(log).toEqual(['start first', 'start second']);
      expect(contexts[0]?.caches).toBe(contexts[1]?.caches);
      expect(proc.isLeader()).toBe(true);
      const readyz = async () => (await fetch(`http://127.0.0.1:${proc.ports.health}/readyz`)).status;
      expect(await readyz()).toBe(503);
      synced = true;
      expect(await readyz()).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${proc.ports.metrics}/metrics`)).text();
      expect(metrics).toContain('argo_rollouts_controller_info');
    } finally {
      await proc.shutdown();
    }
    expect(log).toEqual(['start first', 'start second', 'stop first', 'stop second']);
    expect(contexts[0]?.signal.aborted).toBe(true);
    // The term's caches ended with it.
    expect(() =>
      contexts[0]?.caches.informer({
        group: '',
        version: 'v1',
        plural: 'pods',
        kind: 'Pod',
        namespaced: true,
      }),
    ).toThrow(/after stop/);
  });

  it('says in one line when the API cannot be reached', async () => {
    const kubeConfig = await fakeApi();
    api?.close();
    await expect(
      startLeaderProcess({
        component: 'test',
        kubeConfig,
        logger: pino({ level: 'silent' }),
        leaderElection: false,
        leaderElectionNamespace: 'default',
        leaseName: 'test-lock',
        bindAddress: '127.0.0.1',
        healthPort: 0,
        metricsPort: 0,
        controllers: [],
      }),
    ).rejects.toThrow(/cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:\d+/);
  });
});
