// How Go's text/template sees JSON data: numbers decoded from JSON are float64 (JS number),
// integers produced by literals and sprig's arithmetic are int (JS bigint), times are GoTime.
// Printing follows fmt.Sprint so rendered messages match Argo's byte for byte.

/** A time.Time: an instant plus the zone it is shown in (UTC unless a function chose otherwise). */
export class GoTime {
  constructor(
    readonly ms: number,
    readonly utc = true,
  ) {}
}

/** A missing map key: Go prints it as <no value>, tests it as false, and nil-pointer-errors on .field. */
export const NO_VALUE: unique symbol = Symbol('no value');

export function isTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === NO_VALUE) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoTime) return true;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** fmt's %v for a float64: shortest digits, exponent form below 1e-4 or from 1e6 (strconv 'g' with shortest precision). */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa = '0', expText = '0'] = v.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    const digits = String(Math.abs(exp)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return v.toString();
}

function sortedKeys(o: object): string[] {
  return Object.keys(o).sort();
}

/** fmt.Sprint of one value. */
export function formatValue(v: unknown): string {
  if (v === NO_VALUE) return '<no value>';
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoTime) return formatGoTime(v, '2006-01-02 15:04:05.999999999 -0700 MST');
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${sortedKeys(o)
      .map((k) => `${k}:${formatValue(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

/** JSON for toJson: bigints as numbers, times as RFC 3339, missing values as null. */
export function toJsonValue(v: unknown): unknown {
  if (v === NO_VALUE || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoTime) return formatGoTime(v, '2006-01-02T15:04:05.999999999Z07:00');
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    // encoding/json sorts map keys.
    for (const k of sortedKeys(v)) out[k] = toJsonValue((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Longest first, so "2006" wins over "2" and "January" over "Jan".
const LAYOUT_TOKENS = [
  'January',
  'Monday',
  '2006',
  '-07:00:00',
  'Z07:00:00',
  '-07:00',
  'Z07:00',
  '-0700',
  'Z0700',
  '.000000000',
  '.999999999',
  '.000000',
  '.999999',
  '.000',
  '.999',
  'Jan',
  'Mon',
  'MST',
  '002',
  '__2',
  '01',
  '02',
  '03',
  '04',
  '05',
  '06',
  '15',
  '-07',
  'Z07',
  'PM',
  'pm',
  '_2',
  '1',
  '2',
  '3',
  '4',
  '5',
];

/** Go's time.Format for the layout elements of the reference time Mon Jan 2 15:04:05 MST 2006. */
export function formatGoTime(t: GoTime, layout: string): string {
  const d = new Date(t.ms);
  const utc = t.utc;
  const Y = utc ? d.getUTCFullYear() : d.getFullYear();
  const M = utc ? d.getUTCMonth() : d.getMonth();
  const D = utc ? d.getUTCDate() : d.getDate();
  const h = utc ? d.getUTCHours() : d.getHours();
  const m = utc ? d.getUTCMinutes() : d.getMinutes();
  const s = utc ? d.getUTCSeconds() : d.getSeconds();
  const wd = utc ? d.getUTCDay() : d.getDay();
  const offsetMin = utc ? 0 : -d.getTimezoneOffset();
  const ms = ((t.ms % 1000) + 1000) % 1000;
  const nanos = String(ms * 1_000_000).padStart(9, '0');
  const p2 = (n: number) => String(n).padStart(2, '0');
  const zone = (withColon: boolean, withSeconds: boolean, z: boolean, short = false) => {
    if (z && offsetMin === 0) return 'Z';
    const sign = offsetMin < 0 ? '-' : '+';
    const a = Math.abs(offsetMin);
    if (short) return `${sign}${p2(Math.floor(a / 60))}`;
    const base = withColon
      ? `${sign}${p2(Math.floor(a / 60))}:${p2(a % 60)}`
      : `${sign}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
    return withSeconds ? `${base}${withColon ? ':' : ''}00` : base;
  };
  const yday = Math.floor((Date.UTC(Y, M, D) - Date.UTC(Y, 0, 1)) / 86_400_000) + 1;
  let out = '';
  let i = 0;
  while (i < layout.length) {
    const token = LAYOUT_TOKENS.find((tok) => layout.startsWith(tok, i));
    if (!token) {
      out += layout.charAt(i);
      i++;
      continue;
    }
    i += token.length;
    switch (token) {
      case 'January':
        out += MONTHS[M];
        break;
      case 'Jan':
        out += MONTHS[M]?.slice(0, 3);
        break;
      case 'Monday':
        out += DAYS[wd];
        break;
      case 'Mon':
        out += DAYS[wd]?.slice(0, 3);
        break;
      case '2006':
        out += String(Y).padStart(4, '0');
        break;
      case '06':
        out += p2(Y % 100);
        break;
      case '01':
        out += p2(M + 1);
        break;
      case '1':
        out += String(M + 1);
        break;
      case '02':
        out += p2(D);
        break;
      case '_2':
        out += String(D).padStart(2, ' ');
        break;
      case '2':
        out += String(D);
        break;
      case '002':
        out += String(yday).padStart(3, '0');
        break;
      case '__2':
        out += String(yday).padStart(3, ' ');
        break;
      case '15':
        out += p2(h);
        break;
      case '03':
        out += p2(h % 12 === 0 ? 12 : h % 12);
        break;
      case '3':
        out += String(h % 12 === 0 ? 12 : h % 12);
        break;
      case '04':
        out += p2(m);
        break;
      case '4':
        out += String(m);
        break;
      case '05':
        out += p2(s);
        break;
      case '5':
        out += String(s);
        break;
      case 'PM':
        out += h >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += h >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += utc ? 'UTC' : zone(false, false, false);
        break;
      case '-0700':
        out += zone(false, false, false);
        break;
      case '-07:00':
        out += zone(true, false, false);
        break;
      case '-07':
        out += zone(false, false, false, true);
        break;
      case '-07:00:00':
        out += zone(true, true, false);
        break;
      case 'Z0700':
        out += zone(false, false, true);
        break;
      case 'Z07:00':
        out += zone(true, false, true);
        break;
      case 'Z07':
        out += offsetMin === 0 ? 'Z' : zone(false, false, false, true);
        break;
      case 'Z07:00:00':
        out += zone(true, true, true);
        break;
      default:
        if (token.startsWith('.0')) out += `.${nanos.slice(0, token.length - 1)}`;
        else if (token.startsWith('.9')) {
          const trimmed = nanos.slice(0, token.length - 1).replace(/0+$/, '');
          out += trimmed ? `.${trimmed}` : '';
        }
    }
  }
  return out;
}

/** Parses what sprig's toDate and Argo's time.Parse accept: RFC 3339 and plain dates. */
export function parseTimeText(text: string): GoTime | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text))
    return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(ms) ? undefined : new GoTime(ms);
}
