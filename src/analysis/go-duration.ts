// Go's time.ParseDuration, which Argo Rollouts uses for a metric's interval and initialDelay
// and a Datadog interval: "30s", "1m30s", "1.5h", "500ms". A unit is required except for "0".

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** Milliseconds in a Go duration string; throws `time: invalid duration "x"` like Go. */
export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration "${text}"`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const match = PART.exec(rest);
    if (!match) {
      if (/^(\d+(?:\.\d*)?|\.\d+)$/.test(rest)) throw new Error(`time: missing unit in duration "${text}"`);
      throw invalid();
    }
    const [whole, amount, unit] = match as unknown as [string, string, string];
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
    rest = rest.slice(whole.length);
  }
  if (!Number.isFinite(total)) throw invalid();
  return sign * total;
}
