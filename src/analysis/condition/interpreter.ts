// Walks the syntax tree against an environment. Errors from value operations and built-ins are
// pinned to the innermost node that raised them; budgets of steps and allocated elements
// (budget.ts) stop runaway conditions such as `all(0..99999, all(0..99999, true))` or
// `len(map(0..99999, 0..99999))` from blocking the controller or exhausting its heap. Recursion
// is bounded by the parser, which refuses trees deeper than MAX_TREE_DEPTH.

import type { Node, NodeOf } from './ast.js';
import { Budget, DEFAULT_LIMITS, type Limits } from './budget.js';
import type { Predicate } from './builtins.js';
import { ConditionEvaluationError, EvaluationFailure, unreachable } from './errors.js';
import {
  arithmetic,
  compare,
  equal,
  fail,
  fetch,
  isIn,
  isNil,
  matches,
  negate,
  range,
  slice,
  stringTest,
  typeName,
  unaryPlus,
} from './value.js';

export type Environment = Readonly<Record<string, unknown>>;

export type RunLimits = Limits;
export { DEFAULT_LIMITS };

/** Evaluates `root`, parsed from `source`, and returns whatever value it has. */
export function run(root: Node, source: string, env: Environment, limits: Partial<RunLimits> = {}): unknown {
  return new Interpreter(source, env, { ...DEFAULT_LIMITS, ...limits }).evaluate(root);
}

// Marks a `?.` that met nil; the enclosing chain node turns it into nil.
const SHORT_CIRCUIT: unique symbol = Symbol('optional chain met nil');

interface Scope {
  readonly element: unknown;
  readonly index: number;
}

class Interpreter {
  private readonly scopes: Scope[] = [];
  private readonly budget: Budget;

  constructor(
    private readonly source: string,
    private readonly env: Environment,
    private readonly limits: RunLimits,
  ) {
    this.budget = new Budget(limits);
  }

  evaluate(node: Node): unknown {
    try {
      this.budget.step();
      return this.evaluateNode(node);
    } catch (error) {
      if (error instanceof EvaluationFailure) {
        throw new ConditionEvaluationError(this.source, error.reason, node.offset);
      }
      throw error;
    }
  }

  private evaluateNode(node: Node): unknown {
    switch (node.kind) {
      case 'nil':
        return null;
      case 'bool':
      case 'int':
      case 'float':
      case 'string':
        return node.value;
      case 'array':
        this.budget.items(node.elements.length);
        return node.elements.map((element) => this.evaluate(element));
      case 'map':
        this.budget.items(node.entries.length);
        // fromEntries defines own properties, so a `__proto__` key stays an ordinary key.
        return Object.fromEntries(node.entries.map((entry) => [entry.key, this.evaluate(entry.value)]));
      case 'identifier':
        if (!Object.hasOwn(this.env, node.name)) return fail(`unknown name '${node.name}'`);
        return this.env[node.name] ?? null;
      case 'pointer':
        return this.pointer(node);
      case 'member':
        return this.member(node);
      case 'slice':
        return this.slice(node);
      case 'chain': {
        const value = this.evaluate(node.node);
        return value === SHORT_CIRCUIT ? null : value;
      }
      case 'unary':
        return this.unary(node);
      case 'binary':
        return this.binary(node);
      case 'conditional': {
        const test = this.evaluate(node.test);
        if (typeof test !== 'boolean')
          return fail(`non-bool expression (type ${typeName(test)}) used as condition`);
        return this.evaluate(test ? node.consequent : node.alternate);
      }
      case 'call':
        return this.call(node);
      case 'predicate':
        // The parser only puts predicates in call arguments, which call() handles.
        throw new Error('predicate evaluated outside a call');
      default:
        return unreachable(node);
    }
  }

  private pointer(node: NodeOf<'pointer'>): unknown {
    const scope = this.scopes[this.scopes.length - 1];
    if (!scope) throw new Error('# evaluated outside a predicate');
    return node.name === 'index' ? BigInt(scope.index) : (scope.element ?? null);
  }

  private member(node: NodeOf<'member'>): unknown {
    const object = this.evaluate(node.object);
    if (object === SHORT_CIRCUIT || (node.optional && isNil(object))) return SHORT_CIRCUIT;
    return fetch(object, this.evaluate(node.property), node.computed, this.budget);
  }

  private slice(node: NodeOf<'slice'>): unknown {
    const object = this.evaluate(node.object);
    if (object === SHORT_CIRCUIT || (node.optional && isNil(object))) return SHORT_CIRCUIT;
    const from = node.from && this.evaluate(node.from);
    const to = node.to && this.evaluate(node.to);
    return slice(object, from, to, this.budget);
  }

  private unary(node: NodeOf<'unary'>): unknown {
    const operand = this.evaluate(node.operand);
    switch (node.operator) {
      case 'not':
        return !this.bool('not', operand);
      case '-':
        return negate(operand);
      case '+':
        return unaryPlus(operand);
      default:
        return unreachable(node.operator);
    }
  }

  private bool(operator: string, value: unknown): boolean {
    if (typeof value === 'boolean') return value;
    return fail(`non-bool operand of '${operator}' (type ${typeName(value)})`);
  }

  private binary(node: NodeOf<'binary'>): unknown {
    const operator = node.operator;
    // Short-circuiting operators evaluate their right side only when needed.
    switch (operator) {
      case 'and':
        return (
          this.bool(operator, this.evaluate(node.left)) && this.bool(operator, this.evaluate(node.right))
        );
      case 'or':
        return (
          this.bool(operator, this.evaluate(node.left)) || this.bool(operator, this.evaluate(node.right))
        );
      case '??': {
        const left = this.evaluate(node.left);
        return isNil(left) ? this.evaluate(node.right) : left;
      }
    }
    const left = this.evaluate(node.left);
    const right = this.evaluate(node.right);
    switch (operator) {
      case '==':
        return equal(left, right, this.budget);
      case '!=':
        return !equal(left, right, this.budget);
      case '<':
      case '<=':
      case '>':
      case '>=':
        return compare(operator, left, right);
      case 'in':
        return isIn(left, right, this.budget);
      case 'contains':
      case 'startsWith':
      case 'endsWith':
        return stringTest(operator, left, right, this.budget);
      case 'matches':
        return matches(left, right, this.budget);
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
      case '**':
        return arithmetic(operator, left, right, this.budget);
      case '..':
        return range(left, right, this.limits.maxRange, this.budget);
      default:
        return unreachable(operator);
    }
  }

  private call(node: NodeOf<'call'>): unknown {
    const args: unknown[] = [];
    let predicate: Predicate | undefined;
    for (const arg of node.args) {
      if (arg.kind === 'predicate') predicate = this.predicate(arg);
      else args.push(this.evaluate(arg));
    }
    return node.builtin.call(args, predicate, this.budget);
  }

  private predicate(node: NodeOf<'predicate'>): Predicate {
    return (element, index) => {
      this.scopes.push({ element, index });
      try {
        return this.evaluate(node.body);
      } finally {
        this.scopes.pop();
      }
    };
  }
}
