// text/template's builtins and the sprig functions notification templates use (Argo passes
// sprig.TxtFuncMap() minus env/expandenv). A function outside this set fails at parse time with
// Go's own message, `function "x" not defined`, which the notifier reports on the Rollout.

import { createHash } from 'node:crypto';
import type { RE2JS } from 're2js';
import { parseGoDuration } from '../../api/duration.js';
import {
  compileGoRegexp,
  goFindAllString,
  goFindString,
  goMatchString,
  goQuoteMeta,
  goReplaceAllLiteralString,
  goReplaceAllString,
  goSplit,
  mustCompileGoRegexp,
  RegexpSyntaxError,
} from '../../go-regexp.js';
import type { TemplateFunction } from './execute.js';
import { goTypeName } from './execute.js';
import {
  formatGoTime,
  formatValue,
  GoTime,
  isTruthy,
  NO_VALUE,
  parseTimeText,
  toJsonValue,
} from './values.js';

type Kind = 'bool' | 'int' | 'float' | 'string' | 'nil' | 'other';

function kindOf(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'string';
  if (v === null || v === undefined || v === NO_VALUE) return 'nil';
  return 'other';
}

function basicEqual(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'nil' || kb === 'nil') return ka === kb;
  if (ka === 'other' || kb === 'other') throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
  return a === b;
}

function basicLess(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'bool' || ka === 'nil' || ka === 'other' || kb === 'nil' || kb === 'other' || kb === 'bool') {
    throw new Error('invalid type for comparison');
  }
  if (ka !== kb) throw new Error(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
  return (a as number) < (b as number);
}

