// kubectl, as a user would run it, for e2e tests: apply files, read objects, wait.
import { execFileSync, spawnSync } from 'node:child_process';
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

export function runKubectl(kubectl: string, kubeconfig: string, args: string[], input?: string): string {
  try {
    return execFileSync(kubectl, ['--kubeconfig', kubeconfig, ...args], {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
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
