import { describe, expect, it } from 'vitest';
import type { Node } from '../../../../src/analysis/condition/ast.js';
import { ConditionSyntaxError } from '../../../../src/analysis/condition/errors.js';
import { parse } from '../../../../src/analysis/condition/parser.js';
import { itMaps, itThrows } from '../../support/each.js';

/** The tree as an S-expression, so a table row states the whole parse in one line. */
function sexp(node: Node | undefined): string {
  if (!node) return '_';
  switch (node.kind) {
    case 'nil':
      return 'nil';
    case 'bool':
      return String(node.value);
    case 'int':
      return String(node.value);
    case 'float':
      return Number.isInteger(node.value) ? `${node.value}.0` : String(node.value);
    case 'string':
      return JSON.stringify(node.value);
    case 'array':
      return `[${node.elements.map(sexp).join(' ')}]`;
    case 'map':
      return `{${node.entries.map((e) => `${e.key}: ${sexp(e.value)}`).join(', ')}}`;
    case 'identifier':
      return node.name;
    case 'pointer':
      return node.name === 'index' ? '#index' : '#';
    case 'member': {
      const op = `${node.optional ? '?' : ''}${node.computed ? '[]' : '.'}`;
      return `(${op} ${sexp(node.object)} ${sexp(node.property)})`;
    }
    case 'slice':
      return `(${node.optional ? '?' : ''}slice ${sexp(node.object)} ${sexp(node.from)} ${sexp(node.to)})`;
    case 'chain':
      return `(chain ${sexp(node.node)})`;
    case 'unary':
      return `(${node.operator} ${sexp(node.operand)})`;
    case 'binary':
      return `(${node.operator} ${sexp(node.left)} ${sexp(node.right)})`;
    case 'conditional':
      return `(? ${sexp(node.test)} ${sexp(node.consequent)} ${sexp(node.alternate)})`;
    case 'call':
      return `(${node.builtin.name}${node.args.map((a) => ` ${sexp(a)}`).join('')})`;
    case 'predicate':
      return `{${sexp(node.body)}}`;
  }
}

