// Adding a key to a map, an entry to a list, or removing a key, as splices of the original text.
// New lines copy the indentation and style (block or flow) of the collection they join.
import { type CST, isMap, isScalar, isSeq, type ParsedNode, visit, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ParsedDocument } from './manifest-source.js';
import type { MapPair } from './node-lookup.js';
import { columnOf, endOfLine, lineStart, linesAt, type Splice } from './text-splice.js';
import {
  type BlockLayout,
  entryLines,
  type Fragment,
  flowText,
  itemLines,
  renderKey,
} from './yaml-fragment.js';

export interface LayoutContext {
  readonly text: string;
  readonly eol: string;
  readonly layout: BlockLayout;
}

/** Where a node's content ends, ignoring comments and blank lines that trail a block collection. */
export function contentEnd(node: ParsedNode | null, fallback: number): number {
  if (node === null) return fallback;
  if (isMap(node) && !node.flow) {
    const last = node.items.at(-1);
    return last === undefined ? node.range[1] : contentEnd(last.value, last.key.range[1]);
  }
  if (isSeq(node) && !node.flow) {
    const last = node.items.at(-1);
    return last === undefined ? node.range[1] : contentEnd(last, node.range[1]);
  }
  return node.range[1];
}

export function appendPair(ctx: LayoutContext, map: YAMLMap.Parsed, key: string, value: Fragment): Splice {
  const last = map.items.at(-1);
  if (map.flow) {
    if (last === undefined) return insert(map.range[0] + 1, `${renderKey(key, true)}: ${flowText(value)}`);
    const at = contentEnd(last.value, last.key.range[1]);
    return insert(at, `, ${renderKey(key, true)}: ${flowText(value)}`);
  }
  // A parsed block map always has at least one entry.
  const first = map.items[0] as MapPair;
  const indent = columnOf(ctx.text, first.key.range[0]);
  const at = pastOwnedComments(ctx.text, endOfLine(ctx.text, contentEnd(map, map.range[1])), indent);
  return insert(at, linesAt(ctx.text, at, entryLines(key, value, indent, ctx.layout), ctx.eol));
}

export function appendItem(ctx: LayoutContext, list: YAMLSeq.Parsed, item: Fragment): Splice {
  const last = list.items.at(-1);
  if (list.flow) {
    if (last === undefined) return insert(list.range[0] + 1, flowText(item));
    return insert(contentEnd(last, list.range[1]), `, ${flowText(item)}`);
  }
  const dash = firstDash(list);
  const gap = Math.max(1, (list.items[0]?.range[0] ?? dash + 2) - dash - 1);
  const layout: BlockLayout = { ...ctx.layout, itemGap: gap };
  const indent = columnOf(ctx.text, dash);
  // Entries written `- {name: a}` get a flow sibling, block entries a block one.
  const flowEntries = last !== undefined && (isMap(last) || isSeq(last)) && last.flow === true;
  const lines =
    flowEntries && item.kind !== 'scalar'
      ? [`${' '.repeat(indent)}-${' '.repeat(gap)}${flowText(item)}`]
      : itemLines(item, indent, layout);
  const at = pastOwnedComments(ctx.text, endOfLine(ctx.text, contentEnd(list, list.range[1])), indent);
  return insert(at, linesAt(ctx.text, at, lines, ctx.eol));
}

/**
 * Comment lines indented deeper than the collection's own column belong to its last entry
 * (`# pullPolicy: Always` under an image map), so new entries go after them, not between.
 */
function pastOwnedComments(text: string, at: number, column: number): number {
  let cursor = at;
  while (cursor < text.length) {
    const next = endOfLine(text, cursor + 1);
    const line = text.slice(cursor, next);
    const indent = line.length - line.trimStart().length;
    if (!line.trimStart().startsWith('#') || indent <= column) break;
    cursor = next;
  }
  return cursor;
}

/** Gives `key:` (empty or `~`) a collection value, e.g. `images:` becomes a list with one entry. */
export function fillEmptyValue(
  ctx: LayoutContext,
  owner: YAMLMap.Parsed,
  pair: MapPair,
  value: Fragment,
): Splice[] {
  const empty = pair.value;
  if (empty === null || !isScalar(empty)) return [];
  const [start, end] = empty.range;
  let from = start;
  while (from > 0 && (ctx.text[from - 1] === ' ' || ctx.text[from - 1] === '\t')) from -= 1;
  if (owner.flow) return [{ start: from, end, text: ` ${flowText(value)}` }];
  const removeNull: Splice[] = end > start ? [{ start: from, end, text: '' }] : [];
  const keyColumn = columnOf(ctx.text, pair.key.range[0]);
  const indent =
    value.kind === 'seq' && ctx.layout.indentlessSequences ? keyColumn : keyColumn + ctx.layout.indentUnit;
  const lines =
    value.kind === 'scalar' ? [`${' '.repeat(indent)}${flowText(value)}`] : blockLinesOf(value, indent, ctx);
  const at = endOfLine(ctx.text, empty.range[2]);
  return [...removeNull, insert(at, linesAt(ctx.text, at, lines, ctx.eol))];
}

