import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  ConditionEvaluationError,
  ConditionSyntaxError,
  compileCondition,
  evaluateCondition,
  evaluateMeasurement,
  type MeasurementPhase,
} from '../../../../src/analysis/condition/evaluate.js';

const evalCondition = (expression: string, result: unknown): boolean =>
  evaluateCondition(compileCondition(expression), { result });

describe('compileCondition', () => {
  it('keeps the expression and its tree', () => {
    const compiled = compileCondition('result[0] >= 0.95');
    expect(compiled.expression).toBe('result[0] >= 0.95');
    expect(compiled.root.kind).toBe('binary');
  });

  it('throws ConditionSyntaxError with the position', () => {
    expect(() => compileCondition('result[0] >= ')).toThrow(ConditionSyntaxError);
    expect(() => compileCondition('result[0] >= ')).toThrow('unexpected end of expression at 1:14');
  });
});

describe('evaluateCondition', () => {
  it('is reusable across results', () => {
    const compiled = compileCondition('result[0] >= 0.95');
    expect(evaluateCondition(compiled, { result: [0.97] })).toBe(true);
    expect(evaluateCondition(compiled, { result: [0.5] })).toBe(false);
  });

  it.each<[string, unknown, string]>([
    ['1', true, 'expected bool, but got int at 1:1'],
    ['result', null, 'expected bool, but got nil at 1:1'],
    ['result', 0.5, 'expected bool, but got float64 at 1:1'],
    ['result', 'true', 'expected bool, but got string at 1:1'],
    ['result[0]', [[1]], 'expected bool, but got array at 1:1'],
  ])('rejects the non-bool %s', (expression, result, message) => {
    expect(() => evalCondition(expression, result)).toThrow(ConditionEvaluationError);
    expect(() => evalCondition(expression, result)).toThrow(message);
  });
});

// Facts from Argo Rollouts' utils/evaluate/evaluate_test.go.
describe("Argo Rollouts' EvalCondition cases", () => {
  it.each<[string, unknown, boolean]>([
    ['result == true', true, true],
    ['result == false', true, false],
    [
      'all(result.service_apdex.values.values, {# > 1})',
      { service_apdex: { label: null, values: { values: [2, 2] } } },
      true,
    ],
    ['2 in result', [2, 2], true],
    ['result > 1', 5, true],
    ['asInt(result) == 1', '1', true],
    ['asInt(result) == 1', 1, true],
    ['asInt(result) == 1', 1.123, true],
    ['asFloat(result) == 1.1', '1.1', true],
    ['asFloat(result) >= 1.1', '1.1', true],
    ['asFloat(result) <= 1.1', '1.1', true],
    ['asFloat(result) == 1.1', 1.1, true],
    ['asFloat(result) == 1', 1, true],
    ['asFloat(result) >= 1', 1, true],
    ['isInf(result)', Number.POSITIVE_INFINITY, true],
    ['isInf(result)', 0, false],
    ['isNil(result)', null, true],
    ['isNil(result)', 1, false],
    ['isNil(result)', false, false],
    ['isNil(result)', ['hi', 'hello'], false],
    ['default(result, 0) == 0', null, true],
    ['default(result, 2) == 2', null, true],
    ['default(result, 0) == 1', 1, true],
  ])('%s with result %j is %s', (expression, result, expected) => {
    expect(evalCondition(expression, result)).toBe(expected);
  });

  it.each<[string, unknown, string]>([
    ['1', true, 'expected bool, but got int'],
    ['invalidVariable', true, "unknown name 'invalidVariable'"],
    ["result.Name() == 'hi'", true, "cannot call method 'Name'"],
    ['asInt(result) == 1.1', '1.1', "asInt: '1.1' is not an integer"],
    ['asFloat(result) == 1.1', 'NotANum', "asFloat: 'NotANum' is not a number"],
    ['asFloat(result) == "1.1"', '1.1', 'invalid operation: == (mismatched types float64 and string)'],
  ])('%s with result %j fails: %s', (expression, result, message) => {
    expect(() => evalCondition(expression, result)).toThrow(message);
  });
});

describe('evaluateMeasurement', () => {
  it.each<[string | undefined, string | undefined, MeasurementPhase]>([
    // Argo's TestEvaluateResult* cases
    ['true', 'false', 'Successful'],
    ['true', 'true', 'Failed'],
    ['false', 'false', 'Inconclusive'],
    ['', 'false', 'Successful'],
    ['false', '', 'Failed'],
    ['', '', 'Successful'],
    // the rest of the truth table
    [undefined, undefined, 'Successful'],
    ['true', undefined, 'Successful'],
    ['false', undefined, 'Failed'],
    [undefined, 'true', 'Failed'],
    [undefined, 'false', 'Successful'],
    ['false', 'true', 'Failed'],
  ])('success %j, failure %j → %s', (successCondition, failureCondition, phase) => {
    expect(evaluateMeasurement({ successCondition, failureCondition, result: true })).toEqual({ phase });
  });

  it.each<[string | undefined, string | undefined, string]>([
    ['a == true', 'true', "a == true: unknown name 'a' at 1:1"],
    ['true', 'a == true', "a == true: unknown name 'a' at 1:1"],
    // the success condition is evaluated first, and an error wins over a decisive other condition
    ['x > 1', 'y > 1', "x > 1: unknown name 'x' at 1:1"],
    ['reslt > 1', 'true', "reslt > 1: unknown name 'reslt' at 1:1"],
    ['result[0] >= ', undefined, 'result[0] >= : unexpected end of expression at 1:14'],
    [undefined, 'result[0] > 1', 'result[0] > 1: index out of range: 0 (array length is 0) at 1:7'],
    ['1', undefined, '1: expected bool, but got int at 1:1'],
  ])('success %j, failure %j → Error', (successCondition, failureCondition, message) => {
    expect(evaluateMeasurement({ successCondition, failureCondition, result: [] })).toEqual({
      phase: 'Error',
      message,
    });
  });

  it('reuses compiled conditions, including failed compilations', () => {
    const input = { successCondition: 'result > (', result: 1 };
    expect(evaluateMeasurement(input)).toEqual(evaluateMeasurement(input));
    expect(evaluateMeasurement({ successCondition: 'result > 0', result: 1 }).phase).toBe('Successful');
    expect(evaluateMeasurement({ successCondition: 'result > 0', result: -1 }).phase).toBe('Failed');
  });
});

