// The functions a condition may call: expr-lang's built-ins that make sense for metric results,
// and the helpers Argo Rollouts adds to the environment (asInt, asFloat, isNaN, isInf, isNil,
// default). Anything else is rejected when the condition is compiled.

import { BudgetExceeded, type Meter } from './budget.js';
import {
  fail,
  fetch,
  formatFloat,
  formatValue,
  isMap,
  isNil,
  isNumeric,
  type Numeric,
  toInt64,
  typeName,
  type ValueType,
} from './value.js';

/** What the checker knows about a value before running: its type, or nothing. */
export type StaticType = ValueType | 'unknown';

/** A predicate argument, run for one element; `index` is what `#index` reads. */
export type Predicate = (element: unknown, index: number) => unknown;

export interface Builtin {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Position of the argument written as a predicate (`{# > 0}`, `# > 0` or `.field`). */
  readonly predicateArg?: number;
  readonly returns: StaticType;
  /**
   * `args` holds the evaluated arguments other than the predicate; work proportional to the
   * input and everything allocated is charged to `meter`.
   */
  call(args: readonly unknown[], predicate: Predicate | undefined, meter: Meter): unknown;
}

type Signature = Omit<Builtin, 'name' | 'call'>;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const table = new Map<string, Builtin>();

function define(name: string, signature: Signature, call: Builtin['call']): void {
  table.set(name, { name, ...signature, call });
}

export function lookupBuiltin(name: string): Builtin | undefined {
  return table.get(name);
}

// ---- argument helpers ------------------------------------------------------------------------

function arg(args: readonly unknown[], index: number): unknown {
  return args[index] ?? null;
}

function arrayArg(name: string, value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  return fail(`${name}: expected array, got ${typeName(value)}`);
}

function stringArg(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  return fail(`${name}: expected string, got ${typeName(value)}`);
}

function numericArg(name: string, value: unknown): Numeric {
  if (isNumeric(value)) return value;
  return fail(`${name}: expected a number, got ${typeName(value)}`);
}

function predicateOf(name: string, predicate: Predicate | undefined): Predicate {
  if (predicate) return predicate;
  return fail(`${name}: missing predicate`);
}

function test(name: string, predicate: Predicate, element: unknown, index: number): boolean {
  const outcome = predicate(element, index);
  if (typeof outcome === 'boolean') return outcome;
  return fail(`${name}: predicate must return bool, got ${typeName(outcome)}`);
}

function matching(name: string, args: readonly unknown[], predicate: Predicate | undefined): number {
  const check = predicateOf(name, predicate);
  return arrayArg(name, arg(args, 0)).filter((element, i) => test(name, check, element, i)).length;
}

function intFromFloat(name: string, x: number): bigint {
  if (!Number.isFinite(x)) return fail(`${name}: ${formatFloat(x)} is not an integer`);
  const truncated = BigInt(Math.trunc(x));
  if (truncated < INT64_MIN || truncated > INT64_MAX) return fail(`${name}: ${formatFloat(x)} overflows int`);
  return truncated;
}

