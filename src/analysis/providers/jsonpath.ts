// The part of Kubernetes JSONPath (k8s.io/client-go/util/jsonpath) that Web metrics use, written
// by hand: the npm JSONPath libraries follow Goessner's `$.a.b` syntax and neither k8s's
// `{...}` template form nor its error messages. Supported inside one `{...}`: `$`, `.field`,
// `['field']`, `[n]` (negative counts from the end), `[*]`, `.*` and `..field`. Like k8s, a
// template without braces is plain text and evaluates to itself.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'recursive'; name: string };

export type CompiledJsonPath = { kind: 'text'; text: string } | { kind: 'path'; steps: Step[] };

export class JsonPathError extends Error {}

export function compileJsonPath(template: string): CompiledJsonPath {
  const trimmed = template.trim();
  if (!trimmed.includes('{')) return { kind: 'text', text: template };
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}') || trimmed.indexOf('{', 1) >= 0) {
    throw new JsonPathError(`unsupported jsonPath ${JSON.stringify(template)}: use one {...} expression`);
  }
  return { kind: 'path', steps: parseSteps(trimmed.slice(1, -1).trim(), template) };
}

function parseSteps(expression: string, template: string): Step[] {
  const steps: Step[] = [];
  let i = expression.startsWith('$') ? 1 : 0;
  const fail = (why: string): never => {
    throw new JsonPathError(`invalid jsonPath ${JSON.stringify(template)}: ${why} at character ${i}`);
  };
  const readName = (): string => {
    const start = i;
    while (i < expression.length && /[^.[\]\s]/.test(expression[i] as string)) i += 1;
    if (i === start) fail('expected a field name');
    return expression.slice(start, i);
  };
  while (i < expression.length) {
    const ch = expression[i];
    if (expression.startsWith('..', i)) {
      i += 2;
      steps.push({ kind: 'recursive', name: readName() });
    } else if (ch === '.') {
      i += 1;
      if (i >= expression.length) break; // `{.}` is the root
      if (expression[i] === '*') {
        i += 1;
        steps.push({ kind: 'wildcard' });
      } else {
        steps.push({ kind: 'field', name: readName() });
      }
    } else if (ch === '[') {
      const close = expression.indexOf(']', i);
      if (close < 0) fail('unclosed [');
      const inner = expression.slice(i + 1, close).trim();
      i = close + 1;
      const quoted = /^'(.*)'$|^"(.*)"$/.exec(inner);
      if (quoted) steps.push({ kind: 'field', name: quoted[1] ?? quoted[2] ?? '' });
      else if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else fail(`unsupported subscript [${inner}]`);
    } else {
      fail(`unexpected ${JSON.stringify(ch)}`);
    }
  }
  return steps;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function descend(value: unknown, name: string, out: unknown[]): void {
  if (isObject(value)) {
    if (Object.hasOwn(value, name)) out.push(value[name]);
    for (const child of Object.values(value)) descend(child, name, out);
  } else if (Array.isArray(value)) {
    for (const child of value) descend(child, name, out);
  }
}

/** Every value the path selects, in order; throws JsonPathError like k8s (`x is not found`). */
export function evaluateJsonPath(path: CompiledJsonPath, data: unknown): unknown[] {
  if (path.kind === 'text') return [path.text];
  let current: unknown[] = [data];
  for (const step of path.steps) {
    const next: unknown[] = [];
    for (const value of current) {
      switch (step.kind) {
        case 'field':
          if (isObject(value) && Object.hasOwn(value, step.name)) next.push(value[step.name]);
          else if (current.length === 1) throw new JsonPathError(`${step.name} is not found`);
          break;
        case 'index': {
          if (!Array.isArray(value)) throw new JsonPathError(`${step.index} is not an array index of a list`);
          const at = step.index < 0 ? value.length + step.index : step.index;
          if (at < 0 || at >= value.length) {
            throw new JsonPathError(`array index out of bounds: index ${step.index}, length ${value.length}`);
          }
          next.push(value[at]);
          break;
        }
        case 'wildcard':
          if (Array.isArray(value)) next.push(...value);
          else if (isObject(value)) next.push(...Object.values(value));
          break;
        case 'recursive':
          descend(value, step.name, next);
          break;
      }
    }
    current = next;
  }
  return current;
}
