// Durations as Argo Rollouts reads them: one grammar, Go's time.ParseDuration ("30s", "1h30m",
// "1.5h", "500ms", "-2s"), which Argo's DurationString uses for a metric's interval and
// initialDelay, an Experiment's duration and a Datadog interval; and the canary pause duration,
// where a bare integer is seconds (RolloutPause.DurationSeconds). Hand-written because the grammar
// and error messages must be Go's exactly (no npm parser follows time.ParseDuration).

// Nanoseconds per unit, as Go's unitMap.
const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 micro sign
  ['μs', 1_000n], // U+03BC Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);
const MAX_NS = (1n << 63n) - 1n;
const INT32_MAX = 2 ** 31 - 1;

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** Nanoseconds in a Go duration string; throws Go's own error text. */
function parseGoDurationNs(text: string): bigint {
  const quoted = JSON.stringify(text);
  const invalid = () => new Error(`time: invalid duration ${quoted}`);
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  // The one number allowed without a unit.
  if (rest === '0') return 0n;
  if (rest === '') throw invalid();
  let total = 0n;
  while (rest !== '') {
    if (rest[0] !== '.' && !isDigit(rest[0])) throw invalid();
    let i = 0;
    while (isDigit(rest[i])) i++;
    const whole = rest.slice(0, i);
    const hasWhole = i > 0;
    let fraction = 0n;
    let scale = 1;
    let hasFraction = false;
    if (rest[i] === '.') {
      i++;
      const start = i;
      let overflowed = false;
      while (isDigit(rest[i])) {
        // leadingFraction: digits past int64 precision are consumed but ignored.
        if (!overflowed && fraction > MAX_NS / 10n) overflowed = true;
        if (!overflowed) {
          const next = fraction * 10n + BigInt(rest.charCodeAt(i) - 48);
          if (next > 1n << 63n) overflowed = true;
          else {
            fraction = next;
            scale *= 10;
          }
        }
        i++;
      }
      hasFraction = i > start;
    }
    if (!hasWhole && !hasFraction) throw invalid();
    let end = i;
    while (end < rest.length && rest[end] !== '.' && !isDigit(rest[end])) end++;
    if (end === i) throw new Error(`time: missing unit in duration ${quoted}`);
    const unitName = rest.slice(i, end);
    const unit = UNIT_NS.get(unitName);
    if (unit === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(unitName)} in duration ${quoted}`);
    }
    let value = hasWhole ? BigInt(whole) : 0n;
    if (value > (1n << 63n) / unit) throw invalid();
    value *= unit;
    if (fraction > 0n) {
      // Go adds the fraction in float64: uint64(float64(f) * (float64(unit) / scale)).
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > 1n << 63n) throw invalid();
    }
    total += value;
    if (total > 1n << 63n) throw invalid();
    rest = rest.slice(end);
  }
  if (negative) return -total;
  if (total > MAX_NS) throw invalid();
  return total;
}

/** Milliseconds in a Go duration string ("30s", "1h30m", "1.5h", "500ms"); throws Go's error text. */
export function parseGoDuration(text: string): number {
  return Number(parseGoDurationNs(text)) / 1e6;
}

/** Milliseconds, or undefined where time.ParseDuration fails (a value that never takes effect). */
export function goDurationOrUndefined(text: string): number | undefined {
  try {
    return parseGoDuration(text);
  } catch {
    return undefined;
  }
}

/**
 * Milliseconds of a canary pause's kind of duration: a bare integer is seconds, anything else a
 * Go duration. The kubectl plugin's flags accept the same (Argo's own want a unit; this is kinder
 * and refuses nothing they accept).
 */
export function parseSecondsOrGoDuration(text: string): number {
  return /^[+-]?\d+$/.test(text) ? Number(text) * 1000 : parseGoDuration(text);
}

/**
 * Seconds of spec.strategy.canary.steps[].pause.duration as Argo's RolloutPause.DurationSeconds
 * reads it: an int, or a string that is an int32 (seconds) or a Go duration (truncated to whole
 * seconds). Undefined where Argo gets a negative number (unparseable, or below zero), which its
 * validation refuses.
 */
export function pauseDurationSeconds(value: number | string): number | undefined {
  let seconds: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return undefined;
    seconds = value;
  } else if (/^[+-]?\d+$/.test(value)) {
    // strconv.ParseInt(s, 10, 32); out of int32 range it falls through to ParseDuration, which
    // refuses a number without a unit.
    seconds = Number(value);
    if (seconds > INT32_MAX) return undefined;
  } else {
    let ns: bigint;
    try {
      ns = parseGoDurationNs(value);
    } catch {
      return undefined;
    }
    // int32(d.Seconds()): truncated toward zero.
    seconds = Math.trunc(Number(ns) / 1e9);
    if (seconds > INT32_MAX) return undefined;
  }
  // -0 (e.g. "-0.5s") is 0, as in Go.
  return seconds < 0 ? undefined : seconds + 0;
}
