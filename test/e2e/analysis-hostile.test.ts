// Hostile analyses on the local cluster (issue 12, items 2 and 3): given a `slipway controller`
// process (the real CLI, default chart flags), when a namespace editor creates AnalysisRuns
// whose conditions would exhaust memory or the stack, whose regular expression backtracks
// catastrophically in a backtracking engine, and whose providers dribble, flood, answer
// malformed data or point at the metadata service, then every such run ends with phase Error
// (the regexp one answered: Failed) and a message naming the problem, while /healthz keeps
// answering and another Rollout progresses to Healthy meanwhile.
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisRun, Metric } from '../../src/api/analysis.js';
import { spawnSlipway } from './support/controller.js';
import { getJsonAsync, kubectl, tryKubectl } from './support/kubectl.js';
import { canaryRollout } from './support/manifests.js';
import { setImage, waitForPhase } from './support/rollouts.js';
import { eventually, pollUntil } from './support/wait.js';

const namespace = `analysis-hostile-${Date.now().toString(36)}`;

type Run = AnalysisRun & { metadata: { name: string } };

let hostile: http.Server;
let hostileUrl = '';
let controller: ChildProcess | undefined;
let healthPort = 0;
let controllerLog: string[] = [];
let exitCode: number | null | undefined;

/** /healthz answers seen while the hostile runs were processed: status, or the error. */
const healthAnswers: (number | string)[] = [];
let polling = false;
let poller: Promise<void> | undefined;

/** The misbehaving metric servers: dribbling, flooding, malformed. */
function startHostileServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/drip') {
      // One byte a second, for ever: only a total deadline ends this.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{');
      const timer = setInterval(() => res.write(' '), 1000);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (path === '/huge') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 10 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => {});
      pump();
      return;
    }
    if (path === '/text') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ s: `${'a'.repeat(31)}!` }));
      return;
    }
    if (path === '/api/v1/query') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {} }] } }),
      );
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ value: 10 }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function pollHealth(): Promise<void> {
  while (polling) {
    try {
      // Generous: a healthy process answers in milliseconds; the point is a loop blocked for minutes.
      const response = await fetch(`http://127.0.0.1:${healthPort}/healthz`, {
        signal: AbortSignal.timeout(15_000),
      });
      healthAnswers.push(response.status);
    } catch (error) {
      healthAnswers.push((error as Error).message);
    }
    await sleep(250);
  }
}

function apply(object: unknown): void {
  kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify(object));
}

function analysisRun(name: string, metrics: Metric[]): AnalysisRun {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: { name, namespace },
    spec: { metrics },
  };
}

/** Ends at its first Error measurement, so each case is one measurement. */
const web = (
  name: string,
  path: string,
  fields: Partial<Metric> = {},
  spec: Record<string, unknown> = {},
): Metric => ({
  name,
  consecutiveErrorLimit: 0,
  ...fields,
  provider: { web: { url: `${hostileUrl}${path}`, ...spec } },
});

function waitForRun(name: string): Promise<Run> {
  return pollUntil(
    `${name} to complete`,
    () => getJsonAsync<Run>(['analysisrun', name, '-n', namespace]),
    (run) => ['Successful', 'Failed', 'Error', 'Inconclusive'].includes(run.status?.phase ?? ''),
    120_000,
    (last) => JSON.stringify(last.status)?.slice(0, 2000) ?? '',
  );
}

function lastMeasurement(run: Run, metric: string) {
  return run.status?.metricResults?.find((r) => r.name === metric)?.measurements?.at(-1);
}

