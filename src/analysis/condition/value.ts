// The value model and operators of expr-lang as Argo Rollouts runs it, mapped onto JavaScript:
// Go int (int64) is bigint, Go float64 is number, nil is null (undefined reads as nil too),
// arrays are arrays and maps are plain objects. A number arriving in the environment is a
// float64, exactly as Go's JSON decoding hands metric results to expr.

import type { RE2JS } from 're2js';
import { compileGoRegexp, RegexpSyntaxError } from '../../go-regexp.js';
import { type Meter, UNMETERED } from './budget.js';
import { EvaluationFailure, unreachable } from './errors.js';

export type ValueType = 'nil' | 'bool' | 'int' | 'float64' | 'string' | 'array' | 'map';
export type PlainMap = Readonly<Record<string, unknown>>;
export type Numeric = bigint | number;

export function typeOf(value: unknown): ValueType | undefined {
  if (value === null || value === undefined) return 'nil';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'string':
      return 'string';
    default:
      if (Array.isArray(value)) return 'array';
      return isMap(value) ? 'map' : undefined;
  }
}

/** The type as error messages name it; Go-like for scalars, plain words for containers. */
export function typeName(value: unknown): string {
  return typeOf(value) ?? (typeof value === 'object' ? 'object' : typeof value);
}

export function isNil(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

export function isNumeric(value: unknown): value is Numeric {
  return typeof value === 'bigint' || typeof value === 'number';
}

export function isMap(value: unknown): value is PlainMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Reads a key of a map; only own properties, so `constructor` or `__proto__` are never reached. */
export function mapGet(map: PlainMap, key: string): unknown {
  return Object.hasOwn(map, key) ? (map[key] ?? null) : null;
}

export function fail(reason: string): never {
  throw new EvaluationFailure(reason);
}

function mismatch(operator: string, a: unknown, b: unknown): never {
  return fail(`invalid operation: ${operator} (mismatched types ${typeName(a)} and ${typeName(b)})`);
}

export function toInt64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

// ---- equality and ordering -------------------------------------------------------------------

/** expr's `==`: numbers by value across int/float, nil equals only nil, containers element-wise. */
export function equal(a: unknown, b: unknown, meter: Meter = UNMETERED): boolean {
  meter.step();
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  if (isNumeric(a) && isNumeric(b)) {
    return typeof a === typeof b ? a === b : Number(a) === Number(b);
  }
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((element, i) => equal(element, b[i], meter));
  }
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && equal(a[key], b[key], meter))
    );
  }
  // Strings: comparing is linear in their length.
  if (typeof a === 'string' && typeof b === 'string')
    meter.step(Math.ceil(Math.min(a.length, b.length) / 64));
  return a === b;
}

export type Comparison = '<' | '<=' | '>' | '>=';

export function compare(operator: Comparison, a: unknown, b: unknown): boolean {
  if ((isNumeric(a) && isNumeric(b)) || (typeof a === 'string' && typeof b === 'string')) {
    // JavaScript orders bigint against number exactly, and NaN compares false, as in Go.
    const x = a as Numeric | string;
    const y = b as Numeric | string;
    switch (operator) {
      case '<':
        return x < y;
      case '<=':
        return x <= y;
      case '>':
        return x > y;
      case '>=':
        return x >= y;
    }
  }
  return mismatch(operator, a, b);
}

// ---- arithmetic ------------------------------------------------------------------------------

export type Arithmetic = '+' | '-' | '*' | '/' | '%' | '**';

export function arithmetic(operator: Arithmetic, a: unknown, b: unknown, meter: Meter = UNMETERED): unknown {
  if (operator === '+' && typeof a === 'string' && typeof b === 'string') {
    meter.chars(a.length + b.length);
    return a + b;
  }
  if (!isNumeric(a) || !isNumeric(b)) return mismatch(operator, a, b);
  const ints = typeof a === 'bigint' && typeof b === 'bigint';
  switch (operator) {
    case '+':
      return ints ? toInt64(a + b) : Number(a) + Number(b);
    case '-':
      return ints ? toInt64(a - b) : Number(a) - Number(b);
    case '*':
      return ints ? toInt64(a * b) : Number(a) * Number(b);
    case '/':
      // expr divides as float64 even for two ints: 7 / 2 == 3.5.
      return Number(a) / Number(b);
    case '%':
      if (typeof a !== 'bigint' || typeof b !== 'bigint') return mismatch(operator, a, b);
      if (b === 0n) return fail('integer divide by zero');
      return toInt64(a % b);
    case '**':
      return goPow(Number(a), Number(b));
    default:
      return unreachable(operator);
  }
}

