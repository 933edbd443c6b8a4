// The `rollouts-pod-template-hash` exactly as Argo Rollouts v1.10.2 computes it (utils/hash):
// FNV-32a over Go's encoding/json of the Rollout's spec.template (a core/v1 PodTemplateSpec of
// k8s.io/api v0.34 decoded from the CRD, not defaulted), then the collision count, then
// rand.SafeEncodeString of the decimal sum.
//
// Reproducing json.Marshal byte for byte needs the Go field order, JSON names and omitempty
// flags of every reachable struct; those come from pod-template-fields.generated.ts. Values with
// their own MarshalJSON (resource.Quantity, metav1.Time, intstr.IntOrString, FieldsV1,
// json.RawMessage) are re-implemented below. Golden values from a Go program calling Argo's own
// functions: scripts/gen-pod-template-fields/hashcheck, test/fixtures/pod-template-hash.

import { type GoType, podTemplateRootType, podTemplateStructs } from './pod-template-fields.generated.js';

/** Which Argo Rollouts release's hash to compute. */
export type PodTemplateHashVariant = 'omitted' | 'null';

export interface PodTemplateHashOptions {
  /**
   * k8s.io/apimachinery >= 0.33 (Argo Rollouts v1.9 and later, v1.10.2 included, whose
   * utils/hash is a plain json.Marshal) leaves a zero `metadata.creationTimestamp` out of the
   * json: 'omitted', the default. 'null' is the hash of Argo releases built with older
   * Kubernetes libraries, which wrote `"creationTimestamp":null`. ReplicaSets of either are
   * adopted by template equality (replicasets.ts), so the choice only names new ReplicaSets.
   */
  readonly creationTimestamp?: PodTemplateHashVariant;
}

/** Go's `json.Marshal` of the template after decoding it into a corev1.PodTemplateSpec. */
export function goJsonOfPodTemplate(template: unknown): string {
  return goJsonOf(template, podTemplateRootType, 'template');
}

/** Go's `json.Marshal` of a value decoded into the Go type `type` (from the generated table). */
export function goJsonOf(value: unknown, type: GoType, path: string): string {
  const out: string[] = [];
  writeValue(value, type, path, out);
  return out.join('');
}

