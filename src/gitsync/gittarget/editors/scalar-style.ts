// Writing a new scalar in the style of the one it replaces (plain, quoted, literal or folded block)
// without changing what the value means: a tag like 1.10 or true written plain would stop being a
// string, so it gets quotes. Strings are checked against both YAML 1.2 (this library) and YAML 1.1
// (go-yaml, hence Helm and Kubernetes), where `yes`, `on`, `1:20` and dates are not strings either.
import { isScalar, isSeq, parseDocument, Scalar } from 'yaml';

export type ScalarValue = string | number | boolean;

/** True when `text`, written plain, reads back as exactly that string under YAML 1.1 and 1.2. */
export function plainReadsAsString(text: string, inFlow: boolean, explicitStrTag = false): boolean {
  if (text === '' || /[\n\r]/.test(text) || text.trim() !== text) return false;
  const written = explicitStrTag ? `!!str ${text}` : text;
  for (const version of ['1.1', '1.2'] as const) {
    const doc = parseDocument(inFlow ? `[${written}]` : `k: ${written}`, { version });
    if (doc.errors.length > 0) return false;
    const node = inFlow ? (isSeq(doc.contents) ? doc.contents.items[0] : undefined) : doc.get('k', true);
    if (!isScalar(node) || node.type !== Scalar.PLAIN || node.value !== text || node.comment) return false;
    if (inFlow && isSeq(doc.contents) && doc.contents.items.length !== 1) return false;
  }
  return true;
}

/** Why `text` cannot be written plain, for the note that explains added quotes. */
export function plainReading(text: string, inFlow: boolean): string {
  for (const version of ['1.2', '1.1'] as const) {
    const doc = parseDocument(`k: ${text}`, { version });
    if (doc.errors.length > 0 || !isScalar(doc.get('k', true))) return 'is not a plain scalar';
    const value: unknown = doc.get('k');
    const suffix = version === '1.1' ? ' in YAML 1.1 (Helm, Kubernetes)' : '';
    if (value === null) return `reads as null${suffix}`;
    if (typeof value === 'number') return `reads as a number${suffix}`;
    if (typeof value === 'boolean') return `reads as a boolean${suffix}`;
    if (value instanceof Date) return `reads as a date${suffix}`;
    if (value !== text) return 'is not a plain scalar';
  }
  return inFlow ? 'cannot be plain inside [ ] or { }' : 'is not a plain scalar';
}

/** C0/C1 control characters, DEL and BOM: YAML can write them only as escapes in double quotes. */
function needsEscape(text: string, allowed = ''): boolean {
  for (const c of text) {
    if (allowed.includes(c)) continue;
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xfeff) return true;
  }
  return false;
}

// JSON escapes are valid in YAML double quotes; JSON leaves DEL, C1 and BOM raw, so escape those too.
export function quoteDouble(value: string): string {
  let out = '';
  for (const c of JSON.stringify(value)) {
    out += needsEscape(c) ? `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}` : c;
  }
  return out;
}

/** Single quotes cannot escape anything but `'`, so line breaks and control characters need double. */
export function quoteSingle(value: string): string | undefined {
  if (needsEscape(value, '\t')) return undefined;
  return `'${value.replaceAll("'", "''")}'`;
}

/** A scalar for a newly created key or entry: in `style` if given and able, else plain or double. */
export function renderNewScalar(value: ScalarValue, inFlow: boolean, style?: Scalar.Type): string {
  if (typeof value !== 'string') return String(value);
  if (style === Scalar.QUOTE_SINGLE) return quoteSingle(value) ?? quoteDouble(value);
  if (style === Scalar.QUOTE_DOUBLE) return quoteDouble(value);
  return plainReadsAsString(value, inFlow) ? value : quoteDouble(value);
}

