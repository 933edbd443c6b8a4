// The contract every manifest editor keeps: text in, text out, and nothing but the edited values
// differs between the two. Editors are pure; the Git-sync workspace reads and writes the files.

/** What every edit names: which editor runs, and the repository-relative file it runs on. */
export interface EditSpecBase {
  readonly editor: string;
  /** Repository-relative path, used in messages only (editors never touch the file system). */
  readonly file: string;
}

/** One value the editor changed. `from` is null for a created key or entry, `to` for a removed one. */
export interface ValueChange {
  /** Path of the value, in the syntax of `value-path.ts`. */
  readonly path: string;
  /** Index of the document in a multi-document file; absent for single-document files. */
  readonly document?: number;
  /** 1-based line of the value in the original text. */
  readonly line: number;
  readonly from: string | null;
  readonly to: string | null;
  /** Anything a reviewer should know: an alias followed, a value quoted to stay a string. */
  readonly note?: string;
}

export interface EditError {
  readonly kind: 'error';
  /** The whole message: file, path and what to do, e.g. `values.yaml: path image.tag not found (...)`. */
  readonly reason: string;
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
}

export type EditResult =
  | { readonly kind: 'changed'; readonly text: string; readonly changes: readonly ValueChange[] }
  | { readonly kind: 'unchanged' }
  | EditError;

export interface ManifestEditor<Spec extends EditSpecBase> {
  readonly key: Spec['editor'];
  /** `source` is null when the file does not exist; only editors that create files accept that. */
  apply(source: string | null, spec: Spec): EditResult;
}

export function editError(
  file: string,
  message: string,
  where: { path?: string; line?: number; column?: number } = {},
): EditError {
  const at =
    where.line === undefined ? '' : `:${where.line}${where.column === undefined ? '' : `:${where.column}`}`;
  return { kind: 'error', reason: `${file}${at}: ${message}`, ...where };
}

export function missingFile(file: string): EditError {
  return editError(file, 'file not found; check the path in the image target or create the file first');
}

/** An editor of a file that must exist: for a missing one it answers missingFile. */
export function existingFileEditor<Spec extends EditSpecBase>(
  key: Spec['editor'],
  apply: (source: string, spec: Spec) => EditResult,
): ManifestEditor<Spec> {
  return { key, apply: (source, spec) => (source === null ? missingFile(spec.file) : apply(source, spec)) };
}

export function isEditError(value: object): value is EditError {
  return 'kind' in value && value.kind === 'error';
}
