// A real browser for UI tests: Debian's chromium (installed with apt-get when absent and we
// are root, as the Prometheus tests install theirs), driven by playwright-core. No browser
// download; a fresh profile per launch, and no background network traffic.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_BINARY = '/usr/bin/chromium';

export function ensureChromium(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): string {
  if (existsSync(CHROMIUM_BINARY)) return CHROMIUM_BINARY;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${CHROMIUM_BINARY} is missing and this is not root: install it with \`apt-get install -y chromium\``,
    );
  }
  log('[chromium] /usr/bin/chromium is missing: running `apt-get update` and `apt-get install -y chromium`');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
    stdio: 'inherit',
    env,
  });
  if (!existsSync(CHROMIUM_BINARY))
    throw new Error(`apt-get installed chromium but ${CHROMIUM_BINARY} is absent`);
  return CHROMIUM_BINARY;
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<TestBrowser> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
  // A persistent context is playwright's way to pass a (fresh) --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    viewport: { width: 1280, height: 900 },
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
