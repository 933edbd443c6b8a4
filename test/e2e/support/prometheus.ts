// A real Prometheus server for provider tests: the Debian package's binary (installed with
// apt-get when absent and we are root, as on CI), started on 127.0.0.1 and a free port with a
// throwaway config that scrapes the targets a test serves every second, and stopped by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../../src/localcluster/control-plane.js';
import { ensureDebianBinary } from './debian.js';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

/** The prometheus binary, installing the Debian package first when it is missing (root only). */
export function ensurePrometheus(log?: (line: string) => void): string {
  return ensureDebianBinary(PROMETHEUS_BINARY, 'prometheus', log);
}

export { freePort };

export interface PrometheusServer {
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  /** Resolves once `query` returns at least one sample (the first scrapes have landed). */
  waitForSeries(query: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` targets, scraped at /metrics. */
  targets: string[];
  jobName?: string;
  scrapeIntervalSeconds?: number;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = ensurePrometheus();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    `  - job_name: ${JSON.stringify(options.jobName ?? 'slipway-e2e')}`,
    '    static_configs:',
    `      - targets: ${JSON.stringify(options.targets)}`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${binary}`);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(pid, 'SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
      if (timedOut) process.kill(pid, 'SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}: ${output}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready within 30s: ${output}`);
    }
    await sleep(100);
  }

  return {
    url,
    pid,
    async waitForSeries(query, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
        const body = (await response.json()) as { data?: { result?: unknown[] } };
        if ((body.data?.result?.length ?? 0) > 0) return;
        if (Date.now() > until) throw new Error(`no samples for ${query} within ${timeoutMs} ms`);
        await sleep(250);
      }
    },
    stop,
  };
}

export interface MetricsTarget {
  /** `127.0.0.1:<port>`, for PrometheusOptions.targets. */
  target: string;
  stop(): Promise<void>;
}

/**
 * Serves fixed metrics text at /metrics from a child process. Not from the test process: its
 * synchronous kubectl calls can hold the event loop past Prometheus' 1 s scrape timeout under
 * heavy load, and one failed scrape marks every series stale, so a query in that moment finds
 * nothing (seen as a run Failed with no measurement value).
 */
export async function serveMetricsText(text: string): Promise<MetricsTarget> {
  const port = await freePort();
  const script = [
    'const body = process.env.METRICS_TEXT;',
    "require('node:http').createServer((req, res) => {",
    "  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });",
    '  res.end(body);',
    `}).listen(${port}, '127.0.0.1', () => process.stdout.write('listening\\n'));`,
  ].join('\n');
  const child = spawn(process.execPath, ['-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, METRICS_TEXT: text },
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`metrics target exited with ${code}`)));
    child.stdout?.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  return {
    target: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
