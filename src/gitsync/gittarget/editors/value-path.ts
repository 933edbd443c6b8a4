// Paths to a value inside a YAML document:
//   spec.template.spec.containers[name=web].image    keys, `[key=value]` picks a list entry by field
//   spec.containers[0].image                          `[n]` picks a list entry by position
//   metadata.annotations["example.com/tag"]           quoted keys for keys holding dots or brackets
//   podAnnotations.prometheus\.io/scrape              Helm-style `\.` escapes also work

export type PathSegment =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'match'; readonly key: string; readonly value: string };

export type ValuePath = readonly PathSegment[];

export type ValuePathParse =
  | { readonly ok: true; readonly path: ValuePath }
  | { readonly ok: false; readonly reason: string };

export function parseValuePath(text: string): ValuePathParse {
  const segments: PathSegment[] = [];
  const fail = (why: string, at: number): ValuePathParse => ({
    ok: false,
    reason: `path "${text}" is malformed at character ${at + 1}: ${why}`,
  });
  let i = 0;
  let expectKey = true; // at the start or right after a dot
  while (i < text.length) {
    const c = text[i];
    if (c === '[') {
      if (expectKey && segments.length > 0) return fail('a "." must be followed by a key', i);
      const close = findClosingBracket(text, i + 1);
      if (close < 0) return fail('"[" without a matching "]"', i);
      const segment = parseBracket(text.slice(i + 1, close));
      if (typeof segment === 'string') return fail(segment, i);
      segments.push(segment);
      i = close + 1;
      expectKey = false;
    } else if (c === '.') {
      if (expectKey) return fail('empty key', i);
      expectKey = true;
      i += 1;
    } else {
      if (!expectKey) return fail('expected "." or "[" after a key or "]"', i);
      let key = '';
      while (i < text.length && text[i] !== '.' && text[i] !== '[') {
        if (text[i] === '\\' && i + 1 < text.length) i += 1;
        key += text[i];
        i += 1;
      }
      segments.push({ kind: 'key', key });
      expectKey = false;
    }
  }
  if (segments.length === 0) return { ok: false, reason: 'path is empty' };
  if (expectKey) return fail('path ends with "."', text.length - 1);
  return { ok: true, path: segments };
}

function findClosingBracket(text: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i += 1) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ']') return i;
  }
  return -1;
}

function parseBracket(inner: string): PathSegment | string {
  if (/^\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  if (inner.startsWith('"') || inner.startsWith("'")) {
    const key = unquote(inner);
    return key === undefined ? `bad quoted key ${inner}` : { kind: 'key', key };
  }
  const eq = inner.indexOf('=');
  if (eq <= 0) return `"[${inner}]" is neither an index, a quoted key nor a key=value selector`;
  const key = inner.slice(0, eq).trim();
  const raw = inner.slice(eq + 1).trim();
  const value = raw.startsWith('"') || raw.startsWith("'") ? unquote(raw) : raw;
  if (value === undefined) return `bad quoted value ${raw}`;
  return { kind: 'match', key, value };
}

function unquote(text: string): string | undefined {
  if (text.length < 2 || text.at(-1) !== text[0]) return undefined;
  if (text[0] === "'") return text.slice(1, -1).replaceAll("''", "'");
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

const SIMPLE_KEY = /^[^.[\]\\"']+$/;

export function formatValuePath(path: ValuePath): string {
  let out = '';
  for (const segment of path) {
    switch (segment.kind) {
      case 'key':
        out += SIMPLE_KEY.test(segment.key)
          ? `${out === '' ? '' : '.'}${segment.key}`
          : `[${JSON.stringify(segment.key)}]`;
        break;
      case 'index':
        out += `[${segment.index}]`;
        break;
      case 'match': {
        const value = /^[^\]"'\s][^\]]*$/.test(segment.value) ? segment.value : JSON.stringify(segment.value);
        out += `[${segment.key}=${value}]`;
        break;
      }
    }
  }
  return out;
}
