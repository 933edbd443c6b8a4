// New YAML written into an existing file (a key, a list entry, a whole file): a small tree rendered
// in the file's own layout, block or flow, since re-stringifying the document is not an option.
import type { Scalar } from 'yaml';
import { plainReadsAsString, quoteDouble, renderNewScalar, type ScalarValue } from './scalar-style.js';

export type Fragment =
  | { readonly kind: 'scalar'; readonly value: ScalarValue; readonly style?: Scalar.Type }
  | { readonly kind: 'map'; readonly entries: readonly FragmentEntry[] }
  | { readonly kind: 'seq'; readonly items: readonly Fragment[] };

export type FragmentEntry = readonly [key: string, value: Fragment];

/** How the file lays out block collections, so new ones look like their neighbours. */
export interface BlockLayout {
  /** Spaces per nesting level of maps. */
  readonly indentUnit: number;
  /** `key:\n- item` (kustomize, go-yaml v2) rather than `key:\n  - item`. */
  readonly indentlessSequences: boolean;
  /** Spaces between `-` and the item. */
  readonly itemGap: number;
}

export const scalar = (value: ScalarValue, style?: Scalar.Type): Fragment =>
  style === undefined ? { kind: 'scalar', value } : { kind: 'scalar', value, style };
export const map = (...entries: FragmentEntry[]): Fragment => ({ kind: 'map', entries });
export const seq = (...items: Fragment[]): Fragment => ({ kind: 'seq', items });

export function renderKey(key: string, inFlow: boolean): string {
  return plainReadsAsString(key, inFlow) ? key : quoteDouble(key);
}

export function flowText(fragment: Fragment): string {
  switch (fragment.kind) {
    case 'scalar':
      return renderNewScalar(fragment.value, true, fragment.style);
    case 'map':
      return `{${fragment.entries.map(([k, v]) => `${renderKey(k, true)}: ${flowText(v)}`).join(', ')}}`;
    case 'seq':
      return `[${fragment.items.map(flowText).join(', ')}]`;
  }
}

/** Lines (without line breaks) of `key: value` at `indent` columns. */
export function entryLines(key: string, value: Fragment, indent: number, layout: BlockLayout): string[] {
  const head = `${' '.repeat(indent)}${renderKey(key, false)}:`;
  if (value.kind === 'scalar') return [`${head} ${renderNewScalar(value.value, false, value.style)}`];
  if (isEmpty(value)) return [`${head} ${flowText(value)}`];
  if (value.kind === 'map') return [head, ...blockLines(value, indent + layout.indentUnit, layout)];
  return [
    head,
    ...blockLines(value, layout.indentlessSequences ? indent : indent + layout.indentUnit, layout),
  ];
}

/** Lines of a list entry whose `-` sits at `indent` columns. */
export function itemLines(item: Fragment, indent: number, layout: BlockLayout): string[] {
  const dash = `${' '.repeat(indent)}-${' '.repeat(layout.itemGap)}`;
  if (item.kind === 'scalar' || isEmpty(item)) return [`${dash}${flowText(item)}`];
  const inner = blockLines(item, indent + 1 + layout.itemGap, layout);
  const [first = '', ...rest] = inner;
  return [dash + first.trimStart(), ...rest];
}

/** Lines of a non-empty block map or list at `indent` columns. */
export function blockLines(fragment: Fragment, indent: number, layout: BlockLayout): string[] {
  switch (fragment.kind) {
    case 'scalar':
      return [`${' '.repeat(indent)}${renderNewScalar(fragment.value, false, fragment.style)}`];
    case 'map':
      return fragment.entries.flatMap(([k, v]) => entryLines(k, v, indent, layout));
    case 'seq':
      return fragment.items.flatMap((item) => itemLines(item, indent, layout));
  }
}

function isEmpty(fragment: Fragment): boolean {
  return (
    (fragment.kind === 'map' && fragment.entries.length === 0) ||
    (fragment.kind === 'seq' && fragment.items.length === 0)
  );
}

/** The value a reader gets back from the fragment, to check the edit after the fact. */
export function fragmentValue(fragment: Fragment): unknown {
  switch (fragment.kind) {
    case 'scalar':
      return fragment.value;
    case 'map':
      return Object.fromEntries(fragment.entries.map(([k, v]) => [k, fragmentValue(v)]));
    case 'seq':
      return fragment.items.map(fragmentValue);
  }
}
