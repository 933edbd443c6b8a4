// Compile-time checks, as expr's checker makes them with Argo's environment: `result` and every
// value read from it are of unknown type, so only operands whose type is fixed by the expression
// itself (literals, typed built-ins such as asFloat or len) can be rejected before running.
// `asFloat(result) == "1.1"` fails here, like in Argo; `result == "1.1"` runs and is false.

import type { BinaryOperator, Node, NodeOf } from './ast.js';
import type { StaticType } from './builtins.js';
import { ConditionSyntaxError, EvaluationFailure } from './errors.js';
import { compileRegex } from './value.js';

export function check(root: Node, source: string): void {
  new Checker(source).infer(root);
}

const isNumber = (t: StaticType): boolean => t === 'int' || t === 'float64';
const isKnown = (t: StaticType): boolean => t !== 'unknown';

class Checker {
  constructor(private readonly source: string) {}

  private fail(reason: string, offset: number): never {
    throw new ConditionSyntaxError(this.source, reason, offset);
  }

  infer(node: Node): StaticType {
    switch (node.kind) {
      case 'nil':
        return 'nil';
      case 'bool':
        return 'bool';
      case 'int':
        return 'int';
      case 'float':
        return 'float64';
      case 'string':
        return 'string';
      case 'array':
        for (const element of node.elements) this.infer(element);
        return 'array';
      case 'map':
        for (const entry of node.entries) this.infer(entry.value);
        return 'map';
      case 'identifier':
      case 'pointer':
        return 'unknown';
      case 'member':
        this.infer(node.object);
        this.infer(node.property);
        return 'unknown';
      case 'slice':
        this.infer(node.object);
        if (node.from) this.infer(node.from);
        if (node.to) this.infer(node.to);
        return 'unknown';
      case 'chain':
        return this.infer(node.node);
      case 'unary':
        return this.unary(node);
      case 'binary':
        return this.binary(node);
      case 'conditional': {
        const test = this.infer(node.test);
        if (test !== 'bool' && isKnown(test)) {
          this.fail(`non-bool expression (type ${test}) used as condition`, node.offset);
        }
        const consequent = this.infer(node.consequent);
        return consequent === this.infer(node.alternate) ? consequent : 'unknown';
      }
      case 'call':
        for (const arg of node.args) this.infer(arg);
        return node.builtin.returns;
      case 'predicate':
        this.infer(node.body);
        return 'unknown';
    }
  }

  private unary(node: NodeOf<'unary'>): StaticType {
    const operand = this.infer(node.operand);
    if (!isKnown(operand)) return node.operator === 'not' ? 'bool' : 'unknown';
    switch (node.operator) {
      case 'not':
        if (operand !== 'bool') this.fail(`non-bool operand of 'not' (type ${operand})`, node.offset);
        return 'bool';
      case '-':
      case '+':
        if (!isNumber(operand)) this.fail(`invalid operation: ${node.operator} ${operand}`, node.offset);
        return operand;
    }
  }

  private binary(node: NodeOf<'binary'>): StaticType {
    const left = this.infer(node.left);
    const right = this.infer(node.right);
    const mismatch = (): never =>
      this.fail(`invalid operation: ${node.operator} (mismatched types ${left} and ${right})`, node.offset);
    const either = (ok: (t: StaticType) => boolean): boolean =>
      (ok(left) || !isKnown(left)) && (ok(right) || !isKnown(right));
    const bothKnown = isKnown(left) && isKnown(right);
    const operator: BinaryOperator = node.operator;
    switch (operator) {
      case '==':
      case '!=':
        if (
          bothKnown &&
          left !== right &&
          left !== 'nil' &&
          right !== 'nil' &&
          !(isNumber(left) && isNumber(right))
        ) {
          mismatch();
        }
        return 'bool';
      case '<':
      case '<=':
      case '>':
      case '>=':
        if (!either(isNumber) && !either((t) => t === 'string')) mismatch();
        return 'bool';
      case 'and':
      case 'or':
        for (const [side, type] of [
          [node.left, left],
          [node.right, right],
        ] as const) {
          if (isKnown(type) && type !== 'bool') {
            this.fail(`non-bool operand of '${operator}' (type ${type})`, side.offset);
          }
        }
        return 'bool';
      case 'in':
        if (isKnown(right) && right !== 'array' && right !== 'map' && right !== 'nil') {
          this.fail(`operator "in" not defined on ${right}`, node.offset);
        }
        return 'bool';
      case 'matches':
        if (node.right.kind === 'string') this.regex(node.right.value, node.right.offset);
        if (!either((t) => t === 'string')) mismatch();
        return 'bool';
      case 'contains':
      case 'startsWith':
      case 'endsWith':
        if (!either((t) => t === 'string')) mismatch();
        return 'bool';
      case '+':
        if (left === 'string' && right === 'string') return 'string';
        return this.numeric(left, right, mismatch);
      case '-':
      case '*':
        return this.numeric(left, right, mismatch);
      case '/':
      case '**':
        this.numeric(left, right, mismatch);
        return 'float64';
      case '%':
        if (!either((t) => t === 'int')) mismatch();
        return 'int';
      case '..':
        if (!either((t) => t === 'int')) mismatch();
        return 'array';
      case '??':
        // A left side of known type other than nil is never nil, so it is the value.
        return left === 'nil' ? right : left;
    }
  }

  private numeric(left: StaticType, right: StaticType, mismatch: () => never): StaticType {
    if ((isKnown(left) && !isNumber(left)) || (isKnown(right) && !isNumber(right))) mismatch();
    if (!isKnown(left) || !isKnown(right)) return 'unknown';
    return left === 'int' && right === 'int' ? 'int' : 'float64';
  }

  private regex(pattern: string, offset: number): void {
    try {
      compileRegex(pattern);
    } catch (error) {
      if (error instanceof EvaluationFailure) this.fail(error.reason, offset);
      throw error;
    }
  }
}
