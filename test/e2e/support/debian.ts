// Tools the e2e tests take from Debian packages (chromium, prometheus), installed with apt-get
// when absent and we are root, as on CI; no download from elsewhere.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** `binary`, installing the Debian package `pkg` first when it is missing (root only). */
export function ensureDebianBinary(
  binary: string,
  pkg: string,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): string {
  if (existsSync(binary)) return binary;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${binary} is missing and this is not root: install it with \`apt-get install -y ${pkg}\``,
    );
  }
  log(`[${pkg}] ${binary} is missing: running \`apt-get update\` and \`apt-get install -y ${pkg}\``);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env });
  if (!existsSync(binary)) throw new Error(`apt-get installed ${pkg} but ${binary} is absent`);
  return binary;
}
