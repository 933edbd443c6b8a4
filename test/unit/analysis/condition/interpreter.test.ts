import { describe, expect, it } from 'vitest';
import { ConditionEvaluationError } from '../../../../src/analysis/condition/errors.js';
import { compileCondition } from '../../../../src/analysis/condition/evaluate.js';
import { run } from '../../../../src/analysis/condition/interpreter.js';

/** The raw value of an expression, `result` bound to the given value. */
function value(expression: string, result: unknown = null): unknown {
  return run(compileCondition(expression).root, expression, { result });
}

describe('interpreter: values and operators', () => {
  it.each<[string, unknown, unknown]>([
    // int (bigint) and float64 (number) arithmetic, as in expr
    ['1 + 2', null, 3n],
    ['1 + 2.5', null, 3.5],
    ['7 / 2', null, 3.5],
    ['6 / 3', null, 2],
    ['7 % 3', null, 1n],
    ['-7 % 3', null, -1n],
    ['2 ** 10', null, 1024],
    ['2 ^ 0.5', null, Math.SQRT2],
    ['2 ** 3 ** 2', null, 512],
    ['-2 ** 2', null, -4],
    ['1 - 2 - 3', null, -4n],
    ['1 + 2 * 3', null, 7n],
    ['-(1)', null, -1n],
    ['+1.5', null, 1.5],
    ['9223372036854775807 + 1', null, -9223372036854775808n],
    ['1 / 0', null, Number.POSITIVE_INFINITY],
    ['result * 2', 1.5, 3],
    ['result - 1', 3, 2],
    ['"a" + "b"', null, 'ab'],
    // comparison
    ['1 == 1.0', null, true],
    ['1 != 1.0', null, false],
    ['1 < 1.5', null, true],
    ['2 <= 2', null, true],
    ['"a" < "b"', null, true],
    ['"b" >= "a"', null, true],
    ['nil == nil', null, true],
    ['result == nil', null, true],
    ['result == nil', undefined, true],
    ['result != nil', 0, true],
    ['result == "1"', 1, false],
    ['result == true', true, true],
    ['result == [1, 2]', [1, 2], true],
    ['result == {a: 1, b: [true]}', { b: [true], a: 1 }, true],
    ['result == {a: 1}', { a: 1, b: 2 }, false],
    ['result == [1]', [1, 2], false],
    ['result == result', Number.NaN, false],
    ['result >= 0.95', Number.POSITIVE_INFINITY, true],
    ['result >= 0.95', Number.NaN, false],
    ['result < 0.95', Number.NaN, false],
    // logic, with short-circuit
    ['true and false', null, false],
    ['false or true', null, true],
    ['true && !false', null, true],
    ['not true', null, false],
    ['not false == true', null, true],
    ['false and result[5] > 1', [], false],
    ['true or reslt', null, true],
    ['len(result) > 0 && result[0] < 5', [], false],
    // membership
    ['2 in result', [2, 2], true],
    ['2 in [1.0, 2.0]', null, true],
    ['"a" in {a: 1}', null, true],
    ['"b" in result', { a: 1 }, false],
    ['1 in nil', null, false],
    ['result not in [1, 2]', 3, true],
    ['[1] in [[1], [2]]', null, true],
    // strings
    ['result contains "ork"', 'It worked!', true],
    ['result startsWith "It"', 'It worked!', true],
    ['result endsWith "!"', 'It worked!', true],
    ['result not contains "fail"', 'It worked!', true],
    ['result matches "^It w.*d!$"', 'It worked!', true],
    ['result matches "(?i)^it"', 'It worked!', true],
    ['result matches "(?P<word>w\\\\w+)"', 'It worked!', true],
    ['result matches "^x"', 'It worked!', false],
    // conditional and nil handling
    ['result > 1 ? "big" : "small"', 2, 'big'],
    ['result > 1 ? "big" : result > 0 ? "some" : "none"', 0, 'none'],
    ['result ?? 0', null, 0n],
    ['result ?? 0', 5, 5],
    ['result.a ?? "none"', {}, 'none'],
    ['result?.a', null, null],
    ['result?.a.b.c', null, null],
    ['result?.[0]', null, null],
    ['result?.[1:]', null, null],
    ['result.a?.b', { a: null }, null],
    ['result?.a.b', { a: { b: 1 } }, 1],
    // member access and slices
    ['result.status', { status: 'ok' }, 'ok'],
    ['result["status"]', { status: 'ok' }, 'ok'],
    ['result["a-b"]', { 'a-b': 1 }, 1],
    ['result.missing', { a: 1 }, null],
    ['result[1]', { 1: 'x' }, null],
    ['result.constructor', {}, null],
    ['result.__proto__', {}, null],
    ['result[0]', [7, 8, 9], 7],
    ['result[-1]', [7, 8, 9], 9],
    ['result[1.9]', [7, 8, 9], 8],
    ['result[0]', [undefined], null],
    ['result.values.values[1]', { values: { values: [1, 2] } }, 2],
    ['result[1:3]', [1, 2, 3, 4, 5], [2, 3]],
    ['result[1:-1]', [1, 2, 3, 4, 5], [2, 3, 4]],
    ['result[:3]', [1, 2, 3, 4, 5], [1, 2, 3]],
    ['result[3:]', [1, 2, 3, 4, 5], [4, 5]],
    ['result[:]', [1, 2], [1, 2]],
    ['result[3:1]', [1, 2, 3, 4, 5], []],
    ['result[-10:10]', [1, 2], [1, 2]],
    ['result[1:3]', 'héllo', 'él'],
    ['result[0]', 'héllo', 'h'],
    // literals and ranges
    ['[1, "a", nil, true]', null, [1n, 'a', null, true]],
    ['{a: 1, "b c": [2.5]}', null, { a: 1n, 'b c': [2.5] }],
    ['{__proto__: 1}.__proto__', null, 1n],
    ['1..3', null, [1n, 2n, 3n]],
    ['3..1', null, []],
    ['map(result, #index)', ['a', 'b'], [0n, 1n]],
    ['map(result, {.name})', [{ name: 'a' }, { name: 'b' }], ['a', 'b']],
    ['result | map(# * 2) | sum()', [1, 2], 6],
  ])('%s with result %j', (expression, result, expected) => {
    expect(value(expression, result)).toEqual(expected);
  });

  it('reads other environment variables', () => {
    const expression = 'result > threshold';
    expect(run(compileCondition(expression).root, expression, { result: 2, threshold: 1 })).toBe(true);
  });
});

