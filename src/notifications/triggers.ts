// Runs a trigger's conditions like notifications-engine's triggers.Service.Run, with the
// condition language of src/analysis/condition (expr-lang). Each condition's key is
// `[index].<sha1 of when>` (the engine's), which delivery state records.

import { createHash } from 'node:crypto';
import {
  type CompiledCondition,
  compileCondition,
  evaluateCondition,
} from '../analysis/condition/evaluate.js';
import { run } from '../analysis/condition/interpreter.js';
import type { TriggerCondition } from './catalog.js';

export interface ConditionResult {
  key: string;
  /** Whether to send: a true `when`, or no `when` at all (Argo Rollouts' empty-condition rule). */
  triggered: boolean;
  templates: string[];
  /** The evaluated oncePer expression, if the condition has one and triggered. */
  oncePer?: string;
  /** Why a `when` or `oncePer` could not be evaluated. */
  error?: string;
}

export function conditionHash(when: string): string {
  return createHash('sha1').update(when).digest('base64url');
}

const compiled = new Map<string, CompiledCondition>();

function compile(expression: string): CompiledCondition {
  let c = compiled.get(expression);
  if (!c) {
    c = compileCondition(expression);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(expression, c);
  }
  return c;
}

/** oncePer yields any value (a revision, a commit), so it runs through the interpreter directly. */
function evaluateValue(expression: string, vars: Record<string, unknown>): string {
  const c = compile(expression);
  const value = run(c.root, c.expression, { result: undefined, ...vars });
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function runTrigger(conditions: TriggerCondition[], vars: Record<string, unknown>): ConditionResult[] {
  return conditions.map((condition, index) => {
    const when = condition.when ?? '';
    const result: ConditionResult = {
      key: `[${index}].${conditionHash(when)}`,
      triggered: false,
      templates: condition.send,
    };
    if (when === '') {
      result.triggered = true;
    } else {
      try {
        result.triggered = evaluateCondition(compile(when), { result: undefined, ...vars });
      } catch (error) {
        result.error = `when ${JSON.stringify(when)}: ${(error as Error).message}`;
      }
    }
    if (result.triggered && condition.oncePer) {
      try {
        result.oncePer = evaluateValue(condition.oncePer, vars);
      } catch (error) {
        result.error = `oncePer ${JSON.stringify(condition.oncePer)}: ${(error as Error).message}`;
      }
    }
    return result;
  });
}
