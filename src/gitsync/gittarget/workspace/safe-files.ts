// Reading and writing files of a clone without ever leaving it. A repository is attacker-chosen
// content: a symbolic link (the file itself, or any directory on the way) could point at the
// ServiceAccount token, /proc/self/environ or another tenant's clone. So every component of the
// path is checked with lstat, the file is opened with O_NOFOLLOW, and what was opened is
// compared (device and inode) with what was checked. Errors name the path and the reason, never
// the file's content.
import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, realpath } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';

/** Files larger than this are refused unless the operator sets another limit. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

export class UnsafePathError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'UnsafePathError';
  }
}

/** The components of a repository-relative path, refusing anything that could leave the clone. */
export function pathSegments(file: string): string[] {
  if (file === '' || file.includes('\0')) throw new UnsafePathError(file || '(empty)', 'not a file path');
  if (posix.isAbsolute(file) || /^[a-zA-Z]:/.test(file)) {
    throw new UnsafePathError(file, 'an absolute path; paths are relative to the repository root');
  }
  const segments = file.split(/[/\\]/).filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) throw new UnsafePathError(file, 'names the repository root, not a file');
  for (const segment of segments) {
    if (segment === '..') throw new UnsafePathError(file, 'leaves the repository ("..")');
    if (segment.toLowerCase() === '.git') throw new UnsafePathError(file, 'is inside .git');
  }
  return segments;
}

/** Checks each directory on the way: it must be a real directory (a missing one is fine if `create`). */
async function checkParents(root: string, file: string, segments: readonly string[], create: boolean) {
  let dir = root;
  for (let i = 0; i < segments.length - 1; i += 1) {
    dir = join(dir, segments[i]!);
    const shown = segments.slice(0, i + 1).join('/');
    const stat = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new UnsafePathError(file, `cannot inspect ${shown} (${error.code ?? 'error'})`);
    });
    if (stat === undefined) {
      if (!create) return 'missing';
      await mkdir(dir);
      continue;
    }
    if (stat.isSymbolicLink()) {
      throw new UnsafePathError(file, `${shown} is a symbolic link; git-sync does not follow links`);
    }
    if (!stat.isDirectory()) throw new UnsafePathError(file, `${shown} is not a directory`);
  }
  return 'ok';
}

/** After opening: what we hold must be a regular file, the one checked, really inside `root`. */
async function verifyOpened(root: string, file: string, path: string, handle: FileHandle) {
  const [held, named] = await Promise.all([handle.stat(), lstat(path)]);
  if (!held.isFile()) throw new UnsafePathError(file, 'is not a regular file');
  if (held.dev !== named.dev || held.ino !== named.ino) {
    throw new UnsafePathError(file, 'changed while it was being opened');
  }
  const [real, realRoot] = await Promise.all([realpath(path), realpath(root)]);
  if (!real.startsWith(realRoot + sep)) throw new UnsafePathError(file, 'resolves outside the repository');
  return held;
}

/**
 * The text of `file` inside `root`, or null when it does not exist. Refuses links, non-regular
 * files, files over `maxBytes` and content that is not UTF-8 text.
 */
export async function readInside(root: string, file: string, maxBytes: number): Promise<string | null> {
  const segments = pathSegments(file);
  if ((await checkParents(root, file, segments, false)) === 'missing') return null;
  const path = join(root, ...segments);
  const stat = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new UnsafePathError(file, `cannot inspect (${error.code ?? 'error'})`);
  });
  if (stat === undefined) return null;
  if (stat.isSymbolicLink())
    throw new UnsafePathError(file, 'is a symbolic link; git-sync does not follow links');
  if (!stat.isFile()) throw new UnsafePathError(file, 'is not a regular file');
  if (stat.size > maxBytes) throw tooLarge(file, stat.size, maxBytes);
  // O_NONBLOCK: a FIFO swapped in after the check must not hang the open.
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (error: NodeJS.ErrnoException) => {
      throw new UnsafePathError(file, `cannot open (${error.code ?? 'error'})`);
    },
  );
  try {
    const held = await verifyOpened(root, file, path, handle);
    if (held.size > maxBytes) throw tooLarge(file, held.size, maxBytes);
    // Read at most one byte over the limit, whatever the size said, so a growing file stays bounded.
    const buffer = Buffer.alloc(Math.min(held.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    if (length > maxBytes) throw tooLarge(file, length, maxBytes);
    return decodeText(file, buffer.subarray(0, length));
  } finally {
    await handle.close();
  }
}

/** Writes `text` to `file` inside `root`, creating directories on the way; never through a link. */
export async function writeInside(root: string, file: string, text: string): Promise<void> {
  const segments = pathSegments(file);
  await checkParents(root, file, segments, true);
  const path = join(root, ...segments);
  const stat = await lstat(path).catch(() => undefined);
  if (stat?.isSymbolicLink()) {
    throw new UnsafePathError(file, 'is a symbolic link; git-sync does not write through links');
  }
  if (stat !== undefined && !stat.isFile()) throw new UnsafePathError(file, 'is not a regular file');
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    0o644,
  ).catch((error: NodeJS.ErrnoException) => {
    throw new UnsafePathError(file, `cannot open for writing (${error.code ?? 'error'})`);
  });
  try {
    await verifyOpened(root, file, path, handle);
    await handle.truncate(0);
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}

function tooLarge(file: string, size: number, max: number): UnsafePathError {
  return new UnsafePathError(
    file,
    `is ${size} bytes, over the ${max}-byte limit for files git-sync edits (operator flag --max-file-size)`,
  );
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(file: string, bytes: Buffer): string {
  if (bytes.includes(0)) throw new UnsafePathError(file, 'is a binary file (it holds NUL bytes), not YAML');
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new UnsafePathError(file, 'is not UTF-8 text');
  }
}
