// Hand-written: no npm package parses expr-lang (jexl, filtrex, expr-eval lack `#`, `?.`, `??`, `matches`).
// A Pratt parser over tokenizer.ts with expr's precedence table (parser/operator/operator.go).

import type { BinaryOperator, MapEntry, Node, UnaryOperator } from './ast.js';
import { type Builtin, lookupBuiltin } from './builtins.js';
import { ConditionSyntaxError } from './errors.js';
import { type OperatorText, type Punctuation, type Token, tokenize } from './tokenizer.js';

interface BinaryInfo {
  readonly precedence: number;
  readonly rightAssociative?: boolean;
  readonly operator: BinaryOperator | 'pipe';
}

const BINARY: Partial<Record<OperatorText, BinaryInfo>> = {
  '|': { precedence: 0, operator: 'pipe' },
  or: { precedence: 10, operator: 'or' },
  '||': { precedence: 10, operator: 'or' },
  and: { precedence: 15, operator: 'and' },
  '&&': { precedence: 15, operator: 'and' },
  '==': { precedence: 20, operator: '==' },
  '!=': { precedence: 20, operator: '!=' },
  '<': { precedence: 20, operator: '<' },
  '>': { precedence: 20, operator: '>' },
  '<=': { precedence: 20, operator: '<=' },
  '>=': { precedence: 20, operator: '>=' },
  in: { precedence: 20, operator: 'in' },
  matches: { precedence: 20, operator: 'matches' },
  contains: { precedence: 20, operator: 'contains' },
  startsWith: { precedence: 20, operator: 'startsWith' },
  endsWith: { precedence: 20, operator: 'endsWith' },
  '..': { precedence: 25, operator: '..' },
  '+': { precedence: 30, operator: '+' },
  '-': { precedence: 30, operator: '-' },
  '*': { precedence: 60, operator: '*' },
  '/': { precedence: 60, operator: '/' },
  '%': { precedence: 60, operator: '%' },
  '**': { precedence: 100, rightAssociative: true, operator: '**' },
  '^': { precedence: 100, rightAssociative: true, operator: '**' },
  '??': { precedence: 500, operator: '??' },
};

const UNARY: Partial<Record<OperatorText, { precedence: number; operator: UnaryOperator }>> = {
  not: { precedence: 50, operator: 'not' },
  '!': { precedence: 50, operator: 'not' },
  '-': { precedence: 90, operator: '-' },
  '+': { precedence: 90, operator: '+' },
};

/** Operators that may follow `not`: `x not in list` is `not (x in list)`. */
const NEGATABLE: ReadonlySet<OperatorText> = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);

/** How deeply the parser may recurse (parentheses, unary operators, arguments). */
const MAX_DEPTH = 100;

/**
 * How deep the syntax tree may be. Chains the parser builds in a loop (`a && b && c ...`,
 * `a.b.c...`, `x | f() | g()`) nest one level per link, and the checker and interpreter recurse
 * once per level: 200 levels keep them far from the stack limit (each level is a handful of
 * frames) while leaving room for any realistic condition.
 */
export const MAX_TREE_DEPTH = 200;

/** Longest condition accepted: compiled trees are cached, so their size is bounded too. */
export const MAX_EXPRESSION_LENGTH = 64 * 1024;

export function parse(source: string): Node {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ConditionSyntaxError(
      source,
      `expression is longer than ${MAX_EXPRESSION_LENGTH} characters`,
      MAX_EXPRESSION_LENGTH,
    );
  }
  const root = new Parser(source, tokenize(source)).parseAll();
  checkTreeDepth(root, source);
  return root;
}

