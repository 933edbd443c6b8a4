// Executes a parsed Go text/template over plain JSON data, with text/template's semantics
// for truthiness, variables, range, missing keys and printing. Bounded: output size, steps
// and template recursion depth, since templates come from users' ConfigMaps.

import {
  type Arg,
  type Command,
  type ControlNode,
  type ParsedTemplate,
  type Pipeline,
  TemplateError,
  type TemplateNode,
} from './parse.js';
import { formatValue, GoTime, isTruthy, NO_VALUE } from './values.js';

export type TemplateFunction = (...args: unknown[]) => unknown;

export interface ExecuteLimits {
  maxOutputBytes: number;
  maxSteps: number;
  maxDepth: number;
}

export const DEFAULT_LIMITS: ExecuteLimits = {
  maxOutputBytes: 1024 * 1024,
  maxSteps: 1_000_000,
  maxDepth: 100,
};

class BreakSignal {}
class ContinueSignal {}

interface State {
  tmpl: ParsedTemplate;
  funcs: ReadonlyMap<string, TemplateFunction>;
  vars: [string, unknown][];
  out: string[];
  size: number;
  steps: number;
  depth: number;
  limits: ExecuteLimits;
  current: string;
}

export function executeTemplate(
  tmpl: ParsedTemplate,
  data: unknown,
  funcs: ReadonlyMap<string, TemplateFunction>,
  limits: ExecuteLimits = DEFAULT_LIMITS,
): string {
  const state: State = {
    tmpl,
    funcs,
    vars: [['$', data]],
    out: [],
    size: 0,
    steps: 0,
    depth: 0,
    limits,
    current: '',
  };
  walkList(state, data, tmpl.root);
  return state.out.join('');
}

function fail(s: State, message: string): never {
  const at = s.current ? ` at <${s.current}>` : '';
  throw new TemplateError(`template: ${s.tmpl.name}: executing "${s.tmpl.name}"${at}: ${message}`);
}

function write(s: State, text: string): void {
  s.size += Buffer.byteLength(text);
  if (s.size > s.limits.maxOutputBytes) fail(s, `output is longer than ${s.limits.maxOutputBytes} bytes`);
  s.out.push(text);
}

function step(s: State): void {
  if (++s.steps > s.limits.maxSteps) fail(s, `stopped after ${s.limits.maxSteps} steps`);
}

function walkList(s: State, dot: unknown, list: TemplateNode[]): void {
  for (const node of list) walk(s, dot, node);
}

function walk(s: State, dot: unknown, node: TemplateNode): void {
  step(s);
  switch (node.kind) {
    case 'text':
      write(s, node.text);
      return;
    case 'action': {
      const value = evalPipeline(s, dot, node.pipe);
      if (node.pipe.decls.length === 0) write(s, printValue(value));
      return;
    }
    case 'if':
    case 'with': {
      const mark = s.vars.length;
      const value = evalPipeline(s, dot, node.pipe);
      if (isTruthy(value)) walkList(s, node.kind === 'with' ? value : dot, node.list);
      else if (node.elseList) walkList(s, dot, node.elseList);
      s.vars.length = mark;
      return;
    }
    case 'range':
      walkRange(s, dot, node);
      return;
    case 'template': {
      const body = s.tmpl.defines.get(node.name);
      if (!body) fail(s, `no such template "${node.name}"`);
      if (s.depth >= s.limits.maxDepth) fail(s, `exceeded maximum template depth (${s.limits.maxDepth})`);
      const value = node.pipe ? evalPipeline(s, dot, node.pipe) : undefined;
      const saved = s.vars;
      s.vars = [['$', value]];
      s.depth++;
      try {
        walkList(s, value, body);
      } finally {
        s.depth--;
        s.vars = saved;
      }
      return;
    }
    case 'break':
      throw new BreakSignal();
    case 'continue':
      throw new ContinueSignal();
  }
}

function walkRange(s: State, dot: unknown, node: ControlNode): void {
  const mark = s.vars.length;
  // The declared variables get the element (and key) on each pass, so evaluate without declaring.
  const value = evalPipeline(s, dot, { ...node.pipe, decls: [] });
  let entries: [unknown, unknown][] = [];
  if (Array.isArray(value)) entries = value.map((v, i) => [BigInt(i), v]);
  else if (typeof value === 'bigint') {
    if (value > BigInt(s.limits.maxSteps)) fail(s, `range over ${value} is too long`);
    for (let i = 0n; i < value; i++) entries.push([i, i]);
  } else if (value && typeof value === 'object' && !(value instanceof GoTime)) {
    entries = Object.keys(value)
      .sort()
      .map((k) => [k, (value as Record<string, unknown>)[k]]);
  } else if (value !== undefined && value !== null && value !== NO_VALUE) {
    fail(s, `range can't iterate over ${formatValue(value)}`);
  }
  if (entries.length === 0) {
    if (node.elseList) walkList(s, dot, node.elseList);
    s.vars.length = mark;
    return;
  }
  for (const [key, element] of entries) {
    s.vars.length = mark;
    const [first, second] = node.pipe.decls;
    if (first !== undefined) setOrDeclare(s, first, second === undefined ? element : key, node.pipe.isAssign);
    if (second !== undefined) setOrDeclare(s, second, element, node.pipe.isAssign);
    try {
      walkList(s, element, node.list);
    } catch (signal) {
      if (signal instanceof BreakSignal) break;
      if (!(signal instanceof ContinueSignal)) throw signal;
    }
  }
  s.vars.length = mark;
}

