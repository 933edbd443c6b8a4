// The metric families with series per object (Rollout, AnalysisRun, Experiment, notified object,
// API request target) written straight as Prometheus text (format 0.0.4), byte for byte as
// prom-client writes them. At 10,000 Rollouts a scrape has ~350,000 such lines, as Argo's does;
// through prom-client the first ~180,000 of them cost ~360 ms of CPU and ~510 MiB of short-lived
// objects per scrape (bench/metrics-scrape.ts). One hand-written renderer, because prom-client
// rebuilds every label set and label string at every scrape and has no way to cache them. Here
// each object's text is built once: per cached object for the families read from the informer
// cache (the informer replaces an object on update, so a WeakMap keyed by it is never stale), and
// per series for the histograms and counters, which keep their counts in plain arrays and their
// lines until the next change. Everything else stays in prom-client; the scrape is its text
// followed by these (ProcessMetrics.scrape).
import { type Clock, systemClock, type TimerHandle } from '../kube/clock.js';

/** Label value escaping of the text format: backslash, newline and double quote. */
export function escapeLabelValue(value: string): string {
  if (!/[\\\n"]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** `name="value",...` in the order given, values escaped. */
export function labelString(pairs: readonly (readonly [string, string])[]): string {
  let out = '';
  for (const [name, value] of pairs) out += `${out ? ',' : ''}${name}="${escapeLabelValue(value)}"`;
  return out;
}

/**
 * The same text as one flat string. Strings built by concatenation are ropes in V8; a cached
 * rope is walked again by every scrape that copies it, a flat string is copied in one go (half
 * the scrape's time at 10,000 Rollouts). A round trip through UTF-8 always yields a flat string.
 */
export function flat(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** A sample value as prom-client writes it (Nan, +Inf, -Inf, else JavaScript's number text). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

/** The HELP and TYPE lines of a family. */
export function familyHeader(name: string, help: string, type: 'gauge' | 'counter' | 'histogram'): string {
  return flat(
    `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`,
  );
}

/** Something that writes whole families (header and lines, each line ending in a newline). */
export interface TextSource {
  render(): string;
}

/** The hand-written part of the scrape: every registered source, in registration order. */
export class Exposition {
  private readonly sources = new Set<TextSource>();

  /** Adds a source; returns the function that removes it. */
  add(source: TextSource): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  /** The families of every source, separated by blank lines as prom-client separates its own. */
  render(): string {
    let out = '';
    for (const source of this.sources) {
      const text = source.render();
      if (text) out += out ? `\n${text}` : text;
    }
    return out;
  }
}

/**
 * Starts a timer; the function returned passes the seconds since to `observe`. Measured as
 * prom-client's startTimer measures (hrtime seconds plus nanoseconds / 1e9), so sums keep the
 * same digits.
 */
export function startTimer(observe: (seconds: number) => void): () => void {
  const start = process.hrtime();
  return () => {
    const [seconds, nanoseconds] = process.hrtime(start);
    observe(seconds + nanoseconds / 1e9);
  };
}

/** A value derived from an object once and kept as long as the object lives (flatten its strings). */
export class PerObject<T extends object, V> {
  private readonly cache = new WeakMap<T, V>();
  constructor(private readonly build: (object: T) => V) {}

  get(object: T): V {
    let value = this.cache.get(object);
    if (value === undefined) {
      value = this.build(object);
      this.cache.set(object, value);
    }
    return value;
  }
}

interface HistogramSeries {
  /** `labels} ` : what follows `le="..",` in a bucket line, and `{` in the sum and count lines. */
  tail: string;
  /** Observations per bucket (not cumulative); the last one is above the largest bound. */
  counts: number[];
  sum: number;
  count: number;
  /** The series' lines as last written; dropped by the next observation. */
  text: string | undefined;
}

/** A histogram with one series per object (identity key), its labels built once per series. */
export class ObjectHistogram {
  private readonly series = new Map<string, HistogramSeries>();
  private readonly bucketPrefixes: string[];
  private readonly header: string;

  constructor(
    private readonly name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    this.header = familyHeader(name, help, 'histogram');
    // prom-client writes `le` first, then the series' labels.
    this.bucketPrefixes = [...bounds.map((b) => `${b}`), '+Inf'].map((le) =>
      flat(`${name}_bucket{le="${le}",`),
    );
  }

  /** Records a value for the object `key`; `labels` (`a="x",b="y"`) is called for a new series only. */
  observe(key: string, labels: () => string, value: number): void {
    if (!Number.isFinite(value)) return;
    let s = this.series.get(key);
    if (!s) {
      s = {
        tail: flat(`${labels()}} `),
        counts: new Array<number>(this.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
        text: undefined,
      };
      this.series.set(key, s);
    }
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count += 1;
    s.text = undefined;
  }

  remove(key: string): void {
    this.series.delete(key);
  }

  render(): string {
    let out = this.header;
    // Most series do not change between scrapes (an idle Rollout is not reconciled): their
    // lines are kept as written, so a scrape allocates only for the ones that changed.
    for (const s of this.series.values()) out += s.text ??= this.seriesText(s);
    return out;
  }

  private seriesText(s: HistogramSeries): string {
    const { name, bucketPrefixes } = this;
    const last = bucketPrefixes.length - 1;
    let out = '';
    let cumulative = 0;
    for (let i = 0; i < last; i++) {
      cumulative += s.counts[i] as number;
      out += `${bucketPrefixes[i]}${s.tail}${cumulative}\n`;
    }
    out += `${bucketPrefixes[last]}${s.tail}${s.count}\n${name}_sum{${s.tail}${formatValue(s.sum)}\n${name}_count{${s.tail}${s.count}\n`;
    return flat(out);
  }
}

/** A counter whose series belong to objects (identity key); an object may have several series. */
export class ObjectCounter {
  /** Object key -> label string -> value. */
  private readonly series = new Map<string, Map<string, number>>();
  /** Object key -> its lines as last written; dropped by the object's next increment. */
  private readonly texts = new Map<string, string>();
  private readonly header: string;

  constructor(
    private readonly name: string,
    help: string,
  ) {
    this.header = familyHeader(name, help, 'counter');
  }

  /** Adds one to the series `labels` (`a="x",b="y"`) of the object `key`. */
  inc(key: string, labels: string): void {
    let own = this.series.get(key);
    if (!own) {
      own = new Map();
      this.series.set(key, own);
    }
    const value = own.get(labels);
    if (value === undefined) own.set(flat(labels), 1);
    else own.set(labels, value + 1);
    this.texts.delete(key);
  }

  remove(key: string): void {
    this.series.delete(key);
    this.texts.delete(key);
  }

  render(): string {
    let out = this.header;
    for (const [key, own] of this.series) {
      let text = this.texts.get(key);
      if (text === undefined) {
        text = '';
        for (const [labels, value] of own) text += `${this.name}{${labels}} ${value}\n`;
        text = flat(text);
        this.texts.set(key, text);
      }
      out += text;
    }
    return out;
  }
}

/**
 * As Argo Rollouts (DefaultMetricCleanupDelay): a deleted object's reconcile and event series
 * stay this long, so Prometheus (60 s scrape interval by default) reads their last values.
 */
export const METRIC_CLEANUP_DELAY_MS = 65_000;

/** Runs `remove(key)` a delay after each `schedule(key)`; `cancel()` drops every pending one. */
export class DelayedRemoval {
  private readonly pending = new Map<string, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly delayMs: number,
    private readonly remove: (key: string) => void,
  ) {}

  schedule(key: string): void {
    // As Argo: the removal happens the delay after the delete, even if an object of the same
    // name came back meanwhile (its counts start again from zero).
    if (this.pending.has(key)) return;
    this.pending.set(
      key,
      this.clock.setTimer(this.delayMs, () => {
        this.pending.delete(key);
        this.remove(key);
      }),
    );
  }

  cancel(): void {
    for (const timer of this.pending.values()) timer.cancel();
    this.pending.clear();
  }
}

/** How a module's per-object series go after a deletion (tests pass a fake clock and delay). */
export interface CleanupOptions {
  clock?: Clock;
  cleanupDelayMs?: number;
}

/** Removes an object's series from each of `families` the cleanup delay after its deletion. */
export function removalAfterDelete(
  families: readonly { remove(key: string): void }[],
  options: CleanupOptions = {},
): DelayedRemoval {
  return new DelayedRemoval(
    options.clock ?? systemClock,
    options.cleanupDelayMs ?? METRIC_CLEANUP_DELAY_MS,
    (key) => {
      for (const family of families) family.remove(key);
    },
  );
}

/** Argo's buckets for its reconcile and notification_send histograms (controller/metrics/prommetrics.go). */
export const ARGO_BUCKETS: readonly number[] = [0.01, 0.15, 0.25, 0.5, 1];

/** The key of an object's series in the families above. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * A kind's `<prefix>_reconcile` histogram (ARGO_BUCKETS) and `<prefix>_reconcile_error` counter,
 * as Argo has them for Rollouts, AnalysisRuns and Experiments: one series per object, with the
 * labels `identity` writes (Argo's label order differs by kind).
 */
export class ReconcileFamilies {
  private readonly histogram: ObjectHistogram;
  private readonly errors: ObjectCounter;

  constructor(
    prefix: string,
    help: { reconcile: string; error: string },
    private readonly identity: (namespace: string, name: string) => string,
  ) {
    this.histogram = new ObjectHistogram(`${prefix}_reconcile`, help.reconcile, ARGO_BUCKETS);
    this.errors = new ObjectCounter(`${prefix}_reconcile_error`, help.error);
  }

  /** Both families, for removalAfterDelete. */
  get families(): readonly { remove(key: string): void }[] {
    return [this.histogram, this.errors];
  }

  readonly observe = (namespace: string, name: string, seconds: number): void =>
    this.histogram.observe(objectKey(namespace, name), () => this.identity(namespace, name), seconds);

  /** Starts a reconcile timer; call the result when the reconcile ends. */
  readonly start = (namespace: string, name: string): (() => void) =>
    startTimer((seconds) => this.observe(namespace, name, seconds));

  readonly error = (namespace: string, name: string): void =>
    this.errors.inc(objectKey(namespace, name), this.identity(namespace, name));

  /** The histogram's text, then the counter's. */
  render(): string {
    return `${this.histogram.render()}\n${this.errors.render()}`;
  }
}
