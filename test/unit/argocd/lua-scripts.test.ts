// Static checks on the Lua health checks and actions: they only use what Argo CD's sandbox
// provides, and every script has its test table in Argo CD's format with no missing or
// orphaned fixtures. The scripts themselves run in test/e2e/argocd-lua.test.ts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTIONS_DIR, HEALTH_CHECKS_DIR } from '../../../src/argocd/argocd-cm.js';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const luaFiles = [...walk(HEALTH_CHECKS_DIR), ...walk(ACTIONS_DIR)].filter((f) => f.endsWith('.lua'));

/** The script with comments removed (our scripts keep `--` out of string literals). */
function code(script: string): string {
  return script
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n');
}

// What Argo CD's sandbox lacks (argocd-cm scripts run without open libraries), and what would
// misbehave there: print writes to the Argo CD server's stdout.
const FORBIDDEN: [RegExp, string][] = [
  [/\bstring\s*\./, 'the string library'],
  [/\bmath\s*\./, 'the math library'],
  [/\bio\s*\./, 'the io library'],
  [/\bjson\s*\./, 'a JSON library'],
  [/\bdebug\s*\./, 'the debug library'],
  [/\bprint\s*\(/, 'print'],
  [/\bloadstring\s*\(|\bdofile\s*\(|\bloadfile\s*\(/, 'loading code'],
  [/:\s*(format|sub|gsub|find|match|gmatch|lower|upper|len|rep|byte|reverse)\s*\(/, 'a string method'],
];

describe('Lua scripts use only what Argo CD gives them', () => {
  it('finds the scripts', () => {
    expect(luaFiles.length).toBeGreaterThanOrEqual(13);
  });

  for (const file of luaFiles) {
    const name = relative(PACKAGE_ROOT, file);
    it(name, () => {
      const text = code(readFileSync(file, 'utf8'));
      for (const [pattern, what] of FORBIDDEN) {
        expect(pattern.test(text), `${name} uses ${what}, which Argo CD's Lua sandbox does not provide`).toBe(
          false,
        );
      }
      const requires = [...text.matchAll(/require\s*\(\s*"([^"]*)"\s*\)/g)].map((m) => m[1]);
      expect(
        requires.every((r) => r === 'os'),
        `${name} requires ${requires.join(', ')}`,
      ).toBe(true);
      const osCalls = [...text.matchAll(/\bos\s*\.\s*(\w+)/g)].map((m) => m[1]);
      expect(
        osCalls.every((c) => c === 'date' || c === 'time'),
        `${name} calls os.${osCalls.join(', os.')}`,
      ).toBe(true);
      if (osCalls.length > 0) {
        // The global os is nil in Argo CD; only the required module has date and time.
        expect(text, `${name} uses os without local os = require("os")`).toMatch(
          /local os = require\("os"\)/,
        );
      }
    });
  }
});

interface HealthTable {
  tests: { inputPath: string; healthStatus: { status: string; message?: string } }[];
}
interface ActionTable {
  discoveryTests?: { inputPath: string; result: { name: string; disabled?: boolean }[] }[];
  actionTests?: {
    action: string;
    inputPath: string;
    expectedOutputPath?: string;
    expectedErrorMessage?: string;
  }[];
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

function expectFixtures(dir: string, referenced: Set<string>): void {
  for (const path of referenced) {
    expect(existsSync(join(dir, path)), `${relative(PACKAGE_ROOT, dir)}: ${path} is missing`).toBe(true);
  }
  const onDisk = walk(join(dir, 'testdata')).map((f) => relative(dir, f));
  const orphans = onDisk.filter((f) => !referenced.has(f));
  expect(orphans, `${relative(PACKAGE_ROOT, dir)}: fixtures no test uses`).toEqual([]);
}

describe('every script has its test table in Argo CD format', () => {
  for (const dir of kindDirs(HEALTH_CHECKS_DIR)) {
    it(relative(PACKAGE_ROOT, dir), () => {
      expect(existsSync(join(dir, 'health.lua'))).toBe(true);
      const tables = readdirSync(dir).filter((f) => /^health_test(\.\w+)?\.yaml$/.test(f));
      expect(tables).toContain('health_test.yaml');
      const referenced = new Set<string>();
      for (const table of tables) {
        const parsed = parse(readFileSync(join(dir, table), 'utf8')) as HealthTable;
        expect(parsed.tests.length, `${table} has no tests`).toBeGreaterThan(0);
        for (const test of parsed.tests) {
          expect(['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown']).toContain(
            test.healthStatus.status,
          );
          referenced.add(test.inputPath);
        }
      }
      expectFixtures(dir, referenced);
    });
  }

  for (const dir of kindDirs(ACTIONS_DIR)) {
    it(relative(PACKAGE_ROOT, dir), () => {
      const discovery = readFileSync(join(dir, 'discovery.lua'), 'utf8');
      const offered = [...discovery.matchAll(/actions\["([\w-]+)"\]\s*=/g)].map((m) => m[1]).sort();
      const folders = readdirSync(dir)
        .filter((f) => existsSync(join(dir, f, 'action.lua')))
        .sort();
      expect(offered, 'discovery.lua offers exactly the actions that have an action.lua').toEqual(folders);

      const table = parse(readFileSync(join(dir, 'action_test.yaml'), 'utf8')) as ActionTable;
      const referenced = new Set<string>();
      for (const test of table.discoveryTests ?? []) {
        referenced.add(test.inputPath);
        expect(test.result.map((r) => r.name).sort(), `${test.inputPath}: every action listed`).toEqual(
          folders,
        );
      }
      for (const test of table.actionTests ?? []) {
        referenced.add(test.inputPath);
        if (test.expectedOutputPath) referenced.add(test.expectedOutputPath);
        expect(Boolean(test.expectedOutputPath) !== Boolean(test.expectedErrorMessage)).toBe(true);
      }
      const tested = new Set((table.actionTests ?? []).map((t) => t.action));
      expect(
        folders.filter((f) => !tested.has(f)),
        'actions without an actionTest',
      ).toEqual([]);
      expect((table.discoveryTests ?? []).length).toBeGreaterThan(0);
      expectFixtures(dir, referenced);
    });
  }
});