/** Refuses trees deeper than MAX_TREE_DEPTH; walks with an explicit stack, so it cannot overflow itself. */
function checkTreeDepth(root: Node, source: string): void {
  const stack: [Node, number][] = [[root, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if (depth > MAX_TREE_DEPTH) {
      throw new ConditionSyntaxError(
        source,
        `expression is nested too deeply: more than ${MAX_TREE_DEPTH} levels (every operator, member access and call in a chain adds one)`,
        node.offset,
      );
    }
    for (const child of childrenOf(node)) stack.push([child, depth + 1]);
  }
}

function childrenOf(node: Node): readonly Node[] {
  switch (node.kind) {
    case 'array':
      return node.elements;
    case 'map':
      return node.entries.map((entry) => entry.value);
    case 'member':
      return [node.object, node.property];
    case 'slice':
      return [node.object, ...(node.from ? [node.from] : []), ...(node.to ? [node.to] : [])];
    case 'chain':
      return [node.node];
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'conditional':
      return [node.test, node.consequent, node.alternate];
    case 'call':
      return node.args;
    case 'predicate':
      return [node.body];
    default:
      return [];
  }
}

class Parser {
  private pos = 0;
  private depth = 0;
  private predicateDepth = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
  ) {}

  parseAll(): Node {
    const node = this.expression(0);
    if (this.current.kind !== 'eof') this.unexpected();
    return node;
  }

  // ---- token helpers ----

  private get current(): Token {
    return this.tokens[this.pos] ?? { kind: 'eof', offset: this.source.length };
  }

  private peekToken(ahead: number): Token {
    return this.tokens[this.pos + ahead] ?? { kind: 'eof', offset: this.source.length };
  }

  private fail(reason: string, offset = this.current.offset): never {
    throw new ConditionSyntaxError(this.source, reason, offset);
  }

  private unexpected(): never {
    const token = this.current;
    return this.fail(token.kind === 'eof' ? 'unexpected end of expression' : `unexpected ${describe(token)}`);
  }

  private isPunctuation(value: Punctuation, token = this.current): boolean {
    return token.kind === 'punctuation' && token.value === value;
  }

  private isOperator(value: OperatorText, token = this.current): boolean {
    return token.kind === 'operator' && token.value === value;
  }

  private expect(value: Punctuation): void {
    if (!this.isPunctuation(value)) {
      const token = this.current;
      this.fail(
        `expected '${value}' but found ${token.kind === 'eof' ? 'end of expression' : describe(token)}`,
      );
    }
    this.pos++;
  }

  // ---- expressions ----

  private expression(minPrecedence: number): Node {
    if (++this.depth > MAX_DEPTH) this.fail('expression is nested too deeply');
    let left = this.unary();
    for (;;) {
      const found = this.binaryOperator();
      if (!found || found.info.precedence < minPrecedence) break;
      this.pos += found.width;
      const { info, offset } = found;
      if (info.operator === 'pipe') {
        left = this.pipe(left);
        continue;
      }
      const right = this.expression(info.rightAssociative ? info.precedence : info.precedence + 1);
      const binary: Node = { kind: 'binary', operator: info.operator, left, right, offset };
      left = found.negated ? { kind: 'unary', operator: 'not', operand: binary, offset } : binary;
    }
    if (minPrecedence === 0) left = this.conditional(left);
    this.depth--;
    return left;
  }

  private binaryOperator():
    | { info: BinaryInfo; width: number; negated: boolean; offset: number }
    | undefined {
    const token = this.current;
    if (token.kind !== 'operator') return undefined;
    if (token.value === 'not') {
      const next = this.peekToken(1);
      if (next.kind !== 'operator' || !NEGATABLE.has(next.value)) return undefined;
      const info = BINARY[next.value];
      return info && { info, width: 2, negated: true, offset: token.offset };
    }
    const info = BINARY[token.value];
    return info && { info, width: 1, negated: false, offset: token.offset };
  }

  private conditional(test: Node): Node {
    if (!this.isOperator('?')) return test;
    const offset = this.current.offset;
    this.pos++;
    const consequent = this.expression(0);
    this.expect(':');
    const alternate = this.expression(0);
    return { kind: 'conditional', test, consequent, alternate, offset };
  }

  private unary(): Node {
    const token = this.current;
    const info = token.kind === 'operator' ? UNARY[token.value] : undefined;
    if (!info) return this.postfix(this.primary());
    this.pos++;
    const operand = this.expression(info.precedence);
    return { kind: 'unary', operator: info.operator, operand, offset: token.offset };
  }

  private primary(): Node {
    const token = this.current;
    const offset = token.offset;
    switch (token.kind) {
      case 'int':
        this.pos++;
        return { kind: 'int', value: token.value, offset };
      case 'float':
        this.pos++;
        return { kind: 'float', value: token.value, offset };
      case 'string':
        this.pos++;
        return { kind: 'string', value: token.value, offset };
      case 'pointer':
        return this.pointer(token.name, offset);
      case 'identifier':
        return this.identifier(token.name, offset);
      case 'punctuation':
        if (token.value === '(') {
          this.pos++;
          const inner = this.expression(0);
          this.expect(')');
          return inner;
        }
        if (token.value === '[') return this.arrayLiteral();
        if (token.value === '{') return this.mapLiteral();
        return this.unexpected();
      case 'operator':
        // `.field` inside a predicate is `#.field`.
        if (token.value === '.' && this.predicateDepth > 0) {
          this.pos++;
          const element: Node = { kind: 'pointer', name: 'element', offset };
          return this.property(element, false, offset);
        }
        return this.unexpected();
      case 'eof':
        return this.unexpected();
    }
  }

  private pointer(name: string, offset: number): Node {
    if (this.predicateDepth === 0) this.fail(`'#${name}' can only be used inside a predicate`);
    this.pos++;
    if (name === '') return { kind: 'pointer', name: 'element', offset };
    if (name === 'index') return { kind: 'pointer', name: 'index', offset };
    return this.fail(`'#${name}' is not supported`, offset);
  }

  private identifier(name: string, offset: number): Node {
    this.pos++;
    switch (name) {
      case 'true':
        return { kind: 'bool', value: true, offset };
      case 'false':
        return { kind: 'bool', value: false, offset };
      case 'nil':
        return { kind: 'nil', offset };
    }
    if (this.isPunctuation('(')) return this.call(name, offset, undefined);
    return { kind: 'identifier', name, offset };
  }

  private postfix(base: Node): Node {
    let node = base;
    let optionalChain = false;
    for (;;) {
      const token = this.current;
      if (this.isOperator('.') || this.isOperator('?.')) {
        const optional = this.isOperator('?.');
        optionalChain ||= optional;
        this.pos++;
        node =
          optional && this.isPunctuation('[')
            ? this.index(node, true)
            : this.property(node, optional, token.offset);
      } else if (this.isPunctuation('[')) {
        node = this.index(node, false);
      } else {
        break;
      }
    }
    return optionalChain ? { kind: 'chain', node, offset: node.offset } : node;
  }

  private property(object: Node, optional: boolean, offset: number): Node {
    const token = this.current;
    let name: string;
    if (token.kind === 'identifier') name = token.name;
    else if (token.kind === 'operator' && /^[a-zA-Z]+$/.test(token.value)) name = token.value;
    else return this.fail(`expected a property name after '${optional ? '?.' : '.'}'`);
    this.pos++;
    if (this.isPunctuation('('))
      this.fail(`cannot call method '${name}': conditions have no methods`, token.offset);
    const property: Node = { kind: 'string', value: name, offset: token.offset };
    return { kind: 'member', object, property, computed: false, optional, offset };
  }

  /** After `[` (or `?.[`): `a[i]`, `a[i:j]`, `a[:j]`, `a[i:]`, `a[:]`. */
  private index(object: Node, optional: boolean): Node {
    const offset = this.current.offset;
    this.expect('[');
    const from = this.isPunctuation(':') ? undefined : this.expression(0);
    if (from && !this.isPunctuation(':')) {
      this.expect(']');
      return { kind: 'member', object, property: from, computed: true, optional, offset };
    }
    this.expect(':');
    const to = this.isPunctuation(']') ? undefined : this.expression(0);
    this.expect(']');
    return { kind: 'slice', object, from, to, optional, offset };
  }

  private call(name: string, offset: number, piped: Node | undefined): Node {
    const builtin = lookupBuiltin(name);
    if (!builtin) return this.fail(`unknown function '${name}'`, offset);
    this.expect('(');
    const args: Node[] = piped ? [piped] : [];
    while (!this.isPunctuation(')')) {
      args.push(this.argument(builtin, args.length));
      if (!this.isPunctuation(',')) break;
      this.pos++;
    }
    this.expect(')');
    if (args.length < builtin.minArgs) this.fail(`not enough arguments to call ${name}`, offset);
    if (args.length > builtin.maxArgs) this.fail(`too many arguments to call ${name}`, offset);
    return { kind: 'call', builtin, args, offset };
  }

  private argument(builtin: Builtin, position: number): Node {
    if (builtin.predicateArg !== position) return this.expression(0);
    const offset = this.current.offset;
    this.predicateDepth++;
    let body: Node;
    if (this.isPunctuation('{')) {
      this.pos++;
      body = this.expression(0);
      this.expect('}');
    } else {
      body = this.expression(0);
    }
    this.predicateDepth--;
    return { kind: 'predicate', body, offset };
  }

  /** `x | f(a)` is `f(x, a)`. */
  private pipe(left: Node): Node {
    const token = this.current;
    if (token.kind !== 'identifier' || !this.isPunctuation('(', this.peekToken(1))) {
      return this.fail("expected a function call after '|'");
    }
    this.pos++;
    return this.call(token.name, token.offset, left);
  }

  private arrayLiteral(): Node {
    const offset = this.current.offset;
    this.expect('[');
    const elements: Node[] = [];
    while (!this.isPunctuation(']')) {
      elements.push(this.expression(0));
      if (!this.isPunctuation(',')) break;
      this.pos++;
    }
    this.expect(']');
    return { kind: 'array', elements, offset };
  }

  private mapLiteral(): Node {
    const offset = this.current.offset;
    this.expect('{');
    const entries: MapEntry[] = [];
    while (!this.isPunctuation('}')) {
      const token = this.current;
      let key: string;
      if (token.kind === 'identifier') key = token.name;
      else if (token.kind === 'string') key = token.value;
      else if (token.kind === 'operator' && /^[a-zA-Z]+$/.test(token.value)) key = token.value;
      else return this.fail(`map keys must be names or strings, found ${describe(token)}`);
      this.pos++;
      this.expect(':');
      entries.push({ key, value: this.expression(0) });
      if (!this.isPunctuation(',')) break;
      this.pos++;
    }
    this.expect('}');
    return { kind: 'map', entries, offset };
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'int':
    case 'float':
      return `number ${String(token.value)}`;
    case 'string':
      return `string ${JSON.stringify(token.value)}`;
    case 'identifier':
      return `'${token.name}'`;
    case 'pointer':
      return `'#${token.name}'`;
    case 'operator':
    case 'punctuation':
      return `'${token.value}'`;
    case 'eof':
      return 'end of expression';
  }
}
