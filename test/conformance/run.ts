// `npm run conformance [-- --baseline] [-- --run REGEX] [-- --json FILE]`: runs Argo Rollouts'
// own e2e suite (v1.10.2, built from its Go module by build-argo.sh) against Slipway, or with
// --baseline against the real Argo Rollouts controller, on a fresh local control plane, and
// prints one line per test plus totals. Not part of `npm test`: a full run takes an hour.
//
// What the suite needs, learned the hard way:
// - the fixtures take the namespace from the kubeconfig context, and label everything with
//   E2E_INSTANCE_ID, which the controller must be started with (--instance-id);
// - the working directory must hold the module's test/e2e (manifests are read by relative path);
// - TestControllerMetrics GETs localhost:8090, so the controller serves metrics there; with
//   --isolate each run gets its own network namespace (loopback only), so an Argo run and a
//   Slipway run can go side by side.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { startControlPlane } from '../../src/localcluster/control-plane.js';
import { CRD_DIR, PACKAGE_ROOT } from '../../src/package-paths.js';
import { parseGoTestOutput, summarize, type TestResult } from './results.js';

const INSTANCE_ID = 'conformance';
const NAMESPACE = 'argo-rollouts-e2e';

/**
 * Tests that leave an object the suite itself cannot decode (a Rollout with `memory: invalid`):
 * in a shared namespace every later typed LIST of the suite fails and its waits never end (seen
 * as TestRolloutBadToBadUpdate hanging under both controllers). They run in a namespace of
 * their own, after the rest.
 */
const UNDECODABLE_LEFTOVERS = '/TestMalformedRollout';

const { values: flags } = parseArgs({
  options: {
    baseline: { type: 'boolean', default: false },
    run: { type: 'string' },
    json: { type: 'string' },
    'wait-timeout': { type: 'string', default: '90' },
    timeout: { type: 'string', default: '150m' },
    keep: { type: 'boolean', default: false },
    isolate: { type: 'boolean', default: false },
  },
});

const product = flags.baseline ? 'argo-rollouts' : 'slipway';
const log = (line: string) => process.stderr.write(`[conformance] ${line}\n`);

