// Helm 3 and Helm 4, built from their Go modules by test/cluster/build-binaries.sh (cached
// outside the repo), and the chart rendered or installed with them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { cacheDir } from '../../../src/localcluster/binaries.js';
import { CLUSTER_ASSETS_DIR, PACKAGE_ROOT } from '../../../src/package-paths.js';

export const CHART_DIR = join(PACKAGE_ROOT, 'charts', 'slipway');

export interface Helm {
  /** 'helm 3.21.4' */
  name: string;
  major: 3 | 4;
  version: string;
  path: string;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

function pinned(key: string): string {
  const text = readFileSync(join(CLUSTER_ASSETS_DIR, 'versions.env'), 'utf8');
  const value = new RegExp(`^${key}=(\\S+)$`, 'm').exec(text)?.[1];
  if (!value) throw new Error(`test/cluster/versions.env: ${key} is missing`);
  return value;
}

/** Both Helm majors the chart supports, built on first use (minutes when cold). */
export function helmBinaries(): Helm[] {
  const script = join(CLUSTER_ASSETS_DIR, 'build-binaries.sh');
  const build = spawnSync('bash', [script, 'helm', 'helm4'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) {
    throw new Error(
      `building helm failed (exit ${build.status ?? build.signal}); re-run ${script} helm helm4`,
    );
  }
  return [
    { major: 3 as const, version: pinned('HELM_VERSION') },
    { major: 4 as const, version: pinned('HELM4_VERSION') },
  ].map(({ major, version }) => ({
    name: `helm ${version}`,
    major,
    version,
    path: join(cacheDir(), 'bin', `helm-v${version}`, 'helm'),
  }));
}

/** Helm keeps its config, cache and data here instead of the user's home; gone when the worker exits. */
const helmHome = mkdtempSync(join(tmpdir(), 'slipway-helm-'));
process.once('exit', () => rmSync(helmHome, { recursive: true, force: true }));

export interface HelmResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export function runHelm(helm: Helm, args: string[], options: { kubeconfig?: string } = {}): HelmResult {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  const result = spawnSync(
    helm.path,
    [...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : []), ...args],
    { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 },
  );
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

export function mustHelm(helm: Helm, args: string[], options: { kubeconfig?: string } = {}): string {
  const result = runHelm(helm, args, options);
  if (!result.ok) throw new Error(`${helm.name} ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Writes values to a file for `-f` (JSON is YAML), so tests state them as plain objects. */
export function valuesFile(values: object): string {
  const dir = join(helmHome, 'values');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(values));
  return file;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  values?: object;
}

function templateArgs(options: RenderOptions): string[] {
  return [
    'template',
    options.release ?? 'slipway',
    CHART_DIR,
    '--namespace',
    options.namespace ?? 'slipway-system',
    ...(options.values ? ['-f', valuesFile(options.values)] : []),
  ];
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** `helm template` → the rendered objects (CRDs excluded, as `helm template` does by default). */
export function renderChart(helm: Helm, options: RenderOptions = {}): Manifest[] {
  return parseManifests(mustHelm(helm, templateArgs(options)));
}

/** `helm template` expected to fail: returns its error output. */
export function renderChartError(helm: Helm, options: RenderOptions): string {
  const result = runHelm(helm, templateArgs(options));
  if (result.ok) throw new Error(`${helm.name} template succeeded, expected a failure`);
  return result.stderr;
}

export function findManifest(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) {
    const have = manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ');
    throw new Error(`no ${kind}/${name} rendered; have: ${have}`);
  }
  return found;
}
