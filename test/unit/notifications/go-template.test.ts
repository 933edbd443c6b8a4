// Expected outputs were produced by Go 1.27's text/template (with sprig where noted) on the same data.
import { describe, expect, it } from 'vitest';
import { compileGoTemplate, TemplateError } from '../../../src/notifications/template/template.js';
import { itMaps, itThrows } from '../support/each.js';

const render = (source: string, data: unknown) => compileGoTemplate('t', source).render(data);

describe('Go text/template', () => {
  const data = {
    a: 3,
    m: { b: 1, a: ['x', 2] },
    arr: ['q'],
    n: null,
    l: ['x', 1],
    empty: [],
    big: 1000000,
    f: 12345678.9,
    s: 'str',
    words: ['x', 'y'],
  };

  itMaps('%s', (source) => render(source, data), [
    ['{{.a}} {{.m}} {{.missing}} {{index .arr 0}}', '3 map[a:[x 2] b:1] <no value> q'],
    ['{{printf "%v|%d|%s|%q" .a 3 "x" "y"}} {{eq 1 1}} {{len .arr}} {{.n}}', '3|3|x|"y" true 1 <no value>'],
    ['{{.big}} {{.f}} {{999999.0}} {{0.000123}}', '1e+06 1.23456789e+07 999999 0.000123'],
    ['{{if .empty}}y{{else}}n{{end}} {{range $i, $e := .l}}{{$i}}={{$e}},{{end}}', 'n 0=x,1=1,'],
    [
      '{{and 1 0}} {{or 0 "x"}} {{not 0}} {{index .m "k"}} {{len "abc"}} {{slice "abcdef" 1 3}}',
      '0 x true <no value> 3 bc',
    ],
    [
      '{{print 1 2 "a" "b" 3}} {{html "<a>"}} {{js "a\'b"}} {{urlquery "a b&c"}}',
      "1 2ab3 &lt;a&gt; a\\'b a+b%26c",
    ],
    ['{{printf "%5.2f|%x|%t|%v" 3.14159 255 true .l}}', ' 3.14|ff|true|[x 1]'],
    ['a  {{- " b " -}}  c', 'a b c'],
    ['{{/* comment */}}x{{- /* trimmed */ -}} y', 'xy'],
    ['{{with .m.b}}{{.}}{{end}}{{with .missing}}no{{else}}else{{end}}', '1else'],
    ['{{if eq .s "x"}}1{{else if eq .s "str"}}2{{else}}3{{end}}', '2'],
    ['{{range .words}}{{if eq . "x"}}{{continue}}{{end}}{{.}}{{end}}|{{range .l}}{{break}}{{end}}', 'y|'],
    ['{{$x := 1}}{{range .arr}}{{$x = 2}}{{end}}{{$x}}', '2'],
    ['{{range .missing}}a{{else}}none{{end}}', 'none'],
    ['{{define "T"}}[{{.}}]{{end}}{{template "T" .s}}', '[str]'],
  ]);

  it('nil and missing receivers: a missing key is <no value>, a nil one is an error as in Go', () => {
    expect(render('{{.a.b.c}}', {})).toBe('<no value>');
    expect(() => render('{{.a.b}}', { a: null })).toThrow('nil pointer evaluating interface {}.b');
    expect(() => render('{{.s.x}}', { s: 'str' })).toThrow("can't evaluate field x in type string");
    expect(() => render('{{(index .m "a").x}}', { m: { a: [] } })).toThrow(
      "can't evaluate field x in type []interface {}",
    );
  });

  it('eq between a JSON number and an int literal fails as in Go', () => {
    expect(() => render('{{eq .a 1}}', { a: 1 })).toThrow(
      'incompatible types for comparison: float64 and int',
    );
  });

  it('an unknown function fails at compile time with Go message', () => {
    expect(() => compileGoTemplate('t', '{{foo 1}}')).toThrow(TemplateError);
    expect(() => compileGoTemplate('t', '{{foo 1}}')).toThrow('template: t:1: function "foo" not defined');
  });

  it('syntax errors are reported, not thrown as crashes', () => {
    expect(() => compileGoTemplate('t', '{{if .a}}x')).toThrow(/unexpected EOF/);
    expect(() => compileGoTemplate('t', '{{.a')).toThrow(/unclosed action/);
    expect(() => compileGoTemplate('t', '{{end}}')).toThrow(/unexpected \{\{end\}\}/);
  });

  it('bounds output and recursion', () => {
    expect(() =>
      compileGoTemplate('t', '{{define "x"}}{{template "x" .}}{{end}}{{template "x" .}}').render({}),
    ).toThrow(/maximum template depth/);
    expect(() =>
      compileGoTemplate('t', '{{range until 100000}}{{range until 100000}}x{{end}}{{end}}', {
        maxOutputBytes: 1000,
        maxSteps: 1e9,
        maxDepth: 10,
      }).render({}),
    ).toThrow(/output is longer than 1000 bytes/);
  });

  it('sprig functions Argo templates use', () => {
    const ro = { status: { currentStepIndex: 1 }, spec: { steps: [1, 2, 3] }, metadata: { name: 'web' } };
    expect(
      render('{{ add .rollout.status.currentStepIndex 1}}/{{len .rollout.spec.steps}}', { rollout: ro }),
    ).toBe('2/3');
    expect(render('{{.rollout.metadata | toJson}}', { rollout: ro })).toBe('{"name":"web"}');
    expect(render('{{.x | default "none"}} {{upper "a"}} {{lower "B"}} {{"  t " | trim}}', {})).toBe(
      'none A b t',
    );
    expect(
      render(
        '{{ "2026-01-02T03:04:05Z" | toDate "2006-01-02T15:04:05Z07:00" | date "Jan 2, 2006 15:04 MST" }}',
        {},
      ),
    ).toBe('Jan 2, 2026 03:04 UTC');
    expect(
      render(
        '{{ list "b" "a" | sortAlpha | join "," }} {{ dict "k" "v" | toJson }} {{ "a-b" | replace "-" "_" }}',
        {},
      ),
    ).toBe('a,b {"k":"v"} a_b');
    expect(render('{{ now | date "2006" | len }}', {})).toBe('4');
  });

  describe("sprig's regex functions: Go's regexp (RE2), linear in the text", () => {
    // Expected values from Go 1.27 text/template with sprig v3.3.0 on the same data. The
    // patterns in the first rows are catastrophic for JavaScript's backtracking RegExp (minutes at
    // 31 characters): under the old code these tests fail by never finishing.
    const data = { s: `${'a'.repeat(30)}b`, name: 'John Smith' };
    itMaps('%s', (source: string) => render(source, data), [
      [
        '{{regexMatch "(a|a)*c" .s}} {{regexMatch "(a+)+$" .s}} {{regexMatch "(a|a)*$" .s}}',
        'false false true',
      ],
      [
        '{{regexFind "(a+)+b" .s}}|{{regexFind "(a|a)*c" .s}}|{{regexReplaceAll "(a|a)*$" .s "<$0>"}}',
        `${data.s}||${data.s}<>`,
      ],
      // Go's replacement syntax: `$1x` is the (missing) group named "1x".
      [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, not a template
        '{{regexMatch "(?i)^JOHN" .name}} {{regexReplaceAll "(?P<first>\\\\w+) (?P<last>\\\\w+)" .name "$last, ${first}"}} {{regexReplaceAll "(o)" .name "${1}0$1x"}}',
        'true Smith, John Jo0hn Smith',
      ],
      ['{{regexReplaceAll "a*" "baaac" "x"}} {{regexFind "(?i)B+" "aBbc"}}', 'xbxcx Bb'],
      // regexMatch ignores an invalid pattern (lookahead is not Go syntax): false.
      ['{{regexMatch "(?=J)" .name}} {{regexMatch "(" .name}}', 'false false'],
      [
        '{{regexFindAll "a+" "baaacaa" -1}} {{regexFindAll "a*" "baaac" -1}} {{regexFindAll "a+" "baaacaa" 1}} {{regexFindAll "z" "abc" -1}} {{regexFindAll "(a+)+$" .s -1}} {{regexFindAll "(a|a)*$" .s 5}}',
        '[aaa aa] [ aaa ] [aaa] [] [] []',
      ],
      [
        '{{regexSplit "a*" "baaac" -1}} {{regexSplit "," "a,b,,c," -1}} {{regexSplit "," "a,b,,c," 2}} {{regexSplit "x*" "" -1}} {{regexSplit "" "abc" -1}} {{regexSplit "," "a,b" 0}} {{len (regexSplit "(a|a)*c" .s -1)}}',
        '[b c] [a b  c ] [a b,,c,] [] [a b c] [] 1',
      ],
      [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, not a template
        '{{regexReplaceAllLiteral "(o)" .name "$1${1}"}} {{regexReplaceAllLiteral "a*" "baaac" "x"}} {{regexQuoteMeta "1.2+[x]{y}^$|(?)*\\\\"}}',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, not a template
        'J$1${1}hn Smith xbxcx 1\\.2\\+\\[x\\]\\{y\\}\\^\\$\\|\\(\\?\\)\\*\\\\',
      ],
      [
        '{{mustRegexMatch "(?i)john" .name}} {{mustRegexFind "S\\\\w+" .name}} {{mustRegexFindAll "o|i" .name -1}} {{mustRegexReplaceAll "(?P<w>\\\\w+)" .name "<$w>"}} {{mustRegexReplaceAllLiteral "o" .name "$0"}} {{mustRegexSplit " " .name -1}}',
        'true Smith [o i] <John> <Smith> J$0hn Smith [John Smith]',
      ],
    ]);

    // The others fail as Go's regexp.MustCompile panics, which text/template reports.
    itThrows('%s', (source: string) => render(source, data), Error, [
      [
        '{{regexFind "(?=J)" .name}}',
        'error calling regexFind: regexp: Compile(`(?=J)`): error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
      ],
      [
        '{{regexSplit "(?!x)" .name -1}}',
        'error calling regexSplit: regexp: Compile(`(?!x)`): error parsing regexp: invalid or unsupported Perl syntax: `(?!`',
      ],
      // The must* forms return regexp.Compile's error.
      [
        '{{mustRegexMatch "(?=J)" .name}}',
        'error calling mustRegexMatch: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
      ],
      [
        '{{mustRegexFindAll "(" .name -1}}',
        'error calling mustRegexFindAll: error parsing regexp: missing closing ): `(`',
      ],
      [
        '{{regexReplaceAll "a(" .name "x"}}',
        'error calling regexReplaceAll: regexp: Compile(`a(`): error parsing regexp: missing closing ): `a(`',
      ],
    ]);
  });
});