describe('interpreter: errors', () => {
  it.each<[string, unknown, string]>([
    ['reslt > 1', null, "unknown name 'reslt' at 1:1"],
    ['result > limit', 1, "unknown name 'limit' at 1:10"],
    ['result[0] >= 0.95', null, 'cannot index nil at 1:7'],
    ['result.a', null, "cannot fetch 'a' from nil at 1:7"],
    ['result.a.b', { a: null }, "cannot fetch 'b' from nil at 1:9"],
    ['result[3]', [1, 2, 3], 'index out of range: 3 (array length is 3) at 1:7'],
    ['result[-4]', [1, 2, 3], 'index out of range: -4 (array length is 3) at 1:7'],
    ['result[0]', [], 'index out of range: 0 (array length is 0) at 1:7'],
    ['result["a"]', [1], 'cannot use string as array index at 1:7'],
    ['result[nil]', [1], 'cannot use nil as array index at 1:7'],
    ['result.a', [1], "cannot fetch 'a' from array at 1:7"],
    ['result[0]', 5, 'cannot index float64 at 1:7'],
    ['result[0]', true, 'cannot index bool at 1:7'],
    ['result[1:2]', 5, 'cannot slice float64 at 1:7'],
    ['result > 1', 'x', 'invalid operation: > (mismatched types string and int) at 1:8'],
    ['result < 0.05', null, 'invalid operation: < (mismatched types nil and float64) at 1:8'],
    ['result + 1', true, 'invalid operation: + (mismatched types bool and int) at 1:8'],
    ['result + 1', [1], 'invalid operation: + (mismatched types array and int) at 1:8'],
    ['result % 2', 3, 'invalid operation: % (mismatched types float64 and int) at 1:8'],
    ['1 % asInt(result)', 0, 'integer divide by zero at 1:3'],
    ['-result', 'x', 'invalid operation: - string at 1:1'],
    ['result and true', 1, "non-bool operand of 'and' (type float64) at 1:8"],
    ['false or result', 'x', "non-bool operand of 'or' (type string) at 1:7"],
    ['not result', 'x', "non-bool operand of 'not' (type string) at 1:1"],
    ['result ? 1 : 2', 1, 'non-bool expression (type float64) used as condition at 1:8'],
    ['1 in result', 'abc', 'operator "in" not defined on string at 1:3'],
    ['1 in result', { a: 1 }, 'cannot use int as a map key at 1:3'],
    ['result contains "a"', 5, 'invalid operation: contains (mismatched types float64 and string) at 1:8'],
    ['result matches "a"', 5, 'invalid operation: matches (mismatched types float64 and string) at 1:8'],
    ['"a" matches result', '(', 'invalid regular expression: '],
    ['"a" matches result', '(?<=a)b', 'invalid regular expression: invalid named capture: `(?<=a)b` at 1:5'],
    ['"a" matches result', '(a)\\1', 'invalid regular expression: invalid escape sequence: `\\1` at 1:5'],
    ['len(0..200000) > 0', null, 'range 0..200000 is longer than 100000 at 1:6'],
    ['all(0..99999, all(0..99999, true))', null, 'evaluation exceeded its budget of 300000 steps'],
  ])('%s with result %j', (expression, result, message) => {
    expect(() => value(expression, result)).toThrow(ConditionEvaluationError);
    expect(() => value(expression, result)).toThrow(message);
  });

  it('carries reason and position', () => {
    const failing = () => value('len(result) > 0 &&\n  result.a.b > 1', { a: null });
    expect(failing).toThrow(ConditionEvaluationError);
    expect(failing).toThrow(
      expect.objectContaining({
        reason: "cannot fetch 'b' from nil",
        position: { line: 2, column: 11, offset: 29 },
        message: "cannot fetch 'b' from nil at 2:11",
      }),
    );
  });

  it('honours custom limits', () => {
    const expression = 'all(result, # > 0)';
    const root = compileCondition(expression).root;
    expect(() => run(root, expression, { result: [1, 2, 3] }, { maxSteps: 5 })).toThrow(
      'evaluation exceeded its budget of 5 steps',
    );
    expect(run(root, expression, { result: [1, 2, 3] }, { maxSteps: 50 })).toBe(true);
  });
});