function blockLinesOf(value: Fragment, indent: number, ctx: LayoutContext): string[] {
  if (value.kind === 'map') return value.entries.flatMap(([k, v]) => entryLines(k, v, indent, ctx.layout));
  if (value.kind === 'seq') return value.items.flatMap((item) => itemLines(item, indent, ctx.layout));
  return [];
}

export type Removal =
  | { readonly ok: true; readonly splice: Splice }
  | { readonly ok: false; readonly reason: string };

/** Removes `key: value`, its line(s) in a block map, or the entry and one comma in a flow map. */
export function removePair(ctx: LayoutContext, map: YAMLMap.Parsed, pair: MapPair): Removal {
  const index = map.items.indexOf(pair);
  const next = map.items[index + 1];
  const previous = map.items[index - 1];
  const keyStart = pair.key.range[0];
  const end = contentEnd(pair.value, pair.key.range[1]);
  if (map.flow) {
    if (next !== undefined)
      return { ok: true, splice: { start: keyStart, end: next.key.range[0], text: '' } };
    if (previous !== undefined) {
      return {
        ok: true,
        splice: { start: contentEnd(previous.value, previous.key.range[1]), end, text: '' },
      };
    }
    return { ok: true, splice: { start: keyStart, end, text: '' } };
  }
  const start = lineStart(ctx.text, keyStart);
  if (ctx.text.slice(start, keyStart).trim() === '') {
    let stop = endOfLine(ctx.text, end);
    let from = start;
    // Removing the last line of a file without a final line break: take the break before it instead.
    if (stop === ctx.text.length && !ctx.text.endsWith('\n') && from > 0) {
      from = from - (ctx.text[from - 2] === '\r' ? 2 : 1);
      stop = ctx.text.length;
    }
    return { ok: true, splice: { start: from, end: stop, text: '' } };
  }
  // The key shares its line with `- `: pull the next key up onto that line.
  if (next !== undefined) return { ok: true, splice: { start: keyStart, end: next.key.range[0], text: '' } };
  return { ok: false, reason: `cannot remove the only key of a list entry` };
}

/** Offset of the first `-` of a block sequence, from the source tokens the parser kept. */
function firstDash(list: YAMLSeq): number {
  const token = list.srcToken;
  if (token !== undefined && token.type === 'block-seq') {
    const start = token.items[0]?.start ?? [];
    const indicator = start.find((t: CST.SourceToken) => t.type === 'seq-item-ind');
    if (indicator !== undefined) return indicator.offset;
  }
  return list.range?.[0] ?? 0;
}

/** What kubectl and most Helm charts write: two spaces, lists indented under their key. */
export const DEFAULT_LAYOUT: BlockLayout = { indentUnit: 2, indentlessSequences: false, itemGap: 1 };

/** Reads indentation habits off the document; `defaults` covers what the document does not show. */
export function detectLayout(
  doc: ParsedDocument,
  text: string,
  defaults: BlockLayout = DEFAULT_LAYOUT,
): BlockLayout {
  let indentUnit: number | undefined;
  let indentless: boolean | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || !pair.key.range) return undefined;
      const keyColumn = columnOf(text, pair.key.range[0]);
      const value = pair.value;
      if (indentUnit === undefined && isMap(value) && !value.flow) {
        const firstKey = value.items[0]?.key;
        if (isScalar(firstKey) && firstKey.range) indentUnit = columnOf(text, firstKey.range[0]) - keyColumn;
      }
      if (indentless === undefined && isSeq(value) && !value.flow && value.range) {
        indentless = columnOf(text, firstDash(value)) === keyColumn;
      }
      if (indentUnit !== undefined && indentless !== undefined) return visit.BREAK;
      return undefined;
    },
  });
  return {
    indentUnit: indentUnit !== undefined && indentUnit > 0 ? indentUnit : defaults.indentUnit,
    indentlessSequences: indentless ?? defaults.indentlessSequences,
    itemGap: defaults.itemGap,
  };
}

function insert(at: number, text: string): Splice {
  return { start: at, end: at, text };
}
