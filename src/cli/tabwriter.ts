// Column alignment as Go's text/tabwriter (minwidth 0, padding 2, pad with spaces) under
// juju/ansiterm, which Argo's plugin uses: cells end at '\t', widths count runes and ignore
// ANSI colour codes, the text after a line's last tab is not aligned. Hand-written because
// the output must match Go's byte for byte, which no npm table library promises.

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
const ANSI = /\x1b\[[0-9;]*m/g;

/** Display width: runes without ANSI escapes (as ansiterm's tabwriter counts). */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

/**
 * Aligns `text` (lines of tab-terminated cells). Like Go's tabwriter, a column is a run of
 * consecutive lines that have a cell in it; each gets the widest cell plus `padding`.
 */
export function alignColumns(text: string, padding = 2): string {
  const lines = text.split('\n');
  const cells = lines.map((line) => line.split('\t'));
  const widths: number[][] = cells.map((row) => new Array(Math.max(0, row.length - 1)).fill(0));
  const maxColumns = Math.max(0, ...cells.map((row) => row.length - 1));
  for (let column = 0; column < maxColumns; column++) {
    let start = 0;
    while (start < cells.length) {
      if ((cells[start]?.length ?? 0) - 1 <= column) {
        start++;
        continue;
      }
      let end = start;
      let width = 0;
      while (end < cells.length && (cells[end]?.length ?? 0) - 1 > column) {
        width = Math.max(width, visibleWidth(cells[end]?.[column] ?? '') + padding);
        end++;
      }
      for (let row = start; row < end; row++) {
        const rowWidths = widths[row];
        if (rowWidths) rowWidths[column] = width;
      }
      start = end;
    }
  }
  return cells
    .map((row, r) =>
      row
        .map((cell, c) => {
          if (c === row.length - 1) return cell;
          const width = widths[r]?.[c] ?? 0;
          return cell + ' '.repeat(Math.max(0, width - visibleWidth(cell)));
        })
        .join(''),
    )
    .join('\n');
}
