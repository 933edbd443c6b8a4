// Go's regexp for user patterns. Expected values were produced by Go 1.27's regexp on the same
// inputs. The catastrophic rows are the reason for this module: under JavaScript's backtracking
// RegExp they take time exponential in the text (minutes at 31 characters), so those tests can
// fail only by never finishing; RE2 answers them in time linear in the text.
import { describe, expect, it } from 'vitest';
import {
  compileGoRegexp,
  goFindAllString,
  goFindString,
  goMatchString,
  goQuoteMeta,
  goReplaceAllLiteralString,
  goReplaceAllString,
  goSplit,
  MAX_PATTERN_LENGTH,
  MAX_REPLACE_LENGTH,
  MAX_SEARCH_WORK,
  mustCompileGoRegexp,
  RegexpSyntaxError,
  WARM_LIMIT,
} from '../../src/go-regexp.js';
import { itMaps, itThrows } from './support/each.js';

const BACKTRACKS = `${'a'.repeat(30)}b`;

describe('goMatchString (Go regexp.MatchString, unanchored)', () => {
  itMaps('%j', ([pattern, text]: readonly [string, string]) => goMatchString(pattern, text), [
    [['(a|a)*$', BACKTRACKS], true],
    [['(a+)+$', BACKTRACKS], false],
    [['^(a+)+$', BACKTRACKS], false],
    [['(a|a)*c', BACKTRACKS], false],
    [['((a|a)|a)*c', 'a'.repeat(50_000)], false],
    [['(?i)^A+B$', BACKTRACKS], true],
    [['(?P<x>a+)b', BACKTRACKS], true],
    [['(?<x>a+)b', BACKTRACKS], true],
    [['total', 'p-total-5xx'], true],
  ]);
});

