// The kubectl plugin against real Rollouts on the local cluster, run as a user runs it:
// `kubectl slipway ...`, found by kubectl on PATH (the plugin mechanism), with the Slipway
// controller reconciling. Outputs are checked for Argo's layout, exit codes for Argo's.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-paths.js';
import { useControllerNamespace } from './support/controller.js';
import { getJson, patch } from './support/kubectl.js';
import { getRollout, waitForPhase, waitForRollout } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const name = 'cli-demo';
const namespace = useControllerNamespace('cli');
const work = mkdtempSync(join(tmpdir(), 'slipway-cli-'));

// The plugin as `npm install -g` or the dev banner puts it on PATH: an executable named
// kubectl-slipway that kubectl finds.
const binDir = join(work, 'bin');
mkdirSync(binDir, { recursive: true });
const shim = join(binDir, 'kubectl-slipway');
writeFileSync(
  shim,
  `#!/bin/sh\nexec "${process.execPath}" "${join(PACKAGE_ROOT, 'dist', 'cmd', 'kubectl-slipway.js')}" "$@"\n`,
);
chmodSync(shim, 0o755);
const completeShim = join(binDir, 'kubectl_complete-slipway');
writeFileSync(
  completeShim,
  `#!/bin/sh\nexec "${process.execPath}" "${join(PACKAGE_ROOT, 'dist', 'cmd', 'kubectl_complete-slipway.js')}" "$@"\n`,
);
chmodSync(completeShim, 0o755);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kubectl slipway ARGS -n NAMESPACE`, asynchronously: the controller runs in this process. */
function slipway(args: string[], options: { timeoutMs?: number; namespaced?: boolean } = {}): Promise<Run> {
  const full = ['slipway', ...args, ...(options.namespaced === false ? [] : ['-n', namespace])];
  return new Promise((resolve) => {
    execFile(
      inject('kubectl'),
      full,
      {
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 60_000,
        env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, KUBECONFIG: inject('kubeconfig') },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const manifest = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name },
  spec: {
    replicas: 5,
    revisionHistoryLimit: 3,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        initContainers: [{ name: 'init', image: 'busybox:1.36' }],
        containers: [{ name: 'app', image: 'nginx:1.26', ports: [{ containerPort: 80 }] }],
      },
    },
    strategy: {
      canary: {
        steps: [
          { setWeight: 20 },
          { pause: {} },
          { setWeight: 40 },
          { pause: {} },
          { setWeight: 60 },
          { setWeight: 80 },
        ],
      },
    },
  },
};

const file = (fileName: string, content: unknown) => {
  const path = join(work, fileName);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

const pausedAtStep = (step: number) => (r: ReturnType<typeof getRollout>) =>
  r.status?.phase === 'Paused' && r.status.currentStepIndex === step;

describe('kubectl slipway against a canary Rollout', () => {
  it('create -f makes the Rollout; status waits for Healthy and exits 0', async () => {
    const created = await slipway(['create', '-f', file('rollout.json', manifest)]);
    expect(created, created.stderr).toMatchObject({
      code: 0,
      stdout: `rollout.argoproj.io/${name} created\n`,
    });
    const status = await slipway(['status', name, '--timeout', '120s'], { timeoutMs: 150_000 });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout.trim().split('\n').at(-1)).toBe('Healthy');
  }, 300_000);

  it('set image changes a container and an init container by name', async () => {
    const init = await slipway(['set', 'image', name, 'init=busybox:1.37']);
    expect(init, init.stderr).toMatchObject({ code: 0, stdout: `rollout "${name}" image updated\n` });
    const app = await slipway(['set', 'image', name, 'app=nginx:1.27']);
    expect(app.stdout).toBe(`rollout "${name}" image updated\n`);
    const spec = getRollout(namespace, name).spec.template?.spec as {
      containers: { image: string; ports?: unknown[] }[];
      initContainers: { image: string }[];
    };
    expect(spec.initContainers[0]?.image).toBe('busybox:1.37');
    expect(spec.containers[0]?.image).toBe('nginx:1.27');
    // The CRD defaults the protocol, as Argo's does.
    expect(spec.containers[0]?.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    const missing = await slipway(['set', 'image', name, 'nope=x:1']);
    expect(missing).toMatchObject({ code: 1, stderr: 'Error: unable to find container named "nope"\n' });
  }, 300_000);

  it('get rollout draws the revision tree mid-canary, in Argo layout', async () => {
    await waitForRollout(namespace, name, 'paused at step 1', pausedAtStep(1));
    const ro = getRollout(namespace, name);
    // Wait for the pods to settle so the tree shows 1 canary and 4 stable pods.
    const get = await eventually('a settled tree', async () => {
      const run = await slipway(['get', 'rollout', name, '--no-color']);
      return (run.stdout.match(/□ .*✔ Running/g) ?? []).length === 5 && !run.stdout.includes('Terminating')
        ? run
        : undefined;
    });
    if (process.env.SLIPWAY_E2E_PRINT) process.stdout.write(`\n${get.stdout}\n`);
    const lines = get.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      `Name:            ${name}`,
      `Namespace:       ${namespace}`,
      'Status:          ॥ Paused',
      'Message:         CanaryPauseStep',
      'Strategy:        Canary',
      '  Step:          1/6',
      '  SetWeight:     20',
      '  ActualWeight:  20',
    ]);
    expect(get.stdout).toContain(
      'Images:          nginx:1.26 (stable)\n                 nginx:1.27 (canary)\n',
    );
    expect(get.stdout).toMatch(/\nNAME +KIND +STATUS +AGE +INFO\n/);
    // The age is `2m35s` once the machine is slow enough for the Rollout to be a minute old.
    expect(get.stdout).toMatch(new RegExp(`⟳ ${name} +Rollout +॥ Paused +(\\d+[dhms])+\\b`));
    expect(get.stdout).toMatch(
      new RegExp(
        `├──# revision:3 *\\n│  └──⧉ ${name}-${ro.status?.currentPodHash} +ReplicaSet +✔ Healthy .* canary\\n│     └──□ `,
      ),
    );
    expect(get.stdout).toMatch(/ready:1\/1/);
    expect(get.stdout).toMatch(
      new RegExp(`⧉ ${name}-${ro.status?.stableRS} +ReplicaSet +✔ Healthy .* stable`),
    );
    const colored = await slipway(['get', 'rollout', name]);
    expect(colored.stdout).toContain('\x1b[33mcanary\x1b[0m');
  }, 300_000);

  it('get rollout --watch redraws in place until --timeout-seconds', async () => {
    // The deadline starts before the first draw; 3 s gave one frame only when a saturated machine
    // made a draw take that long.
    const watch = await slipway(['get', 'rollout', name, '--watch', '--no-color', '--timeout-seconds', '10']);
    expect(watch.code, watch.stderr).toBe(0);
    const frames = watch.stdout.split('\x1b[H\x1b[2J\x1b[0;0H').filter((f) => f !== '');
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const frame of frames) expect(frame).toMatch(new RegExp(`^Name: +${name}\\n`));
  }, 300_000);

  it('list rollouts and status print Argo tables and lines; status exits 1 on timeout', async () => {
    const list = await slipway(['list', 'rollouts']);
    expect(list.stdout.split('\n')[0]).toMatch(
      /^NAME +STRATEGY +STATUS +STEP +SET-WEIGHT +READY +DESIRED +UP-TO-DATE +AVAILABLE$/,
    );
    expect(list.stdout).toMatch(new RegExp(`\\n${name} +Canary +Paused +1/6 +20 +\\d/\\d +5 +`));
    const all = await slipway(['list', 'rollouts', '-A'], { namespaced: false });
    expect(all.stdout).toMatch(new RegExp(`\\n${namespace} +${name} +Canary +Paused`));
    const once = await slipway(['status', name, '--watch=false']);
    expect(once).toMatchObject({ code: 0, stdout: 'Paused - CanaryPauseStep\n' });
    const timeout = await slipway(['status', name, '--timeout', '2s']);
    expect(timeout).toMatchObject({
      code: 1,
      stdout: 'Paused - CanaryPauseStep\n',
      stderr: 'Error: Rollout status watch exceeded timeout\n',
    });
    const none = await slipway(['get', 'rollout', 'no-such-rollout']);
    expect(none).toMatchObject({
      code: 1,
      stderr: 'Error: rollouts.argoproj.io "no-such-rollout" not found\n',
    });
  }, 300_000);

  it('promote moves one step; --skip-current-step skips a pause; --full finishes', async () => {
    const promoted = await slipway(['promote', name]);
    expect(promoted).toMatchObject({ code: 0, stdout: `rollout '${name}' promoted\n` });
    await waitForRollout(namespace, name, 'paused at step 3', pausedAtStep(3));
    const skipped = await slipway(['promote', name, '--skip-current-step']);
    expect(skipped.code, skipped.stderr).toBe(0);
    await waitForRollout(namespace, name, 'past step 3', (r) => (r.status?.currentStepIndex ?? 0) >= 4);
    const full = await slipway(['promote', name, '--full']);
    expect(full).toMatchObject({ code: 0, stdout: `rollout '${name}' fully promoted\n` });
    const status = await slipway(['status', name, '--timeout', '120s'], { timeoutMs: 150_000 });
    expect(status.code, status.stderr).toBe(0);
  }, 300_000);

  it('abort makes it Degraded (status exits 1 with the message); retry resumes', async () => {
    await slipway(['set', 'image', name, 'app=nginx:1.28']);
    await waitForRollout(namespace, name, 'paused at step 1', pausedAtStep(1));
    const aborted = await slipway(['abort', name]);
    expect(aborted).toMatchObject({ code: 0, stdout: `rollout '${name}' aborted\n` });
    await waitForPhase(namespace, name, 'Degraded');
    const status = await slipway(['status', name, '--watch=false']);
    expect(status.code).toBe(1);
    expect(status.stdout).toBe('Degraded\n');
    expect(status.stderr).toMatch(
      /^Error: The rollout is in a degraded state with message: RolloutAborted: /,
    );
    const retried = await slipway(['retry', 'rollout', name]);
    expect(retried).toMatchObject({ code: 0, stdout: `rollout '${name}' retried\n` });
    await waitForRollout(namespace, name, 'paused at step 1 again', pausedAtStep(1));
  }, 300_000);

  it('list rollouts --watch prints a line when a row changes, until interrupted', async () => {
    const child = spawn(inject('kubectl'), ['slipway', 'list', 'rollouts', '--watch', '-n', namespace], {
      env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, KUBECONFIG: inject('kubeconfig') },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually('the table', () => (out.includes(`\n${name} `) ? true : undefined));
      await slipway(['promote', name]);
      await eventually('a changed row', () =>
        (out.match(new RegExp(`\\n${name} `, 'g')) ?? []).length >= 2 ? true : undefined,
      );
      expect(out.split('\n')[0]).toMatch(/^NAME +STRATEGY +STATUS /);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 300_000);

  it('pause, restart --in and undo --to-revision send what Argo sends', async () => {
    const paused = await slipway(['pause', name]);
    expect(paused).toMatchObject({ code: 0, stdout: `rollout '${name}' paused\n` });
    expect(getRollout(namespace, name).spec.paused).toBe(true);
    const restart = await slipway(['restart', name, '--in', '1h']);
    expect(restart).toMatchObject({ code: 0, stdout: `rollout '${name}' restarts in 1h\n` });
    const restartAt = Date.parse(getRollout(namespace, name).spec.restartAt ?? '');
    expect(restartAt).toBeGreaterThan(Date.now() + 50 * 60_000);
    patch('rollout', name, namespace, [{ op: 'remove', path: '/spec/restartAt' }], {
      type: 'json',
    });
    const bad = await slipway(['undo', name, '--to-revision', '99']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: unable to find specified revision 99 in history/);
    const revisions = getJson<{ items: { metadata: { annotations: Record<string, string> } }[] }>([
      'replicasets',
      '-n',
      namespace,
      '-l',
      `app=${name}`,
    ]).items.map((rs) => Number(rs.metadata.annotations['rollout.argoproj.io/revision']));
    const oldest = Math.min(...revisions);
    const undo = await slipway(['undo', name, '--to-revision', String(oldest)]);
    expect(undo).toMatchObject({ code: 0, stdout: `rollout '${name}' undo\n` });
    const spec = getRollout(namespace, name).spec.template?.spec as { containers: { image: string }[] };
    expect(spec.containers[0]?.image).not.toBe('nginx:1.28');
  }, 300_000);
});

