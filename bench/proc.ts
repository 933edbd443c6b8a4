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

/** The largest anonymous and file-backed resident memory seen so far, in MiB. */
export interface RssSplit {
  anonMiB: number;
  fileMiB: number;
}

/**
 * Samples RssAnon and RssFile of `pid` every `everyMs` (the kernel keeps a high-water mark of
 * the total, VmHWM, but not of each part). Anonymous memory is the heap, stacks and malloc, what
 * a container's `container_memory_rss` shows; file-backed is the program's and libraries' pages
 * it has touched (for Node most of it is the `node` binary: ~31 MiB for an empty script). A
 * sample can miss a short peak, so each is a lower bound.
 */
export function sampleRssSplit(pid: number, everyMs = 100): { stop(): RssSplit } {
  const peak: RssSplit = { anonMiB: 0, fileMiB: 0 };
  const sample = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const mib = (field: string) =>
        Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
      peak.anonMiB = Math.max(peak.anonMiB, mib('RssAnon'));
      peak.fileMiB = Math.max(peak.fileMiB, mib('RssFile'));
    } catch {
      // the process has exited
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { ...peak };
    },
  };
}
