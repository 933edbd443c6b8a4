// Collects the splices an editor decides on, then applies them and re-reads the result: the new
// text must parse, keep its documents, and hold exactly the planned values at the planned paths.
// A mismatch is an editor bug; it is reported and the file is left alone.
import { isDeepStrictEqual } from 'node:util';
import { isMap, isSeq, type ParsedNode, type Scalar, visit } from 'yaml';
import { DEFAULT_LAYOUT, detectLayout, type LayoutContext } from './collection-edit.js';
import {
  type EditError,
  type EditResult,
  editError,
  isEditError,
  type ValueChange,
} from './manifest-editor.js';
import { lineOf, type ManifestSource, type ParsedDocument, parseManifest } from './manifest-source.js';
import { lookupPath } from './node-lookup.js';
import { rewriteScalar, type ScalarValue, sameScalarValue } from './scalar-style.js';
import { applySplices, type Splice } from './text-splice.js';
import { formatValuePath, type ValuePath } from './value-path.js';
import type { BlockLayout } from './yaml-fragment.js';

/** What the re-read file must hold at a path once the splices are applied. */
export type Expectation = { readonly kind: 'value'; readonly value: unknown } | { readonly kind: 'absent' };

/** A change as planned, before its path is formatted for the result. */
export interface PlannedChange {
  readonly document: number;
  readonly path: ValuePath;
  readonly line: number;
  readonly from: string | null;
  readonly to: string | null;
  readonly note?: string;
}

interface Check {
  readonly document: number;
  readonly path: ValuePath;
  readonly expect: Expectation;
}

export interface ScalarTarget {
  readonly document: number;
  readonly path: ValuePath;
  readonly node: Scalar.Parsed;
  /** Aliases or merge keys the path went through, from the lookup. */
  readonly via: readonly string[];
}

export class EditPlan {
  private readonly splices: Splice[] = [];
  private readonly changes: ValueChange[] = [];
  private readonly checks: Check[] = [];
  private readonly planned = new Map<Scalar.Parsed, ScalarValue>();

  /** `defaults` is the layout for what the file does not show, e.g. how it indents lists. */
  constructor(
    readonly source: ManifestSource,
    private readonly defaults: BlockLayout = DEFAULT_LAYOUT,
  ) {}

  layoutFor(document: number): LayoutContext {
    const doc = this.source.documents[document] as ParsedDocument;
    const layout = detectLayout(doc, this.source.text, this.defaults);
    return { text: this.source.text, eol: this.source.eol, layout };
  }

  /** Plans `value` into the scalar; a value already in place plans nothing. */
  setScalar(target: ScalarTarget, value: ScalarValue): EditError | undefined {
    const { node, document, path } = target;
    const shown = formatValuePath(path);
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return editError(this.source.file, `path ${shown}: ${value} cannot be written to YAML`, {
        path: shown,
      });
    }
    const earlier = this.planned.get(node);
    if (earlier !== undefined) {
      if (earlier === value) return undefined;
      return editError(
        this.source.file,
        `path ${shown} reaches the same node as an earlier target with a different value (${JSON.stringify(earlier)} vs ${JSON.stringify(value)}); the targets conflict`,
        { path: shown, line: lineOf(this.source, node.range[0]) },
      );
    }
    this.planned.set(node, value);
    if (sameScalarValue(node, value)) return undefined;
    const doc = this.source.documents[document] as ParsedDocument;
    const rewrite = rewriteScalar(node, value, {
      source: this.source.text,
      inFlow: insideFlowCollection(doc, node),
      eol: this.source.eol,
    });
    const notes = [
      target.via.length > 0 ? `edited the anchored value through ${target.via.join(', ')}` : undefined,
      aliasNote(doc, node),
      rewrite.note,
    ].filter((n): n is string => n !== undefined);
    this.splices.push({ start: rewrite.start, end: rewrite.end, text: rewrite.text });
    const line = lineOf(this.source, node.range[0]);
    this.record({ document, path, line, from: display(node.value), to: display(value) }, notes);
    this.checks.push({ document, path, expect: { kind: 'value', value: rewrite.written } });
    return undefined;
  }

  /** Plans splices that create or remove something; `check` says what the path holds afterwards. */
  add(splices: readonly Splice[], change: PlannedChange, check: Expectation): void {
    this.splices.push(...splices);
    this.record(change, change.note === undefined ? [] : [change.note]);
    this.checks.push({ document: change.document, path: change.path, expect: check });
  }

  finish(): EditResult {
    if (this.splices.length === 0) return { kind: 'unchanged' };
    const { file } = this.source;
    const applied = applySplices(this.source.text, this.splices);
    if (!applied.ok) return editError(file, `internal error, nothing written: ${applied.overlap}`);
    const reread = parseManifest(file, applied.text);
    if (isEditError(reread)) {
      return editError(
        file,
        `internal error, nothing written: the edited text would not parse (${reread.reason})`,
      );
    }
    if (reread.documents.length !== this.source.documents.length) {
      return editError(
        file,
        'internal error, nothing written: the edit would change the number of documents',
      );
    }
    for (const check of this.checks) {
      const problem = verify(reread.documents[check.document] as ParsedDocument, check);
      if (problem !== undefined) {
        return editError(file, `internal error, nothing written: ${formatValuePath(check.path)} ${problem}`);
      }
    }
    return { kind: 'changed', text: applied.text, changes: this.changes };
  }

  private record(change: PlannedChange, notes: readonly string[]): void {
    this.changes.push({
      path: formatValuePath(change.path),
      ...(this.source.documents.length > 1 && { document: change.document }),
      line: change.line,
      from: change.from,
      to: change.to,
      ...(notes.length > 0 && { note: notes.join('; ') }),
    });
  }
}

function verify(doc: ParsedDocument, check: Check): string | undefined {
  const found = lookupPath(doc, check.path);
  if (check.expect.kind === 'absent') return found.kind === 'missing' ? undefined : 'is still present';
  if (found.kind !== 'found') return 'is missing after the edit';
  const actual = found.node.toJS(doc);
  if (!isDeepStrictEqual(actual, check.expect.value)) {
    return `reads a different value after the edit than the one planned, ${JSON.stringify(check.expect.value)}`;
  }
  return undefined;
}

function display(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function insideFlowCollection(doc: ParsedDocument, target: ParsedNode): boolean {
  let inside = false;
  visit(doc, {
    Node(_, node, path) {
      if (node !== target) return undefined;
      inside = path.some((p) => (isMap(p) || isSeq(p)) && p.flow === true);
      return visit.BREAK;
    },
  });
  return inside;
}

/** Editing an anchored scalar changes every alias of it too; a reviewer should hear about that. */
function aliasNote(doc: ParsedDocument, node: Scalar.Parsed): string | undefined {
  const anchor = node.anchor;
  if (anchor === undefined) return undefined;
  let aliases = 0;
  visit(doc, {
    Alias(_, alias) {
      if (alias.source === anchor) aliases += 1;
    },
  });
  return aliases === 0
    ? undefined
    : `anchor &${anchor} is used by ${aliases} alias(es), which change with it`;
}
