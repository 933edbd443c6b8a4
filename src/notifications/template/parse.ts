// Parses Go text/template source (the syntax Argo's notification templates are written in)
// into a tree. Hand-written: the npm Go-template ports we found cover only fields and
// if/range (no pipelines, variables or function calls), which Argo's catalog templates need.
// Follows text/template/parse: actions in {{ }}, trim markers {{- -}}, comments, pipelines,
// variables, if/else if/range/with/define/template/block/break/continue.

export class TemplateError extends Error {}

export type Arg =
  | { kind: 'dot' }
  | { kind: 'field'; receiver?: Arg; names: string[] }
  | { kind: 'variable'; name: string; names: string[] }
  | { kind: 'function'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'pipe'; pipe: Pipeline };

export interface Command {
  args: Arg[];
}

export interface Pipeline {
  decls: string[];
  /** `$x = ...` assigns an existing variable; `$x := ...` declares one. */
  isAssign: boolean;
  cmds: Command[];
  line: number;
}

export interface ControlNode {
  kind: 'if' | 'with' | 'range';
  pipe: Pipeline;
  list: TemplateNode[];
  elseList?: TemplateNode[];
}

export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | ControlNode
  | { kind: 'template'; name: string; pipe?: Pipeline; line: number }
  | { kind: 'break' | 'continue'; line: number };

export interface ParsedTemplate {
  name: string;
  root: TemplateNode[];
  /** {{define}} and {{block}} bodies by name. */
  defines: Map<string, TemplateNode[]>;
}

type Token =
  | { t: 'text'; value: string }
  | { t: 'open'; line: number }
  | { t: 'close' }
  | { t: 'word'; value: string } // identifiers and keywords
  | { t: 'field'; value: string } // .name (value without the dot)
  | { t: 'dot' }
  | { t: 'var'; value: string } // $ or $name
  | { t: 'string'; value: string }
  | { t: 'number'; text: string }
  | { t: 'char'; value: string }
  | { t: 'punct'; value: '(' | ')' | '|' | ':=' | '=' | ',' }
  | { t: 'space' }
  | { t: 'eof' };

const MAX_SOURCE = 256 * 1024;

function lex(name: string, src: string): Token[] {
  if (src.length > MAX_SOURCE)
    throw new TemplateError(`template: ${name}: source is longer than ${MAX_SOURCE} bytes`);
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new TemplateError(`template: ${name}:${line}: ${msg}`);
  };
  let trimNextText = false;
  while (i < src.length) {
    let open = src.indexOf('{{', i);
    if (open < 0) open = src.length;
    let text = src.slice(i, open);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    trimNextText = false;
    const trimLeft =
      src.startsWith('{{- ', open) || src.startsWith('{{-\t', open) || src.startsWith('{{-\n', open);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    line += countLines(src.slice(i, open));
    if (text) tokens.push({ t: 'text', value: text });
    if (open >= src.length) break;
    i = open + 2 + (trimLeft ? 2 : 0);
    tokens.push({ t: 'open', line });
    // Comment: the whole action is /* ... */.
    const afterSpace = i;
    if (src.startsWith('/*', afterSpace)) {
      const end = src.indexOf('*/', afterSpace + 2);
      if (end < 0) fail('unclosed comment');
      line += countLines(src.slice(i, end));
      i = end + 2;
      const close = closingAt(src, i);
      if (!close) fail('comment ends before closing delimiter');
      else {
        trimNextText = close.trim;
        i += close.length;
      }
      tokens.pop(); // a comment produces nothing
      continue;
    }
    // Inside an action.
    for (;;) {
      if (i >= src.length) fail('unclosed action');
      const close = closingAt(src, i);
      if (close) {
        trimNextText = close.trim;
        i += close.length;
        tokens.push({ t: 'close' });
        break;
      }
      const c = src.charAt(i);
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        if (c === '\n') line++;
        i++;
        if (tokens.at(-1)?.t !== 'space') tokens.push({ t: 'space' });
        continue;
      }
      if (c === '"') {
        let j = i + 1;
        while (j < src.length && src.charAt(j) !== '"') {
          if (src.charAt(j) === '\\') j++;
          if (src.charAt(j) === '\n') fail('unterminated quoted string');
          j++;
        }
        if (j >= src.length) fail('unterminated quoted string');
        tokens.push({ t: 'string', value: unquote(src.slice(i, j + 1), fail) });
        i = j + 1;
        continue;
      }
      if (c === '`') {
        const j = src.indexOf('`', i + 1);
        if (j < 0) fail('unterminated raw quoted string');
        const raw = src.slice(i + 1, j);
        line += countLines(raw);
        tokens.push({ t: 'string', value: raw });
        i = j + 1;
        continue;
      }
      if (c === "'") {
        const m = /^'(\\.|[^\\'])'/.exec(src.slice(i, i + 8));
        if (!m) fail('malformed character constant');
        else {
          tokens.push({ t: 'char', value: unquote(`"${m[1]}"`, fail) });
          i += m[0].length;
        }
        continue;
      }
      if (c === '(' || c === ')' || c === '|' || c === ',') {
        tokens.push({ t: 'punct', value: c });
        i++;
        continue;
      }
      if (c === ':' && src.charAt(i + 1) === '=') {
        tokens.push({ t: 'punct', value: ':=' });
        i += 2;
        continue;
      }
      if (c === '=') {
        tokens.push({ t: 'punct', value: '=' });
        i++;
        continue;
      }
      if (c === '$') {
        const m = /^\$[A-Za-z0-9_]*/.exec(src.slice(i, i + 256));
        tokens.push({ t: 'var', value: m?.[0] ?? '$' });
        i += m?.[0].length ?? 1;
        continue;
      }
      if (c === '.') {
        const m = /^\.[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 256));
        if (m) {
          tokens.push({ t: 'field', value: m[0].slice(1) });
          i += m[0].length;
          continue;
        }
        if (!/[0-9]/.test(src.charAt(i + 1))) {
          tokens.push({ t: 'dot' });
          i++;
          continue;
        }
      }
      const num =
        /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)/.exec(
          src.slice(i, i + 64),
        );
      if (num && /[0-9]/.test(c + src.charAt(i + 1))) {
        tokens.push({ t: 'number', text: num[0] });
        i += num[0].length;
        continue;
      }
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 256));
      if (word) {
        tokens.push({ t: 'word', value: word[0] });
        i += word[0].length;
        continue;
      }
      fail(`unexpected ${JSON.stringify(c)} in command`);
    }
  }
  tokens.push({ t: 'eof' });
  return tokens;
}

