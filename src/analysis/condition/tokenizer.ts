// Splits an expr-lang expression into tokens. Integer literals become bigint (Go's int64) and
// float literals number (float64), so the interpreter can keep expr's int/float distinction.

import { ConditionSyntaxError } from './errors.js';

export const WORD_OPERATORS = [
  'and',
  'or',
  'not',
  'in',
  'matches',
  'contains',
  'startsWith',
  'endsWith',
] as const;
export type WordOperator = (typeof WORD_OPERATORS)[number];

// Longest first, so `**` is not read as two `*`.
const SYMBOL_OPERATORS = [
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '..',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '<',
  '>',
  '!',
  '?',
  '.',
  '|',
] as const;
export type SymbolOperator = (typeof SYMBOL_OPERATORS)[number];
export type OperatorText = WordOperator | SymbolOperator;

const PUNCTUATION = ['(', ')', '[', ']', '{', '}', ',', ':'] as const;
export type Punctuation = (typeof PUNCTUATION)[number];

export type Token =
  | { readonly kind: 'int'; readonly value: bigint; readonly offset: number }
  | { readonly kind: 'float'; readonly value: number; readonly offset: number }
  | { readonly kind: 'string'; readonly value: string; readonly offset: number }
  | { readonly kind: 'identifier'; readonly name: string; readonly offset: number }
  /** `#` (name '') or `#index`, `#acc`, ... */
  | { readonly kind: 'pointer'; readonly name: string; readonly offset: number }
  | { readonly kind: 'operator'; readonly value: OperatorText; readonly offset: number }
  | { readonly kind: 'punctuation'; readonly value: Punctuation; readonly offset: number }
  | { readonly kind: 'eof'; readonly offset: number };

const INT64_MAX = (1n << 63n) - 1n;
const IDENTIFIER_START = /[\p{L}_$]/u;
const IDENTIFIER_PART = /[\p{L}\p{N}_$]/u;
const WORDS: ReadonlySet<string> = new Set(WORD_OPERATORS);

export function tokenize(source: string): Token[] {
  return new Tokenizer(source).run();
}

class Tokenizer {
  private pos = 0;
  private readonly tokens: Token[] = [];

  constructor(private readonly source: string) {}

  run(): Token[] {
    for (;;) {
      this.skipSpaceAndComments();
      if (this.pos >= this.source.length) break;
      this.tokens.push(this.next());
    }
    this.tokens.push({ kind: 'eof', offset: this.source.length });
    return this.tokens;
  }

  private fail(reason: string, offset = this.pos): never {
    throw new ConditionSyntaxError(this.source, reason, offset);
  }

  private peek(ahead = 0): string {
    return this.source[this.pos + ahead] ?? '';
  }

