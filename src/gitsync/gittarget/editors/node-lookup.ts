// Finding the node a value path names, following aliases and `<<` merge keys the way a YAML
// reader would, and explaining a miss well enough that the user can fix the path.
import {
  type Alias,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Pair,
  type ParsedNode,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import type { ParsedDocument } from './manifest-source.js';
import { formatValuePath, type PathSegment, type ValuePath } from './value-path.js';

export type Lookup =
  | {
      readonly kind: 'found';
      readonly node: ParsedNode;
      /** The map entry holding the node, when the last segment was a key. */
      readonly pair?: MapPair;
      /** Aliases and merge keys passed on the way, e.g. `*defaults`, `<<: *base`. */
      readonly via: readonly string[];
    }
  | {
      readonly kind: 'missing';
      /** The longest prefix of the path that exists. */
      readonly nearest: ValuePath;
      readonly detail: string;
    }
  | { readonly kind: 'alias'; readonly alias: Alias.Parsed; readonly via: readonly string[] };

export type MapPair = Pair<ParsedNode, ParsedNode | null>;

export function lookupPath(doc: ParsedDocument, path: ValuePath): Lookup {
  let node: ParsedNode | null = doc.contents;
  let pair: MapPair | undefined;
  const via: string[] = [];
  for (let i = 0; i < path.length; i += 1) {
    const segment = path[i] as PathSegment;
    const here = path.slice(0, i);
    const missing = (detail: string): Lookup => ({ kind: 'missing', nearest: here, detail });
    if (node !== null && isAlias(node)) {
      const target = resolveAlias(doc, node);
      if (target === undefined) return missing(`alias *${node.source} has no anchor before it`);
      via.push(`*${node.source}`);
      node = target;
    }
    if (node === null || (isScalar(node) && node.value === null)) {
      return missing(`${describeLocation(here)} is empty`);
    }
    switch (segment.kind) {
      case 'key': {
        if (!isMap(node)) return missing(`${describeLocation(here)} is ${describeNode(node)}, not a map`);
        const found = findKey(doc, node, segment.key, via);
        if (found === undefined) {
          const hint = suggestKeys(node, segment.key);
          return missing(`${describeLocation(here)} has no key "${segment.key}"${hint}`);
        }
        pair = found;
        node = found.value;
        break;
      }
      case 'index': {
        if (!isSeq(node)) return missing(`${describeLocation(here)} is ${describeNode(node)}, not a list`);
        const item = node.items[segment.index];
        if (item === undefined) {
          return missing(
            `${describeLocation(here)} has ${node.items.length} entries, no index ${segment.index}`,
          );
        }
        pair = undefined;
        node = item;
        break;
      }
      case 'match': {
        if (!isSeq(node)) return missing(`${describeLocation(here)} is ${describeNode(node)}, not a list`);
        const hits = node.items.filter((item) => fieldOf(doc, item, segment.key) === segment.value);
        const [hit] = hits;
        if (hit === undefined) {
          // Counted, not listed: values read from the file never go into messages.
          const present = node.items.filter((item) => fieldOf(doc, item, segment.key) !== undefined).length;
          const listed =
            present === 0 ? 'none has that field' : `${present} have the field with other values`;
          return missing(
            `${describeLocation(here)} has no entry with ${segment.key}=${segment.value} (${listed})`,
          );
        }
        if (hits.length > 1) {
          return missing(
            `${describeLocation(here)} has ${hits.length} entries with ${segment.key}=${segment.value}; use an index`,
          );
        }
        pair = undefined;
        node = hit;
        break;
      }
    }
  }
  if (node !== null && isAlias(node)) return { kind: 'alias', alias: node, via };
  if (node === null) return { kind: 'missing', nearest: path.slice(0, -1), detail: 'the entry has no value' };
  return { kind: 'found', node, ...(pair !== undefined && { pair }), via };
}

/** Nodes of a parsed document are parsed nodes; the library's signature just does not say so. */
export function resolveAlias(doc: ParsedDocument, alias: Alias.Parsed): ParsedNode | undefined {
  return alias.resolve(doc) as ParsedNode | undefined;
}

export function keyText(key: ParsedNode | null): string | undefined {
  return key !== null && isScalar(key) && key.value !== null ? String(key.value) : undefined;
}

export function findPair(map: YAMLMap.Parsed, key: string): MapPair | undefined {
  return map.items.find((p) => keyText(p.key) === key);
}

/** A key of the map itself, else one it merges in with `<<: *anchor` (the edit then lands on the anchor). */
function findKey(doc: ParsedDocument, map: YAMLMap.Parsed, key: string, via: string[]): MapPair | undefined {
  const own = findPair(map, key);
  if (own !== undefined) return own;
  for (const merge of map.items.filter((p) => keyText(p.key) === '<<')) {
    const sources = merge.value !== null && isSeq(merge.value) ? merge.value.items : [merge.value];
    for (const source of sources) {
      if (source === null || !isAlias(source)) continue;
      const target = resolveAlias(doc, source);
      if (target === undefined || !isMap(target)) continue;
      const inherited = findKey(doc, target, key, via);
      if (inherited !== undefined) {
        via.push(`<<: *${source.source}`);
        return inherited;
      }
    }
  }
  return undefined;
}

function fieldOf(doc: ParsedDocument, item: ParsedNode | null, key: string): string | undefined {
  const entry = item !== null && isAlias(item) ? resolveAlias(doc, item) : item;
  if (entry === undefined || entry === null || !isMap(entry)) return undefined;
  const value = findPair(entry, key)?.value;
  return value !== undefined && value !== null && isScalar(value) && value.value !== null
    ? String(value.value)
    : undefined;
}

/**
 * A key fit to quote in a message: a plain identifier of modest length. Keys name things, but a
 * file is attacker-chosen content, so anything that could carry arbitrary bytes is not shown.
 */
export function showableName(text: string | undefined): text is string {
  return text !== undefined && /^[A-Za-z0-9_.-]{1,63}$/.test(text);
}

function suggestKeys(map: YAMLMap.Parsed, wanted: string): string {
  const keys = map.items.map((p) => keyText(p.key)).filter(showableName);
  const close = keys.filter((k) => k.toLowerCase() === wanted.toLowerCase() || editDistance(k, wanted) <= 2);
  if (close.length > 0) return `; did you mean "${close[0]}"?`;
  return keys.length === 0 ? '' : `; it has ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function describeLocation(path: ValuePath): string {
  return path.length === 0 ? 'the document root' : formatValuePath(path);
}

function describeNode(node: ParsedNode): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return `an alias (*${node.source})`;
  // The kind of value only: its text came from the file and stays out of messages.
  const value = (node as Scalar).value;
  return value === null ? 'empty' : `a ${typeof value === 'object' ? 'value' : typeof value} scalar`;
}

export function describeNearest(path: ValuePath): string {
  return path.length === 0 ? '(document root)' : formatValuePath(path);
}
