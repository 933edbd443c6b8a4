import { describe, expect, it } from 'vitest';
import {
  applySplices,
  endOfLine,
  linesAt,
} from '../../../../../src/gitsync/gittarget/editors/text-splice.js';

describe('applySplices', () => {
  it('replaces ranges in any order and keeps insertions at one offset in plan order', () => {
    const out = applySplices('abcdef', [
      { start: 4, end: 5, text: 'E' },
      { start: 1, end: 1, text: '1' },
      { start: 1, end: 1, text: '2' },
      { start: 1, end: 3, text: 'BC' },
    ]);
    expect(out).toEqual({ ok: true, text: 'a12BCdEf' });
  });

  it('refuses overlapping ranges', () => {
    const out = applySplices('abcdef', [
      { start: 1, end: 4, text: 'x' },
      { start: 3, end: 5, text: 'y' },
    ]);
    expect(out.ok).toBe(false);
  });
});

describe('line helpers', () => {
  it('finds the start of the next line', () => {
    expect(endOfLine('a: 1\nb: 2\n', 2)).toBe(5);
    expect(endOfLine('a: 1\nb: 2\n', 5)).toBe(5);
    expect(endOfLine('a: 1', 2)).toBe(4);
  });

  it('adds whole lines, keeping a missing final line break missing', () => {
    expect(linesAt('a: 1\n', 5, ['b: 2'], '\n')).toBe('b: 2\n');
    expect(linesAt('a: 1', 4, ['b: 2'], '\n')).toBe('\nb: 2');
    expect(linesAt('a: 1\r\n', 6, ['b: 2', 'c: 3'], '\r\n')).toBe('b: 2\r\nc: 3\r\n');
  });
});
