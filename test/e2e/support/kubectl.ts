// kubectl, as a user would run it, for e2e tests: apply files, read objects, wait.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { binaryPaths, ensureBinaries } from '../../../src/localcluster/binaries.js';
import { CRD_DIR, PACKAGE_ROOT } from '../../../src/package-paths.js';

export const FOREIGN_CRDS = join(PACKAGE_ROOT, 'test', 'fixtures', 'crds', 'foreign-crds.yaml');

/** Our built kubectl, or the one on PATH when testing against someone else's cluster. */
export function kubectlBinary(): string {
  if (process.env.SLIPWAY_TEST_KUBECONFIG && spawnSync('kubectl', ['version', '--client']).status === 0) {
    return 'kubectl';
  }
  ensureBinaries(['kubernetes']);
  return binaryPaths().kubectl;
}

/**
 * `kubectl apply` validates against /openapi/v2, with a 32 s client timeout; a saturated API
 * server (parallel e2e files under a CPU burner) has missed it. Apply is idempotent: try again.
 */
const APPLY_ATTEMPTS = 3;
const CLIENT_TIMEOUT = /Client\.Timeout exceeded while awaiting headers/;

export function runKubectl(kubectl: string, kubeconfig: string, args: string[], input?: string): string {
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync(kubectl, ['--kubeconfig', kubeconfig, ...args], {
        encoding: 'utf8',
        input,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      if (args[0] === 'apply' && CLIENT_TIMEOUT.test(stderr) && attempt < APPLY_ATTEMPTS) continue;
      throw new Error(`kubectl ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
    }
  }
}

export function installTestCrds(kubectl: string, kubeconfig: string): void {
  runKubectl(kubectl, kubeconfig, ['apply', '--server-side', '-f', CRD_DIR, '-f', FOREIGN_CRDS]);
  // `kubectl wait` fails at once, instead of waiting, while a just-created CRD has no conditions.
  for (let attempt = 1; ; attempt++) {
    try {
      runKubectl(kubectl, kubeconfig, [
        'wait',
        '--for=condition=Established',
        'crd',
        '--all',
        '--timeout=60s',
      ]);
      return;
    } catch (error) {
      if (attempt >= 30) throw error;
      spawnSync('sleep', ['1']);
    }
  }
}

/** kubectl bound to the e2e cluster of this test run. */
export function kubectl(args: string[], input?: string): string {
  return runKubectl(inject('kubectl'), inject('kubeconfig'), args, input);
}

/** Like kubectl(), but returns the failure instead of throwing. */
export function tryKubectl(args: string[], input?: string): { ok: boolean; output: string } {
  const result = spawnSync(inject('kubectl'), ['--kubeconfig', inject('kubeconfig'), ...args], {
    encoding: 'utf8',
    input,
  });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

export function getJson<T>(args: string[]): T {
  return JSON.parse(kubectl(['get', ...args, '-o', 'json'])) as T;
}

/**
 * kubectl without blocking the test process: polls and waits use this, so the servers a test
 * runs in its own process (registries, Git, webhooks, SMTP) keep answering meanwhile.
 */
export function kubectlAsync(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      inject('kubectl'),
      ['--kubeconfig', inject('kubeconfig'), ...args],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr.trim() || String(error)}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(input);
  });
}

export async function getJsonAsync<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlAsync(['get', ...args, '-o', 'json'])) as T;
}

/** `kubectl apply` of objects (or of YAML/JSON text), in `namespace` when given. */
export function apply(objects: object | object[] | string, namespace?: string): string {
  const text =
    typeof objects === 'string'
      ? objects
      : JSON.stringify(Array.isArray(objects) ? { apiVersion: 'v1', kind: 'List', items: objects } : objects);
  return kubectl(['apply', ...(namespace ? ['-n', namespace] : []), '-f', '-'], text);
}

export interface PatchOptions {
  /** merge (default), json or strategic. */
  type?: 'merge' | 'json' | 'strategic';
  /** 'status' to write the status subresource, as a controller would. */
  subresource?: 'status';
}

/** `kubectl patch <resource> <name> -n <namespace>` with a patch given as an object. */
export function patch(
  resource: string,
  name: string,
  namespace: string,
  body: unknown,
  { type = 'merge', subresource }: PatchOptions = {},
): string {
  return kubectl([
    'patch',
    resource,
    name,
    '-n',
    namespace,
    ...(subresource ? ['--subresource', subresource] : []),
    '--type',
    type,
    '-p',
    JSON.stringify(body),
  ]);
}

/** The Secret git-sync's GitTargets name in spec.secretRef: a token as the HTTP password. */
export function createRepoSecret(namespace: string, token: string, name = 'repo-creds'): void {
  kubectl([
    'create',
    'secret',
    'generic',
    name,
    '-n',
    namespace,
    '--from-literal=username=slipway',
    `--from-literal=password=${token}`,
  ]);
}

/** tryKubectl for polls: does not block the test process. */
export async function tryKubectlAsync(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    return { ok: true, output: await kubectlAsync(args) };
  } catch (error) {
    return { ok: false, output: (error as Error).message };
  }
}