describe('compileGoRegexp errors (Go regexp.Compile wording)', () => {
  itThrows('%s', compileGoRegexp, RegexpSyntaxError, [
    ['(?=x)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['(?!x)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?!`'],
    ['(', 'error parsing regexp: missing closing ): `(`'],
    ['a\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
    ['(?<=a)b', 'error parsing regexp: invalid named capture: `(?<=a)b`'],
    [
      'x'.repeat(MAX_PATTERN_LENGTH + 1),
      `error parsing regexp: pattern is longer than ${MAX_PATTERN_LENGTH} characters`,
    ],
  ]);

  it('keeps the reason apart for callers with their own prefix', () => {
    expect(() => compileGoRegexp('(x')).toThrow(
      expect.objectContaining({ reason: 'missing closing ): `(x`' }) as unknown as Error,
    );
  });

  it('words MustCompile as Go panics (backquoted when it can be)', () => {
    expect(() => mustCompileGoRegexp('(')).toThrow(
      'regexp: Compile(`(`): error parsing regexp: missing closing ): `(`',
    );
    expect(() => mustCompileGoRegexp('a`(')).toThrow(
      'regexp: Compile("a`("): error parsing regexp: missing closing ): `a`(`',
    );
  });
});

describe('goReplaceAllString (Go ReplaceAllString)', () => {
  const replace = ([pattern, text, replacement]: readonly [string, string, string]) =>
    goReplaceAllString(compileGoRegexp(pattern), text, replacement);
  itMaps('%j', replace, [
    // An empty match right after a match is not replaced (JavaScript gives "xbxxcx").
    [['a*', 'baaac', 'x'], 'xbxcx'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, not a template
    [['(a+)(b)?', 'xaab-a', '[$1|${2}]'], 'x[aa|b]-[a|]'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, not a template
    [['(?P<first>\\w+) (?P<last>\\w+)', 'John Smith', '$last, ${first}'], 'Smith, John'],
    // `$1x` names the group "1x", which does not exist.
    [['(a)', 'a', '$1x'], ''],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, not a template
    [['(a)', 'a', '${1}x'], 'ax'],
    [['(a)', 'a', '$$1 $ $} ${ $9 $01 $0'], '$1 $ $} ${   a'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, not a template
    [['(a)(?P<x>b)?', 'a', '${1 ${x}$x.${é}$é_1|$1$'], '${1 .|a$'],
    [['(a|a)*$', BACKTRACKS, '<$0>'], `${BACKTRACKS}<>`],
    [['(?i)B', 'abcB', '-'], 'a-c-'],
    [['x*', '', 'y'], 'y'],
    [['^', 'ab', 'y'], 'yab'],
    [['\\b', 'ab cd', '|'], '|ab| |cd|'],
    [['é*', 'aéé😀b', '-'], '-a-😀-b-'],
  ]);
});

describe('goFindString (Go FindString)', () => {
  itMaps('%j', ([pattern, text]: readonly [string, string]) => goFindString(compileGoRegexp(pattern), text), [
    [['(a|a)*$', BACKTRACKS], ''],
    [['(a|a)*c', BACKTRACKS], ''],
    [['(a+)+b', BACKTRACKS], BACKTRACKS],
    [['b+', 'abbb'], 'bbb'],
    [['z', 'abc'], ''],
    [['(?i)B+', 'aBbc'], 'Bb'],
  ]);
});

describe('goFindAllString and goSplit (Go FindAllString and Split)', () => {
  const rows: [[string, string, number], string[], string[]][] = [
    [
      ['a+', 'baaacaa', -1],
      ['aaa', 'aa'],
      ['b', 'c', ''],
    ],
    [
      ['a*', 'baaac', -1],
      ['', 'aaa', ''],
      ['b', 'c'],
    ],
    [['a+', 'baaacaa', 1], ['aaa'], ['baaacaa']],
    [['z', 'abc', -1], [], ['abc']],
    [['(a|a)*$', BACKTRACKS, 5], [''], [BACKTRACKS]],
    [
      ['', 'ab', -1],
      ['', '', ''],
      ['a', 'b'],
    ],
    [
      ['', 'ab', 2],
      ['', ''],
      ['a', 'b'],
    ],
    [
      ['b*', 'abc', -1],
      ['', 'b', ''],
      ['a', 'c'],
    ],
    [
      ['é|😀', 'aé😀b', -1],
      ['é', '😀'],
      ['a', '', 'b'],
    ],
    [['x*', '', -1], [''], ['']],
    [
      [',', 'a,b,,c,', -1],
      [',', ',', ',', ','],
      ['a', 'b', '', 'c', ''],
    ],
    [
      [',', 'a,b,,c,', 2],
      [',', ','],
      ['a', 'b,,c,'],
    ],
    [
      ['', 'abc', -1],
      ['', '', '', ''],
      ['a', 'b', 'c'],
    ],
    [[',', 'a,b', 0], [], []],
    [['a', 'a', -1], ['a'], ['', '']],
    [['a', 'ba', -1], ['a'], ['b', '']],
    [['', '', -1], [''], []],
    [['(a|a)*c', BACKTRACKS, -1], [], [BACKTRACKS]],
    [['a', 'aXa', 1], ['a'], ['aXa']],
    [['^', 'ab', -1], [''], ['ab']],
  ];
  it.each(rows)('%j', ([pattern, text, n], all, pieces) => {
    expect(goFindAllString(compileGoRegexp(pattern), text, n)).toStrictEqual(all);
    expect(goSplit(compileGoRegexp(pattern), text, n)).toStrictEqual(pieces);
  });

  it('replaces literally and quotes metacharacters as Go does', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, not a template
    expect(goReplaceAllLiteralString(compileGoRegexp('(o)'), 'John', '$1${1}')).toBe('J$1${1}hn');
    expect(goReplaceAllLiteralString(compileGoRegexp('a*'), 'baaac', 'x')).toBe('xbxcx');
    expect(goQuoteMeta('1.2+[x]{y}^$|(?)*\\é')).toBe('1\\.2\\+\\[x\\]\\{y\\}\\^\\$\\|\\(\\?\\)\\*\\\\é');
  });
});

describe('bounds on finding and replacing (re2js finds positions on its NFA: text × program)', () => {
  const huge = compileGoRegexp('[ab]{0,1000}[de]');
  const text = `${'ab'.repeat(10_000)}d`;

  it('fails over the work limit instead of blocking the process for seconds', () => {
    expect(text.length * huge.programSize()).toBeGreaterThan(MAX_SEARCH_WORK);
    expect(() => goFindString(huge, text)).toThrow(
      /^regexp: searching 20001 characters with a pattern of \d+ instructions/,
    );
    expect(() => goReplaceAllString(huge, text, 'x')).toThrow(
      /over the limit of 30000000 characters × instructions/,
    );
  });

  it('answers without searching when nothing matches (the DFA decides), at any size', () => {
    const none = `${'ab'.repeat(500_000)}c`;
    expect(goFindString(huge, none)).toBe('');
    expect(goReplaceAllString(huge, none, 'x')).toBe(none);
  });

  it('answers within the limit: a typical pattern over a large text', () => {
    const words = Array.from({ length: 10_000 }, (_, i) => `w${i}`).join(' ');
    expect(goReplaceAllString(compileGoRegexp('w(\\d+)'), words, '$1').startsWith('0 1 2 ')).toBe(true);
  });

  it('refuses a replacement that grows past the cap', () => {
    const text = 'x'.repeat(100_000);
    expect(() => goReplaceAllString(compileGoRegexp('x'), text, `${'y'.repeat(200)}$0`)).toThrow(
      `regexp: replacing gives more than ${MAX_REPLACE_LENGTH} characters`,
    );
  });
});

describe('DFA memory of cached patterns', () => {
  const dfaOf = (regex: ReturnType<typeof compileGoRegexp>) =>
    (regex.re2Input as unknown as { lazyDFA: unknown }).lazyDFA;

  it('drops the DFA of a pattern once WARM_LIMIT others were compiled since, and still matches', () => {
    const first = compileGoRegexp('(a|b)*a(a|b){12}c');
    expect(first.test(`${'ab'.repeat(100)}a${'b'.repeat(12)}c`)).toBe(true);
    expect(dfaOf(first)).not.toBeNull();
    for (let i = 0; i < WARM_LIMIT; i++) compileGoRegexp(`warm-${i}-(x|y)`).test('warm-0-x');
    expect(dfaOf(first)).toBeNull();
    expect(first.test(`${'ab'.repeat(100)}a${'b'.repeat(12)}c`)).toBe(true);
    expect(first.test('abc')).toBe(false);
    // Compiling it again (from the cache) makes it warm: it keeps the DFA it builds.
    expect(compileGoRegexp('(a|b)*a(a|b){12}c')).toBe(first);
    expect(dfaOf(first)).not.toBeNull();
  });
});
