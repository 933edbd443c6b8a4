// The public face of the condition language: compile an AnalysisTemplate's successCondition or
// failureCondition once, evaluate it per measurement, and turn a measurement into a phase with
// the rules of Argo Rollouts' utils/evaluate.EvaluateResult.

import type { Node } from './ast.js';
import { check } from './checker.js';
import { ConditionError, ConditionEvaluationError } from './errors.js';
import { type Environment, run } from './interpreter.js';
import { parse } from './parser.js';
import { typeName } from './value.js';

export {
  ConditionError,
  ConditionEvaluationError,
  ConditionSyntaxError,
  type SourcePosition,
} from './errors.js';

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
  try {
    if (hasSuccess) succeeded = evaluateCondition(compileCached(successCondition), { result });
    if (hasFailure) failed = evaluateCondition(compileCached(failureCondition), { result });
  } catch (error) {
    if (error instanceof ConditionError) {
      return { phase: 'Error', message: `${error.expression}: ${error.message}` };
    }
    throw error;
  }
  if (!hasSuccess && !hasFailure) return { phase: 'Successful' };
  if (!hasFailure) failed = !succeeded;
  if (!hasSuccess) succeeded = !failed;
  if (failed) return { phase: 'Failed' };
  return succeeded ? { phase: 'Successful' } : { phase: 'Inconclusive' };
}

// Conditions come from a handful of templates and are evaluated every interval; compile each once.
const compiledCache = new Map<string, CompiledCondition | ConditionError>();
const COMPILED_CACHE_LIMIT = 1000;

function compileCached(expression: string): CompiledCondition {
  let entry = compiledCache.get(expression);
  if (entry === undefined) {
    try {
      entry = compileCondition(expression);
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
      entry = error;
    }
    if (compiledCache.size >= COMPILED_CACHE_LIMIT) compiledCache.clear();
    compiledCache.set(expression, entry);
  }
  if (entry instanceof ConditionError) throw entry;
  return entry;
}
