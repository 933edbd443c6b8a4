// How Argo Rollouts (Go) prints measurement values, so `measurement.value` reads the same:
// strconv.FormatFloat(v, 'f', -1, 64) for numbers and encoding/json for structures (sorted map
// keys, HTML characters escaped).

/** strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, lead, fraction = '', exponentText] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const digits = lead + fraction;
  const exponent = Number(exponentText);
  if (exponent >= 0) {
    const intDigits = exponent + 1;
    return intDigits >= digits.length
      ? sign + digits + '0'.repeat(intDigits - digits.length)
      : `${sign}${digits.slice(0, intDigits)}.${digits.slice(intDigits)}`;
  }
  return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
}

/** A Prometheus sample value string ("0.99", "NaN", "+Inf") as a float. */
export function parsePromValue(text: string): number {
  if (typeof text !== 'string') throw new Error(`sample value is a ${typeof text}, not a string`);
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) {
    const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
    throw new Error(`cannot parse sample value "${shown}"`);
  }
  return value;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(object)
        .sort()
        .map((key) => [key, sortKeys(object[key])]),
    );
  }
  return value;
}

const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** Go's json.Marshal of a decoded JSON value. */
export function goJsonMarshal(value: unknown): string {
  const json = JSON.stringify(sortKeys(value)) ?? 'null';
  return json.replace(/[<>&\u2028\u2029]/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}
