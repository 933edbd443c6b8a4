// Commit signing with git's own machinery (commit.gpgsign): an armored GPG key imported into a
// private GNUPGHOME, or an SSH key file with gpg.format=ssh. The key comes from a Secret and lives
// in a 0700 temp directory until dispose().
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SigningMethod } from '../../../api/gitsync.js';

const run = promisify(execFile);

export interface CommitSigning {
  /** `key=value` pairs for git -c. */
  readonly config: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  dispose(): Promise<void>;
}

export async function prepareSigning(method: SigningMethod, signingKey: string): Promise<CommitSigning> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-sign-'));
  await chmod(dir, 0o700);
  const key = signingKey.endsWith('\n') ? signingKey : `${signingKey}\n`;
  try {
    if (method === 'ssh') {
      const keyFile = join(dir, 'signing-key');
      await writeFile(keyFile, key, { mode: 0o600 });
      return {
        config: ['gpg.format=ssh', `user.signingkey=${keyFile}`, 'commit.gpgsign=true'],
        env: {},
        dispose: () => rm(dir, { recursive: true, force: true }),
      };
    }
    const env = { ...process.env, GNUPGHOME: dir };
    const keyFile = join(dir, 'import.asc');
    await writeFile(keyFile, key, { mode: 0o600 });
    await run('gpg', ['--batch', '--import', keyFile], { env });
    await rm(keyFile, { force: true });
    const { stdout } = await run('gpg', ['--batch', '--with-colons', '--list-secret-keys'], { env });
    const fingerprint = /^fpr:+([0-9A-F]{40,64}):/m.exec(stdout)?.[1];
    if (fingerprint === undefined) throw new Error('the signing Secret holds no GPG secret key');
    return {
      config: ['gpg.format=openpgp', `user.signingkey=${fingerprint}`, 'commit.gpgsign=true'],
      env: { GNUPGHOME: dir },
      dispose: async () => {
        await run('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`preparing ${method} commit signing failed: ${(error as Error).message.split('\n')[0]}`);
  }
}
