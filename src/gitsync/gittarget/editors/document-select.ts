// Picking the document(s) of a multi-document file an edit may touch, by position or by the
// Kubernetes object it holds.
import { type EditError, editError } from './manifest-editor.js';
import { describeDocument, type ManifestSource, stringField } from './manifest-source.js';

export type DocumentSelector =
  /** 0-based position in the file, counting empty documents too. */
  | { readonly index: number }
  /** The object's kind, metadata.name and metadata.namespace; every field given must match. */
  | { readonly kind?: string; readonly name?: string; readonly namespace?: string };

/** Indexes of the documents to search; without a selector, every document that has content. */
export function selectDocuments(source: ManifestSource, selector?: DocumentSelector): number[] | EditError {
  const all = source.documents.map((_, i) => i);
  if (selector === undefined) return all.filter((i) => source.documents[i]?.contents !== null);
  if ('index' in selector) {
    if (Number.isInteger(selector.index) && selector.index >= 0 && selector.index < all.length)
      return [selector.index];
    return editError(
      source.file,
      `has ${all.length} document(s), no document index ${selector.index}; indexes start at 0`,
    );
  }
  const wanted: [string, readonly string[]][] = [];
  if (selector.kind !== undefined) wanted.push([selector.kind, ['kind']]);
  if (selector.name !== undefined) wanted.push([selector.name, ['metadata', 'name']]);
  if (selector.namespace !== undefined) wanted.push([selector.namespace, ['metadata', 'namespace']]);
  const matching = all.filter((i) => {
    const contents = source.documents[i]?.contents ?? null;
    return wanted.every(([value, keys]) => stringField(contents, keys) === value);
  });
  if (matching.length > 0) return matching;
  const present = source.documents.map((doc, i) => describeDocument(doc, i)).join(', ');
  return editError(source.file, `no document matches ${describeSelector(selector)} (documents: ${present})`);
}

function describeSelector(selector: DocumentSelector): string {
  if ('index' in selector) return `document index ${selector.index}`;
  const parts = Object.entries(selector).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length === 0 ? 'any document' : parts.join(', ');
}
