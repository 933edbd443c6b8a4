// What the RSS was made of at its peak, from the traces bench/memory-trace.mjs wrote (MiB):
//   node bench/memory-trace-peak.mjs /tmp/trace/*.jsonl
// file: the node binary and libraries' pages; v8: the heap spaces' physical size; other:
// anonymous memory outside both (malloc, stacks, pages V8 has freed but not yet returned).
import { readFileSync } from 'node:fs';

for (const file of process.argv.slice(2)) {
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  if (rows.length === 0) continue;
  const peak = rows.reduce((a, b) => (b.rss > a.rss ? b : a));
  const v8 = Object.values(peak.spaces).reduce((a, b) => a + b, 0);
  const spaces = Object.entries(peak.spaces)
    .filter(([, mib]) => mib > 0)
    .map(([name, mib]) => `${name} ${mib}`)
    .join(', ');
  const other = peak.anon - v8 - peak.arrayBuffers;
  process.stdout.write(
    `${file}: peak RSS ${peak.rss} at ${peak.t.toFixed(0)} s = file ${peak.file.toFixed(1)} + anon ${peak.anon.toFixed(1)} ` +
      `(v8 ${v8.toFixed(1)} [${spaces}; used ${peak.heapUsed}], array buffers ${peak.arrayBuffers}, other ${other.toFixed(1)}), ${peak.threads} threads\n`,
  );
}