// Go's math.Pow differs from JavaScript's ** in two corners.
function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

export function negate(value: unknown): Numeric {
  if (typeof value === 'bigint') return toInt64(-value);
  if (typeof value === 'number') return -value;
  return fail(`invalid operation: - ${typeName(value)}`);
}

export function unaryPlus(value: unknown): Numeric {
  if (isNumeric(value)) return value;
  return fail(`invalid operation: + ${typeName(value)}`);
}

/** `a..b`: the ints from a to b inclusive. */
export function range(from: unknown, to: unknown, maxLength: number, meter: Meter = UNMETERED): bigint[] {
  if (typeof from !== 'bigint' || typeof to !== 'bigint') return mismatch('..', from, to);
  if (to < from) return [];
  if (to - from >= BigInt(maxLength)) return fail(`range ${from}..${to} is longer than ${maxLength}`);
  meter.items(Number(to - from) + 1);
  const out: bigint[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

// ---- membership and access -------------------------------------------------------------------

/** Go's int(x) for an index: floats are truncated. */
export function toIndex(value: unknown, what: string): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  return fail(`cannot use ${typeName(value)} as ${what}`);
}

/** `container.key` (computed false) or `container[key]`. Missing map keys read as nil. */
export function fetch(
  container: unknown,
  key: unknown,
  computed: boolean,
  meter: Meter = UNMETERED,
): unknown {
  if (isNil(container))
    return fail(computed ? 'cannot index nil' : `cannot fetch '${String(key).slice(0, 64)}' from nil`);
  if (isMap(container)) return typeof key === 'string' ? mapGet(container, key) : null;
  if (Array.isArray(container) || typeof container === 'string') {
    if (!computed) return fail(`cannot fetch '${String(key).slice(0, 64)}' from ${typeName(container)}`);
    const items = elementsOf(container, meter);
    let index = toIndex(key, `${typeName(container)} index`);
    const asked = index;
    if (index < 0) index += items.length;
    if (index < 0 || index >= items.length) {
      return fail(`index out of range: ${asked} (${typeName(container)} length is ${items.length})`);
    }
    return items[index] ?? null;
  }
  return fail(
    computed
      ? `cannot index ${typeName(container)}`
      : `cannot fetch '${String(key).slice(0, 64)}' from ${typeName(container)}`,
  );
}

/** `a[from:to]`, with expr's clamping of negative and out-of-range bounds. */
export function slice(container: unknown, from: unknown, to: unknown, meter: Meter = UNMETERED): unknown {
  if (!Array.isArray(container) && typeof container !== 'string') {
    return fail(`cannot slice ${typeName(container)}`);
  }
  const items = elementsOf(container, meter);
  const length = items.length;
  const clamp = (bound: unknown, fallback: number): number => {
    if (bound === undefined) return fallback;
    let n = toIndex(bound, 'slice bound');
    if (n < 0) n += length;
    return Math.min(Math.max(n, 0), length);
  };
  const end = clamp(to, length);
  const start = Math.min(clamp(from, 0), end);
  if (typeof container === 'string') meter.chars(end - start);
  else meter.items(end - start);
  if (typeof items === 'string') return items.slice(start, end);
  const part = Array.prototype.slice.call(items, start, end);
  return typeof container === 'string' ? part.join('') : part;
}

/**
 * An array's items, or a string's characters (code points, as Go's runes). A string without
 * surrogate pairs is indexed as it is; only others are split, and that is charged per character.
 */
export function elementsOf(container: readonly unknown[] | string, meter: Meter): ArrayLike<unknown> {
  if (typeof container !== 'string') return container;
  meter.step(Math.ceil(container.length / 64));
  if (!/[\uD800-\uDFFF]/.test(container)) return container;
  meter.items(container.length);
  return Array.from(container);
}

/** `needle in haystack`: element of an array (by ==) or key of a map; nothing is in nil. */
export function isIn(needle: unknown, haystack: unknown, meter: Meter = UNMETERED): boolean {
  if (isNil(haystack)) return false;
  if (Array.isArray(haystack)) return haystack.some((element) => equal(element, needle, meter));
  if (isMap(haystack)) {
    if (typeof needle !== 'string') return fail(`cannot use ${typeName(needle)} as a map key`);
    return Object.hasOwn(haystack, needle);
  }
  return fail(`operator "in" not defined on ${typeName(haystack)}`);
}

export type StringOperator = 'contains' | 'startsWith' | 'endsWith';

export function stringTest(
  operator: StringOperator,
  a: unknown,
  b: unknown,
  meter: Meter = UNMETERED,
): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return mismatch(operator, a, b);
  meter.step(Math.ceil((a.length + b.length) / 64));
  switch (operator) {
    case 'contains':
      return a.includes(b);
    case 'startsWith':
      return a.startsWith(b);
    case 'endsWith':
      return a.endsWith(b);
  }
}