/** strconv.ParseInt(s, 10, 64). */
function parseGoInt(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** strconv.ParseFloat(s, 64) for decimal text, Inf and NaN; out-of-range values are errors, as in Go. */
function parseGoFloat(text: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(text)) return Number.NaN;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function numbers(name: string, values: readonly unknown[], meter: Meter): Numeric[] {
  meter.items(values.length);
  return values.map((value) => numericArg(name, value));
}

function sumOf(values: readonly Numeric[]): Numeric {
  if (values.every((v): v is bigint => typeof v === 'bigint')) {
    return toInt64(values.reduce((total, v) => total + v, 0n));
  }
  return values.reduce<number>((total, v) => total + Number(v), 0);
}

function extreme(name: string, args: readonly unknown[], wantLarger: boolean, meter: Meter): Numeric {
  const values = numbers(
    name,
    args.flatMap((a) => (Array.isArray(a) ? a : [a])),
    meter,
  );
  let best = values[0];
  if (best === undefined) return fail(`${name}: no values`);
  for (const v of values) {
    if (Number.isNaN(v)) return v;
    if (wantLarger ? v > best : v < best) best = v;
  }
  return best;
}

/** A string as error messages quote it: metric results can be long, status messages must not be. */
function quoted(text: string): string {
  return text.length <= 64 ? text : `${text.slice(0, 64)}… (${text.length} characters)`;
}

/** Parsing a string argument reads all of it. */
function chargeText(meter: Meter, value: unknown): void {
  if (typeof value === 'string') meter.step(Math.ceil(value.length / 16));
}

// ---- expr-lang built-ins ---------------------------------------------------------------------

define('len', { minArgs: 1, maxArgs: 1, returns: 'int' }, (args, _, meter) => {
  const v = arg(args, 0);
  if (Array.isArray(v)) return BigInt(v.length);
  if (typeof v === 'string') {
    // Code points, as Go counts runes; counted without building an array of them.
    meter.step(Math.ceil(v.length / 16));
    let count = 0;
    for (const _char of v) count++;
    return BigInt(count);
  }
  if (isMap(v)) return BigInt(Object.keys(v).length);
  return fail(`invalid argument for len (type ${typeName(v)})`);
});

const PREDICATE = { minArgs: 2, maxArgs: 2, predicateArg: 1 } as const;

define('all', { ...PREDICATE, returns: 'bool' }, (args, p) => {
  const check = predicateOf('all', p);
  return arrayArg('all', arg(args, 0)).every((e, i) => test('all', check, e, i));
});
define('any', { ...PREDICATE, returns: 'bool' }, (args, p) => {
  const check = predicateOf('any', p);
  return arrayArg('any', arg(args, 0)).some((e, i) => test('any', check, e, i));
});
define('none', { ...PREDICATE, returns: 'bool' }, (args, p) => {
  const check = predicateOf('none', p);
  return !arrayArg('none', arg(args, 0)).some((e, i) => test('none', check, e, i));
});
define('one', { ...PREDICATE, returns: 'bool' }, (args, p) => matching('one', args, p) === 1);
define('filter', { ...PREDICATE, returns: 'array' }, (args, p, meter) => {
  const check = predicateOf('filter', p);
  return arrayArg('filter', arg(args, 0)).filter((e, i) => {
    const kept = test('filter', check, e, i);
    if (kept) meter.items(1);
    return kept;
  });
});
define('map', { ...PREDICATE, returns: 'array' }, (args, p, meter) => {
  const transform = predicateOf('map', p);
  return arrayArg('map', arg(args, 0)).map((e, i) => {
    meter.items(1);
    return transform(e, i);
  });
});
define('find', { ...PREDICATE, returns: 'unknown' }, (args, p) => {
  const check = predicateOf('find', p);
  return arrayArg('find', arg(args, 0)).find((e, i) => test('find', check, e, i)) ?? null;
});
define('findIndex', { ...PREDICATE, returns: 'int' }, (args, p) => {
  const check = predicateOf('findIndex', p);
  return BigInt(arrayArg('findIndex', arg(args, 0)).findIndex((e, i) => test('findIndex', check, e, i)));
});
define('count', { minArgs: 1, maxArgs: 2, predicateArg: 1, returns: 'int' }, (args, p, meter) => {
  const items = arrayArg('count', arg(args, 0));
  meter.step(items.length);
  if (p) return BigInt(matching('count', args, p));
  // Without a predicate, count() counts the true elements.
  return BigInt(items.filter((e, i) => test('count', (x) => x, e, i)).length);
});
define('sum', { minArgs: 1, maxArgs: 2, predicateArg: 1, returns: 'unknown' }, (args, p, meter) => {
  const items = arrayArg('sum', arg(args, 0));
  meter.step(items.length);
  return sumOf(numbers('sum', p ? items.map((e, i) => p(e, i)) : items, meter));
});
define('mean', { minArgs: 1, maxArgs: 1, returns: 'float64' }, (args, _, meter) => {
  const values = numbers('mean', arrayArg('mean', arg(args, 0)), meter);
  meter.step(values.length);
  return values.length === 0 ? 0 : Number(sumOf(values.map(Number))) / values.length;
});
define('median', { minArgs: 1, maxArgs: 1, returns: 'float64' }, (args, _, meter) => {
  const input = numbers('median', arrayArg('median', arg(args, 0)), meter);
  // Sorting: n log n comparisons, each far cheaper than evaluating a node.
  meter.step(Math.ceil((input.length * Math.log2(input.length + 1)) / 8));
  const values = input.map(Number).sort((a, b) => a - b);
  if (values.length === 0) return 0;
  const mid = Math.floor(values.length / 2);
  const upper = values[mid] ?? 0;
  return values.length % 2 === 1 ? upper : ((values[mid - 1] ?? 0) + upper) / 2;
});
define('first', { minArgs: 1, maxArgs: 1, returns: 'unknown' }, (args) => {
  const items = arrayArg('first', arg(args, 0));
  return items[0] ?? null;
});
define('last', { minArgs: 1, maxArgs: 1, returns: 'unknown' }, (args) => {
  const items = arrayArg('last', arg(args, 0));
  return items[items.length - 1] ?? null;
});
define('max', { minArgs: 1, maxArgs: Number.POSITIVE_INFINITY, returns: 'unknown' }, (args, _, meter) =>
  extreme('max', args, true, meter),
);
define('min', { minArgs: 1, maxArgs: Number.POSITIVE_INFINITY, returns: 'unknown' }, (args, _, meter) =>
  extreme('min', args, false, meter),
);
define('abs', { minArgs: 1, maxArgs: 1, returns: 'unknown' }, (args) => {
  const v = numericArg('abs', arg(args, 0));
  if (typeof v === 'bigint') return v < 0n ? toInt64(-v) : v;
  return Math.abs(v);
});
define('ceil', { minArgs: 1, maxArgs: 1, returns: 'float64' }, (args) =>
  Math.ceil(Number(numericArg('ceil', arg(args, 0)))),
);
define('floor', { minArgs: 1, maxArgs: 1, returns: 'float64' }, (args) =>
  Math.floor(Number(numericArg('floor', arg(args, 0)))),
);
define('round', { minArgs: 1, maxArgs: 1, returns: 'float64' }, (args) => {
  // Half away from zero, like Go's math.Round (JavaScript rounds -2.5 to -2).
  const x = Number(numericArg('round', arg(args, 0)));
  return Math.sign(x) * Math.round(Math.abs(x));
});
define('int', { minArgs: 1, maxArgs: 1, returns: 'int' }, (args, _, meter) => {
  const v = arg(args, 0);
  chargeText(meter, v);
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return intFromFloat('int', v);
  if (typeof v === 'string') return parseGoInt(v) ?? fail(`int: '${quoted(v)}' is not an integer`);
  return fail(`invalid operation: int(${typeName(v)})`);
});
define('float', { minArgs: 1, maxArgs: 1, returns: 'float64' }, (args, _, meter) => {
  const v = arg(args, 0);
  chargeText(meter, v);
  if (isNumeric(v)) return Number(v);
  if (typeof v === 'string') return parseGoFloat(v) ?? fail(`float: '${quoted(v)}' is not a number`);
  return fail(`invalid operation: float(${typeName(v)})`);
});
define('string', { minArgs: 1, maxArgs: 1, returns: 'string' }, (args, _, meter) =>
  formatValue(arg(args, 0), meter),
);
define('type', { minArgs: 1, maxArgs: 1, returns: 'string' }, (args) => {
  const name = typeName(arg(args, 0));
  return name === 'float64' ? 'float' : name;
});
define('upper', { minArgs: 1, maxArgs: 1, returns: 'string' }, (args, _, meter) => {
  const text = stringArg('upper', arg(args, 0));
  meter.chars(text.length);
  return text.toUpperCase();
});
define('lower', { minArgs: 1, maxArgs: 1, returns: 'string' }, (args, _, meter) => {
  const text = stringArg('lower', arg(args, 0));
  meter.chars(text.length);
  return text.toLowerCase();
});
define('trim', { minArgs: 1, maxArgs: 2, returns: 'string' }, (args, _, meter) => {
  const text = stringArg('trim', arg(args, 0));
  meter.chars(text.length * (args.length < 2 ? 1 : 2));
  if (args.length < 2) return text.trim();
  const cut = new Set(stringArg('trim', arg(args, 1)));
  const chars = Array.from(text);
  let start = 0;
  let end = chars.length;
  while (start < end && cut.has(chars[start] ?? '')) start++;
  while (end > start && cut.has(chars[end - 1] ?? '')) end--;
  return chars.slice(start, end).join('');
});
define('keys', { minArgs: 1, maxArgs: 1, returns: 'array' }, (args, _, meter) => {
  const v = arg(args, 0);
  if (!isMap(v)) return fail(`keys: expected map, got ${typeName(v)}`);
  const keys = Object.keys(v);
  meter.items(keys.length);
  return keys;
});
define('values', { minArgs: 1, maxArgs: 1, returns: 'array' }, (args, _, meter) => {
  const v = arg(args, 0);
  if (!isMap(v)) return fail(`values: expected map, got ${typeName(v)}`);
  const values = Object.values(v);
  meter.items(values.length);
  return values;
});
define('get', { minArgs: 2, maxArgs: 2, returns: 'unknown' }, (args, _, meter) => {
  // Like indexing, but nil instead of an error for nil, missing or out-of-range.
  const container = arg(args, 0);
  if (!Array.isArray(container) && !isMap(container)) return null;
  try {
    return fetch(container, arg(args, 1), true, meter);
  } catch (error) {
    if (error instanceof BudgetExceeded) throw error;
    return null;
  }
});

// ---- Argo Rollouts helpers -------------------------------------------------------------------

define('asInt', { minArgs: 1, maxArgs: 1, returns: 'int' }, (args, _, meter) => {
  const v = arg(args, 0);
  chargeText(meter, v);
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return intFromFloat('asInt', v);
  if (typeof v === 'string') return parseGoInt(v) ?? fail(`asInt: '${quoted(v)}' is not an integer`);
  return fail(`asInt: not supported on ${typeName(v)}`);
});
define('asFloat', { minArgs: 1, maxArgs: 1, returns: 'float64' }, (args, _, meter) => {
  const v = arg(args, 0);
  chargeText(meter, v);
  if (isNumeric(v)) return Number(v);
  if (typeof v === 'string') return parseGoFloat(v) ?? fail(`asFloat: '${quoted(v)}' is not a number`);
  return fail(`asFloat: not supported on ${typeName(v)}`);
});
define('isNaN', { minArgs: 1, maxArgs: 1, returns: 'bool' }, (args) => {
  const v = numericArg('isNaN', arg(args, 0));
  return typeof v === 'number' && Number.isNaN(v);
});
define('isInf', { minArgs: 1, maxArgs: 1, returns: 'bool' }, (args) => {
  const v = numericArg('isInf', arg(args, 0));
  return v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY;
});
// Argo's isNil and default look at `result` whatever their first argument; Slipway looks at the
// argument, which is the same for the documented `isNil(result)` and `default(result, 0)` and
// makes `default(result[0], 0)` mean what it says.
define('isNil', { minArgs: 1, maxArgs: 1, returns: 'bool' }, (args) => isNil(args[0]));
define('default', { minArgs: 2, maxArgs: 2, returns: 'unknown' }, (args) =>
  isNil(args[0]) ? arg(args, 1) : args[0],
);
