// Real Git for tests: bare repositories on disk, served over smart HTTP by `git http-backend`
// behind a tiny Node server on loopback (optionally demanding a token), plus helpers to commit as
// an outside writer would.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

export const TEST_AUTHOR = ['-c', 'user.name=Outside Writer', '-c', 'user.email=outside@example.com'];

/** git with the test identity, failing loudly with stderr. */
export function git(cwd: string, args: string[], input?: string): string {
  try {
    return execFileSync('git', [...TEST_AUTHOR, '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
  } catch (error) {
    throw new Error(`git ${args.join(' ')} in ${cwd}: ${(error as { stderr?: string }).stderr ?? error}`);
  }
}

/** A bare repository `<root>/<name>.git` whose branch holds `files` in one initial commit. */
export function createBareRepo(
  root: string,
  name: string,
  files: Record<string, string>,
  branch = 'main',
): string {
  const bare = join(root, `${name}.git`);
  mkdirSync(bare, { recursive: true });
  git(bare, ['init', '--quiet', '--bare', `--initial-branch=${branch}`]);
  git(bare, ['config', 'http.receivepack', 'true']);
  const work = mkdtempSync(join(tmpdir(), 'slipway-seed-'));
  try {
    git(work, ['init', '--quiet', `--initial-branch=${branch}`]);
    writeFiles(work, files);
    git(work, ['add', '--all']);
    git(work, ['commit', '--quiet', '-m', 'initial manifests']);
    git(work, ['push', '--quiet', bare, `HEAD:refs/heads/${branch}`]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bare;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** A file of the branch head of a bare repository. */
export function showFile(bare: string, file: string, branch = 'main'): string {
  return git(bare, ['show', `${branch}:${file}`]);
}

/** Commit subjects and bodies of the branch, newest first. */
export function commitMessages(bare: string, branch = 'main'): string[] {
  return git(bare, ['log', '--format=%B%x00', branch])
    .split('\0')
    .map((m) => m.trim())
    .filter((m) => m !== '');
}

/** The Slipway-* trailers of a commit message, by key (the last one of a key wins). */
export function commitTrailers(message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of message.split('\n')) {
    const m = /^(Slipway-[A-Za-z]+): (.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const execFileAsync = promisify(execFile);

async function gitAsync(cwd: string, args: string[]): Promise<void> {
  await execFileAsync('git', [...TEST_AUTHOR, '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
}

/**
 * An outside writer: clone, change files, commit, push (retrying on its own rejections). Async, so
 * a git server in this same process keeps serving while it runs.
 */
export async function externalCommit(
  url: string,
  files: Record<string, string>,
  message: string,
  branch = 'main',
): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'slipway-outside-'));
  try {
    await gitAsync(work, ['clone', '--quiet', '--branch', branch, url, '.']);
    for (let attempt = 0; ; attempt += 1) {
      writeFiles(work, files);
      await gitAsync(work, ['add', '--all']);
      await gitAsync(work, ['commit', '--quiet', '--allow-empty', '-m', message]);
      try {
        await gitAsync(work, ['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
        return;
      } catch (error) {
        if (attempt > 20) throw error;
        await gitAsync(work, ['fetch', '--quiet', 'origin']);
        await gitAsync(work, ['reset', '--quiet', '--hard', `origin/${branch}`]);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>/<name>.git` */
  url(name: string): string;
  /** Authorization headers received, to prove credentials were sent (and how). */
  readonly authorizations: string[];
  stop(): Promise<void>;
}

/**
 * Serves every bare repository under `root` with `git http-backend` (CGI). With `token`, every
 * request must carry `Authorization: Basic base64(<any user>:<token>)`, else 401.
 */
export async function startGitHttpServer(
  root: string,
  options: { token?: string } = {},
): Promise<GitHttpServer> {
  const authorizations: string[] = [];
  const server: Server = createServer((req, res) => {
    const auth = req.headers.authorization;
    if (auth !== undefined) authorizations.push(auth);
    if (options.token !== undefined) {
      const given = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
      if (given.slice(given.indexOf(':') + 1) !== options.token) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
        return;
      }
    }
    serveCgi(root, req, res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}.git`,
    authorizations,
    stop: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

function serveCgi(root: string, req: IncomingMessage, res: import('node:http').ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: 'slipway-test',
      REMOTE_ADDR: '127.0.0.1',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
    },
  });
  req.pipe(child.stdin);
  const chunks: Buffer[] = [];
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    chunks.push(chunk);
    const all = Buffer.concat(chunks);
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of all.subarray(0, end).toString().split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(all.subarray(end + 4));
  });
  child.stderr.on('data', () => {});
  child.on('close', () => res.end());
}
