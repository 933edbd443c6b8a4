// Given Slipway's Lua health checks and actions, when Argo CD's own Lua runtime (util/lua at the
// release pinned in test/argocd/versions.env, built into test/argocd/harness) runs every case of
// their test tables, then every case passes: with the scripts taken from the files, from the
// generated argocd-cm as Argo CD's settings manager loads it, and for the pausedAsHealthy
// variant against its own health table.
//
// The first run builds the harness from Go modules (a few minutes); later runs reuse the cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTIONS_DIR, HEALTH_CHECKS_DIR } from '../../src/argocd/argocd-cm.js';
import { PACKAGE_ROOT } from '../../src/package-paths.js';

const BUILD_SCRIPT = join(PACKAGE_ROOT, 'test', 'argocd', 'build-harness.sh');
const DEFAULT_CM = join(HEALTH_CHECKS_DIR, 'argocd-cm.generated.yaml');
const PAUSED_HEALTHY_CM = join(HEALTH_CHECKS_DIR, 'argocd-cm-paused-healthy.generated.yaml');
const PAUSED_HEALTHY_TABLE = 'health_test.pausedAsHealthy.yaml';

interface HarnessRun {
  status: number | null;
  output: string;
  passed: number;
  failed: number;
  failures: string[];
}

let harness = '';

function runHarness(...args: string[]): HarnessRun {
  const result = spawnSync(harness, ['-repo', PACKAGE_ROOT, ...args], { encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout}${result.stderr}`;
  const summary = /: (\d+) passed, (\d+) failed\n?$/.exec(result.stdout);
  return {
    status: result.status,
    output,
    passed: Number(summary?.[1] ?? -1),
    failed: Number(summary?.[2] ?? -1),
    failures: result.stdout
      .split('\n')
      .filter((line) => line.startsWith('FAIL '))
      .map((line) => line.slice('FAIL '.length)),
  };
}

function kindDirs(root: string): string[] {
  return readdirSync(root)
    .filter((group) => statSync(join(root, group)).isDirectory())
    .flatMap((group) =>
      readdirSync(join(root, group))
        .filter((kind) => statSync(join(root, group, kind)).isDirectory())
        .map((kind) => join(root, group, kind)),
    );
}

interface HealthTable {
  tests: { inputPath: string; healthStatus: { status: string; message?: string } }[];
}

function healthTable(dir: string, name: string): HealthTable {
  const path = existsSync(join(dir, name)) ? join(dir, name) : join(dir, 'health_test.yaml');
  return parse(readFileSync(path, 'utf8')) as HealthTable;
}

/** How many cases the tables hold: what the harness must report as passed. */
function countCases(healthTableName: string): number {
  let cases = 0;
  for (const dir of kindDirs(HEALTH_CHECKS_DIR)) cases += healthTable(dir, healthTableName).tests.length;
  for (const dir of kindDirs(ACTIONS_DIR)) {
    const table = parse(readFileSync(join(dir, 'action_test.yaml'), 'utf8')) as {
      discoveryTests?: unknown[];
      actionTests?: unknown[];
    };
    cases += (table.discoveryTests ?? []).length + (table.actionTests ?? []).length;
  }
  return cases;
}

describe("Lua health checks and actions in Argo CD's own runtime", () => {
  beforeAll(() => {
    const stdout = execFileSync(BUILD_SCRIPT, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 1_800_000,
    });
    harness = stdout.trim().split('\n').pop() ?? '';
    expect(existsSync(harness), `build-harness.sh printed ${stdout}`).toBe(true);
  }, 1_800_000);

  it('passes every case with the scripts taken from health-checks/ and actions/', () => {
    const run = runHarness();
    expect(run.failures, run.output).toEqual([]);
    expect(run.status, run.output).toBe(0);
    expect(run.passed).toBe(countCases('health_test.yaml'));
  });

  it('passes every case with the scripts taken from the generated argocd-cm', () => {
    const run = runHarness('-argocd-cm', DEFAULT_CM);
    expect(run.failures, run.output).toEqual([]);
    expect(run.status, run.output).toBe(0);
    expect(run.passed).toBe(countCases('health_test.yaml'));
  });

  it('passes the pausedAsHealthy health table with the paused-healthy argocd-cm', () => {
    const run = runHarness('-argocd-cm', PAUSED_HEALTHY_CM, '-health-tests', PAUSED_HEALTHY_TABLE);
    expect(run.failures, run.output).toEqual([]);
    expect(run.status, run.output).toBe(0);
    expect(run.passed).toBe(countCases(PAUSED_HEALTHY_TABLE));
  });

  it('reports Healthy instead of Suspended in the paused-healthy variant for step pauses only', () => {
    // Run the variant against the default tables: exactly the cases whose expectation the
    // pausedAsHealthy table changes must fail, and each of those is a Suspended step pause.
    const changed: string[] = [];
    for (const dir of kindDirs(HEALTH_CHECKS_DIR)) {
      const base = healthTable(dir, 'health_test.yaml').tests;
      const variant = new Map(healthTable(dir, PAUSED_HEALTHY_TABLE).tests.map((t) => [t.inputPath, t]));
      const key = dir.slice(HEALTH_CHECKS_DIR.length + 1);
      for (const test of base) {
        const other = variant.get(test.inputPath);
        if (other && other.healthStatus.status !== test.healthStatus.status) {
          expect(test.healthStatus.status).toBe('Suspended');
          expect(other.healthStatus.status).toBe('Healthy');
          changed.push(`health ${key} ${test.inputPath}`);
        }
      }
    }
    expect(changed.length).toBeGreaterThan(0);
    const run = runHarness('-argocd-cm', PAUSED_HEALTHY_CM);
    expect(run.failures.sort(), run.output).toEqual(changed.sort());
  });
});