function buildArgo(): string {
  const script = join(PACKAGE_ROOT, 'test', 'conformance', 'build-argo.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1) ?? '';
}

function kubectl(bin: string, kubeconfig: string, args: string[], input?: string): string {
  return execFileSync(bin, ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** A copy of the admin kubeconfig whose context defaults to `namespace`. */
function namespacedKubeconfig(adminKubeconfig: string, dir: string, namespace: string): string {
  const config = parse(readFileSync(adminKubeconfig, 'utf8')) as {
    contexts: { context: { namespace?: string } }[];
  };
  for (const entry of config.contexts) entry.context.namespace = namespace;
  const path = join(dir, `kubeconfig-${namespace}`);
  writeFileSync(path, stringify(config));
  return path;
}

function startController(argoDir: string, kubeconfig: string, logPath: string): ChildProcess {
  const logFile = createWriteStream(logPath);
  const [command, args] =
    product === 'slipway'
      ? [
          process.execPath,
          [
            join(PACKAGE_ROOT, 'dist', 'cmd', 'slipway.js'),
            'controller',
            '--kubeconfig',
            kubeconfig,
            '--instance-id',
            INSTANCE_ID,
            '--no-leader-elect',
            '--bind-address',
            '127.0.0.1',
            '--healthz-port',
            '8080',
            '--metrics-port',
            '8090',
          ],
        ]
      : [
          join(argoDir, 'rollouts-controller'),
          [
            '--kubeconfig',
            kubeconfig,
            '--instance-id',
            INSTANCE_ID,
            '--leader-elect=false',
            '--healthzPort',
            '8080',
            '--metricsPort',
            '8090',
          ],
        ];
  const child = spawn(command, args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  return child;
}

/** Re-runs this command in a new network namespace whose only interface is loopback. */
function runIsolated(): Promise<number> {
  const script = 'ip link set lo up && exec "$0" "$@"';
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn('unshare', ['--net', '--', 'sh', '-c', script, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, SLIPWAY_CONFORMANCE_ISOLATED: '1' },
  });
  return new Promise((resolveRun) => child.on('close', (code) => resolveRun(code ?? 1)));
}

async function main(): Promise<void> {
  if (flags.isolate && !process.env.SLIPWAY_CONFORMANCE_ISOLATED) {
    buildArgo(); // outside: the build needs the Go module proxy
    process.exitCode = await runIsolated();
    return;
  }
  log(`building Argo Rollouts' suite${flags.baseline ? ' and controller' : ''} (cached after the first run)`);
  const argoDir = buildArgo();
  const dataDir = mkdtempSync(join(tmpdir(), `slipway-conformance-${product}-`));
  log(`starting a fresh local control plane in ${dataDir}`);
  const cluster = await startControlPlane({ dataDir, log });
  let controller: ChildProcess | undefined;
  // Interrupted (Ctrl-C, a killed parent): stop what we started, not only ourselves.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      controller?.kill('SIGTERM');
      void cluster.stop().finally(() => process.exit(130));
    });
  }
  try {
    const bin = cluster.binaries.kubectl;
    const admin = cluster.kubeconfigPath;
    // Each product with its own CRDs, as its users install it.
    kubectl(bin, admin, [
      'apply',
      '--server-side',
      '-f',
      product === 'slipway' ? CRD_DIR : join(argoDir, 'crds'),
    ]);
    // The suite's own CRDs of the other projects' kinds (Istio, SMI, APISIX).
    kubectl(bin, admin, ['apply', '--server-side', '--force-conflicts', '-f', join(argoDir, 'e2e', 'crds')]);
    kubectl(bin, admin, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
    // Without --run: everything else first, then the tests with undecodable leftovers apart.
    const phases: { namespace: string; selection: string[] }[] = flags.run
      ? [{ namespace: NAMESPACE, selection: ['-test.run', flags.run] }]
      : [
          { namespace: NAMESPACE, selection: ['-test.skip', UNDECODABLE_LEFTOVERS] },
          { namespace: `${NAMESPACE}-malformed`, selection: ['-test.run', UNDECODABLE_LEFTOVERS] },
        ];
    for (const phase of phases) kubectl(bin, admin, ['create', 'namespace', phase.namespace]);

    const controllerLog = join(dataDir, `${product}-controller.log`);
    log(`starting the ${product} controller (log: ${controllerLog})`);
    controller = startController(argoDir, namespacedKubeconfig(admin, dataDir, NAMESPACE), controllerLog);

    let output = '';
    for (const [i, phase] of phases.entries()) {
      const suiteLog = join(dataDir, `e2e-${i + 1}.log`);
      log(`running Argo's e2e suite in ${phase.namespace} (${phase.selection.join(' ')}; log: ${suiteLog})`);
      const goTestArgs = ['-test.v', '-test.timeout', flags.timeout as string, ...phase.selection];
      output += await runSuite(join(argoDir, 'e2e.test'), goTestArgs, join(argoDir, 'e2e'), suiteLog, {
        ...process.env,
        KUBECONFIG: namespacedKubeconfig(admin, dataDir, phase.namespace),
        E2E_INSTANCE_ID: INSTANCE_ID,
        E2E_WAIT_TIMEOUT: flags['wait-timeout'] as string,
      });
    }
    const results = parseGoTestOutput(output);
    report(results);
  } finally {
    controller?.kill('SIGTERM');
    await cluster.stop();
    if (!flags.keep) rmSync(dataDir, { recursive: true, force: true });
    else log(`kept ${dataDir}`);
  }
}

function runSuite(
  binary: string,
  args: string[],
  cwd: string,
  logPath: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(binary, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const logFile = createWriteStream(logPath);
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      logFile.write(chunk);
      for (const line of chunk.toString().split('\n')) {
        if (/^\s*--- (PASS|FAIL|SKIP)/.test(line)) process.stderr.write(`${line}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', () => {
      logFile.end();
      resolveRun(Buffer.concat(chunks).toString());
    });
  });
}

function report(results: TestResult[]): void {
  const leaves = results.filter((r) => r.name.includes('/'));
  for (const result of leaves) {
    process.stdout.write(`${result.outcome.padEnd(4)}  ${result.name}  (${result.seconds.toFixed(1)}s)\n`);
  }
  const totals = summarize(leaves);
  process.stdout.write(
    `\n${product}: ${totals.run} tests run, ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`,
  );
  if (flags.json) {
    writeFileSync(flags.json, `${JSON.stringify({ product, totals, tests: leaves }, null, 2)}\n`);
    log(`wrote ${flags.json}`);
  }
}

await main();