/** fmt.Sprint: a space between operands when neither is a string. */
function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintf for the verbs templates use: %v %s %d %f %g %e %q %t %x %X %o %b %c %%, width and precision. */
export function sprintf(format: string, args: unknown[]): string {
  let argIndex = 0;
  return (
    format.replace(
      /%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g,
      (_match, flags: string, width?: string, prec?: string, verb?: string) => {
        if (verb === '%') return '%';
        if (argIndex >= args.length) return `%!${verb}(MISSING)`;
        const arg = args[argIndex++];
        let text: string;
        const precision = prec === undefined ? undefined : Number(prec);
        switch (verb) {
          case 'v':
            text = formatValue(arg);
            break;
          case 's':
            text = formatValue(arg);
            if (precision !== undefined) text = text.slice(0, precision);
            break;
          case 'q':
            text = JSON.stringify(formatValue(arg));
            break;
          case 'd':
            text = typeof arg === 'bigint' ? arg.toString() : `%!d(${goTypeName(arg)}=${formatValue(arg)})`;
            break;
          case 'f':
          case 'F':
          case 'e':
          case 'g': {
            const n = typeof arg === 'number' ? arg : undefined;
            if (n === undefined) {
              text = `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
              break;
            }
            if (verb === 'e') text = n.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
            else if (verb === 'g')
              text = precision === undefined ? formatValue(n) : String(Number(n.toPrecision(precision)));
            else text = n.toFixed(precision ?? 6);
            if (flags.includes('+') && n >= 0) text = `+${text}`;
            break;
          }
          case 't':
            text = typeof arg === 'boolean' ? String(arg) : `%!t(${goTypeName(arg)}=${formatValue(arg)})`;
            break;
          case 'x':
          case 'X':
          case 'o':
          case 'b': {
            const base = verb === 'o' ? 8 : verb === 'b' ? 2 : 16;
            if (typeof arg === 'bigint') text = arg.toString(base);
            else if (typeof arg === 'string' && base === 16) text = Buffer.from(arg).toString('hex');
            else text = `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
            if (verb === 'X') text = text.toUpperCase();
            break;
          }
          case 'c':
            text =
              typeof arg === 'bigint'
                ? String.fromCodePoint(Number(arg))
                : `%!c(${goTypeName(arg)}=${formatValue(arg)})`;
            break;
          default:
            text = `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
        }
        if (width !== undefined && text.length < Number(width)) {
          const pad = (flags.includes('0') && !flags.includes('-') ? '0' : ' ').repeat(
            Number(width) - text.length,
          );
          text = flags.includes('-') ? text + pad : pad + text;
        }
        return text;
      },
    ) +
    (argIndex < args.length
      ? `%!(EXTRA ${args
          .slice(argIndex)
          .map((a) => `${goTypeName(a)}=${formatValue(a)}`)
          .join(', ')})`
      : '')
  );
}

/** sprig's toInt64 (cast.ToInt64): numbers truncate, numeric strings parse, anything else is 0. */
function toInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return BigInt(v.trim());
  if (typeof v === 'string' && /^[+-]?\d*\.\d+$/.test(v.trim())) return BigInt(Math.trunc(Number(v)));
  return 0n;
}

function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return 0;
}

function toText(v: unknown): string {
  if (v === NO_VALUE || v === null || v === undefined) return '';
  return formatValue(v);
}

function toList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v === NO_VALUE || v === null || v === undefined) return [];
  throw new Error(`cannot find first on type ${goTypeName(v)}`);
}

function toTime(v: unknown): GoTime {
  if (v instanceof GoTime) return v;
  if (typeof v === 'bigint') return new GoTime(Number(v) * 1000);
  if (typeof v === 'number') return new GoTime(v * 1000);
  if (typeof v === 'string') {
    const parsed = parseTimeText(v);
    if (parsed) return parsed;
  }
  return new GoTime(Date.now());
}

function length(v: unknown): bigint {
  if (typeof v === 'string') return BigInt(Buffer.byteLength(v));
  if (Array.isArray(v)) return BigInt(v.length);
  if (v && typeof v === 'object' && !(v instanceof GoTime)) return BigInt(Object.keys(v).length);
  throw new Error(`len of type ${goTypeName(v)}`);
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const key of keys) {
    if (Array.isArray(v)) {
      const i = toIndex(key);
      if (i < 0 || i >= v.length) throw new Error(`index out of range: ${i}`);
      v = v[i];
    } else if (v && typeof v === 'object' && !(v instanceof GoTime)) {
      if (typeof key !== 'string') throw new Error(`value has type ${goTypeName(key)}; should be string`);
      v = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : NO_VALUE;
    } else if (v === null || v === NO_VALUE) {
      throw new Error('index of untyped nil');
    } else if (typeof v === 'string') {
      const i = toIndex(key);
      if (i < 0 || i >= v.length) throw new Error(`index out of range: ${i}`);
      v = BigInt(v.charCodeAt(i));
    } else {
      throw new Error(`can't index item of type ${goTypeName(v)}`);
    }
  }
  return v;
}

function toIndex(key: unknown): number {
  if (typeof key === 'bigint') return Number(key);
  throw new Error(`cannot index slice/array with type ${goTypeName(key)}`);
}

function empty(v: unknown): boolean {
  return !isTruthy(v);
}

const html = (s: string) =>
  s.replace(
    /[&<>"'\0]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;', '\0': '\uFFFD' })[c] ?? c,
  );

const js = (s: string) =>
  s.replace(
    /[\\'"<>&=\n\r\t]/g,
    (c) =>
      ({
        '\\': '\\\\',
        "'": "\\'",
        '"': '\\"',
        '<': '\\u003C',
        '>': '\\u003E',
        '&': '\\u0026',
        '=': '\\u003D',
        '\n': '\\n',
        '\r': '\\r',
        '\t': '\\t',
      })[c] ?? c,
  );

const FUNCTIONS: Record<string, TemplateFunction> = {
  // text/template builtins (and/or are evaluated lazily by the executor).
  and: () => undefined,
  or: () => undefined,
  not: (v) => !isTruthy(v),
  len: length,
  index: (item, ...keys) => index(item, ...keys),
  slice: (item, ...idx) => {
    const [from = 0n, to] = idx as bigint[];
    if (typeof item === 'string') return item.slice(Number(from), to === undefined ? undefined : Number(to));
    if (Array.isArray(item)) return item.slice(Number(from), to === undefined ? undefined : Number(to));
    throw new Error(`can't slice item of type ${goTypeName(item)}`);
  },
  print: (...args) => sprint(args),
  println: (...args) => `${args.map(formatValue).join(' ')}\n`,
  printf: (format, ...args) => sprintf(String(format), args),
  eq: (a, ...bs) => {
    if (bs.length === 0) throw new Error('missing argument for comparison');
    return bs.some((b) => basicEqual(a, b));
  },
  ne: (a, b) => !basicEqual(a, b),
  lt: (a, b) => basicLess(a, b),
  le: (a, b) => basicLess(a, b) || basicEqual(a, b),
  gt: (a, b) => !basicLess(a, b) && !basicEqual(a, b),
  ge: (a, b) => !basicLess(a, b),
  html: (...args) => html(sprint(args)),
  js: (...args) => js(sprint(args)),
  urlquery: (...args) => encodeURIComponent(sprint(args)).replace(/%20/g, '+'),

  // sprig: defaults and types
  default: (d, ...given) => {
    const v = given[0];
    return given.length === 0 || empty(v) ? d : v;
  },
  empty,
  coalesce: (...args) => args.find((a) => !empty(a)) ?? null,
  ternary: (a, b, cond) => (isTruthy(cond) ? a : b),
  toString: (v: unknown) => toText(v),
  toJson: (v) => JSON.stringify(toJsonValue(v)),
  toPrettyJson: (v) => JSON.stringify(toJsonValue(v), null, 2),
  toRawJson: (v) => JSON.stringify(toJsonValue(v)),
  fromJson: (v) => {
    try {
      return JSON.parse(toText(v));
    } catch {
      return {};
    }
  },
  kindOf: (v) => goTypeName(v).replace('[]interface {}', 'slice').replace('map[string]interface {}', 'map'),
  typeOf: (v) => goTypeName(v),
  int: (v) => toInt(v),
  int64: (v) => toInt(v),
  float64: (v) => toFloat(v),
  atoi: (v) => (/^[+-]?\d+$/.test(toText(v)) ? BigInt(toText(v)) : 0n),
  toStrings: (v) => toList(v).map(toText),

  // sprig: strings
  upper: (s) => toText(s).toUpperCase(),
  lower: (s) => toText(s).toLowerCase(),
  title: (s) =>
    toText(s).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase()),
  trim: (s) => toText(s).trim(),
  trimAll: (cut, s) => trimChars(toText(s), toText(cut)),
  trimPrefix: (p, s) => (toText(s).startsWith(toText(p)) ? toText(s).slice(toText(p).length) : toText(s)),
  trimSuffix: (p, s) =>
    toText(s).endsWith(toText(p)) && toText(p) ? toText(s).slice(0, -toText(p).length) : toText(s),
  trunc: (n, s) => {
    const text = toText(s);
    const c = Number(toInt(n));
    return c >= 0 ? text.slice(0, c) : text.slice(Math.max(0, text.length + c));
  },
  abbrev: (n, s) => {
    const text = toText(s);
    const w = Number(toInt(n));
    return text.length <= w || w < 4 ? text : `${text.slice(0, w - 3)}...`;
  },
  substr: (start, end, s) => {
    const text = toText(s);
    const a = Number(toInt(start));
    const b = Number(toInt(end));
    return a < 0 ? text.slice(0, b) : b < 0 || b > text.length ? text.slice(a) : text.slice(a, b);
  },
  replace: (old, rep, s) => toText(s).split(toText(old)).join(toText(rep)),
  contains: (sub, s) => toText(s).includes(toText(sub)),
  hasPrefix: (p, s) => toText(s).startsWith(toText(p)),
  hasSuffix: (p, s) => toText(s).endsWith(toText(p)),
  repeat: (n, s) => {
    const count = Number(toInt(n));
    if (count * toText(s).length > 1024 * 1024) throw new Error('repeat result is too long');
    return toText(s).repeat(Math.max(0, count));
  },
  quote: (...args) =>
    args
      .filter((a) => a !== null && a !== NO_VALUE)
      .map((a) => JSON.stringify(toText(a)))
      .join(' '),
  squote: (...args) =>
    args
      .filter((a) => a !== null && a !== NO_VALUE)
      .map((a) => `'${toText(a)}'`)
      .join(' '),
  cat: (...args) =>
    args
      .filter((a) => a !== null && a !== NO_VALUE)
      .map(toText)
      .join(' '),
  indent: (n, s) => indent(Number(toInt(n)), toText(s)),
  nindent: (n, s) => `\n${indent(Number(toInt(n)), toText(s))}`,
  nospace: (s) => toText(s).replace(/\s/g, ''),
  split: (sep, s) =>
    Object.fromEntries(
      toText(s)
        .split(toText(sep))
        .map((p, i) => [`_${i}`, p]),
    ),
  splitList: (sep, s) => toText(s).split(toText(sep)),
  join: (sep, list) => toList(list).map(toText).join(toText(sep)),
  // sprig's regex functions, with Go's regexp (RE2: linear time, Go's syntax and replacement
  // rules). regexMatch ignores an invalid pattern (false); the others fail as MustCompile
  // panics, and the must* forms with regexp.Compile's error.
  regexMatch: (re, s) => regexMatch(toText(re), toText(s)),
  mustRegexMatch: (re, s) => compiled(re).test(toText(s)),
  regexFind: (re, s) => goFindString(mustCompileGoRegexp(toText(re)), toText(s)),
  mustRegexFind: (re, s) => goFindString(compiled(re), toText(s)),
  regexFindAll: (re, s, n) => goFindAllString(mustCompileGoRegexp(toText(re)), toText(s), count(n)),
  mustRegexFindAll: (re, s, n) => goFindAllString(compiled(re), toText(s), count(n)),
  regexReplaceAll: (re, s, rep) =>
    goReplaceAllString(mustCompileGoRegexp(toText(re)), toText(s), toText(rep)),
  mustRegexReplaceAll: (re, s, rep) => goReplaceAllString(compiled(re), toText(s), toText(rep)),
  regexReplaceAllLiteral: (re, s, rep) =>
    goReplaceAllLiteralString(mustCompileGoRegexp(toText(re)), toText(s), toText(rep)),
  mustRegexReplaceAllLiteral: (re, s, rep) => goReplaceAllLiteralString(compiled(re), toText(s), toText(rep)),
  regexSplit: (re, s, n) => goSplit(mustCompileGoRegexp(toText(re)), toText(s), count(n)),
  mustRegexSplit: (re, s, n) => goSplit(compiled(re), toText(s), count(n)),
  regexQuoteMeta: (s) => goQuoteMeta(toText(s)),
  b64enc: (s) => Buffer.from(toText(s)).toString('base64'),
  b64dec: (s) => Buffer.from(toText(s), 'base64').toString(),
  sha256sum: (s) => createHash('sha256').update(toText(s)).digest('hex'),
  sha1sum: (s) => createHash('sha1').update(toText(s)).digest('hex'),

  // sprig: math (int64 results, as sprig's)
  add: (...args) => args.reduce<bigint>((sum, a) => sum + toInt(a), 0n),
  add1: (a) => toInt(a) + 1n,
  sub: (a, b) => toInt(a) - toInt(b),
  mul: (...args) => args.reduce<bigint>((p, a) => p * toInt(a), 1n),
  div: (a, b) => {
    if (toInt(b) === 0n) throw new Error('integer divide by zero');
    return toInt(a) / toInt(b);
  },
  mod: (a, b) => {
    if (toInt(b) === 0n) throw new Error('integer divide by zero');
    return toInt(a) % toInt(b);
  },
  max: (...args) => args.map(toInt).reduce((m, v) => (v > m ? v : m)),
  min: (...args) => args.map(toInt).reduce((m, v) => (v < m ? v : m)),
  addf: (...args) => args.reduce<number>((sum, a) => sum + toFloat(a), 0),
  subf: (a, ...rest) => rest.reduce<number>((d, x) => d - toFloat(x), toFloat(a)),
  mulf: (...args) => args.reduce<number>((p, a) => p * toFloat(a), 1),
  divf: (a, ...rest) => rest.reduce<number>((d, x) => d / toFloat(x), toFloat(a)),
  floor: (a) => Math.floor(toFloat(a)),
  ceil: (a) => Math.ceil(toFloat(a)),
  round: (a, p) => {
    const f = 10 ** Number(toInt(p ?? 0n));
    return Math.round(toFloat(a) * f) / f;
  },
  until: (n) => {
    const count = Number(toInt(n));
    if (count > 100_000) throw new Error('until is too long');
    return Array.from({ length: Math.max(0, count) }, (_v, i) => BigInt(i));
  },

  // sprig: lists and dicts
  list: (...args) => args,
  first: (l) => toList(l)[0] ?? null,
  last: (l) => toList(l).at(-1) ?? null,
  rest: (l) => toList(l).slice(1),
  initial: (l) => toList(l).slice(0, -1),
  append: (l, v) => [...toList(l), v],
  prepend: (l, v) => [v, ...toList(l)],
  concat: (...ls) => ls.flatMap(toList),
  reverse: (l) => [...toList(l)].reverse(),
  uniq: (l) =>
    toList(l).filter(
      (v, i, all) =>
        all.findIndex((w) => JSON.stringify(toJsonValue(w)) === JSON.stringify(toJsonValue(v))) === i,
    ),
  compact: (l) => toList(l).filter((v) => !empty(v)),
  has: (v, l) => toList(l).some((w) => w === v),
  sortAlpha: (l) => toList(l).map(toText).sort(),
  dict: (...kv) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < kv.length; i += 2) out[toText(kv[i])] = i + 1 < kv.length ? kv[i + 1] : '';
    return out;
  },
  get: (d, k) => (isMap(d) && Object.hasOwn(d, toText(k)) ? d[toText(k)] : ''),
  hasKey: (d, k) => isMap(d) && Object.hasOwn(d, toText(k)),
  keys: (...ds) => ds.flatMap((d) => (isMap(d) ? Object.keys(d) : [])),
  values: (d) => (isMap(d) ? Object.values(d) : []),
  pluck: (k, ...ds) =>
    ds
      .filter(isMap)
      .filter((d) => Object.hasOwn(d, toText(k)))
      .map((d) => d[toText(k)]),
  pick: (d, ...ks) =>
    isMap(d)
      ? Object.fromEntries(
          ks
            .map(toText)
            .filter((k) => Object.hasOwn(d, k))
            .map((k) => [k, d[k]]),
        )
      : {},
  omit: (d, ...ks) =>
    isMap(d) ? Object.fromEntries(Object.entries(d).filter(([k]) => !ks.map(toText).includes(k))) : {},

  // sprig: dates
  now: () => new GoTime(Date.now()),
  date: (layout, t) => formatGoTime(toTime(t), toText(layout)),
  dateInZone: (layout, t, zone) => {
    if (toText(zone) !== 'UTC') throw new Error(`unknown time zone ${toText(zone)}: only UTC is supported`);
    return formatGoTime(toTime(t), toText(layout));
  },
  htmlDate: (t) => formatGoTime(toTime(t), '2006-01-02'),
  toDate: (layout, s) => {
    const t = parseTimeText(toText(s));
    if (!t)
      throw new Error(
        `parsing time ${JSON.stringify(toText(s))} as ${JSON.stringify(toText(layout))}: cannot parse`,
      );
    return t;
  },
  unixEpoch: (t) => String(Math.floor(toTime(t).ms / 1000)),
  dateModify: (mod, t) => {
    const ms = parseGoDuration(toText(mod));
    return new GoTime(toTime(t).ms + ms);
  },
  ago: (t) => goDurationText(Math.round((Date.now() - toTime(t).ms) / 1000) * 1000),
  duration: (sec) => goDurationText(Number(toInt(sec)) * 1000),
};

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoTime);
}

function trimChars(s: string, cut: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && cut.includes(s.charAt(a))) a++;
  while (b > a && cut.includes(s.charAt(b - 1))) b--;
  return s.slice(a, b);
}

function indent(n: number, s: string): string {
  const pad = ' '.repeat(Math.max(0, n));
  return pad + s.replace(/\n/g, `\n${pad}`);
}

/** regexp.Compile for the must* forms: the error is Go's, `error parsing regexp: ...`. */
function compiled(pattern: unknown): RE2JS {
  return compileGoRegexp(toText(pattern));
}

/** sprig's `n int` of regexFindAll and regexSplit: negative for all. */
function count(n: unknown): number {
  return Number(toInt(n));
}

function regexMatch(pattern: string, text: string): boolean {
  try {
    return goMatchString(pattern, text);
  } catch (error) {
    if (error instanceof RegexpSyntaxError) return false;
    throw error;
  }
}

/** time.Duration.String for whole seconds: 1h2m3s, 45s, 0s. */
function goDurationText(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let s = Math.abs(Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

export const TEMPLATE_FUNCTIONS: ReadonlyMap<string, TemplateFunction> = new Map(Object.entries(FUNCTIONS));
