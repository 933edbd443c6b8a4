// Parsing a manifest file for editing: every document, with source ranges, or an error that
// names the line and column (a file that does not parse is never rewritten).
import {
  type Document,
  isMap,
  isScalar,
  LineCounter,
  type ParsedNode,
  parseAllDocuments,
  type YAMLMap,
} from 'yaml';
import { type EditError, editError } from './manifest-editor.js';

export type ParsedDocument = Document.Parsed<ParsedNode, true>;

export interface ManifestSource {
  readonly file: string;
  readonly text: string;
  readonly documents: readonly ParsedDocument[];
  /** The line break new lines must use, so CRLF files stay CRLF. */
  readonly eol: '\n' | '\r\n';
  readonly lines: LineCounter;
}

export function parseManifest(file: string, text: string): ManifestSource | EditError {
  const lines = new LineCounter();
  // keepSourceTokens gives block sequences their `-` positions, which insertion needs.
  const parsed = parseAllDocuments(text, { keepSourceTokens: true, lineCounter: lines, prettyErrors: true });
  const documents: ParsedDocument[] = [];
  for (const doc of parsed) {
    const [first] = doc.errors;
    if (first !== undefined) {
      const pos = first.linePos?.[0];
      const message = parseErrorText(first.message, first.code);
      return editError(file, `does not parse as YAML (${message}); fix the file, nothing was written`, {
        ...(pos !== undefined && { line: pos.line, column: pos.col }),
      });
    }
    documents.push(doc);
  }
  return { file, text, documents, eol: detectEol(text), lines };
}

/**
 * The parser's message without what it quotes from the file (some messages end in `: <source>`
 * or name a tag or escape sequence): only plain wording passes, anything else becomes the code.
 */
export function parseErrorText(message: string, code: string): string {
  const head = (message.split('\n')[0] ?? '')
    .replace(/ at line \d+, column \d+:?$/, '')
    .split(':')[0]!
    .trim();
  return /^[A-Za-z ,()-]{1,80}$/.test(head) ? head : code.toLowerCase().replaceAll('_', ' ');
}

export function detectEol(text: string): '\n' | '\r\n' {
  const lf = text.indexOf('\n');
  return lf > 0 && text[lf - 1] === '\r' ? '\r\n' : '\n';
}

export function lineOf(source: ManifestSource, offset: number): number {
  return source.lines.linePos(offset).line;
}

/** `Deployment/web` for Kubernetes objects, so messages can name documents the way users do. */
export function describeDocument(doc: ParsedDocument, index: number): string {
  // Only names that look like Kubernetes kinds and names: file text never goes into messages as is.
  const kind = shown(stringField(doc.contents, ['kind']));
  const name = shown(stringField(doc.contents, ['metadata', 'name']));
  const label = kind === undefined ? '' : ` (${kind}${name === undefined ? '' : `/${name}`})`;
  return `document ${index}${label}`;
}

function shown(text: string | undefined): string | undefined {
  return text !== undefined && /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(text) ? text : undefined;
}

export function stringField(node: ParsedNode | null, keys: readonly string[]): string | undefined {
  let current: unknown = node;
  for (const key of keys) {
    if (!isMap(current)) return undefined;
    current = current.get(key, true);
  }
  return isScalar(current) && current.value !== null ? String(current.value) : undefined;
}

export type RootMap =
  | { readonly kind: 'map'; readonly document: number; readonly map: YAMLMap.Parsed }
  | { readonly kind: 'empty' }
  | EditError;

/** The top-level map of a single-object file (kustomization, values, override file). */
export function rootMap(source: ManifestSource, what: string): RootMap {
  const document = source.documents.findIndex((doc) => doc.contents !== null);
  const contents = source.documents[document]?.contents ?? null;
  if (contents === null) return { kind: 'empty' };
  if (!isMap(contents)) {
    return editError(source.file, `is not a ${what}: its top level is not a map`, {
      line: lineOf(source, contents.range[0]),
    });
  }
  return { kind: 'map', document, map: contents };
}
