import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError } from '../../../../src/analysis/condition/errors.js';
import { type Token, tokenize } from '../../../../src/analysis/condition/tokenizer.js';
import { itMaps, itThrows } from '../../support/each.js';

/** One word per token: `int:1`, `op:>=`, `id:result`, ... */
function show(token: Token): string {
  switch (token.kind) {
    case 'int':
    case 'float':
      return `${token.kind}:${String(token.value)}`;
    case 'string':
      return `str:${JSON.stringify(token.value)}`;
    case 'identifier':
      return `id:${token.name}`;
    case 'pointer':
      return `#${token.name}`;
    case 'operator':
      return `op:${token.value}`;
    case 'punctuation':
      return token.value;
    case 'eof':
      return 'eof';
  }
}

const words = (source: string): string => tokenize(source).map(show).join(' ');

describe('tokenize', () => {
  itMaps('%s', words, [
    ['result[0] >= 0.95', 'id:result [ int:0 ] op:>= float:0.95 eof'],
    ['42 0x2A 0o52 0b101010 1_000', 'int:42 int:42 int:42 int:42 int:1000 eof'],
    ['.5 1.5 1e3 2.5E-2 1.', 'float:0.5 float:1.5 float:1000 float:0.025 float:1 eof'],
    ['1..3', 'int:1 op:.. int:3 eof'],
    [`'a' "b" \`c\\n\``, 'str:"a" str:"b" str:"c\\\\n" eof'],
    ['"tab\\t quote\\" \\u00e9 \\x41 \\101"', 'str:"tab\\t quote\\" é A A" eof'],
    ["'it''s'", 'str:"it" str:"s" eof'],
    ['a and b or not c && d || !e', 'id:a op:and id:b op:or op:not id:c op:&& id:d op:|| op:! id:e eof'],
    [
      'x in y matches z contains w startsWith v endsWith u',
      'id:x op:in id:y op:matches id:z op:contains id:w op:startsWith id:v op:endsWith id:u eof',
    ],
    ['a?.b ?? c ? 1 : 2', 'id:a op:?. id:b op:?? id:c op:? int:1 : int:2 eof'],
    ['a ? .5 : 1', 'id:a op:? float:0.5 : int:1 eof'],
    ['2 ** 3 ^ 4 % 5', 'int:2 op:** int:3 op:^ int:4 op:% int:5 eof'],
    ['== != <= >= < >', 'op:== op:!= op:<= op:>= op:< op:> eof'],
    ['all(x, {# > 0}) #index', 'id:all ( id:x , { # op:> int:0 } ) #index eof'],
    ['x | len()', 'id:x op:| id:len ( ) eof'],
    ['$env _x ünïcode', 'id:$env id:_x id:ünïcode eof'],
    ['1 // comment\n+ /* block */ 2', 'int:1 op:+ int:2 eof'],
    ['', 'eof'],
  ]);

  it('records offsets', () => {
    expect(tokenize('a >= 1').map((t) => t.offset)).toEqual([0, 2, 5, 6]);
  });

  itThrows('rejects %j', tokenize, ConditionSyntaxError, [
    ["'abc", 'unterminated string at 1:1'],
    ['"a\\q"', "invalid escape '\\q' at 1:3"],
    ['"\\x4"', "invalid escape '\\x4\"' at 1:2"],
    ['1 @ 2', "unexpected character '@' at 1:3"],
    ['12abc', 'invalid number literal at 1:1'],
    ['0x', 'invalid number literal at 1:1'],
    ['9223372036854775808', 'integer literal out of range at 1:1'],
    ['1 /* open', 'unterminated comment at 1:3'],
    ['`raw', 'unterminated string at 1:1'],
    ['a\n  @', "unexpected character '@' at 2:3"],
  ]);

  it('accepts the largest int64', () => {
    expect(words('9223372036854775807')).toBe('int:9223372036854775807 eof');
  });
});