describe('kubectl slipway on AnalysisRuns and Experiments', () => {
  it('create analysisrun --from-file, then terminate analysisrun', async () => {
    const template = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'slow-check' },
      spec: {
        args: [{ name: 'url' }],
        metrics: [
          {
            name: 'check',
            interval: '1h',
            count: 2,
            successCondition: 'true',
            provider: { web: { url: '{{args.url}}' } },
          },
        ],
      },
    };
    const created = await slipway([
      'create',
      'analysisrun',
      '--from-file',
      file('template.json', template),
      '--name',
      'slow-check-1',
      '-a',
      'url=http://127.0.0.1:9/',
    ]);
    expect(created).toMatchObject({ code: 0, stdout: 'analysisrun.argoproj.io/slow-check-1 created\n' });
    const run = getJson<{ spec: { args: { name: string; value: string }[] } }>([
      'analysisrun',
      'slow-check-1',
      '-n',
      namespace,
    ]);
    expect(run.spec.args).toEqual([{ name: 'url', value: 'http://127.0.0.1:9/' }]);
    const missingArg = await slipway(['create', 'analysisrun', '--from-file', join(work, 'template.json')]);
    expect(missingArg).toMatchObject({ code: 1, stderr: 'Error: args.url was not resolved\n' });
    const terminated = await slipway(['terminate', 'analysisrun', 'slow-check-1']);
    expect(terminated).toMatchObject({ code: 0, stdout: "analysisRun 'slow-check-1' terminated\n" });
    expect(
      getJson<{ spec: { terminate?: boolean } }>(['analysisrun', 'slow-check-1', '-n', namespace]).spec
        .terminate,
    ).toBe(true);
  }, 300_000);

  it('list, get, terminate and retry an Experiment', async () => {
    const experiment = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Experiment',
      metadata: { name: 'exp-1' },
      spec: {
        duration: '1h',
        templates: [
          {
            name: 'baseline',
            replicas: 1,
            selector: { matchLabels: { app: 'exp-1' } },
            template: {
              metadata: { labels: { app: 'exp-1' } },
              spec: { containers: [{ name: 'a', image: 'nginx:1.26' }] },
            },
          },
        ],
      },
    };
    const created = await slipway(['create', '-f', file('experiment.json', experiment)]);
    expect(created).toMatchObject({ code: 0, stdout: 'experiment.argoproj.io/exp-1 created\n' });
    const list = await slipway(['list', 'experiments']);
    // REMAINING is `-` until the Experiment controller marks it available, then counts down.
    expect(list.stdout).toMatch(/^NAME +STATUS +DURATION +REMAINING +AGE\nexp-1 +\S* +60m +(-|\d+m) +\d+s/);
    const get = await slipway(['get', 'experiment', 'exp-1', '--no-color']);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toMatch(/^Name: +exp-1\nNamespace: +/);
    expect(get.stdout).toMatch(/\nΣ exp-1 +Experiment /);
    const terminated = await slipway(['terminate', 'experiment', 'exp-1']);
    expect(terminated).toMatchObject({ code: 0, stdout: "experiment 'exp-1' terminated\n" });
    expect(
      getJson<{ spec: { terminate?: boolean } }>(['experiment', 'exp-1', '-n', namespace]).spec.terminate,
    ).toBe(true);
    const retried = await slipway(['retry', 'experiment', 'exp-1']);
    expect(retried).toMatchObject({ code: 0, stdout: "experiment 'exp-1' retried\n" });
  }, 300_000);
});

