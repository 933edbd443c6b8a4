import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileCacheDirectory } from '../../../src/process/compile-cache.js';

let base: string;
const uid = process.getuid?.() ?? 0;
const cacheDir = () => join(base, `slipway-compile-cache-${uid}`);

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'slipway-compile-cache-test-'));
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('compileCacheDirectory', () => {
  it('creates a private directory of its own and keeps using it', () => {
    expect(compileCacheDirectory({}, base)).toBe(cacheDir());
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
    expect(compileCacheDirectory({}, base)).toBe(cacheDir());
  });

  it('is off when Node caches already or caching is disabled', () => {
    expect(compileCacheDirectory({ NODE_COMPILE_CACHE: '/elsewhere' }, base)).toBeUndefined();
    expect(compileCacheDirectory({ NODE_DISABLE_COMPILE_CACHE: '1' }, base)).toBeUndefined();
  });

  it('refuses a directory others can write, a symbolic link or a file', () => {
    mkdirSync(cacheDir(), { mode: 0o700 });
    chmodSync(cacheDir(), 0o777);
    expect(compileCacheDirectory({}, base)).toBeUndefined();
    rmSync(cacheDir(), { recursive: true });
    mkdirSync(join(base, 'planted'), { mode: 0o700 });
    symlinkSync(join(base, 'planted'), cacheDir());
    expect(compileCacheDirectory({}, base)).toBeUndefined();
  });

  it.runIf(uid === 0)('refuses a directory another user owns (as root, who can make one)', () => {
    mkdirSync(cacheDir(), { mode: 0o700 });
    chownSync(cacheDir(), 12345, 12345);
    expect(compileCacheDirectory({}, base)).toBeUndefined();
  });

  it('starts without a cache when the directory cannot be made', () => {
    expect(compileCacheDirectory({}, join(base, 'missing', '\0bad'))).toBeUndefined();
  });
});
