// Git credentials from a Kubernetes Secret, handed to git through its environment only: an HTTP
// token becomes an http.<url>.extraHeader set with GIT_CONFIG_COUNT/KEY/VALUE (never on a command
// line or in a URL, so neither `ps` nor an error message shows it); an SSH key goes to a 0600 file
// in a private temp directory named by GIT_SSH_COMMAND. dispose() removes the files.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Secret keys we read, as Argo CD repository Secrets name them. */
export interface GitSecretData {
  readonly username?: string;
  readonly password?: string;
  readonly sshPrivateKey?: string;
  readonly knownHosts?: string;
}

export interface GitAccess {
  /** Variables to add to git's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Values that must never appear in logs, status or errors. */
  readonly secrets: readonly string[];
  dispose(): Promise<void>;
}

export interface GitAccessOptions {
  /** The ssh program; tests point it at a local stand-in. Default `ssh`. */
  readonly sshProgram?: string;
}

export function isSshUrl(url: string): boolean {
  return url.startsWith('ssh://') || /^[\w.-]+@[\w.-]+:/.test(url);
}

export async function prepareGitAccess(
  url: string,
  data: GitSecretData | undefined,
  options: GitAccessOptions = {},
): Promise<GitAccess> {
  const base = { GIT_TERMINAL_PROMPT: '0' };
  if (data === undefined) return { env: base, secrets: [], dispose: async () => {} };
  if (isSshUrl(url)) {
    if (data.sshPrivateKey === undefined) {
      throw new Error(`${url} is an SSH URL but the Secret has no sshPrivateKey`);
    }
    const dir = await mkdtemp(join(tmpdir(), 'slipway-ssh-'));
    await chmod(dir, 0o700);
    const keyFile = join(dir, 'key');
    const key = data.sshPrivateKey.endsWith('\n') ? data.sshPrivateKey : `${data.sshPrivateKey}\n`;
    await writeFile(keyFile, key, { mode: 0o600 });
    const options_ = ['-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'];
    if (data.knownHosts !== undefined) {
      const knownHosts = join(dir, 'known_hosts');
      await writeFile(knownHosts, data.knownHosts, { mode: 0o600 });
      options_.push('-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes');
    }
    const command = [options.sshProgram ?? 'ssh', ...options_].map(shellQuote).join(' ');
    return {
      env: { ...base, GIT_SSH_COMMAND: command },
      secrets: secretLines(data.sshPrivateKey),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  }
  if (data.password === undefined) {
    if (data.sshPrivateKey !== undefined)
      throw new Error(`${url} is not an SSH URL but the Secret holds an SSH key`);
    return { env: base, secrets: [], dispose: async () => {} };
  }
  const username = data.username ?? 'x-access-token';
  const basic = Buffer.from(`${username}:${data.password}`).toString('base64');
  return {
    env: {
      ...base,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `http.${httpScope(url)}.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    },
    secrets: [data.password, basic],
    dispose: async () => {},
  };
}

/** Scope of the header: the URL without credentials, query or fragment. */
function httpScope(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString();
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The key's body lines, each long enough that finding it anywhere means a leak. */
function secretLines(key: string): string[] {
  return key
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length >= 20 && !line.startsWith('-----'));
}

/** Replaces every secret value in `text` (for error messages from git, which may echo a URL). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== '') out = out.split(secret).join('[redacted]');
  return out.replace(/(https?:\/\/)[^/@\s]+@/g, '$1[redacted]@');
}
