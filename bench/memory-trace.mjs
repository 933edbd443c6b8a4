// Preloaded into a controller with `node --import <this file>` when SLIPWAY_MEMORY_TRACE names a
// file (bench/against-argo.ts --memory-trace DIR does both): every 100 ms, one JSON line of what
// the RSS is made of, in MiB: process.memoryUsage() (heapTotal/heapUsed/external/arrayBuffers),
// each V8 heap space's physical size, /proc's RssAnon/RssFile and the thread count. Anonymous
// RSS not in the V8 heap nor array buffers is malloc (arenas of Node's and V8's threads), stacks
// and code; RssFile is the node binary and shared libraries. Not loaded otherwise.
import { appendFileSync, readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.SLIPWAY_MEMORY_TRACE;
if (out) {
  const mib = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
  const started = Date.now();
  let lines = [];
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(out, lines.join(''));
    lines = [];
  };
  const sample = () => {
    const m = process.memoryUsage();
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    const spaces = {};
    for (const s of getHeapSpaceStatistics())
      spaces[s.space_name.replace(/_space$/, '')] = mib(s.physical_space_size);
    lines.push(
      `${JSON.stringify({
        t: (Date.now() - started) / 1000,
        rss: mib(m.rss),
        hwm: kb('VmHWM') / 1024,
        anon: kb('RssAnon') / 1024,
        file: kb('RssFile') / 1024,
        threads: kb('Threads'),
        heapTotal: mib(m.heapTotal),
        heapUsed: mib(m.heapUsed),
        external: mib(m.external),
        arrayBuffers: mib(m.arrayBuffers),
        spaces,
      })}\n`,
    );
    if (lines.length >= 10) flush();
  };
  setInterval(sample, 100).unref();
  process.on('exit', () => {
    sample();
    flush();
  });
}
