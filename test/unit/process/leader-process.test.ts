// The one start-up path: every controller of a process gets the same informer caches for the
// term, health says ready once each has synced, and shutdown stops the controllers, then the caches.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControllerContext, ControllerFactory } from '../../../src/kube/controller.js';
import { startControllerProcess } from '../../../src/process/controller-process.js';
import { type LeaderProcessOptions, startLeaderProcess } from '../../../src/process/leader-process.js';
import { json, type LoopbackApi, loopbackApi } from '../kube/loopback-api.js';

let api: LoopbackApi | undefined;

afterEach(() => {
  api?.close();
  api = undefined;
});

/** A process without leader election against an API server that only answers GET /version. */
async function options(controllers: ControllerFactory[]): Promise<LeaderProcessOptions> {
  api = await loopbackApi((req, res) => {
    if (req.url === '/version') json(res, { major: '1', minor: '35' });
    else json(res, { kind: 'Status', code: 404, message: 'not found' }, 404);
  });
  return {
    component: 'test',
    kubeConfig: api.kubeConfig,
    logger: pino({ level: 'silent' }),
    leaderElection: false,
    leaderElectionNamespace: 'default',
    leaseName: 'test-lock',
    bindAddress: '127.0.0.1',
    healthPort: 0,
    metricsPort: 0,
    controllers,
  };
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
    const proc = await startLeaderProcess(await options([factory('first'), factory('second')]));
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

  it('with a loader, campaigns first and loads the controllers only once the Lease is held', async () => {
    const seen: string[] = [];
    let seenWhenLoaded: string[] | undefined;
    let loads = 0;
    api = await loopbackApi((req, res) => {
      seen.push(`${req.method} ${req.url?.split('?')[0]}`);
      if (req.url === '/version') return json(res, { major: '1', minor: '35' });
      if (req.method === 'GET' && req.url?.includes('/leases/'))
        return json(res, { kind: 'Status', code: 404, reason: 'NotFound', message: 'not found' }, 404);
      if (req.method === 'POST' && req.url?.includes('/leases')) {
        let body = '';
        req.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        req.on('end', () => {
          const lease = JSON.parse(body) as { metadata: Record<string, unknown> };
          json(res, { ...lease, metadata: { ...lease.metadata, resourceVersion: '1' } }, 201);
        });
        return;
      }
      json(res, { kind: 'Status', code: 404, message: 'not found' }, 404);
    });
    let started = false;
    const proc = await startLeaderProcess({
      component: 'test',
      kubeConfig: api.kubeConfig,
      logger: pino({ level: 'silent' }),
      leaderElection: true,
      leaderElectionNamespace: 'default',
      leaseName: 'test-lock',
      bindAddress: '127.0.0.1',
      healthPort: 0,
      metricsPort: 0,
      controllers: async () => {
        loads += 1;
        seenWhenLoaded = [...seen];
        return [
          {
            name: 'lazy',
            async start() {
              started = true;
              return { hasSynced: () => true, stop: async () => {} };
            },
          },
        ];
      },
    });
    try {
      await until(() => started);
      expect(proc.isLeader()).toBe(true);
      expect(loads).toBe(1);
      expect(seenWhenLoaded).toContain('POST /apis/coordination.k8s.io/v1/namespaces/default/leases');
    } finally {
      await proc.shutdown();
    }
  });

  it('says in one line when the API cannot be reached', async () => {
    const unreachable = await options([]);
    api?.close();
    await expect(startLeaderProcess(unreachable)).rejects.toThrow(
      /cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  it("`slipway controller` filters Event spam as Argo Rollouts' client-go recorder does, unless told not to", async () => {
    const eventWrites = async (eventSpamFilter: boolean | undefined) => {
      let posts = 0;
      let events: ControllerContext['events'] | undefined;
      const local = await loopbackApi((req, res) => {
        if (req.url === '/version') return json(res, { major: '1', minor: '35' });
        if (req.method === 'POST' && req.url === '/api/v1/namespaces/shop/events') {
          posts += 1;
          let body = '';
          req.on('data', (chunk) => {
            body += chunk;
          });
          req.on('end', () => json(res, JSON.parse(body), 201));
          return;
        }
        json(res, { kind: 'Status', code: 404, message: 'not found' }, 404);
      });
      const proc = await startControllerProcess({
        kubeConfig: local.kubeConfig,
        logger: pino({ level: 'silent' }),
        leaderElection: false,
        leaderElectionNamespace: 'default',
        bindAddress: '127.0.0.1',
        healthPort: 0,
        metricsPort: 0,
        controllers: [
          {
            name: 'events',
            async start(ctx) {
              events = ctx.events;
              return { hasSynced: () => true, stop: async () => {} };
            },
          },
        ],
        ...(eventSpamFilter !== undefined ? { eventSpamFilter } : {}),
      });
      try {
        await until(() => events !== undefined);
        const rollout = {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          metadata: { name: 'web', namespace: 'shop', uid: 'uid-web' },
        };
        for (let i = 0; i < 30; i++) await events?.normal(rollout, `Reason${i}`, 'message');
        return posts;
      } finally {
        await proc.shutdown();
        local.close();
      }
    };
    expect(await eventWrites(undefined)).toBe(25);
    expect(await eventWrites(false)).toBe(30);
  });
});
