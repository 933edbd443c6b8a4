import { describe, expect, it } from 'vitest';
import { parseDocument, type Scalar } from 'yaml';
import {
  plainReadsAsString,
  quoteDouble,
  quoteSingle,
  renderNewScalar,
  rewriteScalar,
} from '../../../../../src/gitsync/gittarget/editors/scalar-style.js';

describe('plainReadsAsString', () => {
  it.each(['v1.4.2', '1.4.2', 'latest', 'sha-3f2a1b', 'ghcr.io/acme/web:1.4', '2024.06.1', 'a:b', 'it-s'])(
    'keeps %s plain',
    (text) => {
      expect(plainReadsAsString(text, false)).toBe(true);
    },
  );

  it.each([
    ['1.10', 'a float'],
    ['012', 'an int (octal in 1.1)'],
    ['1e3', 'a float'],
    ['0x1F', 'hex'],
    ['true', 'a bool'],
    ['yes', 'a YAML 1.1 bool'],
    ['off', 'a YAML 1.1 bool'],
    ['~', 'null'],
    ['null', 'null'],
    ['2024-06-01', 'a YAML 1.1 timestamp'],
    ['1:20', 'a YAML 1.1 sexagesimal int'],
    ['', 'empty'],
    [' v1', 'leading space'],
    ['a #b', 'a comment'],
    ['- x', 'a list'],
    ['a: b', 'a map'],
    ['*x', 'an alias'],
    ['@x', 'a reserved indicator'],
    ['"x', 'a broken quote'],
  ])('quotes %j (%s)', (text) => {
    expect(plainReadsAsString(text, false)).toBe(false);
  });

  it('is stricter inside flow collections', () => {
    expect(plainReadsAsString('a,b', false)).toBe(true);
    expect(plainReadsAsString('a,b', true)).toBe(false);
    expect(plainReadsAsString('x]', true)).toBe(false);
  });
});

describe('quoting', () => {
  it('double-quotes with escapes YAML reads back', () => {
    for (const value of ['say "hi"', 'tab\there', 'line\nbreak', 'back\\slash', 'del\u007f', 'é']) {
      expect(parseDocument(`k: ${quoteDouble(value)}`).get('k')).toBe(value);
    }
  });

  it('single-quotes unless the value needs escapes', () => {
    expect(quoteSingle("it's")).toBe("'it''s'");
    expect(quoteSingle('line\nbreak')).toBeUndefined();
  });

  it('renders new scalars in a requested style when it fits', () => {
    expect(renderNewScalar('v1', false)).toBe('v1');
    expect(renderNewScalar('1.10', false)).toBe('"1.10"');
    expect(renderNewScalar('v1', false, 'QUOTE_SINGLE')).toBe("'v1'");
    expect(renderNewScalar(3, false, 'QUOTE_DOUBLE')).toBe('3');
    expect(renderNewScalar(true, true)).toBe('true');
  });
});

describe('rewriteScalar', () => {
  const rewrite = (source: string, value: string | number) => {
    const doc = parseDocument(source, { keepSourceTokens: true });
    const node = doc.get('k', true) as Scalar.Parsed;
    const splice = rewriteScalar(node, value, { source, inFlow: false, eol: '\n' });
    return { text: source.slice(0, splice.start) + splice.text + source.slice(splice.end), splice };
  };

  it.each<[string, string | number, string]>([
    // Each quoting style stays.
    ['k: v1 # c\n', 'v2', 'k: v2 # c\n'],
    ["k: 'v1'\n", 'v2', "k: 'v2'\n"],
    ['k: "v1"\n', 'v2', 'k: "v2"\n'],
    // An explicit !!str tag stays, and the value after it is plain.
    ['k: !!str 1.9\n', '1.10', 'k: !!str 1.10\n'],
    // Numbers are plain, even over a quoted string.
    ['k: "2"\n', 3, 'k: 3\n'],
    // Block scalars keep the header, indentation and following blank lines.
    [
      'k: |-  # note\n    one\n    two\n\nnext: 1\n',
      'three\nfour',
      'k: |-  # note\n    three\n    four\n\nnext: 1\n',
    ],
    ['k: >\n  one\n  two\nnext: 1\n', 'a\nb', 'k: >\n  a\n\n  b\nnext: 1\n'],
    ['k: |+\n  one\n\nnext: 1\n', 'two\n\n', 'k: |+\n  two\n\nnext: 1\n'],
  ])('%j with %j is %j', (source, value, expected) => {
    expect(rewrite(source, value).text).toBe(expected);
  });

  it('explains quotes it adds to keep a string a string', () => {
    const { text, splice } = rewrite('k: v1\n', '1.10');
    expect(text).toBe('k: "1.10"\n');
    expect(splice.note).toBe('quoted so it stays a string (plain 1.10 reads as a number)');
    expect(rewrite('k: v1\n', 'on').splice.note).toContain('reads as a boolean in YAML 1.1');
  });

  it('falls back to double quotes when a block cannot hold the value', () => {
    const { text, splice } = rewrite('k: |\n  one\nnext: 1\n', '  indented');
    expect(text).toBe('k: "  indented"\nnext: 1\n');
    expect(splice.note).toContain('block style cannot hold');
  });
});