function setOrDeclare(s: State, name: string, value: unknown, isAssign: boolean): void {
  if (isAssign) {
    for (let i = s.vars.length - 1; i >= 0; i--) {
      const entry = s.vars[i];
      if (entry && entry[0] === name) {
        entry[1] = value;
        return;
      }
    }
    fail(s, `undefined variable: ${name}`);
  }
  s.vars.push([name, value]);
}

/** Action output: a nil or missing value prints as Go's `<no value>`. */
function printValue(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  return formatValue(v);
}

function evalPipeline(s: State, dot: unknown, pipe: Pipeline): unknown {
  let value: unknown = NO_VALUE;
  let hasValue = false;
  for (const cmd of pipe.cmds) {
    value = evalCommand(s, dot, cmd, hasValue ? { value } : undefined);
    hasValue = true;
  }
  for (const name of pipe.decls) setOrDeclare(s, name, value, pipe.isAssign);
  return value;
}

function describeArg(a: Arg): string {
  switch (a.kind) {
    case 'dot':
      return '.';
    case 'field':
      return `${a.receiver ? `(${describeArg(a.receiver)})` : ''}.${a.names.join('.')}`;
    case 'variable':
      return [a.name, ...a.names].join('.');
    case 'function':
      return a.name;
    case 'string':
      return JSON.stringify(a.value);
    case 'int':
      return a.value.toString();
    case 'float':
      return String(a.value);
    case 'bool':
      return String(a.value);
    case 'nil':
      return 'nil';
    case 'pipe':
      return '(...)';
  }
}

function evalCommand(s: State, dot: unknown, cmd: Command, piped?: { value: unknown }): unknown {
  step(s);
  const [first, ...rest] = cmd.args;
  if (!first) fail(s, 'empty command');
  s.current = cmd.args.map(describeArg).join(' ');
  if (first.kind === 'function') {
    const fn = s.funcs.get(first.name);
    if (!fn) fail(s, `function "${first.name}" not defined`);
    // and/or evaluate their arguments lazily, like Go 1.18+.
    if (first.name === 'and' || first.name === 'or') {
      const thunks = rest.map((a) => () => evalArg(s, dot, a));
      if (piped) thunks.push(() => piped.value);
      if (thunks.length === 0) fail(s, `wrong number of args for ${first.name}: want at least 1 got 0`);
      let v: unknown;
      for (const thunk of thunks) {
        v = thunk();
        if (first.name === 'and' ? !isTruthy(v) : isTruthy(v)) return v;
      }
      return v;
    }
    const args = rest.map((a) => evalArg(s, dot, a));
    if (piped) args.push(piped.value);
    const current = s.current;
    try {
      return fn(...args);
    } catch (error) {
      s.current = current;
      if (error instanceof TemplateError) throw error;
      fail(s, `error calling ${first.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (rest.length > 0 || piped) {
    if (first.kind === 'field' || first.kind === 'variable') {
      fail(s, `${describeArg(first)} is not a method but has arguments`);
    }
    fail(s, `can't give argument to non-function ${describeArg(first)}`);
  }
  return evalArg(s, dot, first);
}

function evalArg(s: State, dot: unknown, a: Arg): unknown {
  switch (a.kind) {
    case 'dot':
      return dot;
    case 'field':
      return fieldChain(s, a.receiver ? evalArg(s, dot, a.receiver) : dot, a.names);
    case 'variable': {
      const entry = [...s.vars].reverse().find(([n]) => n === a.name);
      if (!entry) fail(s, `undefined variable: ${a.name}`);
      return fieldChain(s, entry[1], a.names);
    }
    case 'function': {
      const fn = s.funcs.get(a.name);
      if (!fn) fail(s, `function "${a.name}" not defined`);
      return fn();
    }
    case 'string':
    case 'int':
    case 'float':
    case 'bool':
      return a.value;
    case 'nil':
      return null;
    case 'pipe': {
      const mark = s.vars.length;
      const v = evalPipeline(s, dot, a.pipe);
      s.vars.length = mark;
      return v;
    }
  }
}

function fieldChain(s: State, receiver: unknown, names: string[]): unknown {
  let v = receiver;
  for (const name of names) {
    if (v === NO_VALUE || v === undefined) return NO_VALUE;
    if (v === null) fail(s, `nil pointer evaluating interface {}.${name}`);
    if (typeof v === 'object' && !Array.isArray(v) && !(v instanceof GoTime)) {
      const o = v as Record<string, unknown>;
      v = Object.hasOwn(o, name) ? o[name] : NO_VALUE;
      continue;
    }
    fail(s, `can't evaluate field ${name} in type ${goTypeName(v)}`);
  }
  return v;
}

export function goTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof GoTime) return 'time.Time';
  if (v === null || v === undefined || v === NO_VALUE) return 'interface {}';
  return 'map[string]interface {}';
}