/** The `rollouts-pod-template-hash` label value Argo Rollouts gives this template. */
export function podTemplateHash(
  template: unknown,
  collisionCount?: number | null,
  options: PodTemplateHashOptions = {},
): string {
  let json = goJsonOfPodTemplate(template);
  if (options.creationTimestamp === 'null') {
    json = withNullCreationTimestamp(template, json);
  }
  let hash = fnv32a(Buffer.from(json, 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    if (!Number.isInteger(collisionCount) || collisionCount < -(2 ** 31) || collisionCount >= 2 ** 31) {
      throw new Error(`pod template hash: collisionCount must be an int32, got ${collisionCount}`);
    }
    // uint32 little-endian, padded with zeros to 8 bytes; a count of 0 still adds the 8 bytes.
    const countBytes = Buffer.alloc(8);
    countBytes.writeUInt32LE(collisionCount >>> 0, 0);
    hash = fnv32a(countBytes, hash);
  }
  return safeEncodeString(String(hash));
}

/**
 * FNV-32a of the UTF-8 text, then rand.SafeEncodeString of the decimal sum: how Argo Rollouts
 * turns Go json into a short hash (the step hash is this over json.Marshal of the steps).
 */
export function stableHashOfJson(json: string): string {
  return safeEncodeString(String(fnv32a(Buffer.from(json, 'utf8'))));
}

// The json of older releases, rebuilt from the bytes: nothing is done when the template has a
// timestamp or the text "creationTimestamp" in quotes occurs anywhere (a label key counts);
// otherwise the first `"metadata":{}` gets the member, or else the first `"metadata":{` object
// (where ObjectMeta's field order put it for the labels and annotations templates carry).
function withNullCreationTimestamp(template: unknown, json: string): string {
  const metadata = isObject(template) ? template.metadata : undefined;
  const timestamp = isObject(metadata) ? metadata.creationTimestamp : undefined;
  if (!isZeroTime(parseGoTime(timestamp, 'template.metadata.creationTimestamp'))) return json;
  if (json.includes('"creationTimestamp"')) return json;
  if (json.includes('"metadata":{}')) {
    return json.replace('"metadata":{}', '"metadata":{"creationTimestamp":null}');
  }
  return json.replace('"metadata":{', '"metadata":{"creationTimestamp":null,');
}

// FNV-1a, 32 bit, written by hand (10 lines): Node's crypto has no FNV and no dependency is needed.
const fnvOffsetBasis = 0x811c9dc5;
const fnvPrime = 0x01000193;
function fnv32a(bytes: Uint8Array, seed: number = fnvOffsetBasis): number {
  let hash = seed;
  for (const byte of bytes) {
    hash = Math.imul(hash ^ byte, fnvPrime) >>> 0;
  }
  return hash;
}

// k8s.io/apimachinery/pkg/util/rand: each character maps into an alphabet without vowels.
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += safeAlphabet.charAt(ch.codePointAt(0)! % safeAlphabet.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Go encoding/json over the generated type table. Decoding semantics are those of client-go's
// case-sensitive decoder: unknown members are dropped, null leaves a value at its zero value
// (nil for pointers, slices and maps), a type mismatch is an error.

type JsonObject = { readonly [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeError(path: string, expected: string, value: unknown): Error {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return new Error(`pod template hash: ${path} must be ${expected} as in core/v1, got ${got}`);
}

function writeValue(value: unknown, type: GoType, path: string, out: string[]): void {
  switch (type.kind) {
    case 'string':
      if (value === undefined || value === null) out.push('""');
      else if (typeof value === 'string') out.push(goString(value));
      else throw decodeError(path, 'a string', value);
      return;
    case 'bool':
      if (value === undefined || value === null) out.push('false');
      else if (typeof value === 'boolean') out.push(value ? 'true' : 'false');
      else throw decodeError(path, 'a boolean', value);
      return;
    case 'int':
      if (value === undefined || value === null) out.push('0');
      else if (typeof value === 'number' && Number.isInteger(value)) out.push(String(value));
      else throw decodeError(path, 'an integer', value);
      return;
    case 'quantity':
      out.push(`"${canonicalQuantityAt(value, path)}"`);
      return;
    case 'time': {
      const time = parseGoTime(value, path);
      out.push(isZeroTime(time) ? 'null' : `"${formatRfc3339(time)}"`);
      return;
    }
    case 'intorstring':
      // IntOrString.UnmarshalJSON: a JSON string is the string form, anything else an int32.
      if (typeof value === 'string') out.push(goString(value));
      else if (value === undefined || value === null) out.push('0');
      else if (typeof value === 'number' && Number.isInteger(value)) out.push(String(value));
      else throw decodeError(path, 'an integer or a string', value);
      return;
    case 'raw':
      // metav1.FieldsV1 keeps the raw JSON; encoding/json compacts it (key order as given).
      if (value === undefined || value === null) out.push('null');
      else writeRawJson(value, out);
      return;
    case 'ptr':
      if (value === undefined || value === null) out.push('null');
      else writeValue(value, type.elem, path, out);
      return;
    case 'slice': {
      if (value === undefined || value === null) {
        out.push('null');
        return;
      }
      if (!Array.isArray(value)) throw decodeError(path, 'an array', value);
      out.push('[');
      value.forEach((element: unknown, i) => {
        if (i > 0) out.push(',');
        writeValue(element, type.elem, `${path}[${i}]`, out);
      });
      out.push(']');
      return;
    }
    case 'map': {
      if (value === undefined || value === null) {
        out.push('null');
        return;
      }
      if (!isObject(value)) throw decodeError(path, 'an object', value);
      out.push('{');
      sortedEntries(value).forEach(([key, element], i) => {
        if (i > 0) out.push(',');
        out.push(goString(key), ':');
        writeValue(element, type.elem, `${path}[${JSON.stringify(key)}]`, out);
      });
      out.push('}');
      return;
    }
    case 'struct': {
      if (value !== undefined && value !== null && !isObject(value))
        throw decodeError(path, 'an object', value);
      const object: JsonObject = isObject(value) ? value : {};
      out.push('{');
      let first = true;
      for (const field of structFields(type.name)) {
        const member = Object.hasOwn(object, field.json) ? object[field.json] : undefined;
        if (field.omitzero && isGoZero(member, field.type, path)) continue;
        if (field.omitempty && isGoEmpty(member, field.type)) continue;
        if (!first) out.push(',');
        first = false;
        out.push(`"${field.json}":`);
        writeValue(member, field.type, `${path}.${field.json}`, out);
      }
      out.push('}');
      return;
    }
  }
}

function structFields(name: string) {
  const fields = podTemplateStructs[name];
  if (fields === undefined) throw new Error(`pod template hash: no generated fields for Go struct ${name}`);
  return fields;
}

// Map entries as Go holds them (lone surrogates decode to U+FFFD) sorted by UTF-8 bytes.
function sortedEntries(object: JsonObject): [string, unknown][] {
  const entries = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) entries.set(wellFormed(key), value);
  return [...entries].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

// encoding/json's omitempty: false, 0, "", nil pointers and empty slices/maps; structs never.
function isGoEmpty(value: unknown, type: GoType): boolean {
  switch (type.kind) {
    case 'string':
      return value === undefined || value === null || value === '';
    case 'bool':
      return value === undefined || value === null || value === false;
    case 'int':
      return value === undefined || value === null || value === 0;
    case 'ptr':
      return value === undefined || value === null;
    case 'slice':
      return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
    case 'map':
      return value === undefined || value === null || (isObject(value) && Object.keys(value).length === 0);
    case 'raw':
      // json.RawMessage is a []byte: empty when absent (a JSON null is kept as the 4 bytes).
      return value === undefined;
    default:
      return false;
  }
}

// encoding/json's omitzero: the type's IsZero method if it has one (Time, Quantity), else the
// Go zero value, where an empty but non-nil slice or map is not zero.
function isGoZero(value: unknown, type: GoType, path: string): boolean {
  if (value === undefined || value === null) return true;
  switch (type.kind) {
    case 'time':
      return isZeroTime(parseGoTime(value, path));
    case 'quantity':
      return canonicalQuantityAt(value, path) === '0';
    case 'intorstring':
      return value === 0;
    case 'struct':
      return (
        isObject(value) &&
        structFields(type.name).every((field) =>
          isGoZero(Object.hasOwn(value, field.json) ? value[field.json] : undefined, field.type, path),
        )
      );
    case 'string':
    case 'bool':
    case 'int':
      return isGoEmpty(value, type);
    default:
      return false;
  }
}

function writeRawJson(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(goString(value));
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (value === null) out.push('null');
  else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((element: unknown, i) => {
      if (i > 0) out.push(',');
      writeRawJson(element, out);
    });
    out.push(']');
  } else if (isObject(value)) {
    out.push('{');
    Object.entries(value).forEach(([key, element], i) => {
      if (i > 0) out.push(',');
      out.push(goString(key), ':');
      writeRawJson(element, out);
    });
    out.push('}');
  }
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
function wellFormed(s: string): string {
  return s.replace(loneSurrogate, '\ufffd');
}

// Go escapes ", \, control characters (\b \f \n \r \t by name), <, >, & and U+2028/U+2029.
function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || code === 0x3c || code === 0x3e || code === 0x26)
      return true;
    if (code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) return true;
  }
  return false;
}

function goString(s: string): string {
  if (!needsEscape(s)) return `"${s}"`;
  let out = '"';
  for (const ch of wellFormed(s)) {
    const code = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default:
        if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029) {
          out += `\\u${code.toString(16).padStart(4, '0')}`;
        } else {
          out += ch;
        }
    }
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// metav1.Time: RFC 3339 in, UTC RFC 3339 without fractional seconds out, zero instant is null.

interface GoTime {
  /** Seconds since 0001-01-01T00:00:00Z, Go's zero instant. */
  readonly seconds: number;
  readonly nanos: number;
}

// Go also takes a comma before fractional seconds, and any number of fractional digits.
const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;
const goZeroEpochSeconds = epochSeconds(1, 1, 1, 0, 0, 0);

function epochSeconds(year: number, month: number, day: number, hour: number, min: number, sec: number) {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, min, sec, 0);
  return date.getTime() / 1000;
}

