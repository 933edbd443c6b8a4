// Runs `slipway controller` (the built CLI, as users run it) against the e2e cluster on
// ephemeral loopback ports. A child process, not the test process: the tests' synchronous
// kubectl calls would otherwise stall the controller's event loop, and under heavy machine
// load that changed what the controller did (timeouts, late requeues).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, inject } from 'vitest';
import { freePort } from '../../../src/localcluster/control-plane.js';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';
import { kubectl } from './kubectl.js';

export const SLIPWAY_CLI = join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js');

export interface TestController {
  /** The controller's /metrics, in Prometheus' text format. */
  metricsText(): Promise<string>;
  /** Where its JSON log goes (SLIPWAY_E2E_LOGLEVEL=debug for more). */
  logPath: string;
  /** SIGTERM, then wait for the process to exit (SIGKILL after 15 s). */
  shutdown(): Promise<void>;
}

export { freePort };

/**
 * The controller's requests on `kind` (e.g. rollouts, replicasets, experiments; with their
 * /status) by HTTP status code, from its own request counter on /metrics.
 */
export async function requestsByCode(
  controller: TestController,
  kind: string,
): Promise<Record<string, number>> {
  const byCode: Record<string, number> = {};
  for (const line of (await controller.metricsText()).split('\n')) {
    if (!line.startsWith('controller_clientset_k8s_request_total{') || !line.includes(`kind="${kind}"`))
      continue;
    const code = /status_code="(\d+)"/.exec(line)?.[1] ?? '?';
    byCode[code] = (byCode[code] ?? 0) + Number(line.split(' ').pop());
  }
  return byCode;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

export interface SlipwayProcess {
  child: ChildProcess;
  healthPort: number;
  metricsPort: number;
  /** Lines of its stdout (its JSON log). */
  stdout: string[];
  /** Lines of its stdout and stderr. */
  lines: string[];
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * `slipway <args>` (the built CLI) as a pod would run it, with only what a pod gets from
 * elsewhere: a kubeconfig (the e2e cluster's unless given) and loopback ports.
 */
export async function spawnSlipway(
  args: string[],
  options: { kubeconfig?: string; env?: Record<string, string>; keepLines?: boolean } = {},
): Promise<SlipwayProcess> {
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      SLIPWAY_CLI,
      ...args,
      '--kubeconfig',
      options.kubeconfig ?? inject('kubeconfig'),
      '--bind-address',
      '127.0.0.1',
      '--healthz-port',
      String(healthPort),
      '--metrics-port',
      String(metricsPort),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  const stdout: string[] = [];
  const lines: string[] = [];
  const split = (chunk: Buffer) => chunk.toString().split('\n').filter(Boolean);
  if (options.keepLines !== false) {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout.push(...split(chunk));
      lines.push(...split(chunk));
    });
    child.stderr?.on('data', (chunk: Buffer) => lines.push(...split(chunk)));
  }
  const exited = new Promise<number | null>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode);
    else child.once('exit', (code) => done(code));
  });
  return { child, healthPort, metricsPort, stdout, lines, exited };
}

/** A controller for `namespace` only, or for the whole cluster when `namespace` is undefined. */
export async function startTestController(namespace: string | undefined): Promise<TestController> {
  const logDir = join(tmpdir(), 'slipway-e2e-logs');
  mkdirSync(logDir, { recursive: true });
  const { child, healthPort, metricsPort, exited } = await spawnSlipway(
    [
      'controller',
      ...(namespace ? ['--namespaced', '--namespace', namespace] : []),
      '--no-leader-elect',
      // One Rollout goes through many scenarios here, and the tests read every Event reason.
      '--no-event-spam-filter',
      '--loglevel',
      process.env.SLIPWAY_E2E_LOGLEVEL === 'debug' ? 'debug' : 'info',
    ],
    { keepLines: false },
  );
  const logPath = join(logDir, `controller-${namespace ?? 'cluster'}-${process.pid}-${healthPort}.log`);
  const log = createWriteStream(logPath);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  // Generous: with e2e files in parallel and the machine saturated (a CPU burner at twice the
  // core count), a cluster-wide controller's start and cache sync took over 60 s.
  const deadline = Date.now() + 120_000;
  while (!(await httpOk(`http://127.0.0.1:${healthPort}/healthz`))) {
    if (child.exitCode !== null) {
      throw new Error(`slipway controller exited with ${child.exitCode} before serving; see ${logPath}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`slipway controller did not serve /healthz within 120 s; see ${logPath}`);
    }
    await sleep(100);
  }

  return {
    logPath,
    metricsText: async () => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      return response.text();
    },
    shutdown: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * A fresh namespace with a controller for it, for the whole test file: created before the
 * first test (after `setup`, e.g. templates the controller should find), stopped after the last.
 */
export function useController(
  prefix: string,
  setup: (namespace: string) => void = () => {},
): { namespace: string; controller: () => TestController } {
  const namespace = `${prefix}-${Date.now().toString(36)}`;
  let controller: TestController | undefined;
  beforeAll(async () => {
    kubectl(['create', 'namespace', namespace]);
    setup(namespace);
    controller = await startTestController(namespace);
  });
  afterAll(async () => {
    await controller?.shutdown();
  });
  return {
    namespace,
    controller: () => {
      if (!controller) throw new Error(`the controller for ${namespace} has not started`);
      return controller;
    },
  };
}

/** useController, for files that only need the namespace. */
export function useControllerNamespace(
  prefix: string,
  setup: (namespace: string) => void = () => {},
): string {
  return useController(prefix, setup).namespace;
}
