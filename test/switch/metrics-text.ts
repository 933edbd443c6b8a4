// Prometheus' text format read into families (HELP, TYPE, samples), and the comparison of two
// controllers' /metrics family by family, for the metrics compatibility test.

export interface Sample {
  /** The sample's own name (with _bucket, _sum or _count for a histogram). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const unescapeHelp = (text: string) => text.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
const unescapeValue = (text: string) => text.replace(/\\(n|\\|")/g, (_, c: string) => (c === 'n' ? '\n' : c));

function parseSample(line: string): Sample {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  const labels: Record<string, string> = {};
  let rest: string;
  let name: string;
  if (brace !== -1 && brace < space) {
    name = line.slice(0, brace);
    const end = line.lastIndexOf('}');
    const body = line.slice(brace + 1, end);
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1]!] = unescapeValue(m[2]!);
    }
    rest = line.slice(end + 1).trim();
  } else {
    name = line.slice(0, space);
    rest = line.slice(space + 1).trim();
  }
  return { name, labels, value: Number(rest.split(/\s+/)[0]) };
}

/** The families of a scrape by name; a family with HELP and TYPE but no sample is kept. */
export function parseMetrics(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const f = family(meta[2]!);
      if (meta[1] === 'HELP') f.help = unescapeHelp(meta[3] ?? '');
      else f.type = meta[3] ?? '';
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line);
    const base = /^(.*)_(bucket|sum|count)$/.exec(sample.name)?.[1];
    const baseType = base === undefined ? undefined : families.get(base)?.type;
    const owner = baseType === 'histogram' || baseType === 'summary' ? base! : sample.name;
    family(owner).samples.push(sample);
  }
  return families;
}

/** The label names of a family's samples (without a histogram's `le`). */
export function labelNames(f: Family): string[] {
  const names = new Set<string>();
  for (const s of f.samples) for (const name of Object.keys(s.labels)) if (name !== 'le') names.add(name);
  return [...names].sort();
}

/** A histogram's bucket bounds, as written (`+Inf` left out). */
export function bucketBounds(f: Family): number[] {
  const bounds = new Set<number>();
  for (const s of f.samples) {
    if (s.name.endsWith('_bucket') && s.labels.le !== undefined && s.labels.le !== '+Inf') {
      bounds.add(Number(s.labels.le));
    }
  }
  return [...bounds].sort((a, b) => a - b);
}

/** One series as `{a="1",b="2"} value` over the given label names (sorted), for set comparison. */
export function seriesKey(s: Sample, names: readonly string[], withValue: boolean): string {
  const labels = names.map((n) => `${n}=${JSON.stringify(s.labels[n] ?? '')}`).join(',');
  return withValue ? `{${labels}} ${s.value}` : `{${labels}}`;
}

export interface CompareOptions {
  /** Families left out, with why. */
  outOfScope: readonly (readonly [RegExp, string])[];
  /**
   * Gauges read from the objects at scrape time: every series of the objects `mine` selects is
   * compared with its value (phase, strategy, traffic_router, metric type, replica counts...).
   */
  stateFamilies: ReadonlySet<string>;
  /** The series about the test's own objects (the other objects in the cluster are not compared). */
  mine: (labels: Record<string, string>) => boolean;
}

export interface Comparison {
  /** Argo's families compared. */
  compared: string[];
  /** Argo's families left out (name: why). */
  excluded: string[];
  differences: string[];
}

const list = (values: readonly (string | number)[]) => `[${values.join(', ')}]`;

/** Every difference of `ours` from `argo` on the families Argo emitted, one line each. */
export function compareScrapes(
  argo: Map<string, Family>,
  ours: Map<string, Family>,
  options: CompareOptions,
): Comparison {
  const compared: string[] = [];
  const excluded: string[] = [];
  const differences: string[] = [];
  for (const [name, theirs] of [...argo].sort(([a], [b]) => a.localeCompare(b))) {
    const why = options.outOfScope.find(([pattern]) => pattern.test(name))?.[1];
    if (why !== undefined) {
      excluded.push(`${name}: ${why}`);
      continue;
    }
    // Go's client writes a family only once it has a series.
    if (theirs.samples.length === 0) continue;
    compared.push(name);
    const mine = ours.get(name);
    if (!mine) {
      differences.push(`${name}: missing (Argo: ${theirs.type}, labels ${list(labelNames(theirs))})`);
      continue;
    }
    if (mine.type !== theirs.type) differences.push(`${name}: TYPE ${mine.type}, Argo ${theirs.type}`);
    if (mine.help !== theirs.help) {
      differences.push(`${name}: HELP ${JSON.stringify(mine.help)}, Argo ${JSON.stringify(theirs.help)}`);
    }
    if (mine.samples.length === 0) {
      differences.push(`${name}: no series (Argo has ${theirs.samples.length})`);
      continue;
    }
    const argoLabels = labelNames(theirs);
    const ourLabels = labelNames(mine);
    if (list(argoLabels) !== list(ourLabels)) {
      differences.push(`${name}: labels ${list(ourLabels)}, Argo ${list(argoLabels)}`);
    }
    if (theirs.type === 'histogram') {
      const argoBounds = bucketBounds(theirs);
      const ourBounds = bucketBounds(mine);
      if (list(argoBounds) !== list(ourBounds)) {
        differences.push(`${name}: buckets ${list(ourBounds)}, Argo ${list(argoBounds)}`);
      }
    }
    if (options.stateFamilies.has(name)) {
      // Over the label names both have, so a missing label is reported once (above).
      const shared = argoLabels.filter((n) => ourLabels.includes(n));
      const keys = (f: Family) =>
        new Set(f.samples.filter((s) => options.mine(s.labels)).map((s) => seriesKey(s, shared, true)));
      const argoSeries = keys(theirs);
      const ourSeries = keys(mine);
      const onlyArgo = [...argoSeries].filter((k) => !ourSeries.has(k)).sort();
      const onlyOurs = [...ourSeries].filter((k) => !argoSeries.has(k)).sort();
      if (argoSeries.size === 0) differences.push(`${name}: no series about the test's objects under Argo`);
      if (onlyArgo.length > 0 || onlyOurs.length > 0) {
        differences.push(
          `${name}: series only under Argo ${list(onlyArgo)}; only under Slipway ${list(onlyOurs)}`,
        );
      }
    }
  }
  return { compared, excluded, differences };
}