function parseGoTime(value: unknown, path: string): GoTime {
  if (value === undefined || value === null) return { seconds: 0, nanos: 0 };
  const match = typeof value === 'string' ? rfc3339.exec(value) : null;
  if (match === null) throw decodeError(path, 'an RFC 3339 time', value);
  const [year, month, day, hour, minute, second, zoneHour, zoneMinute] = [1, 2, 3, 4, 5, 6, 10, 11].map(
    (group) => Number(match[group] ?? 0),
  ) as [number, number, number, number, number, number, number, number];
  let seconds = epochSeconds(year, month, day, hour, minute, second);
  const check = new Date(seconds * 1000);
  if (
    check.getUTCMonth() + 1 !== month ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    zoneHour > 23 ||
    zoneMinute > 59
  ) {
    throw decodeError(path, 'an RFC 3339 time', value);
  }
  if (match[8] !== 'Z') seconds -= (match[9] === '-' ? -1 : 1) * (zoneHour * 3600 + zoneMinute * 60);
  const nanos = Number((match[7] ?? '').slice(0, 9).padEnd(9, '0'));
  return { seconds: seconds - goZeroEpochSeconds, nanos };
}

function isZeroTime(time: GoTime): boolean {
  return time.seconds === 0 && time.nanos === 0;
}

