// Resolving a value path to exactly one scalar across the candidate documents, or an error that says
// what exists instead and how to fix the path.
import { isMap, isScalar, isSeq } from 'yaml';
import type { ScalarTarget } from './edit-plan.js';
import { type EditError, editError } from './manifest-editor.js';
import { describeDocument, lineOf, type ManifestSource, type ParsedDocument } from './manifest-source.js';
import { describeNearest, keyText, type Lookup, lookupPath, showableName } from './node-lookup.js';
import { formatValuePath, type ValuePath } from './value-path.js';

export function findScalar(
  source: ManifestSource,
  documents: readonly number[],
  path: ValuePath,
): ScalarTarget | EditError {
  const shown = formatValuePath(path);
  const lookups = documents.map((index) => ({
    index,
    doc: source.documents[index] as ParsedDocument,
    lookup: lookupPath(source.documents[index] as ParsedDocument, path),
  }));
  const hits = lookups.filter((l) => l.lookup.kind !== 'missing');
  const [hit] = hits;
  if (hit === undefined) return notFound(source, shown, lookups);
  if (hits.length > 1) {
    const where = hits.map((h) => describeDocument(h.doc, h.index)).join(', ');
    return editError(
      source.file,
      `path ${shown} exists in ${hits.length} documents (${where}); select one with "document": {"index": n} or {"kind", "name"}`,
      { path: shown },
    );
  }
  const { lookup, index } = hit;
  if (lookup.kind === 'alias') {
    const name = lookup.alias.source;
    return editError(
      source.file,
      `path ${shown} is the alias *${name}; setting it would cut it loose from &${name}, so point the path at the anchored value instead`,
      { path: shown, line: lineOf(source, lookup.alias.range[0]) },
    );
  }
  if (lookup.kind !== 'found') return notFound(source, shown, lookups);
  const { node } = lookup;
  if (!isScalar(node)) {
    const inside = isMap(node)
      ? `a map (keys: ${node.items
          .map((p) => keyText(p.key))
          .filter(showableName)
          .slice(0, 8)
          .join(', ')})`
      : isSeq(node)
        ? `a list of ${node.items.length}`
        : 'not a scalar';
    return editError(
      source.file,
      `path ${shown} holds ${inside}, not a single value; extend the path to the value`,
      {
        path: shown,
        line: lineOf(source, node.range[0]),
      },
    );
  }
  return { document: index, path, node, via: lookup.via };
}

function notFound(
  source: ManifestSource,
  shown: string,
  lookups: readonly { index: number; doc: ParsedDocument; lookup: Lookup }[],
): EditError {
  // Report the document that got furthest along the path: that is the one the user most likely meant.
  let best: { index: number; doc: ParsedDocument; nearest: ValuePath; detail: string } | undefined;
  for (const { index, doc, lookup } of lookups) {
    if (lookup.kind !== 'missing') continue;
    if (best === undefined || lookup.nearest.length > best.nearest.length) best = { index, doc, ...lookup };
  }
  if (best === undefined)
    return editError(source.file, `path ${shown} not found: the file has no documents with content`);
  const inDocument = lookups.length > 1 ? ` in any of ${lookups.length} documents` : '';
  const which = lookups.length > 1 ? `${describeDocument(best.doc, best.index)}: ` : '';
  return editError(
    source.file,
    `path ${shown} not found${inDocument} (${which}nearest existing: ${describeNearest(best.nearest)}; ${best.detail})`,
    { path: shown },
  );
}
