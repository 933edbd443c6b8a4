// The public face of the condition language: compile an AnalysisTemplate's successCondition or
// failureCondition once, evaluate it per measurement, and turn a measurement into a phase with
// the rules of Argo Rollouts' utils/evaluate.EvaluateResult.

import type { Node } from './ast.js';
import { check } from './checker.js';
import { ConditionError, ConditionEvaluationError } from './errors.js';
import { type Environment, run } from './interpreter.js';
import { parse } from './parser.js';
import { nestedDeeperThan, typeName } from './value.js';

export { ConditionError, ConditionEvaluationError, ConditionSyntaxError } from './errors.js';

export interface CompiledCondition {
  readonly expression: string;
  readonly root: Node;
}

/** Variables a condition can read. Argo provides only `result`; the others are for callers that add more. */
export type ConditionEnv = Environment & { readonly result: unknown };

/** Parses and checks an expression. Throws ConditionSyntaxError, which carries the position. */
export function compileCondition(expression: string): CompiledCondition {
  const root = parse(expression);
  check(root, expression);
  return Object.freeze({ expression, root });
}

/**
 * Runs a compiled condition. A result that is not a bool is an error, as in Argo
 * (`expected bool, but got int`). Throws ConditionEvaluationError.
 */
export function evaluateCondition(compiled: CompiledCondition, env: ConditionEnv): boolean {
  const value = run(compiled.root, compiled.expression, env);
  if (typeof value !== 'boolean') {
    throw new ConditionEvaluationError(compiled.expression, `expected bool, but got ${typeName(value)}`, 0);
  }
  return value;
}

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface MeasurementEvaluation {
  readonly phase: MeasurementPhase;
  /** Set for Error: `<expression>: <reason> at <line>:<column>`. */
  readonly message?: string;
}

export interface MeasurementConditions {
  readonly successCondition?: string;
  readonly failureCondition?: string;
  /** The provider's measurement value, shaped by the provider (a Prometheus vector is an array). */
  readonly result: unknown;
}

/**
 * Argo's EvaluateResult: the success condition is evaluated first, then the failure condition,
 * and an error in either is Error. With neither condition the measurement is Successful; with one
 * the other is taken as its negation; a true failure condition wins over a true success condition;
 * both false is Inconclusive. An empty string counts as no condition.
 */
export function evaluateMeasurement(input: MeasurementConditions): MeasurementEvaluation {
  const { successCondition, failureCondition, result } = input;
  const hasSuccess = successCondition !== undefined && successCondition !== '';
  const hasFailure = failureCondition !== undefined && failureCondition !== '';
  let succeeded = false;
  let failed = false;
  let current = (hasSuccess ? successCondition : failureCondition) ?? '';
  try {
    if ((hasSuccess || hasFailure) && nestedDeeperThan(result, MAX_RESULT_DEPTH)) {
      return {
        phase: 'Error',
        message: `the metric result is nested more than ${MAX_RESULT_DEPTH} levels deep; conditions are not evaluated on it`,
      };
    }
    if (hasSuccess) {
      current = successCondition;
      succeeded = evaluateCondition(compileCached(successCondition), { result });
    }
    if (hasFailure) {
      current = failureCondition;
      failed = evaluateCondition(compileCached(failureCondition), { result });
    }
  } catch (error) {
    if (error instanceof ConditionError) {
      return { phase: 'Error', message: `${shortExpression(error.expression)}: ${error.message}` };
    }
    // Nothing may escape an evaluation: a bug here must fail one measurement, not the controller.
    const detail =
      error instanceof RangeError
        ? 'ran out of stack (the condition or the result is nested too deeply)'
        : `failed unexpectedly (${error instanceof Error ? error.message : String(error)})`;
    return { phase: 'Error', message: `${shortExpression(current)}: evaluation ${detail}` };
  }
  if (!hasSuccess && !hasFailure) return { phase: 'Successful' };
  if (!hasFailure) failed = !succeeded;
  if (!hasSuccess) succeeded = !failed;
  if (failed) return { phase: 'Failed' };
  return succeeded ? { phase: 'Successful' } : { phase: 'Inconclusive' };
}

/**
 * Deepest metric result conditions run on: results are JSON from providers, and rendering or
 * comparing them recurses once per level. Real metric results are a few levels deep.
 */
export const MAX_RESULT_DEPTH = 64;

/** Longest expression quoted in full in a message; longer ones are cut (status stays small). */
const QUOTED_EXPRESSION_LIMIT = 256;

function shortExpression(expression: string): string {
  if (expression.length <= QUOTED_EXPRESSION_LIMIT) return expression;
  return `${expression.slice(0, QUOTED_EXPRESSION_LIMIT)}… (${expression.length} characters)`;
}

// Conditions come from a handful of templates and are evaluated every interval; compile each once.
// The cache is bounded in entries and in the expressions' total length (trees grow with it).
const compiledCache = new Map<string, CompiledCondition | ConditionError>();
const COMPILED_CACHE_LIMIT = 1000;
const COMPILED_CACHE_CHARACTERS = 1024 * 1024;
let cachedCharacters = 0;

function compileCached(expression: string): CompiledCondition {
  let entry = compiledCache.get(expression);
  if (entry === undefined) {
    try {
      entry = compileCondition(expression);
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
      entry = error;
    }
    if (
      compiledCache.size >= COMPILED_CACHE_LIMIT ||
      cachedCharacters + expression.length > COMPILED_CACHE_CHARACTERS
    ) {
      compiledCache.clear();
      cachedCharacters = 0;
    }
    compiledCache.set(expression, entry);
    cachedCharacters += expression.length;
  }
  if (entry instanceof ConditionError) throw entry;
  return entry;
}
