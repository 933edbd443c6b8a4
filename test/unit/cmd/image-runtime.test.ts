// The image's Node flags and environment, read from the Dockerfile by the benchmarks: the
// reading itself, and that Node (the one the image and the benchmarks run) accepts every flag
// and that glibc takes the malloc tunables (a misspelt V8 flag makes Node exit at once, in the
// image as everywhere).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { envList, imageRuntime } from '../../../bench/image-runtime.js';

describe('the image runtime (Dockerfile ENTRYPOINT and ENV)', () => {
  it('reads the flags between node and the script, and ENV but HOME', () => {
    const runtime = imageRuntime(
      [
        'FROM x',
        'ENV NODE_ENV=production HOME=/tmp',
        'ENV GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=131072',
        'ENTRYPOINT ["node", "--max-semi-space-size=2", "--max-opt=2", "/app/dist/cmd/slipway.js"]',
        'CMD ["controller"]',
      ].join('\n'),
    );
    expect(runtime).toEqual({
      flags: ['--max-semi-space-size=2', '--max-opt=2'],
      env: {
        NODE_ENV: 'production',
        GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=131072',
      },
    });
  });

  it('refuses an ENTRYPOINT that does not run node on the Slipway script', () => {
    expect(() => imageRuntime('ENTRYPOINT ["/app/dist/cmd/slipway.js"]\n')).toThrow(/ENTRYPOINT/);
    expect(() => imageRuntime('FROM x\n')).toThrow(/ENTRYPOINT/);
  });

  it('the real Dockerfile: Node starts with its flags', () => {
    const { flags, env } = imageRuntime();
    expect(flags).toContain('--max-semi-space-size=2');
    const result = spawnSync(
      process.execPath,
      [
        ...flags,
        '-e',
        'process.stdout.write(String(require("node:v8").getHeapStatistics().total_heap_size > 0))',
      ],
      { encoding: 'utf8', env: { ...process.env, ...env } },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('true');
  });

  // The image is Debian (glibc), as is the machine the tests run on; ld.so lists each tunable's
  // value as it took it (a misspelt name or a value out of range would be ignored silently).
  it('the real Dockerfile: glibc takes each malloc tunable with its value', () => {
    const { env } = imageRuntime();
    const wanted = (env.GLIBC_TUNABLES ?? '').split(':').filter(Boolean);
    expect(wanted.length).toBeGreaterThan(0);
    const listed = spawnSync('/lib64/ld-linux-x86-64.so.2', ['--list-tunables'], {
      encoding: 'utf8',
      env: { ...process.env, GLIBC_TUNABLES: env.GLIBC_TUNABLES },
    }).stdout;
    for (const tunable of wanted) {
      const [name = '', value = ''] = tunable.split('=');
      expect(listed).toContain(`${name}: 0x${Number(value).toString(16)} `);
    }
  });

  it('envList splits NAME=value pairs on commas, values may hold = and :', () => {
    expect(envList('A=1,B=x=y:z,')).toEqual({ A: '1', B: 'x=y:z' });
    expect(envList('')).toEqual({});
  });
});