function formatRfc3339(time: GoTime): string {
  const date = new Date((time.seconds + goZeroEpochSeconds) * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}Z`
  );
}

// ---------------------------------------------------------------------------------------------
// resource.Quantity: what MarshalJSON writes after UnmarshalJSON of the given value. A spelling
// that is already canonical is kept verbatim (even "+1" or "5."); otherwise the value is rounded
// up to nano units and written as the shortest mantissa with an SI, binary or e-notation suffix.

type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** value = mantissa × 10^exponent, exactly. */
interface DecimalValue {
  readonly mantissa: bigint;
  readonly exponent: number;
}

const quantityFormatError =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const maxInt64 = 2n ** 63n - 1n;
const goSpace =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** The canonical text Kubernetes writes for a resource quantity, e.g. "0.5" → "500m", 1024Mi → "1Gi". */
export function canonicalQuantity(value: string | number): string {
  return canonicalQuantityAt(value, 'quantity');
}

function canonicalQuantityAt(value: unknown, path: string): string {
  if (value === undefined || value === null) return '0';
  if (typeof value !== 'string' && typeof value !== 'number') throw decodeError(path, 'a quantity', value);
  const text = String(value).replace(goSpace, '');
  try {
    return formatQuantity(parseQuantity(text));
  } catch (error) {
    throw new Error(
      `pod template hash: ${path}: invalid quantity ${JSON.stringify(value)}: ${String(error)}`,
    );
  }
}

interface ParsedQuantity {
  readonly verbatim?: string;
  readonly value: DecimalValue;
  readonly format: QuantityFormat;
}

interface ScannedQuantity {
  readonly positive: boolean;
  readonly number: string; // sign, digits and point as written, for the arbitrary-precision path
  readonly whole: string; // integer digits without leading zeros ("0" if none)
  readonly fraction: string;
  readonly suffix: string;
}

const suffixLetters = 'eEinumkKMGTP';
const isDigit = (ch: string | undefined) => ch !== undefined && ch >= '0' && ch <= '9';

// Mirrors apimachinery's parseQuantityString scanner, including what it lets through.
function scanQuantity(str: string): ScannedQuantity {
  let pos = 0;
  const end = str.length;
  let positive = true;
  if (str[0] === '-' || str[0] === '+') {
    positive = str[0] === '+';
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, number: '0', whole: '0', fraction: '', suffix: '' };
  const wholeStart = pos;
  while (pos < end && isDigit(str[pos])) pos++;
  const whole = str.slice(wholeStart, pos) || '0';
  if (pos >= end) return { positive, number: str, whole, fraction: '', suffix: '' };
  let fraction = '';
  if (str[pos] === '.') {
    const fractionStart = ++pos;
    while (pos < end && isDigit(str[pos])) pos++;
    fraction = str.slice(fractionStart, pos);
    if (pos >= end) return { positive, number: str, whole, fraction, suffix: '' };
  }
  const number = str.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && suffixLetters.includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new Error(quantityFormatError);
  return { positive, number, whole, fraction, suffix: str.slice(suffixStart) };
}

const decimalSuffixes: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const binarySuffixes: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

function interpretSuffix(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  const decimal = decimalSuffixes[suffix];
  if (decimal !== undefined) return { base: 10, exponent: decimal, format: 'DecimalSI' };
  const binary = binarySuffixes[suffix];
  if (binary !== undefined) return { base: 2, exponent: binary, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?\d+$/.test(suffix.slice(1))) {
    const parsed = BigInt(suffix.slice(1));
    if (parsed <= maxInt64 && parsed >= -maxInt64 - 1n) {
      return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: 'DecimalExponent' };
    }
  }
  throw new Error("unable to parse quantity's suffix");
}

function parseQuantity(str: string): ParsedQuantity {
  if (str === '') throw new Error(quantityFormatError);
  if (str === '0') return { verbatim: str, value: { mantissa: 0n, exponent: 0 }, format: 'DecimalSI' };
  const scanned = scanQuantity(str);
  const { base, exponent, format } = interpretSuffix(scanned.suffix);
  const sign = scanned.positive ? 1n : -1n;

  // The int64 fast path, which keeps an input that is already in canonical form as written.
  let precision = -1;
  let scale = 0;
  let multiplier = 1n;
  if (format === 'BinarySI') {
    if (exponent >= 0 && scanned.fraction === '') {
      multiplier = 1n << BigInt(exponent);
      precision = 15 - scanned.whole.length - Math.trunc((exponent * 3) / 10) - 1;
    }
  } else {
    scale = exponent;
    precision = 18 - (scanned.whole.length + scanned.fraction.length);
  }
  if (precision >= 0) {
    scale -= scanned.fraction.length;
    if (scale >= -9) {
      const shifted = scanned.whole + scanned.fraction;
      const digits = BigInt(shifted);
      const product = digits * multiplier;
      if (product <= maxInt64) {
        const canonical =
          format === 'BinarySI'
            ? exponent % 10 === 0 && (digits & 7n) !== 0n
            : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
        const value = { mantissa: sign * product, exponent: scale };
        return canonical ? { verbatim: str, value, format } : { value, format };
      }
    }
  }

  // The arbitrary-precision path: exact value, rounded up to nano units.
  const decimal = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(scanned.number);
  if (decimal === null || `${decimal[2]}${decimal[3] ?? ''}` === '')
    throw new Error('unable to parse numeric part of quantity');
  let mantissa = BigInt(`${decimal[2]}${decimal[3] ?? ''}`);
  let valueExponent = -(decimal[3] ?? '').length;
  if (base === 10) valueExponent += exponent;
  else mantissa <<= BigInt(exponent);
  let finalFormat = format;
  if (mantissa !== 0n) {
    ({ mantissa, exponent: valueExponent } = roundUpToNano({ mantissa, exponent: valueExponent }));
    if (format === 'BinarySI') {
      if (compareDecimal({ mantissa, exponent: valueExponent }, maxInt64) > 0) {
        mantissa = maxInt64;
        valueExponent = 0;
      }
      if (compareDecimal({ mantissa, exponent: valueExponent }, 1n) < 0) finalFormat = 'DecimalSI';
    }
  }
  const negative = decimal[1] === '-';
  return {
    value: { mantissa: negative ? -mantissa : mantissa, exponent: valueExponent },
    format: finalFormat,
  };
}

// Round a non-negative value up to a multiple of 10^-9.
function roundUpToNano(value: DecimalValue): DecimalValue {
  if (value.exponent >= -9) return value;
  const drop = -9 - value.exponent;
  if (drop > value.mantissa.toString().length) return { mantissa: 1n, exponent: -9 };
  const divisor = 10n ** BigInt(drop);
  const quotient = value.mantissa / divisor;
  return { mantissa: value.mantissa % divisor === 0n ? quotient : quotient + 1n, exponent: -9 };
}

function compareDecimal(value: DecimalValue, integer: bigint): number {
  const [left, right] =
    value.exponent >= 0
      ? [value.mantissa * 10n ** BigInt(value.exponent), integer]
      : [value.mantissa, integer * 10n ** BigInt(-value.exponent)];
  return left === right ? 0 : left < right ? -1 : 1;
}

function formatQuantity(quantity: ParsedQuantity): string {
  if (quantity.verbatim !== undefined) return quantity.verbatim;
  let { mantissa, exponent } = quantity.value;
  if (mantissa === 0n) return '0';
  let format = quantity.format;
  if (format === 'BinarySI') {
    const abs = mantissa < 0n ? -mantissa : mantissa;
    if (compareDecimal({ mantissa: abs, exponent }, 1024n) < 0) {
      format = 'DecimalSI';
    } else if (exponent < 0) {
      // Fractional binary values round up (away from zero); if that is inexact, show them decimal.
      const divisor = 10n ** BigInt(-exponent);
      if (abs % divisor !== 0n) format = 'DecimalSI';
      else {
        mantissa /= divisor;
        exponent = 0;
      }
    }
  }
  if (format === 'BinarySI') {
    let integer = mantissa * 10n ** BigInt(exponent);
    let power = 0;
    while (integer % 1024n === 0n && integer !== 0n) {
      integer /= 1024n;
      power++;
    }
    const suffix = Object.entries(binarySuffixes).find(([, e]) => e === power * 10)?.[0] ?? '';
    return `${integer}${suffix}`;
  }
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  while (exponent % 3 !== 0) {
    mantissa *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  // A decimal exponent outside n..E has no SI suffix; Kubernetes then drops it (sic).
  const suffix = Object.entries(decimalSuffixes).find(([, e]) => e === exponent)?.[0] ?? '';
  return `${mantissa}${suffix}`;
}