// Examples from Argo Rollouts' docs/features/analysis.md (and docs/analysis/*.md), with the
// phases the docs show, and the typical conditions of Slipway's compatibility contract.
describe('documented conditions', () => {
  it.each<[string | undefined, string | undefined, unknown, MeasurementPhase]>([
    ['result[0] >= 0.95', undefined, [0.97], 'Successful'],
    ['result[0] >= 0.95', undefined, [0.9], 'Failed'],
    ['result[0] <= 0.95', undefined, [0.05], 'Successful'],
    [undefined, 'result[0] >= 10', [12], 'Failed'],
    [undefined, 'result[0] >= 10', [3], 'Successful'],
    ['result[0] >= 0.90', 'result[0] < 0.50', [0.7], 'Inconclusive'],
    ['result[0] >= 0.90', 'result[0] < 0.50', [0.4], 'Failed'],
    ["result == 'true'", undefined, 'true', 'Successful'],
    // NaN and infinity
    ['isNaN(result) || result >= 0.95', undefined, Number.NaN, 'Successful'],
    ['result >= 0.95', 'result < 0.95', Number.NaN, 'Inconclusive'],
    ['result >= 0.95', undefined, Number.NaN, 'Failed'],
    ['result >= 0.95', undefined, Number.POSITIVE_INFINITY, 'Successful'],
    [undefined, 'isInf(result)', Number.POSITIVE_INFINITY, 'Failed'],
    // empty Prometheus vector
    ['len(result) == 0 || result[0] >= 0.95', undefined, [], 'Successful'],
    ['len(result) > 0 && result[0] >= 0.95', undefined, [], 'Failed'],
    // Datadog's nil result
    ['default(result, 0) < 0.05', undefined, null, 'Successful'],
    ['default(result, 0) < 0.05', undefined, 0.2, 'Failed'],
    // the compatibility contract's typical conditions
    ['isNaN(result[0]) || result[0] <= 0.01', undefined, [Number.NaN], 'Successful'],
    ['isNaN(result[0]) || result[0] <= 0.01', undefined, [0.005], 'Successful'],
    ['isNaN(result[0]) || result[0] <= 0.01', undefined, [0.2], 'Failed'],
    ['default(result[0], 0) >= 0.9', undefined, [0.95], 'Successful'],
    ['default(result[0], 0) >= 0.9', undefined, [null], 'Failed'],
    ['all(result, {# > 0})', undefined, [1, 2, 3], 'Successful'],
    ['all(result, {# > 0})', undefined, [1, 0], 'Failed'],
    ['len(result) > 0 && result[0] < 5', undefined, [3], 'Successful'],
    ['len(result) > 0 && result[0] < 5', undefined, [], 'Failed'],
    ['result.status == "ok"', undefined, { status: 'ok' }, 'Successful'],
    ['result.status == "ok"', undefined, { status: 'degraded' }, 'Failed'],
    ['asInt(result) > 3', undefined, '4', 'Successful'],
    ['asInt(result) > 3', undefined, 2, 'Failed'],
  ])('success %j, failure %j, result %j → %s', (successCondition, failureCondition, result, phase) => {
    expect(evaluateMeasurement({ successCondition, failureCondition, result }).phase).toBe(phase);
  });

  it("reports Datadog's nil result without default() as an Error", () => {
    expect(evaluateMeasurement({ successCondition: 'result < 0.05', result: null })).toEqual({
      phase: 'Error',
      message: 'result < 0.05: invalid operation: < (mismatched types nil and float64) at 1:8',
    });
  });
});

// Every condition in shared/compat/argo-rollouts-examples, with a result its provider could return.
describe('Argo Rollouts example manifests', () => {
  it.each<[string, string, unknown, MeasurementPhase]>([
    ['appmesh_canary-rollout.yaml', 'result[0] >= 0.99', [0.995], 'Successful'],
    ['appmesh_canary-rollout.yaml', 'result[0] >= 0.99', [0.95], 'Failed'],
    ['rollout-secret.yaml', "result == 'It worked!'", 'It worked!', 'Successful'],
    ['rollout-secret.yaml', "result == 'It worked!'", 'Forbidden', 'Failed'],
  ])('%s: %s with %j → %s', (_file, successCondition, result, phase) => {
    expect(evaluateMeasurement({ successCondition, result }).phase).toBe(phase);
  });

  const examples = fileURLToPath(
    new URL('../../../../../shared/compat/argo-rollouts-examples', import.meta.url),
  );
  it.skipIf(!existsSync(examples))('compiles every condition the examples contain', () => {
    const found: string[] = [];
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (typeof node === 'object' && node !== null) {
        for (const [key, child] of Object.entries(node)) {
          if ((key === 'successCondition' || key === 'failureCondition') && typeof child === 'string') {
            found.push(child);
          } else {
            collect(child);
          }
        }
      }
    };
    for (const file of readdirSync(examples).filter((name) => name.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(examples, file), 'utf8'))) collect(doc.toJS());
    }
    expect(found).toContain('result[0] >= 0.99');
    for (const expression of found) expect(() => compileCondition(expression)).not.toThrow();
  });
});
