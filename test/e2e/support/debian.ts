// Tools the tests take from Debian packages (chromium, prometheus, docker-registry, redis-server),
// installed with apt-get when absent and we are root, as on CI; no download from elsewhere.
//
// Test files run in parallel, and on a fresh machine several find their tool missing at once:
// apt-get and dpkg each hold a lock and a second apt-get fails at once ("Could not get lock
// /var/lib/dpkg/lock-frontend"). So every install here runs under one lock file of ours (flock,
// from util-linux, which Debian always has): the second waits, then finds its binary installed
// or installs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const APT_LOCK = '/tmp/slipway-apt-install.lock';
/** An apt-get update and install of one package; a slow mirror can take minutes. */
const APT_WAIT_SECONDS = 1800;

/**
 * `binary`, installing the Debian package `pkg` first when it is missing (root only). `after`
 * runs when this call found it missing (e.g. to stop the system service the package starts).
 */
export function ensureDebianBinary(
  binary: string,
  pkg: string,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  after?: () => void,
): string {
  if (existsSync(binary)) return binary;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${binary} is missing and this is not root: install it with \`apt-get install -y ${pkg}\``,
    );
  }
  log(`[${pkg}] ${binary} is missing: running \`apt-get update\` and \`apt-get install -y ${pkg}\``);
  // Under the lock: another test file may have installed it while this one waited.
  const script = '[ -e "$1" ] || { apt-get update && apt-get install -y --no-install-recommends "$2"; }';
  execFileSync('flock', ['-w', String(APT_WAIT_SECONDS), APT_LOCK, 'sh', '-c', script, 'sh', binary, pkg], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!existsSync(binary)) throw new Error(`apt-get installed ${pkg} but ${binary} is absent`);
  after?.();
  return binary;
}

/** Stops the system service a package started when it was installed (tests run their own). */
export function stopDebianService(name: string): void {
  spawnSync('sh', ['-c', 'service "$1" stop 2>/dev/null || systemctl stop "$1" 2>/dev/null', 'sh', name], {
    stdio: 'ignore',
  });
}
