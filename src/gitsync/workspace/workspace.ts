// One cached clone per repository and branch (simple-git). sync() brings it to the remote head,
// dropping anything local (a crash or a rejected push leaves nothing behind that matters: the
// edits are derived again from desired state). Pushes are plain fast-forward pushes, never forced.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { type GitAccess, redact } from './git-credentials.js';
import type { CommitSigning } from './signing.js';

export interface GitAuthor {
  readonly name: string;
  readonly email: string;
}

export const DEFAULT_AUTHOR: GitAuthor = { name: 'Slipway', email: 'slipway@slipway.dev' };

export interface WorkspaceOptions {
  /** The directory holding every cached clone. */
  readonly root: string;
  readonly url: string;
  readonly branch: string;
  readonly access: GitAccess;
  readonly author?: GitAuthor;
  readonly signing?: CommitSigning;
  /** Kill a git command silent for this long; default 120 s. */
  readonly timeoutMs?: number;
}

export type PushResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly conflict: boolean; readonly message: string };

// Rejections another writer causes; anything else (auth, hooks, network) is not retried.
const CONFLICT = /\[rejected\]|non-fast-forward|fetch first|cannot lock ref|stale info|incorrect old value/;

/** Where the clone of `url`@`branch` lives under `root`. */
export function workspaceDir(root: string, url: string, branch: string): string {
  return join(root, createHash('sha256').update(`${url}\n${branch}`).digest('hex').slice(0, 16));
}

export class GitWorkspace {
  readonly dir: string;
  private readonly git: SimpleGit;
  private readonly options: WorkspaceOptions;

  constructor(options: WorkspaceOptions) {
    this.options = options;
    this.dir = workspaceDir(options.root, options.url, options.branch);
    mkdirSync(options.root, { recursive: true });
    this.git = this.gitIn(options.root);
  }

  get branch(): string {
    return this.options.branch;
  }

  /** Clones or fetches, then resets the work tree to the remote branch head; returns that head. */
  async sync(): Promise<string> {
    await mkdir(this.options.root, { recursive: true });
    if (existsSync(join(this.dir, '.git'))) {
      try {
        return await this.fetchAndReset();
      } catch {
        // A clone left broken by a crash (a stale lock, a half-written pack): start afresh.
        await rm(this.dir, { recursive: true, force: true });
      }
    }
    await this.run(() =>
      this.git.clone(this.options.url, this.dir, [
        '--branch',
        this.options.branch,
        '--single-branch',
        '--no-tags',
      ]),
    );
    return this.head();
  }

  async head(): Promise<string> {
    return (await this.run(() => this.inDir().revparse(['HEAD']))).trim();
  }

  /** The file's text, or null when it does not exist. */
  async readFile(file: string): Promise<string | null> {
    try {
      return await readFile(this.pathOf(file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async writeFile(file: string, text: string): Promise<void> {
    const path = this.pathOf(file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }

  /** Stages every change and commits it; returns the new commit. */
  async commit(message: string): Promise<string> {
    const git = this.inDir();
    await this.run(() => git.raw(['add', '--all']));
    await this.run(() => git.raw(['commit', '--quiet', '--no-verify', '--cleanup=verbatim', '-m', message]));
    return this.head();
  }

  async push(): Promise<PushResult> {
    try {
      await this.run(() =>
        this.inDir().raw(['push', '--porcelain', 'origin', `HEAD:refs/heads/${this.options.branch}`]),
      );
      return { ok: true };
    } catch (error) {
      const message = (error as Error).message;
      return { ok: false, conflict: CONFLICT.test(message), message };
    }
  }

  private async fetchAndReset(): Promise<string> {
    const git = this.inDir();
    const { branch, url } = this.options;
    await this.run(() => git.raw(['remote', 'set-url', 'origin', url]));
    await rm(join(this.dir, '.git', 'index.lock'), { force: true });
    await this.run(() =>
      git.raw([
        'fetch',
        '--quiet',
        '--no-tags',
        'origin',
        `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
      ]),
    );
    await this.run(() =>
      git.raw(['checkout', '--quiet', '--force', '-B', branch, `refs/remotes/origin/${branch}`]),
    );
    await this.run(() => git.raw(['reset', '--quiet', '--hard', `refs/remotes/origin/${branch}`]));
    await this.run(() => git.raw(['clean', '--quiet', '-ffdx']));
    return this.head();
  }

  /** A file inside the clone; a path that would leave it is refused. */
  private pathOf(file: string): string {
    const path = resolve(this.dir, file);
    if (!path.startsWith(this.dir + sep) || path.startsWith(join(this.dir, '.git') + sep)) {
      throw new Error(`path "${file}" leaves the repository`);
    }
    return path;
  }

  private inDir(): SimpleGit {
    return this.gitIn(this.dir);
  }

  private gitIn(baseDir: string): SimpleGit {
    const author = this.options.author ?? DEFAULT_AUTHOR;
    const env: Record<string, string> = {
      ...ambientEnv(),
      ...this.options.access.env,
      ...this.options.signing?.env,
    };
    return simpleGit({
      baseDir,
      config: [
        `user.name=${author.name}`,
        `user.email=${author.email}`,
        'core.hooksPath=/dev/null',
        ...(this.options.signing?.config ?? ['commit.gpgsign=false']),
      ],
      timeout: { block: this.options.timeoutMs ?? 120_000 },
      allowEnvironment: Object.keys(env).filter((key) => key.startsWith('GIT_')),
      unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeSshCommand: true, allowUnsafeHooksPath: true },
    }).env(env);
  }

  /** Runs a git call, keeping credentials out of whatever error it throws. */
  private async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const message = redact((error as Error).message, this.options.access.secrets).trim();
      throw new Error(`git (${redact(this.options.url, this.options.access.secrets)}): ${message}`);
    }
  }
}

// What git may inherit from us: enough to run, find certificates and proxies. Nothing that picks a
// program for git to run (EDITOR, PAGER, ...): simple-git refuses those, and we need none.
const INHERITED =
  /^(PATH|HOME|USER|LOGNAME|TMPDIR|TZ|LANG|LC_[A-Z]+|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|NO|ALL)_PROXY)$/i;

function ambientEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && INHERITED.test(key)) env[key] = value;
  }
  return env;
}
