// values.yaml, values.schema.json and the chart README's values table describe the same
// keys: a value the schema does not know fails the install, so they must never drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { controllerCommand } from '../../../src/cmd/controller.js';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';
import { LOG_LEVELS } from '../../../src/process/logger.js';

const CHART_DIR = join(PACKAGE_ROOT, 'charts', 'slipway');
const valuesText = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');
const values = parse(valuesText) as Record<string, unknown>;

interface Schema {
  type?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  enum?: unknown[];
  definitions?: Record<string, Schema>;
}
const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Schema;

function resolve(node: Schema): Schema {
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/definitions/', '');
  const target = schema.definitions?.[name];
  if (!target) throw new Error(`values.schema.json: ${node.$ref} is not defined`);
  return resolve(target);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys the schema allows without values.yaml setting them (Helm's `global`, Kubernetes' optional fields). */
const OPTIONAL_SCHEMA_KEYS = new Set(['global', 'claims']);

/** Walks values.yaml beside the schema; returns what disagrees, as `path: problem`. */
function disagreements(value: unknown, node: Schema, path: string): string[] {
  const resolved = resolve(node);
  if (!isPlainObject(value) || !resolved.properties) return [];
  const problems: string[] = [];
  if (resolved.additionalProperties !== false) {
    problems.push(`${path || '(root)'}: the schema must set additionalProperties: false`);
  }
  for (const key of Object.keys(value)) {
    const child = resolved.properties[key];
    if (!child) problems.push(`${path}${key}: in values.yaml, not in the schema`);
    else problems.push(...disagreements(value[key], child, `${path}${key}.`));
  }
  for (const key of Object.keys(resolved.properties)) {
    if (!(key in value) && !OPTIONAL_SCHEMA_KEYS.has(key)) {
      problems.push(`${path}${key}: in the schema, not in values.yaml`);
    }
  }
  return problems;
}

/** The keys with a `# --` comment above them, the documented ones (the helm-docs convention). */
function documentedKeys(text: string): string[] {
  const keys: string[] = [];
  const stack: string[] = [];
  let documented = false;
  for (const line of text.split('\n')) {
    if (/^\s*# -- /.test(line)) {
      documented = true;
      continue;
    }
    const key = /^( *)([A-Za-z0-9_]+):/.exec(line);
    if (key?.[1] !== undefined && key[2]) {
      stack.length = key[1].length / 2;
      stack.push(key[2]);
      if (documented) keys.push(stack.join('.'));
      documented = false;
    } else if (line.trim() === '') {
      documented = false;
    }
  }
  return keys;
}

function leafPaths(value: unknown, path = ''): string[] {
  if (!isPlainObject(value) || Object.keys(value).length === 0) return [path];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, path ? `${path}.${key}` : key));
}

function valueAt(path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), values);
}

describe('values.yaml and values.schema.json', () => {
  it('have the same keys, and every object the chart defines rejects unknown keys', () => {
    expect(disagreements(values, schema, '')).toEqual([]);
  });

  it('allow exactly the controller log levels', () => {
    const logLevel = resolve({ $ref: '#/definitions/logLevel' });
    expect(logLevel.enum).toEqual([...LOG_LEVELS]);
    expect(LOG_LEVELS).toContain((values.controller as { logLevel: string }).logLevel);
  });

  it('default to the ports the controller listens on without flags', () => {
    const command = controllerCommand();
    const defaults = Object.fromEntries(command.options.map((o) => [o.attributeName(), o.defaultValue]));
    expect(valueAt('controller.ports')).toEqual({
      healthz: defaults.healthzPort,
      metrics: defaults.metricsPort,
    });
  });
});

describe('the chart README', () => {
  const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
  const valuesSection = readme.slice(readme.indexOf('\n## Values\n'));
  const rows = new Map(
    [...valuesSection.matchAll(/^\| `([A-Za-z0-9_.]+)` +\| `(.*?)` +\| /gm)].map((m) => [
      m[1] ?? '',
      m[2] ?? '',
    ]),
  );

  it('has a row for every documented value, with its default', () => {
    const documented = documentedKeys(valuesText);
    expect([...rows.keys()]).toEqual(documented);
    for (const [key, shown] of rows) {
      expect(JSON.parse(shown.replaceAll('\\|', '|')), `default of ${key}`).toEqual(valueAt(key));
    }
  });

  it('covers every value: each one is documented, or sits under a documented key', () => {
    const documented = documentedKeys(valuesText);
    const undocumented = leafPaths(values).filter(
      (leaf) => !documented.some((key) => leaf === key || leaf.startsWith(`${key}.`)),
    );
    expect(undocumented).toEqual([]);
  });
});

describe('Chart.yaml', () => {
  it('follows the package version', () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as {
      version: string;
      appVersion: string;
    };
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
    expect(chart.version).toBe(pkg.version);
  });
});

describe('controller.metricProviderDeniedNetworks', () => {
  it('defaults to the flag default, which the chart always passes', () => {
    const command = controllerCommand();
    const flag = command.options.find((o) => o.long === '--metric-provider-denied-networks');
    expect(valueAt('controller.metricProviderDeniedNetworks')).toEqual(flag?.defaultValue);
  });
});
