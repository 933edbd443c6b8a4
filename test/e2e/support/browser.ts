// A real browser for UI tests: Debian's chromium (installed with apt-get when absent and we
// are root, as the Prometheus tests install theirs), driven by playwright-core. No browser
// download; a fresh profile per launch, and no background network traffic.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { ensureDebianBinary } from './debian.js';

export const CHROMIUM_BINARY = '/usr/bin/chromium';

/** The chromium binary, installing the Debian package first when it is missing (root only). */
export function ensureChromium(log?: (line: string) => void): string {
  return ensureDebianBinary(CHROMIUM_BINARY, 'chromium', log);
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