beforeAll(async () => {
  kubectl(['create', 'namespace', namespace]);
  hostile = await startHostileServer();
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  const started = await spawnSlipway([
    'controller',
    '--namespaced',
    '--namespace',
    namespace,
    '--no-leader-elect',
  ]);
  const child = started.child;
  healthPort = started.healthPort;
  controller = child;
  controllerLog = started.lines;
  child.once('exit', (code) => {
    exitCode = code;
  });
  await eventually(
    'the controller to be ready',
    async () => {
      if (exitCode !== undefined)
        throw new Error(`controller exited ${exitCode}: ${controllerLog.join('\n')}`);
      try {
        return (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
  );
  polling = true;
  poller = pollHealth();
});

afterAll(async () => {
  polling = false;
  await poller;
  controller?.kill('SIGTERM');
  await new Promise<void>((resolve) => hostile?.close(() => resolve()) ?? resolve());
  hostile?.closeAllConnections();
  tryKubectl(['delete', 'namespace', namespace, '--wait=false']);
});

describe('hostile analyses do not stop delivery', () => {
  it('hostile runs end in Error with clear messages, /healthz answers, another Rollout progresses', async () => {
    // A Rollout that must keep progressing while the hostile runs are processed.
    apply(canaryRollout(namespace, 'steady', { steps: [{ setWeight: 50 }, { pause: { duration: '2s' } }] }));
    await waitForPhase(namespace, 'steady', 'Healthy');

    const conditions = analysisRun('conditions', [
      // The 30 characters that ran a 400 MB heap out of memory.
      web('oom', '/ok', { successCondition: 'len(map(0..99999, 0..99999)) > 0' }),
      web('quantifiers', '/ok', { successCondition: 'all(0..99999, all(0..99999, true))' }),
      web('strings', '/ok', {
        successCondition: 'len(string(0..99999) + string(0..99999) + string(0..99999)) > 0',
      }),
      web('and-chain', '/ok', { successCondition: Array(2000).fill('true').join(' && ') }),
      web('member-chain', '/ok', { successCondition: `result${'.a'.repeat(20_000)} == 1` }),
      web('deep-member-chain', '/ok', { successCondition: `result${'.a'.repeat(50_000)} == 1` }),
      web('bad-regexp', '/text', { successCondition: 'result matches "(a+"' }, { jsonPath: '{$.s}' }),
    ]);
    const providers = analysisRun('providers', [
      web('dribble', '/drip', { successCondition: 'true' }, { timeoutSeconds: 3 }),
      web('flood', '/huge'),
      web('metadata', '', {}, { url: 'http://169.254.169.254/latest/meta-data/iam/' }),
      {
        name: 'malformed',
        consecutiveErrorLimit: 0,
        successCondition: 'result[0] > 0',
        provider: { prometheus: { address: hostileUrl, query: 'up' } },
      },
    ]);
    // Catastrophic backtracking in a backtracking engine; RE2 answers it at once.
    const regexp = analysisRun('regexp', [
      web('redos', '/text', { successCondition: 'result matches "^(a+)+$"' }, { jsonPath: '{$.s}' }),
    ]);
    // create, not apply: no last-applied annotation doubling the long conditions.
    for (const run of [conditions, providers, regexp]) {
      kubectl(['create', '-n', namespace, '-f', '-'], JSON.stringify(run));
    }
    setImage(namespace, 'steady', 'web:2');

    const [conditionsRun, providersRun, regexpRun] = await Promise.all([
      waitForRun('conditions'),
      waitForRun('providers'),
      waitForRun('regexp'),
    ]);
    await waitForPhase(
      namespace,
      'steady',
      'Healthy',
      (s, r) =>
        s.stableRS === s.currentPodHash && r.metadata?.annotations?.['rollout.argoproj.io/revision'] === '2',
    );

    expect(conditionsRun.status?.phase).toBe('Error');
    const expected: Record<string, string> = {
      oom: 'evaluation exceeded its budget of 300000 steps',
      quantifiers: 'evaluation exceeded its budget of 300000 steps',
      strings: 'evaluation exceeded its budget of 300000 steps',
      'and-chain': 'expression is nested too deeply: more than 200 levels',
      'member-chain': 'expression is nested too deeply: more than 200 levels',
      'deep-member-chain': 'expression is longer than 65536 characters',
      'bad-regexp': 'invalid regular expression: missing closing ): `(a+`',
    };
    for (const [metric, message] of Object.entries(expected)) {
      const measurement = lastMeasurement(conditionsRun, metric);
      expect(measurement?.phase, metric).toBe('Error');
      expect(measurement?.message, metric).toContain(message);
      expect(measurement?.message?.length ?? 0, metric).toBeLessThanOrEqual(1024);
    }

    expect(providersRun.status?.phase).toBe('Error');
    const providerMessages: Record<string, string> = {
      dribble: `GET ${hostileUrl}/drip: no complete response within 3s`,
      flood: `GET ${hostileUrl}/huge: response is larger than 1 MiB`,
      metadata:
        'address 169.254.169.254 is in the denied network 169.254.0.0/16; metric providers may not connect there',
      malformed: 'malformed Prometheus response: data.result[0].value is not a [time, "value"] pair',
    };
    for (const [metric, message] of Object.entries(providerMessages)) {
      const measurement = lastMeasurement(providersRun, metric);
      expect(measurement?.phase, metric).toBe('Error');
      expect(measurement?.message, metric).toContain(message);
    }

    expect(regexpRun.status?.phase).toBe('Failed');
    expect(lastMeasurement(regexpRun, 'redos')?.phase).toBe('Failed');

    // The whole time, the process answered its health checks and never crashed.
    polling = false;
    await poller;
    expect(healthAnswers.length).toBeGreaterThan(0);
    expect(healthAnswers.filter((answer) => answer !== 200)).toEqual([]);
    expect(exitCode).toBeUndefined();
    expect(
      controllerLog.filter((line) => /Maximum call stack|heap out of memory|TypeError/.test(line)),
    ).toEqual([]);
  });
});
