// Node's flags and environment in the Slipway image, read from the Dockerfile (its ENTRYPOINT's
// flags and its ENV lines): the one place they are set, so the benchmarks run Slipway as the
// image does. HOME is left out (the image's own business, not the runtime's).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/package-paths.js';

export interface ImageRuntime {
  /** Node's flags before the script, e.g. ['--max-semi-space-size=2']. */
  flags: string[];
  /** The image's ENV but HOME, e.g. { NODE_ENV: 'production' }. */
  env: Record<string, string>;
}

export function imageRuntime(
  dockerfile = readFileSync(join(PACKAGE_ROOT, 'Dockerfile'), 'utf8'),
): ImageRuntime {
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  const words = entry ? (JSON.parse(entry) as string[]) : [];
  const script = words.indexOf('/app/dist/cmd/slipway.js');
  if (words[0] !== 'node' || script < 0) throw new Error(`Dockerfile: unexpected ENTRYPOINT ${entry}`);
  const env: Record<string, string> = {};
  for (const [, line = ''] of dockerfile.matchAll(/^ENV (.*)$/gm)) {
    for (const [, name = '', value = ''] of line.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) {
      if (name !== 'HOME') env[name] = value;
    }
  }
  return { flags: words.slice(1, script), env };
}

/** `NAME=value,NAME=value` (a value may hold '=' and ':', not ','). */
export function envList(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}