describe('parse', () => {
  itMaps('%s', (source) => sexp(parse(source)), [
    // literals
    ['nil', 'nil'],
    ['true', 'true'],
    ['1', '1'],
    ['1.0', '1.0'],
    ["'x'", '"x"'],
    ['[1, 2, 3,]', '[1 2 3]'],
    ['[]', '[]'],
    ['{a: 1, "b c": 2, in: 3,}', '{a: 1, b c: 2, in: 3}'],
    ['{}', '{}'],
    // member access
    ['result.status', '(. result "status")'],
    ['result[0]', '([] result 0)'],
    ['result[-1]', '([] result (- 1))'],
    ['result["k"].v[0]', '([] (. ([] result "k") "v") 0)'],
    ['result?.a.b', '(chain (. (?. result "a") "b"))'],
    ['result?.[0]', '(chain (?[] result 0))'],
    ['a.b?.c', '(chain (?. (. a "b") "c"))'],
    ['result[1:3]', '(slice result 1 3)'],
    ['result[:2]', '(slice result _ 2)'],
    ['result[1:]', '(slice result 1 _)'],
    ['result[:]', '(slice result _ _)'],
    ['result.in', '(. result "in")'],
    // precedence, as expr's operator table
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['(1 + 2) * 3', '(* (+ 1 2) 3)'],
    ['1 - 2 - 3', '(- (- 1 2) 3)'],
    ['2 ** 3 ** 2', '(** 2 (** 3 2))'],
    ['2 ^ 3', '(** 2 3)'],
    ['-2 ** 2', '(- (** 2 2))'],
    ['a or b and c', '(or a (and b c))'],
    ['a || b && c', '(or a (and b c))'],
    ['not a == b', '(== (not a) b)'],
    ['!a', '(not a)'],
    ['not (a == b)', '(not (== a b))'],
    ['a == b and c != d', '(and (== a b) (!= c d))'],
    ['x not in [1, 2]', '(not (in x [1 2]))'],
    ['s not matches "^a"', '(not (matches s "^a"))'],
    ['s startsWith "a" && s endsWith "z"', '(and (startsWith s "a") (endsWith s "z"))'],
    ['a ?? b + 1', '(+ (?? a b) 1)'],
    ['-a ?? 1', '(- (?? a 1))'],
    ['1..3', '(.. 1 3)'],
    ['a ? b : c', '(? a b c)'],
    ['a ? b : c ? d : e', '(? a b (? c d e))'],
    ['a or b ? 1 : 2', '(? (or a b) 1 2)'],
    ['a > 0 ? .5 : 1', '(? (> a 0) 0.5 1)'],
    // calls and predicates
    ['len(result) > 0', '(> (len result) 0)'],
    ['all(result, {# > 0})', '(all result {(> # 0)})'],
    ['all(result, # > 0)', '(all result {(> # 0)})'],
    ['filter(result, .v > 1)', '(filter result {(> (. # "v") 1)})'],
    ['map(result, {.a.b})', '(map result {(. (. # "a") "b")})'],
    ['map(result, #index)', '(map result {#index})'],
    ['any(result, all(#, # > 0))', '(any result {(all # {(> # 0)})})'],
    ['count(result)', '(count result)'],
    ['count(result, #)', '(count result {#})'],
    ['map(result, {{v: #}})', '(map result {{v: #}})'],
    ['result | len()', '(len result)'],
    ['result | all(# > 0) | string()', '(string (all result {(> # 0)}))'],
    ['default(result, 0) < 0.05', '(< (default result 0) 0.05)'],
    ['max(1, 2, 3)', '(max 1 2 3)'],
  ]);

  it('places binary nodes at their operator, member nodes at . or [', () => {
    const node = parse('result[0] >= 1');
    expect(node.offset).toBe(10);
    expect(node.kind === 'binary' && node.left.offset).toBe(6);
  });

  itThrows('rejects %j', parse, ConditionSyntaxError, [
    ['', 'unexpected end of expression at 1:1'],
    ['1 +', 'unexpected end of expression at 1:4'],
    ['1 2', 'unexpected number 2 at 1:3'],
    ['(1', "expected ')' but found end of expression at 1:3"],
    ['[1, 2', "expected ']' but found end of expression at 1:6"],
    ['a ? b', "expected ':' but found end of expression at 1:6"],
    ['result[0', "expected ']' but found end of expression at 1:9"],
    ['all(result, {# > 0)', "expected '}' but found ')' at 1:19"],
    ['reslt(1)', "unknown function 'reslt' at 1:1"],
    ['len()', 'not enough arguments to call len at 1:1'],
    ['len(1, 2)', 'too many arguments to call len at 1:1'],
    ['all(result)', 'not enough arguments to call all at 1:1'],
    ['# > 0', "'#' can only be used inside a predicate at 1:1"],
    ['.a', "unexpected '.' at 1:1"],
    ['all(result, #acc > 0)', "'#acc' is not supported at 1:13"],
    ['result.Name()', "cannot call method 'Name': conditions have no methods at 1:8"],
    ['result.', "expected a property name after '.' at 1:8"],
    ['result | 1', "expected a function call after '|' at 1:10"],
    ['{1: 2}', 'map keys must be names or strings, found number 1 at 1:2'],
    ['let x = 1; x', "'let' is not supported in conditions at 1:1"],
    ['a not b', "unexpected 'not' at 1:3"],
    ['1 +\n  )', "unexpected ')' at 2:3"],
    [`${'('.repeat(200)}1${')'.repeat(200)}`, 'expression is nested too deeply'],
  ]);

  it('carries reason and position on the error', () => {
    expect(() => parse('result >= ')).toThrow(ConditionSyntaxError);
    expect(() => parse('result >= ')).toThrow(
      expect.objectContaining({
        reason: 'unexpected end of expression',
        position: { line: 1, column: 11, offset: 10 },
        expression: 'result >= ',
      }),
    );
  });
});
