import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, compileCondition } from '../../../../src/analysis/condition/evaluate.js';
import { itThrows } from '../../support/each.js';

// `result` is of unknown type, as in Argo (its env declares it interface{}), so only types the
// expression fixes itself can be rejected at compile time.
describe('compile-time type checks', () => {
  itThrows('rejects %s', compileCondition, ConditionSyntaxError, [
    ['asFloat(result) == "1.1"', 'invalid operation: == (mismatched types float64 and string) at 1:17'],
    ['1 == "1"', 'invalid operation: == (mismatched types int and string) at 1:3'],
    ['len(result) > "a"', 'invalid operation: > (mismatched types int and string) at 1:13'],
    ['true < false', 'invalid operation: < (mismatched types bool and bool) at 1:6'],
    ['1 + true', 'invalid operation: + (mismatched types int and bool) at 1:3'],
    ['"a" - 1', 'invalid operation: - (mismatched types string and int) at 1:5'],
    ['1.5 % 2', 'invalid operation: % (mismatched types float64 and int) at 1:5'],
    ['1..2.5', 'invalid operation: .. (mismatched types int and float64) at 1:2'],
    ['"a" contains 1', 'invalid operation: contains (mismatched types string and int) at 1:5'],
    ['isNaN(result) + 1', 'invalid operation: + (mismatched types bool and int) at 1:15'],
    ['not 1', "non-bool operand of 'not' (type int) at 1:1"],
    ['1 and true', "non-bool operand of 'and' (type int) at 1:1"],
    ['true || "x"', "non-bool operand of 'or' (type string) at 1:9"],
    ['1 ? 2 : 3', 'non-bool expression (type int) used as condition at 1:3'],
    ['1 in 2', 'operator "in" not defined on int at 1:3'],
    ['-"a"', 'invalid operation: - string at 1:1'],
    ['result matches "(x"', 'invalid regular expression: missing closing ): `(x` at 1:16'],
    ['all(result, {"a" > 1})', 'invalid operation: > (mismatched types string and int) at 1:18'],
  ]);

  it.each([
    'result == "1.1"',
    'result + 1 > 2',
    'nil == 1',
    '1 == 1.0',
    'asInt(result) == 1.1',
    'default(result, 0) < 0.05',
    '(result ?? 1) + 1 > 0',
    'len(result) + 0.5 > 1',
    '[1] == [1]',
    '{a: 1} == result',
    'result[0] matches result[1]',
    '1 in result',
    'not result',
    'result ? true : false',
    '"a" + "b" == "ab"',
  ])('accepts %s', (expression) => {
    expect(compileCondition(expression).expression).toBe(expression);
  });
});