export interface ScalarRewrite {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** The value the file holds afterwards (block scalars add their chomping's final newline). */
  readonly written: ScalarValue;
  readonly note?: string;
}

export interface ScalarContext {
  readonly source: string;
  readonly inFlow: boolean;
  readonly eol: string;
}

export function sameScalarValue(node: Scalar.Parsed, value: ScalarValue): boolean {
  if (isBlock(node) && typeof node.value === 'string' && typeof value === 'string') {
    return node.value.replace(/\n+$/, '') === value.replace(/\n+$/, '');
  }
  return node.value === value;
}

/** The splice that replaces `node`'s text with `value`, keeping its style where the style can hold it. */
export function rewriteScalar(node: Scalar.Parsed, value: ScalarValue, ctx: ScalarContext): ScalarRewrite {
  const [start, end] = node.range;
  if (isBlock(node)) return rewriteBlockScalar(node, value, ctx);
  // An empty value (`digest:`) has a zero-length range right after the colon.
  const lead = start === end && !/\s/.test(ctx.source[start - 1] ?? ' ') ? ' ' : '';
  const splice = (text: string, note?: string): ScalarRewrite =>
    note === undefined
      ? { start, end, text: lead + text, written: value }
      : { start, end, text: lead + text, written: value, note };
  if (typeof value !== 'string') return splice(String(value));
  switch (node.type) {
    case Scalar.QUOTE_SINGLE:
      return splice(quoteSingle(value) ?? quoteDouble(value));
    case Scalar.QUOTE_DOUBLE:
      return splice(quoteDouble(value));
    default: {
      if (plainReadsAsString(value, ctx.inFlow, node.tag === 'tag:yaml.org,2002:str')) return splice(value);
      return splice(
        quoteDouble(value),
        `quoted so it stays a string (plain ${value} ${plainReading(value, ctx.inFlow)})`,
      );
    }
  }
}

function isBlock(node: Scalar.Parsed): boolean {
  return node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
}

// A block scalar's range runs from its `|` or `>` header through its content lines. The header
// (with chomping, indentation indicator and comment) stays; only the content lines are rewritten.
// Blank lines after the content belong to the layout, not the value, unless chomping is "keep".
function rewriteBlockScalar(node: Scalar.Parsed, value: ScalarValue, ctx: ScalarContext): ScalarRewrite {
  const { source, eol } = ctx;
  const [start, end] = node.range;
  const headerBreak = source.indexOf('\n', start);
  const contentStart = headerBreak < 0 || headerBreak >= end ? end : headerBreak + 1;
  const header = source.slice(start, contentStart).trim();
  const keep = /^[|>][1-9]?\+/.test(header);
  const strip = /^[|>][1-9]?-/.test(header);

  const region = source.slice(contentStart, end);
  const lines = region.split(/(?<=\n)/);
  let regionEnd = end;
  if (!keep) {
    // Trailing blank lines stay where they are: drop them from the region being replaced.
    let kept = lines.length;
    while (kept > 0 && (lines[kept - 1] ?? '').trim() === '') kept -= 1;
    regionEnd = contentStart + lines.slice(0, kept).join('').length;
  }
  const endsWithBreak = source[regionEnd - 1] === '\n';
  const indent = contentIndent(lines, header, String(node.value), lineIndent(source, start) + 2);
  const pad = ' '.repeat(indent);

  const asQuoted = (note: string): ScalarRewrite => {
    const text = typeof value === 'string' ? quoteDouble(value) : String(value);
    return { start, end: regionEnd, text: endsWithBreak ? `${text}${eol}` : text, written: value, note };
  };
  if (typeof value !== 'string') return asQuoted('a block scalar cannot hold a number or boolean');
  const trailing = /\n*$/.exec(value)?.[0].length ?? 0;
  const body = value.slice(0, value.length - trailing);
  const bodyLines = body.split('\n');
  const unfit =
    body === '' ||
    needsEscape(body, '\t\n') ||
    /^[ \t]/.test(body) ||
    (keep && trailing === 0) ||
    (node.type === Scalar.BLOCK_FOLDED && bodyLines.some((l) => /^[ \t]/.test(l) || /[ \t]$/.test(l)));
  if (unfit) return asQuoted('written double-quoted: the block style cannot hold this value');

  const content: string[] = [];
  bodyLines.forEach((line, i) => {
    // In a folded scalar a single line break reads as a space, so each break needs a blank line.
    if (node.type === Scalar.BLOCK_FOLDED && i > 0 && bodyLines[i - 1] !== '') content.push('');
    content.push(line === '' ? '' : `${pad}${line}`);
  });
  if (keep) for (let i = 1; i < trailing; i += 1) content.push('');
  const text = content.join(eol) + (endsWithBreak ? eol : '');
  const written = strip ? body : keep ? body + '\n'.repeat(trailing) : `${body}\n`;
  return { start: contentStart, end: regionEnd, text, written };
}

/**
 * Columns of the content lines. With an indentation indicator (`|2`) the first line may hold
 * spaces of its own, so the indent is its column minus the spaces the value starts with.
 */
function contentIndent(lines: readonly string[], header: string, value: string, fallback: number): number {
  const spaces = (line: string) => line.length - line.trimStart().length;
  const filled = lines.filter((l) => l.trim() !== '');
  if (filled.length === 0) return fallback;
  if (!/^[|>][-+]?[1-9]/.test(header)) return Math.min(...filled.map(spaces));
  const firstValueLine = value.split('\n').find((l) => l.trim() !== '') ?? '';
  return spaces(filled[0] ?? '') - spaces(firstValueLine);
}

function lineIndent(source: string, offset: number): number {
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  return /^ */.exec(source.slice(lineStart))?.[0].length ?? 0;
}
