// A real Gitea for tests, on loopback with SQLite. The binary is built from Gitea's Go module
// (code.gitea.io/gitea) through a wrapper module that requires it and copies its replace
// directives (a module's own replaces do not apply when it is a dependency, so `go install
// pkg@version` cannot build it), cached outside the repository in
// ${SLIPWAY_CACHE_DIR:-~/.cache/slipway}/bin/gitea-<version>/ (a cold build takes ~5 minutes
// on 2 cores). Set SLIPWAY_GITEA_BINARY to use another build.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../../../src/localcluster/binaries.js';
import { freePort } from './registry.js';
import { eventually } from './wait.js';

export const GITEA_MODULE_VERSION = 'v1.26.0';
const CACHE = join(cacheDir(), 'bin', `gitea-${GITEA_MODULE_VERSION}`);

/** The Gitea binary, built (and cached) on first use. */
export function giteaBinary(): string {
  const given = process.env.SLIPWAY_GITEA_BINARY;
  if (given !== undefined) {
    if (!existsSync(given)) throw new Error(`SLIPWAY_GITEA_BINARY=${given} does not exist`);
    return given;
  }
  const binary = join(CACHE, 'gitea');
  if (existsSync(join(CACHE, '.complete'))) return binary;
  process.stderr.write(
    `[gitea] building code.gitea.io/gitea@${GITEA_MODULE_VERSION} into ${CACHE} (cold: ~5 minutes)\n`,
  );
  buildGitea(binary);
  writeFileSync(join(CACHE, '.complete'), '');
  return binary;
}

function buildGitea(binary: string): void {
  const wrapper = join(CACHE, 'wrapper');
  mkdirSync(wrapper, { recursive: true });
  const go = (args: string[]) =>
    execFileSync('go', args, {
      cwd: wrapper,
      encoding: 'utf8',
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      timeout: 20 * 60_000,
    });
  writeFileSync(
    join(wrapper, 'go.mod'),
    `module slipway.dev/gitea-wrapper\n\ngo 1.26\n\nrequire code.gitea.io/gitea ${GITEA_MODULE_VERSION}\n`,
  );
  const info = JSON.parse(
    go(['mod', 'download', '-json', `code.gitea.io/gitea@${GITEA_MODULE_VERSION}`]),
  ) as { GoMod: string };
  const replaces = readFileSync(info.GoMod, 'utf8')
    .split('\n')
    .filter((line) => /^replace\s+\S+.*=>/.test(line));
  writeFileSync(
    join(wrapper, 'go.mod'),
    `${readFileSync(join(wrapper, 'go.mod'), 'utf8')}\n${replaces.join('\n')}\n`,
  );
  go([
    'build',
    '-tags',
    'sqlite sqlite_unlock_notify',
    '-ldflags',
    '-s -w',
    '-o',
    binary,
    'code.gitea.io/gitea',
  ]);
}

/** Gitea's module source: a build without `bindata` reads locales and templates from it. */
function giteaSource(): string {
  const given = process.env.SLIPWAY_GITEA_SOURCE;
  if (given !== undefined) return given;
  const modCache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  return join(modCache, 'code.gitea.io', `gitea@${GITEA_MODULE_VERSION}`);
}

export interface TestGitea {
  readonly baseUrl: string;
  readonly user: string;
  readonly password: string;
  readonly token: string;
  /** Clone URL with basic credentials, for pushing branches as a person would. */
  cloneUrl(repo: string): string;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startGitea(binary: string): Promise<TestGitea> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-gitea-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = join(dir, 'app.ini');
  writeFileSync(
    config,
    `I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true
RUN_MODE = prod
WORK_PATH = ${dir}
[server]
STATIC_ROOT_PATH = ${giteaSource()}
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${port}
ROOT_URL = ${baseUrl}/
DISABLE_SSH = true
OFFLINE_MODE = true
[database]
DB_TYPE = sqlite3
PATH = ${join(dir, 'gitea.db')}
[security]
INSTALL_LOCK = true
[log]
LEVEL = Warn
[repository]
ROOT = ${join(dir, 'repos')}
DEFAULT_BRANCH = main
[service]
DISABLE_REGISTRATION = true
`,
  );
  const run = (args: string[]) =>
    execFileSync(binary, ['-c', config, '-w', dir, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  run(['migrate']);
  const user = 'slipway';
  const password = 'Slipway-e2e-pass1';
  run([
    'admin',
    'user',
    'create',
    '--admin',
    '--username',
    user,
    '--password',
    password,
    '--email',
    'slipway@example.com',
    '--must-change-password=false',
  ]);
  const token = run([
    'admin',
    'user',
    'generate-access-token',
    '--username',
    user,
    '--scopes',
    'all',
    '--raw',
  ])
    .split('\n')
    .pop()!
    .trim();
  const child = spawn(binary, ['-c', config, '-w', dir, 'web'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  await eventually(
    'gitea to answer',
    async () => ((await fetch(`${baseUrl}/api/v1/version`).catch(() => undefined))?.ok ? true : undefined),
    60_000,
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${output.join('')}`);
  });
  return {
    baseUrl,
    user,
    password,
    token,
    cloneUrl: (repo) =>
      `http://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${user}/${repo}.git`,
    api,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