describe('kubectl slipway without a Rollout', () => {
  it('lint prints Argo messages and exits 1; a valid file passes', async () => {
    const bad = structuredClone(manifest) as typeof manifest & {
      spec: { strategy: { canary: { steps: object[] } } };
    };
    bad.spec.strategy.canary.steps = [{ setWeight: 120 }];
    const lint = await slipway(['lint', '-f', file('bad.json', bad)], { namespaced: false });
    expect(lint).toMatchObject({
      code: 1,
      stdout: 'Invalid value: 120: SetWeight needs to be between 0 and 100\n',
      stderr:
        'Error: spec.strategy.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100\n',
    });
    const good = await slipway(['lint', '-f', join(PACKAGE_ROOT, 'examples', 'rollout-canary.yaml')], {
      namespaced: false,
    });
    expect(good).toMatchObject({ code: 0, stdout: '' });
  }, 300_000);

  it('version names the plugin, and completion prints scripts for four shells', async () => {
    const version = await slipway(['version', '--short'], { namespaced: false });
    expect(version.stdout).toMatch(/^kubectl-slipway: v\d+\.\d+\.\d+\n$/);
    for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
      const script = await slipway(['completion', shell], { namespaced: false });
      expect(script.code).toBe(0);
      expect(script.stdout).toMatch(/kubectl-slipway'? __complete/);
    }
    // kubectl's own completion asks the plugin's completion hook, which lists Rollout names.
    const names = await new Promise<string>((resolve) => {
      execFile(
        inject('kubectl'),
        ['__complete', 'slipway', 'promote', '-n', namespace, ''],
        {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, KUBECONFIG: inject('kubeconfig') },
        },
        (_, out) => resolve(out),
      );
    });
    expect(names.split('\n')).toContain(name);
    const words = await slipway(['__complete', 'get'], { namespaced: false });
    expect(words.stdout.split('\n')).toEqual(expect.arrayContaining(['rollout', 'experiment', '--help']));
  }, 300_000);
});