  private skipSpaceAndComments(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos++;
      } else if (c === '/' && this.peek(1) === '/') {
        while (this.pos < this.source.length && this.peek() !== '\n') this.pos++;
      } else if (c === '/' && this.peek(1) === '*') {
        const end = this.source.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment');
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  private next(): Token {
    const start = this.pos;
    const c = this.peek();
    if (isDigit(c) || (c === '.' && isDigit(this.peek(1)))) return this.number();
    if (c === '"' || c === "'") return this.quoted(c);
    if (c === '`') return this.raw();
    if (c === '#') {
      this.pos++;
      return { kind: 'pointer', name: this.word(), offset: start };
    }
    if (IDENTIFIER_START.test(c)) {
      const name = this.word();
      if (name === 'let') this.fail("'let' is not supported in conditions", start);
      if (WORDS.has(name)) return { kind: 'operator', value: name as WordOperator, offset: start };
      return { kind: 'identifier', name, offset: start };
    }
    for (const p of PUNCTUATION) {
      if (c === p) {
        this.pos++;
        return { kind: 'punctuation', value: p, offset: start };
      }
    }
    for (const op of SYMBOL_OPERATORS) {
      if (!this.source.startsWith(op, this.pos)) continue;
      // `a ? .5 : 1` is a ternary with a float, not optional chaining.
      if (op === '?.' && isDigit(this.peek(2))) continue;
      this.pos += op.length;
      return { kind: 'operator', value: op, offset: start };
    }
    return this.fail(`unexpected character '${c}'`);
  }

  private word(): string {
    const start = this.pos;
    while (this.pos < this.source.length && IDENTIFIER_PART.test(this.peek())) this.pos++;
    return this.source.slice(start, this.pos);
  }

  private number(): Token {
    const start = this.pos;
    const prefix = this.source.slice(start, start + 2).toLowerCase();
    if (prefix === '0x' || prefix === '0o' || prefix === '0b') {
      this.pos += 2;
      const digits = this.digits(prefix === '0x' ? /[0-9a-fA-F]/ : prefix === '0o' ? /[0-7]/ : /[01]/);
      if (digits === '') this.fail('invalid number literal', start);
      this.rejectIdentifierTail(start);
      return this.int(BigInt(`${prefix}${digits}`), start);
    }
    let isFloat = false;
    this.digits(/[0-9]/);
    if (this.peek() === '.' && this.peek(1) !== '.') {
      isFloat = true;
      this.pos++;
      this.digits(/[0-9]/);
    }
    const e = this.peek();
    if (e === 'e' || e === 'E') {
      const sign = this.peek(1) === '+' || this.peek(1) === '-' ? 1 : 0;
      if (isDigit(this.peek(1 + sign))) {
        isFloat = true;
        this.pos += 1 + sign;
        this.digits(/[0-9]/);
      }
    }
    this.rejectIdentifierTail(start);
    const text = this.source.slice(start, this.pos).replaceAll('_', '');
    if (isFloat) return { kind: 'float', value: Number(text), offset: start };
    return this.int(BigInt(text), start);
  }

  private digits(allowed: RegExp): string {
    const start = this.pos;
    while (allowed.test(this.peek()) || (this.peek() === '_' && allowed.test(this.peek(1)))) this.pos++;
    return this.source.slice(start, this.pos).replaceAll('_', '');
  }

  private rejectIdentifierTail(start: number): void {
    if (IDENTIFIER_PART.test(this.peek())) this.fail('invalid number literal', start);
  }

  private int(value: bigint, start: number): Token {
    if (value > INT64_MAX) this.fail('integer literal out of range', start);
    return { kind: 'int', value, offset: start };
  }

  private raw(): Token {
    const start = this.pos;
    const end = this.source.indexOf('`', start + 1);
    if (end < 0) this.fail('unterminated string', start);
    this.pos = end + 1;
    return { kind: 'string', value: this.source.slice(start + 1, end), offset: start };
  }

  private quoted(quote: string): Token {
    const start = this.pos;
    this.pos++;
    let value = '';
    for (;;) {
      if (this.pos >= this.source.length) this.fail('unterminated string', start);
      const c = this.peek();
      if (c === quote) {
        this.pos++;
        return { kind: 'string', value, offset: start };
      }
      if (c === '\\') {
        value += this.escape();
      } else {
        value += c;
        this.pos++;
      }
    }
  }

  // Go's escapes, as expr unquotes strings with Go rules.
  private escape(): string {
    const start = this.pos;
    const c = this.peek(1);
    this.pos += 2;
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return simple;
    const hexLength = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
    if (hexLength > 0) {
      const hex = this.source.slice(this.pos, this.pos + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex))
        this.fail(`invalid escape '\\${c}${hex}'`, start);
      this.pos += hexLength;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) this.fail(`invalid escape '\\${c}${hex}'`, start);
      return String.fromCodePoint(code);
    }
    if (/[0-7]/.test(c)) {
      const octal = this.source.slice(this.pos - 1, this.pos + 2);
      if (!/^[0-7]{3}$/.test(octal)) this.fail(`invalid escape '\\${octal}'`, start);
      this.pos += 2;
      return String.fromCodePoint(Number.parseInt(octal, 8));
    }
    return this.fail(c === '' ? 'unterminated string' : `invalid escape '\\${c}'`, start);
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