function closingAt(src: string, i: number): { length: number; trim: boolean } | undefined {
  if (src.startsWith('}}', i)) return { length: 2, trim: false };
  if (/^[ \t\r\n]-}}/.test(src.slice(i, i + 4))) return { length: 4, trim: true };
  return undefined;
}

function countLines(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === '\n') n++;
  return n;
}

function unquote(quoted: string, fail: (msg: string) => never): string {
  try {
    // Go's escapes are a superset of JSON's for what templates use (\n \t \" \\ \u); \x and \' are mapped.
    const json = quoted
      .replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')
      .replace(/\\'/g, "'")
      .replace(/\\a/g, '\\u0007')
      .replace(/\\v/g, '\\u000b');
    return JSON.parse(json) as string;
  } catch {
    return fail(`invalid syntax in string ${quoted}`);
  }
}

function parseNumber(text: string, fail: (msg: string) => never): Arg {
  const clean = text.replace(/_/g, '');
  if (/^[+-]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|\d+)$/.test(clean)) {
    const negative = clean.startsWith('-');
    const body = clean.replace(/^[+-]/, '');
    const value = BigInt(/^0\d/.test(body) ? `0o${body.slice(1)}` : body);
    return { kind: 'int', value: negative ? -value : value };
  }
  const value = Number(clean);
  if (Number.isNaN(value)) fail(`illegal number syntax: ${JSON.stringify(text)}`);
  return { kind: 'float', value };
}

const KEYWORDS = new Set([
  'if',
  'else',
  'end',
  'range',
  'with',
  'define',
  'template',
  'block',
  'break',
  'continue',
]);

