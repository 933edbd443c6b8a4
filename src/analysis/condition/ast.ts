// The syntax tree of a condition. `offset` is where the node's token starts in the expression
// (for binary operators: the operator), which is where errors about the node point.

import type { Builtin } from './builtins.js';

/** `!` is stored as `not`. */
export type UnaryOperator = 'not' | '-' | '+';

/** `&&` and `||` are stored as `and` and `or`, `^` as `**`. */
export type BinaryOperator =
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'and'
  | 'or'
  | 'in'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'matches'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '**'
  | '??'
  | '..';

export type Node =
  | { readonly kind: 'nil'; readonly offset: number }
  | { readonly kind: 'bool'; readonly value: boolean; readonly offset: number }
  | { readonly kind: 'int'; readonly value: bigint; readonly offset: number }
  | { readonly kind: 'float'; readonly value: number; readonly offset: number }
  | { readonly kind: 'string'; readonly value: string; readonly offset: number }
  | { readonly kind: 'array'; readonly elements: readonly Node[]; readonly offset: number }
  | { readonly kind: 'map'; readonly entries: readonly MapEntry[]; readonly offset: number }
  /** A variable of the environment, such as `result`. */
  | { readonly kind: 'identifier'; readonly name: string; readonly offset: number }
  /** `#` (the current element of a predicate) or `#index`. */
  | { readonly kind: 'pointer'; readonly name: 'element' | 'index'; readonly offset: number }
  /** `a.b` and `a?.b` (computed false), `a[x]` and `a?.[x]` (computed true). */
  | {
      readonly kind: 'member';
      readonly object: Node;
      readonly property: Node;
      readonly computed: boolean;
      readonly optional: boolean;
      readonly offset: number;
    }
  | {
      readonly kind: 'slice';
      readonly object: Node;
      readonly from: Node | undefined;
      readonly to: Node | undefined;
      readonly optional: boolean;
      readonly offset: number;
    }
  /** Wraps a run of member accesses containing `?.`; a nil before `?.` makes the whole run nil. */
  | { readonly kind: 'chain'; readonly node: Node; readonly offset: number }
  | {
      readonly kind: 'unary';
      readonly operator: UnaryOperator;
      readonly operand: Node;
      readonly offset: number;
    }
  | {
      readonly kind: 'binary';
      readonly operator: BinaryOperator;
      readonly left: Node;
      readonly right: Node;
      readonly offset: number;
    }
  | {
      readonly kind: 'conditional';
      readonly test: Node;
      readonly consequent: Node;
      readonly alternate: Node;
      readonly offset: number;
    }
  | {
      readonly kind: 'call';
      readonly builtin: Builtin;
      readonly args: readonly Node[];
      readonly offset: number;
    }
  /** `{# > 0}` or `# > 0` as an argument of all/any/filter/...; evaluated once per element. */
  | { readonly kind: 'predicate'; readonly body: Node; readonly offset: number };

export interface MapEntry {
  readonly key: string;
  readonly value: Node;
}

export type NodeKind = Node['kind'];
export type NodeOf<K extends NodeKind> = Extract<Node, { kind: K }>;
