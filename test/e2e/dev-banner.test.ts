// `npm run dev` as a new user runs it: wait for the banner, run every command it prints, in
// order, in a fresh shell, then interrupt `npm` alone (not the process group) and check that
// everything `slipway dev` started is gone. The controller and git-sync logs must be in files,
// not on the terminal.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-paths.js';
import { eventually } from './support/wait.js';

const dataDir = mkdtempSync(join(tmpdir(), 'slipway-dev-'));
let dev: ChildProcess | undefined;
let stdout = '';
let stderr = '';

afterAll(() => {
  // Only if the test failed before stopping it: the process group of npm (ours alone).
  if (dev?.pid && dev.exitCode === null) process.kill(-dev.pid, 'SIGKILL');
});

function bash(script: string, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { encoding: 'utf8', timeout: timeoutMs }, (error, out, err) => {
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
        output: `${out}${err}`,
      });
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run dev', () => {
  it('prints commands that all work, and stops everything when npm alone is interrupted', async () => {
    dev = spawn(
      'npm',
      [
        'run',
        'dev',
        '--',
        '--data-dir',
        dataDir,
        '--nodes',
        '2',
        '--healthz-port',
        '0',
        '--metrics-port',
        '0',
        '--git-sync-healthz-port',
        '0',
        '--git-sync-metrics-port',
        '0',
      ],
      { cwd: PACKAGE_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dev.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    dev.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await eventually(
      'the banner',
      () => {
        if (dev?.exitCode !== null)
          throw new Error(`npm run dev exited ${dev?.exitCode}: ${stderr.slice(-2000)}`);
        return stdout.includes('Slipway is up') && stdout.includes('\n\n', stdout.indexOf('  export'))
          ? true
          : undefined;
      },
      600_000,
    );
    expect(stderr).toMatch(/waiting for the local control plane/);
    expect(stderr).toMatch(/running; waiting for Ctrl-C/);

    // The commands: the indented block after "Slipway is up".
    const block = stdout.slice(stdout.indexOf('  export'));
    const commands = block
      .slice(0, block.indexOf('\n\n'))
      .split('\n')
      .map((line) => line.trim());
    expect(commands[0]).toMatch(/^export KUBECONFIG=\S+ PATH=\S+:\$PATH$/);
    expect(commands.length).toBeGreaterThanOrEqual(6);
    const env = commands[0] as string;
    const outputs: string[] = [];
    for (const command of commands.slice(1)) {
      if (command.startsWith('kubectl slipway promote')) {
        // As a user would: promote once the Rollout waits at its pause step.
        await eventually(
          'the Rollout paused at the 20% step',
          async () => {
            const status = await bash(`${env}; kubectl slipway status canary-demo --watch=false`, 60_000);
            return status.output.startsWith('Paused - CanaryPauseStep') ? true : undefined;
          },
          180_000,
        );
      }
      const result = await bash(`${env}; ${command}`, 300_000);
      outputs.push(`$ ${command}\n${result.output}`);
      expect(result.code, `${command}\n${result.output}`).toBe(0);
    }
    expect(outputs.join('\n')).toMatch(/rollout "canary-demo" image updated/);
    expect(outputs.join('\n')).toMatch(/rollout 'canary-demo' promoted/);
    if (process.env.SLIPWAY_E2E_PRINT) process.stdout.write(`${stdout}\n${outputs.join('\n')}\n`);

    // Logs went to files, not to the terminal.
    expect(stdout).not.toMatch(/"component":"controller"/);
    expect(readFileSync(join(dataDir, 'logs', 'controller.log'), 'utf8')).toMatch(/"component":"controller"/);

    // Interrupt npm alone (as `kill -INT <npm pid>` would), then everything must go.
    const pids = readFileSync(join(dataDir, 'pids'), 'utf8').trim().split('\n').map(Number);
    const interruptedAt = Date.now();
    process.kill(dev.pid as number, 'SIGINT');
    await eventually(
      'every process of slipway dev to exit',
      () => (pids.every((p) => !alive(p)) ? true : undefined),
      60_000,
    );
    await eventually(
      'npm to exit',
      () => (dev?.exitCode !== null || dev?.signalCode !== null ? true : undefined),
      60_000,
    );
    await eventually(
      'slipway dev to say it stopped',
      () => (stderr.includes('[slipway dev] stopped') ? true : undefined),
      30_000,
    );
    if (process.env.SLIPWAY_E2E_PRINT) {
      process.stdout.write(`stopped ${Date.now() - interruptedAt} ms after SIGINT to npm\n`);
    }
    expect(existsSync(join(dataDir, 'logs', 'kube-apiserver.log'))).toBe(true);
  }, 1_800_000);
});