/** Parses `source`; `isFunction` says which identifiers are functions (Go fails at parse time otherwise). */
export function parseTemplate(
  name: string,
  source: string,
  isFunction: (name: string) => boolean,
): ParsedTemplate {
  const tokens = lex(name, source);
  let pos = 0;
  let line = 1;
  let rangeDepth = 0;
  const defines = new Map<string, TemplateNode[]>();
  const fail = (msg: string): never => {
    throw new TemplateError(`template: ${name}:${line}: ${msg}`);
  };
  const peek = (): Token => tokens[pos] ?? { t: 'eof' };
  const next = (): Token => tokens[pos++] ?? { t: 'eof' };
  const skipSpace = () => {
    while (peek().t === 'space') pos++;
  };
  const nextNonSpace = (): Token => {
    skipSpace();
    return next();
  };
  const peekNonSpace = (): Token => {
    skipSpace();
    return peek();
  };
  const expectClose = (context: string) => {
    const t = nextNonSpace();
    if (t.t !== 'close') fail(`unexpected ${describe(t)} in ${context}`);
  };

  // Returns the node list and what ended it ('end', 'else' or eof).
  type Ending = { kind: 'eof' } | { kind: 'end' } | { kind: 'else'; chainIf: boolean; chainWith: boolean };
  const parseList = (): { list: TemplateNode[]; ending: Ending } => {
    const list: TemplateNode[] = [];
    for (;;) {
      const t = next();
      if (t.t === 'eof') return { list, ending: { kind: 'eof' } };
      if (t.t === 'text') {
        list.push({ kind: 'text', text: t.value });
        continue;
      }
      if (t.t !== 'open') fail(`unexpected ${describe(t)}`);
      else line = t.line;
      const head = peekNonSpace();
      if (head.t === 'word' && KEYWORDS.has(head.value)) {
        pos++;
        switch (head.value) {
          case 'end':
            expectClose('end');
            return { list, ending: { kind: 'end' } };
          case 'else': {
            const after = peekNonSpace();
            if (after.t === 'word' && (after.value === 'if' || after.value === 'with')) {
              // `{{else if x}}` is `{{else}}{{if x}}...{{end}}` sharing the outer end.
              return {
                list,
                ending: { kind: 'else', chainIf: after.value === 'if', chainWith: after.value === 'with' },
              };
            }
            expectClose('else');
            return { list, ending: { kind: 'else', chainIf: false, chainWith: false } };
          }
          case 'if':
          case 'with':
          case 'range':
            list.push(parseControl(head.value));
            continue;
          case 'template': {
            const nameTok = nextNonSpace();
            if (nameTok.t !== 'string') fail('template name must be a string');
            const templateName = (nameTok as { value: string }).value;
            if (peekNonSpace().t === 'close') {
              pos++;
              list.push({ kind: 'template', name: templateName, line });
            } else {
              list.push({
                kind: 'template',
                name: templateName,
                pipe: parsePipeline('template', false),
                line,
              });
            }
            continue;
          }
          case 'define':
          case 'block': {
            const nameTok = nextNonSpace();
            if (nameTok.t !== 'string') fail(`${head.value} name must be a string`);
            const defName = (nameTok as { value: string }).value;
            let pipe: Pipeline | undefined;
            if (head.value === 'block') pipe = parsePipeline('block', false);
            else expectClose('define');
            const body = parseList();
            if (body.ending.kind !== 'end') fail(`unexpected ${body.ending.kind} in ${head.value}`);
            defines.set(defName, body.list);
            if (head.value === 'block')
              list.push({ kind: 'template', name: defName, ...(pipe ? { pipe } : {}), line });
            continue;
          }
          case 'break':
          case 'continue':
            if (rangeDepth === 0) fail(`{{${head.value}}} outside {{range}}`);
            expectClose(head.value);
            list.push({ kind: head.value, line });
            continue;
        }
      }
      list.push({ kind: 'action', pipe: parsePipeline('command', true) });
    }
  };

  const parseControl = (kind: 'if' | 'with' | 'range'): TemplateNode => {
    const pipe = parsePipeline(kind, true, kind === 'range');
    if (kind === 'range') rangeDepth++;
    const body = parseList();
    if (kind === 'range') rangeDepth--;
    if (body.ending.kind === 'eof') fail(`unexpected EOF in ${kind}`);
    const node: TemplateNode = { kind, pipe, list: body.list };
    if (body.ending.kind === 'else') {
      if (body.ending.chainIf || body.ending.chainWith) {
        // Consume the `if`/`with` keyword of `else if`; the chained control owns the final end.
        nextNonSpace();
        node.elseList = [parseControl(body.ending.chainIf ? 'if' : 'with')];
      } else {
        const elseBody = parseList();
        if (elseBody.ending.kind !== 'end') fail(`expected end; found ${elseBody.ending.kind}`);
        node.elseList = elseBody.list;
      }
    }
    return node;
  };

  const parsePipeline = (context: string, allowDecl: boolean, allowTwoVars = false): Pipeline => {
    const pipe: Pipeline = { decls: [], isAssign: false, cmds: [], line };
    if (allowDecl) {
      const save = pos;
      const v = peekNonSpace();
      if (v.t === 'var') {
        pos++;
        const after = peekNonSpace();
        if (after.t === 'punct' && (after.value === ':=' || after.value === '=')) {
          pos++;
          pipe.decls.push(v.value);
          pipe.isAssign = after.value === '=';
        } else if (after.t === 'punct' && after.value === ',' && allowTwoVars) {
          pos++;
          const v2 = nextNonSpace();
          if (v2.t !== 'var') fail('range can only initialize variables');
          const op = nextNonSpace();
          if (op.t !== 'punct' || (op.value !== ':=' && op.value !== '=')) fail('expected := in range');
          pipe.decls.push(v.value, (v2 as { value: string }).value);
          pipe.isAssign = (op as { value: string }).value === '=';
        } else {
          pos = save;
        }
      }
    }
    for (;;) {
      const t = peekNonSpace();
      if (t.t === 'close' || (t.t === 'punct' && t.value === ')')) {
        if (pipe.cmds.length === 0) fail(`missing value for ${context}`);
        if (t.t === 'close') pos++;
        return pipe;
      }
      pipe.cmds.push(parseCommand());
      const sep = peekNonSpace();
      if (sep.t === 'punct' && sep.value === '|') {
        pos++;
        continue;
      }
      if (sep.t === 'close' || (sep.t === 'punct' && sep.value === ')')) continue;
      fail(`unexpected ${describe(sep)} in operand`);
    }
  };

  const parseCommand = (): Command => {
    const args: Arg[] = [];
    for (;;) {
      const t = peekNonSpace();
      if (t.t === 'close' || (t.t === 'punct' && (t.value === ')' || t.value === '|'))) break;
      args.push(parseOperand());
      const after = peek();
      if (
        after.t !== 'space' &&
        after.t !== 'close' &&
        !(after.t === 'punct' && (after.value === ')' || after.value === '|'))
      )
        fail(`unexpected ${describe(after)} in operand`);
    }
    if (args.length === 0) fail('empty command');
    return { args };
  };

  const parseOperand = (): Arg => {
    const t = next();
    let arg: Arg;
    switch (t.t) {
      case 'dot':
        arg = { kind: 'dot' };
        break;
      case 'field':
        arg = { kind: 'field', names: [t.value] };
        break;
      case 'var':
        arg = { kind: 'variable', name: t.value, names: [] };
        break;
      case 'string':
        arg = { kind: 'string', value: t.value };
        break;
      case 'char':
        arg = { kind: 'int', value: BigInt(t.value.codePointAt(0) ?? 0) };
        break;
      case 'number':
        arg = parseNumber(t.text, fail);
        break;
      case 'word':
        if (t.value === 'true' || t.value === 'false') arg = { kind: 'bool', value: t.value === 'true' };
        else if (t.value === 'nil') arg = { kind: 'nil' };
        else if (KEYWORDS.has(t.value)) return fail(`unexpected <${t.value}> in command`);
        else if (!isFunction(t.value)) return fail(`function "${t.value}" not defined`);
        else arg = { kind: 'function', name: t.value };
        break;
      case 'punct':
        if (t.value === '(') {
          const pipe = parsePipeline('parenthesized pipeline', false);
          const close = next();
          if (close.t !== 'punct' || close.value !== ')') fail('unclosed left paren');
          arg = { kind: 'pipe', pipe };
          break;
        }
        return fail(`unexpected ${describe(t)} in operand`);
      default:
        return fail(`unexpected ${describe(t)} in operand`);
    }
    // Field chains after an operand: $x.a.b, (pipe).a, .a.b
    while (peek().t === 'field') {
      const f = next() as { value: string };
      if (arg.kind === 'field' || arg.kind === 'variable') arg.names.push(f.value);
      else if (arg.kind === 'dot') arg = { kind: 'field', names: [f.value] };
      else arg = { kind: 'field', receiver: arg, names: [f.value] };
    }
    return arg;
  };

  const body = parseList();
  if (body.ending.kind !== 'eof') fail(`unexpected {{${body.ending.kind}}}`);
  return { name, root: body.list, defines };
}

function describe(t: Token): string {
  switch (t.t) {
    case 'word':
      return `<${t.value}>`;
    case 'punct':
      return `"${t.value}"`;
    case 'close':
      return '"}}"';
    case 'eof':
      return 'EOF';
    default:
      return t.t;
  }
}
