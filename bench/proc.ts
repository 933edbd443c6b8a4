// Reading a controller process's CPU from /proc, shared by the benchmarks.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds and times scheduled of each thread of `pid`, summed by thread name (MainThread,
 * V8Worker, ...), from schedstat: exact run time, where /proc/<pid>/stat counts 10 ms ticks and
 * misses most of an idle process's short wake-ups.
 */
export function threadCpu(pid: number): Map<string, { cpu: number; runs: number }> {
  const byName = new Map<string, { cpu: number; runs: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const [runNs = '0', , runs = '0'] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(
        ' ',
      );
      const sum = byName.get(name) ?? { cpu: 0, runs: 0 };
      byName.set(name, { cpu: sum.cpu + Number(runNs) / 1e9, runs: sum.runs + Number(runs) });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName;
}

/** CPU seconds of all of `pid`'s threads, from schedstat (see threadCpu). */
export function processCpu(pid: number): number {
  let sum = 0;
  for (const { cpu } of threadCpu(pid).values()) sum += cpu;
  return sum;
}
