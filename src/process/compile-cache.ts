// Where `slipway` keeps V8's compile cache (node:module enableCompileCache): a private
// directory under the temporary one. In the image /tmp is an emptyDir (the root filesystem is
// read-only), so a restarted container finds what the one before compiled.
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The directory to cache in, created if missing; undefined when caching is off
 * (NODE_DISABLE_COMPILE_CACHE), Node already caches (NODE_COMPILE_CACHE, its own variable, set
 * at start), or the directory is not ours alone: code read from a directory another user can
 * write is code they chose.
 */
export function compileCacheDirectory(
  env: NodeJS.ProcessEnv = process.env,
  base = tmpdir(),
): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE || env.NODE_COMPILE_CACHE) return undefined;
  const uid = process.getuid?.() ?? 0;
  const dir = join(base, `slipway-compile-cache-${uid}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined; // a read-only or full disk: start without the cache
  }
  return dir;
}
