// The clone's file access never leaves the clone: symbolic links (the file or a directory on the
// way), `..`, .git, FIFOs, binaries and oversized files are refused with a message that names the
// path and the reason, never the content; nothing outside is read or written.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  pathSegments,
  readInside,
  writeInside,
} from '../../../../../src/gitsync/gittarget/workspace/safe-files.js';

const MARKER = 'PLANTED-SECRET-7c1e9b';
let base: string;
let clone: string;
let outside: string;
const sum = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'slipway-safe-files-'));
  clone = join(base, 'clone');
  outside = join(base, 'outside');
  mkdirSync(join(clone, 'apps', 'web'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.yaml'), `token: ${MARKER}\n`);
  writeFileSync(join(clone, 'apps', 'web', 'values.yaml'), 'image:\n  tag: "1.0"\n');
  symlinkSync(join(outside, 'secret.yaml'), join(clone, 'apps', 'web', 'leak.yaml'));
  symlinkSync(outside, join(clone, 'linked'));
  symlinkSync('../../../outside/secret.yaml', join(clone, 'apps', 'relative.yaml'));
  writeFileSync(join(clone, 'binary.yaml'), Buffer.from([0x6b, 0x3a, 0x00, 0xff, ...Buffer.from(MARKER)]));
  writeFileSync(join(clone, 'latin1.yaml'), Buffer.from([0x6b, 0x3a, 0x20, 0xe9, ...Buffer.from(MARKER)]));
  writeFileSync(join(clone, 'big.yaml'), 'x'.repeat(5000));
  execFileSync('mkfifo', [join(clone, 'fifo.yaml')]);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('reading inside the clone', () => {
  it('reads a regular file and says null for a missing one', async () => {
    expect(await readInside(clone, 'apps/web/values.yaml', 4096)).toBe('image:\n  tag: "1.0"\n');
    expect(await readInside(clone, 'apps/web/missing.yaml', 4096)).toBeNull();
    expect(await readInside(clone, 'apps/nowhere/x.yaml', 4096)).toBeNull();
  });

  it.each([
    ['apps/web/leak.yaml', 'apps/web/leak.yaml: is a symbolic link'],
    ['apps/relative.yaml', 'apps/relative.yaml: is a symbolic link'],
    ['linked/secret.yaml', 'linked/secret.yaml: linked is a symbolic link'],
    ['../outside/secret.yaml', 'leaves the repository'],
    ['apps/../../outside/secret.yaml', 'leaves the repository'],
    ['/etc/passwd', 'an absolute path'],
    ['.git/config', 'is inside .git'],
    ['apps/.GIT/config', 'is inside .git'],
    ['binary.yaml', 'binary.yaml: is a binary file'],
    ['latin1.yaml', 'latin1.yaml: is not UTF-8 text'],
    ['big.yaml', 'big.yaml: is 5000 bytes, over the 4096-byte limit'],
    ['fifo.yaml', 'fifo.yaml: is not a regular file'],
  ])('refuses %s', async (file, message) => {
    const text = await refusal(() => readInside(clone, file, 4096));
    expect(text).toContain(message);
    expect(text).not.toContain(MARKER);
  });
});

describe('writing inside the clone', () => {
  it('writes a regular file, creating directories', async () => {
    await writeInside(clone, 'apps/new/values.yaml', 'a: 1\n');
    expect(readFileSync(join(clone, 'apps', 'new', 'values.yaml'), 'utf8')).toBe('a: 1\n');
  });

  it.each([
    ['apps/web/leak.yaml', 'is a symbolic link'],
    ['linked/secret.yaml', 'linked is a symbolic link'],
    ['linked/new.yaml', 'linked is a symbolic link'],
    ['../outside/secret.yaml', 'leaves the repository'],
  ])('never writes through %s', async (file, message) => {
    const before = sum(join(outside, 'secret.yaml'));
    expect(await refusal(() => writeInside(clone, file, 'owned: true\n'))).toContain(message);
    expect(sum(join(outside, 'secret.yaml'))).toBe(before);
    expect(() => readFileSync(join(outside, 'new.yaml'))).toThrow();
  });
});

describe('path segments', () => {
  it('normalizes harmless forms and refuses empty paths', () => {
    expect(pathSegments('./apps//web/values.yaml')).toEqual(['apps', 'web', 'values.yaml']);
    expect(() => pathSegments('')).toThrow('not a file path');
    expect(() => pathSegments('.')).toThrow('repository root');
  });
});
