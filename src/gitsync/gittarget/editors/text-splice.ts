// Replacing byte ranges of the original text. Every editor ends here: whatever it decided, the file
// changes only inside the ranges it names, so everything else stays byte for byte.

export interface Splice {
  readonly start: number;
  /** Exclusive; equal to `start` for a pure insertion. */
  readonly end: number;
  readonly text: string;
}

export type SpliceOutcome =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly overlap: string };

export function applySplices(source: string, splices: readonly Splice[]): SpliceOutcome {
  // Stable sort: insertions at one offset keep the order they were planned in.
  const ordered = [...splices].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let cursor = 0;
  for (const splice of ordered) {
    if (splice.start < cursor) {
      return {
        ok: false,
        overlap: `edits overlap at offset ${splice.start} (${JSON.stringify(splice.text)})`,
      };
    }
    out += source.slice(cursor, splice.start) + splice.text;
    cursor = splice.end;
  }
  return { ok: true, text: out + source.slice(cursor) };
}

export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

export function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

/** The offset just past the line break ending the line `offset` is on (or the end of the text). */
export function endOfLine(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const lf = text.indexOf('\n', offset);
  return lf < 0 ? text.length : lf + 1;
}

/**
 * Text that inserts whole `lines` at `at`, a line start or the end of the text. A file without a
 * final line break keeps having none: the break goes before the new lines instead of after.
 */
export function linesAt(text: string, at: number, lines: readonly string[], eol: string): string {
  if (at === text.length && text.length > 0 && !text.endsWith('\n')) return eol + lines.join(eol);
  return lines.map((line) => line + eol).join('');
}
