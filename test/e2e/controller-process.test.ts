// Given the local cluster, when two `slipway controller` processes start with leader election,
// then one leads, both serve health and metrics, JSON logs go to stdout, and SIGTERM on the
// leader releases the Lease so the standby takes over at once.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-paths.js';
import { type SlipwayProcess, spawnSlipway } from './support/controller.js';
import { getJson, kubectl } from './support/kubectl.js';

const SLIPWAY = join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js');
const namespace = `controller-${Date.now().toString(36)}`;

type Controller = SlipwayProcess;

function startController(): Promise<Controller> {
  // Namespaced: other e2e files run beside this one, and a cluster-wide controller would
  // reconcile their Rollouts too.
  return spawnSlipway([
    'controller',
    '--namespaced',
    '--namespace',
    namespace,
    '--leader-election-namespace',
    namespace,
  ]);
}

async function httpStatus(port: number, path: string): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
  } catch {
    return 0;
  }
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(200);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

function leaseHolder(): string | undefined {
  try {
    return (
      getJson<{ spec?: { holderIdentity?: string } }>(['lease', 'slipway-controller-lock', '-n', namespace])
        .spec?.holderIdentity || undefined
    );
  } catch {
    return undefined;
  }
}

function identityOf(controller: Controller): string | undefined {
  for (const line of controller.stdout) {
    const entry = JSON.parse(line) as { msg?: string; identity?: string };
    if (entry.msg === 'campaigning for leadership') return entry.identity;
  }
  return undefined;
}

const started: Controller[] = [];
afterAll(() => {
  for (const c of started) c.child.kill('SIGKILL');
});

describe('slipway controller process', () => {
  it('rejects bad flags with one line naming the flag', () => {
    const result = spawnSync(process.execPath, [SLIPWAY, 'controller', '--metrics-port', 'ninety'], {
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('--metrics-port');
  });

  it('says which kubeconfig it cannot read', () => {
    const result = spawnSync(
      process.execPath,
      [SLIPWAY, 'controller', '--kubeconfig', '/nonexistent/kubeconfig'],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^slipway: kubeconfig \/nonexistent\/kubeconfig: /);
  });

  it('elects one leader, serves health and metrics, and hands over on SIGTERM', async () => {
    kubectl(['create', 'namespace', namespace]);
    const first = await startController();
    const second = await startController();
    started.push(first, second);

    for (const c of [first, second]) {
      await eventually('/healthz', async () =>
        (await httpStatus(c.healthPort, '/healthz')) === 200 ? true : undefined,
      );
      await eventually('/readyz', async () =>
        (await httpStatus(c.healthPort, '/readyz')) === 200 ? true : undefined,
      );
    }
    const holder = await eventually('a lease holder', leaseHolder);
    const leader = identityOf(first) === holder ? first : second;
    const standby = leader === first ? second : first;
    expect([identityOf(first), identityOf(second)]).toContain(holder);

    const metrics = await (await fetch(`http://127.0.0.1:${leader.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/controller_clientset_k8s_request_total\{kind="leases",[^}]*verb="Get"/);
    expect(metrics).toContain('process_resident_memory_bytes');
    for (const line of leader.stdout) expect(() => JSON.parse(line)).not.toThrow();

    leader.child.kill('SIGTERM');
    expect(await leader.exited).toBe(0);
    const takeoverStarted = Date.now();
    const newHolder = await eventually('the standby to take the lease', () => {
      const h = leaseHolder();
      return h && h !== holder ? h : undefined;
    });
    expect(newHolder).toBe(identityOf(standby));
    // Released, not expired: the standby needs at most one retry period (2 s, jittered).
    expect(Date.now() - takeoverStarted).toBeLessThan(8_000);

    standby.child.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
  });
});
