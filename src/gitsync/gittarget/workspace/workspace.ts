// One cached clone per repository and branch (simple-git). sync() brings it to the remote head,
// dropping anything local (a crash or a rejected push leaves nothing behind that matters: the
// edits are derived again from desired state). Pushes are plain fast-forward pushes, never forced.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { type GitAccess, redact } from './git-credentials.js';
import { checkRepositoryUrl, protocolConfig, type RepositoryUrlPolicy } from './repository-url.js';
import { DEFAULT_MAX_FILE_BYTES, readInside, writeInside } from './safe-files.js';
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
  /**
   * Whose credentials the clone is made with, e.g. `namespace/secret-name`: clones are never
   * shared across scopes, so one namespace's credentials never serve another's GitTarget.
   */
  readonly scope?: string;
  /** Which URLs may be cloned; default https and ssh only. */
  readonly urlPolicy?: RepositoryUrlPolicy;
  /** Larger files are refused; default DEFAULT_MAX_FILE_BYTES. */
  readonly maxFileBytes?: number;
}

export type PushResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly conflict: boolean; readonly message: string };

// Rejections another writer causes; anything else (auth, hooks, network) is not retried.
const CONFLICT = /\[rejected\]|non-fast-forward|fetch first|cannot lock ref|stale info|incorrect old value/;

// Signs in git's output that the clone itself is broken (not the network or the remote).
const CORRUPT =
  /corrupt|bad object|loose object|not a git repository|unable to read|index file|bad signature|packfile|missing (blob|tree|commit)|fatal: bad (tree|revision)/i;

/**
 * Where the clone of `url`@`branch` for `scope` lives under `root`: an HMAC under a random key
 * kept in `root`, so a tenant can neither name nor guess another tenant's clone directory.
 */
export function workspaceDir(root: string, url: string, branch: string, scope = ''): string {
  const mac = createHmac('sha256', workspaceKey(root)).update(`${scope}\n${url}\n${branch}`);
  return join(root, mac.digest('hex').slice(0, 32));
}

const KEY_FILE = '.workspace-key';

const keys = new Map<string, Buffer>();

function workspaceKey(root: string): Buffer {
  const known = keys.get(root);
  if (known !== undefined && existsSync(join(root, KEY_FILE))) return known;
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const path = join(root, KEY_FILE);
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('hex'));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = readFileSync(path, 'utf8').trim();
  if (key.length < 32) throw new Error(`workspace key ${path} is damaged; delete it (clones are re-made)`);
  const buffer = Buffer.from(key, 'hex');
  keys.set(root, buffer);
  return buffer;
}

export class GitWorkspace {
  readonly dir: string;
  private readonly git: SimpleGit;
  private readonly options: WorkspaceOptions;

  constructor(options: WorkspaceOptions) {
    this.options = options;
    const refused = checkRepositoryUrl(options.url, options.urlPolicy ?? {});
    if (refused !== undefined) throw new Error(refused);
    this.dir = workspaceDir(options.root, options.url, options.branch, options.scope);
    try {
      chmodSync(options.root, 0o700);
    } catch {
      // Not ours to change (a mounted volume): the unguessable names still protect the clones.
    }
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
      } catch (error) {
        // A network blip or a refusing remote keeps the clone (a big monorepo is costly to
        // clone again); only a clone left broken (a crash mid-write, a damaged pack) is re-made.
        if (!CORRUPT.test((error as Error).message) && (await this.intact())) throw error;
        await rm(this.dir, { recursive: true, force: true });
      }
    } else if (existsSync(this.dir)) {
      // A clone that died before its .git was written.
      await rm(this.dir, { recursive: true, force: true });
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

  /**
   * Files that differ between two commits of the clone, or undefined when `from` is not there
   * (a force-pushed branch, a clone made again): then nothing is known to be unchanged.
   */
  async changedFiles(from: string, to: string): Promise<Set<string> | undefined> {
    if (from === to) return new Set();
    try {
      const names = await this.run(() =>
        this.inDir().raw(['diff', '--name-only', '--no-renames', '-z', from, to, '--']),
      );
      return new Set(names.split('\0').filter((name) => name !== ''));
    } catch {
      return undefined;
    }
  }

  /** The file's text, or null when it does not exist; links, binaries and oversized files are refused. */
  async readFile(file: string): Promise<string | null> {
    return readInside(this.dir, file, this.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  }

  async writeFile(file: string, text: string): Promise<void> {
    await writeInside(this.dir, file, text);
  }

  /** Whether the index holds changes against HEAD (after staging everything). */
  async hasStagedChanges(): Promise<boolean> {
    const git = this.inDir();
    await this.run(() => git.raw(['add', '--all']));
    const names = await this.run(() => git.raw(['diff', '--cached', '--name-only']));
    return names.trim() !== '';
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

  /** The clone reads as a repository with a checked-out commit and a readable index. */
  private async intact(): Promise<boolean> {
    const git = this.inDir();
    try {
      await this.run(() => git.raw(['rev-parse', '--verify', '--quiet', 'HEAD^{tree}']));
      await this.run(() => git.raw(['status', '--porcelain', '--untracked-files=no']));
      return true;
    } catch {
      return false;
    }
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
        ...protocolConfig(this.options.urlPolicy ?? {}),
        ...(this.options.signing?.config ?? ['commit.gpgsign=false']),
      ],
      timeout: { block: this.options.timeoutMs ?? 120_000 },
      allowEnvironment: Object.keys(env).filter((key) => key.startsWith('GIT_')),
      unsafe: {
        allowUnsafeConfigEnvCount: true,
        allowUnsafeSshCommand: true,
        allowUnsafeHooksPath: true,
        // Only ever to narrow the protocols git may use (protocolConfig).
        allowUnsafeProtocolOverride: true,
      },
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