// ---- regular expressions ---------------------------------------------------------------------

/** Longest pattern `matches` accepts (the cap every user pattern has; see go-regexp.ts). */
export { MAX_PATTERN_LENGTH } from '../../go-regexp.js';

/**
 * Compiles a Go (RE2) pattern (shared with every other user pattern, see go-regexp.ts); a pattern
 * Go rejects fails the evaluation as `invalid regular expression: <Go's reason>`.
 */
export function compileRegex(pattern: string): RE2JS {
  try {
    return compileGoRegexp(pattern);
  } catch (error) {
    if (!(error instanceof RegexpSyntaxError)) throw error;
    return fail(`invalid regular expression: ${error.reason}`);
  }
}

export function matches(text: unknown, pattern: unknown, meter: Meter = UNMETERED): boolean {
  if (typeof text !== 'string' || typeof pattern !== 'string') return mismatch('matches', text, pattern);
  // Compiling is charged even when the cache has it, so an outcome never depends on the cache.
  meter.step(pattern.length * 16);
  const regex = compileRegex(pattern);
  // Matching is linear in the text, with a factor growing with the pattern's size.
  meter.step(Math.ceil((text.length * (1 + pattern.length / 32)) / 16));
  return regex.test(text);
}

// ---- formatting ------------------------------------------------------------------------------

/** Go's fmt `%v`, which expr's string() uses: `1e+06`, `[1 2]`, `map[a:1]`, `<nil>`. */
export function formatValue(value: unknown, meter: Meter = UNMETERED): string {
  // Rendering a number (Go's float formatting, bigint to text) costs about two node visits.
  meter.step(2);
  if (isNil(value)) return '<nil>';
  if (typeof value === 'number') return formatFloat(value);
  if (typeof value === 'string') {
    meter.chars(value.length);
    return value;
  }
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) {
    meter.items(value.length);
    return `[${value.map((element) => formatValue(element, meter)).join(' ')}]`;
  }
  if (isMap(value)) {
    const keys = Object.keys(value);
    meter.items(keys.length);
    const pairs = keys.sort().map((key) => {
      meter.chars(key.length);
      return `${key}:${formatValue(value[key], meter)}`;
    });
    return `map[${pairs.join(' ')}]`;
  }
  return String(value);
}

/**
 * Whether a value holds arrays or maps more than `limit` levels deep. Walks with an explicit
 * stack: the point is to refuse data that would make recursive code (==, string(), JSON
 * rendering) run out of stack.
 */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [item, depth] = top;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** strconv.FormatFloat(x, 'g', -1, 64): shortest digits, exponent form below 1e-4 or from 1e6. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa = '', exponentText = '0'] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const digits = Math.abs(exponent) < 10 ? `0${Math.abs(exponent)}` : String(Math.abs(exponent));
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  return String(x);
}
