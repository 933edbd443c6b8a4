// Go's regexp package for patterns users write (analysis conditions, dryRun and
// measurementRetention metric names, sprig's regex functions in notification templates, image
// allowTags). Argo runs them with Go's regexp, which is RE2: no backreferences or lookaround, and
// matching in time linear in the text. JavaScript's RegExp backtracks, so `(a|a)*$` against a
// few dozen characters would block the event loop for minutes; re2js (a port of RE2) gives the
// same syntax as Go and the same linear time. What re2js does differently from Go (replacement
// syntax, empty matches next to a match) is written here in Go's terms.

import { RE2JS, RE2JSException } from 're2js';

/**
 * Longest pattern accepted. RE2 matches in time linear in the text, but the factor is the size of
 * the compiled pattern, and compiling grows faster than linearly (a 5,000-character alternation
 * takes tens of milliseconds): 1,024 characters is far more than any of these patterns needs and
 * keeps the worst compile within a few milliseconds.
 */
export const MAX_PATTERN_LENGTH = 1024;

/** A pattern Go's regexp.Compile rejects (or one over the length cap). */
export class RegexpSyntaxError extends Error {
  /** The problem without Go's `error parsing regexp: ` prefix: "missing closing ): `(x`". */
  readonly reason: string;

  constructor(reason: string) {
    // The message is Go's error text, as regexp.Compile's error prints.
    super(`error parsing regexp: ${reason}`);
    this.name = 'RegexpSyntaxError';
    this.reason = reason;
  }
}

const cache = new Map<string, RE2JS>();
const CACHE_LIMIT = 256;

/**
 * Patterns that keep their DFA. re2js grows a pattern's DFA as it matches, up to 8 MB of states
 * (a pattern such as `(a|b)*a(a|b){20}c` over random text reaches it: 7-8 MB of heap each), and
 * a cached pattern keeps it: 256 of them could hold 2 GB. Only the most recently compiled few
 * keep theirs; an older one's is dropped and rebuilt on its next match, so the states held stay
 * within WARM_LIMIT × 8 MB.
 */
export const WARM_LIMIT = 8;
const warm = new Set<RE2JS>();

function touch(regex: RE2JS): RE2JS {
  warm.delete(regex);
  warm.add(regex);
  if (warm.size > WARM_LIMIT) {
    const coldest = warm.values().next().value;
    if (coldest) {
      warm.delete(coldest);
      releaseDfa(coldest);
    }
  }
  return regex;
}

/** Drops a pattern's DFA states: re2js keeps them in RE2's `lazyDFA`, rebuilt by its `dfa` getter when null. */
export function releaseDfa(regex: RE2JS): void {
  (regex.re2Input as unknown as { lazyDFA: unknown }).lazyDFA = null;
}

/**
 * Compiles a Go (RE2) pattern: the same syntax as Go's regexp (flags such as `(?i)`,
 * `(?P<name>...)`), so `^(a+)+$` cannot backtrack forever. Throws RegexpSyntaxError for a
 * pattern Go rejects, with Go's wording (re2js words its errors as Go does).
 */
export function compileGoRegexp(pattern: string): RE2JS {
  const cached = cache.get(pattern);
  if (cached) return touch(cached);
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new RegexpSyntaxError(`pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    throw new RegexpSyntaxError(error.message.replace(/^error parsing regexp: /, ''));
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, regex);
  return touch(regex);
}

/** Go's regexp.MatchString: whether the pattern matches anywhere in the text. */
export function goMatchString(pattern: string, text: string): boolean {
  return compileGoRegexp(pattern).test(text);
}

/** Go's regexp.MustCompile panic text, which text/template reports as the call's error. */
export function mustCompileGoRegexp(pattern: string): RE2JS {
  try {
    return compileGoRegexp(pattern);
  } catch (error) {
    if (!(error instanceof RegexpSyntaxError)) throw error;
    throw new Error(`regexp: Compile(${goQuote(pattern)}): ${error.message}`);
  }
}

/**
 * Most characters × compiled instructions one search for match positions may cost. Testing for a
 * match runs on re2js's DFA, fast at any size; finding where a match is (and its groups) runs on
 * its NFA, whose time is the text's length times the program's size: a 1,000-repetition pattern
 * (2,003 instructions) over 100 KB takes over ten seconds. At this limit a search takes about
 * 0.3 s on an idle core (10M took 0.1 s), and a typical pattern (a few dozen instructions) still
 * searches texts of about a megabyte. Go has no such limit (its NFA is faster); past it the
 * function fails instead of blocking the process.
 */
export const MAX_SEARCH_WORK = 30_000_000;

/** Whether to search at all: false when nothing matches (decided on the fast DFA), throws over the work limit. */
function worthSearching(regex: RE2JS, text: string): boolean {
  if (!regex.test(text)) return false;
  const size = regex.programSize();
  if (text.length * size > MAX_SEARCH_WORK) {
    throw new Error(
      `regexp: searching ${text.length} characters with a pattern of ${size} instructions is over the limit of ${MAX_SEARCH_WORK} characters × instructions`,
    );
  }
  return true;
}

/** Go's (*Regexp).FindString: the leftmost match, or "" when there is none. */
export function goFindString(regex: RE2JS, text: string): string {
  if (!worthSearching(regex, text)) return '';
  const matcher = regex.matcher(text);
  return matcher.find(0) ? (matcher.group(0) ?? '') : '';
}

/**
 * Go's (*Regexp).ReplaceAllString: `$1`, `${1}`, `$name`, `${name}` insert a group (a name is the
 * longest run of letters, digits and `_`, so `$1x` is the group named `1x`, which is empty), `$$`
 * is a `$`, and an unmatched or unknown group is empty. An empty match right after a match is not
 * replaced (`a*` on "baaac" gives "xbxcx"; JavaScript's replace gives "xbxxcx").
 */
export function goReplaceAllString(regex: RE2JS, text: string, replacement: string): string {
  if (!worthSearching(regex, text)) return text;
  if (!replacement.includes('$')) return replaceAll(regex, text, () => replacement);
  const parts = parseReplacement(replacement, regex);
  return replaceAll(regex, text, (matcher) => expand(parts, matcher));
}

/** Go's (*Regexp).ReplaceAllLiteralString: every match replaced by the text as it is. */
export function goReplaceAllLiteralString(regex: RE2JS, text: string, replacement: string): string {
  if (!worthSearching(regex, text)) return text;
  return replaceAll(regex, text, () => replacement);
}

/** Go's (*Regexp).FindAllString: at most n matches (all when n < 0); no empty match right after a match. */
export function goFindAllString(regex: RE2JS, text: string, n: number): string[] {
  return allMatches(regex, text, n).map(([start, end]) => text.slice(start, end));
}

/** Go's (*Regexp).Split: the text between matches, at most n pieces (all when n < 0, none when 0). */
export function goSplit(regex: RE2JS, text: string, n: number): string[] {
  if (n === 0) return [];
  if (regex.pattern().length > 0 && text.length === 0) return [''];
  const pieces: string[] = [];
  let begin = 0;
  let end = 0;
  for (const [start, stop] of allMatches(regex, text, n)) {
    if (n > 0 && pieces.length === n - 1) break;
    end = start;
    if (stop !== 0) pieces.push(text.slice(begin, end));
    begin = stop;
  }
  if (end !== text.length) pieces.push(text.slice(begin));
  return pieces;
}

/** Go's regexp.QuoteMeta: every metacharacter escaped, so the result matches the text literally. */
export function goQuoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

// Go's (*Regexp).allMatches, over UTF-16 indexes: [start, end] of each match.
function allMatches(regex: RE2JS, text: string, n: number): [number, number][] {
  const found: [number, number][] = [];
  if (n === 0 || !worthSearching(regex, text)) return found;
  const limit = n < 0 ? Number.POSITIVE_INFINITY : n;
  const matcher = regex.matcher(text);
  let pos = 0;
  let prevMatchEnd = -1;
  while (found.length < limit && pos <= text.length && matcher.find(pos)) {
    const start = matcher.start();
    const end = matcher.end();
    let accept = true;
    if (end === pos) {
      // An empty match right after the previous match is not one.
      if (start === prevMatchEnd) accept = false;
      pos += pos >= text.length ? 1 : codePointWidth(text, pos);
    } else {
      pos = end;
    }
    prevMatchEnd = end;
    if (accept) found.push([start, end]);
  }
  return found;
}

function codePointWidth(text: string, index: number): number {
  return (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
}

type Matcher = ReturnType<RE2JS['matcher']>;

/** Longest result of a replacement (`$0$0$0...` for every character would otherwise grow without bound). */
export const MAX_REPLACE_LENGTH = 16 * 1024 * 1024;

// Go's (*Regexp).replaceAll loop, over UTF-16 indexes (re2js's for string input).
function replaceAll(regex: RE2JS, text: string, replace: (matcher: Matcher) => string): string {
  const matcher = regex.matcher(text);
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= text.length && matcher.find(searchPos)) {
    const start = matcher.start();
    const end = matcher.end();
    out += text.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += replace(matcher);
    if (out.length > MAX_REPLACE_LENGTH) {
      throw new Error(`regexp: replacing gives more than ${MAX_REPLACE_LENGTH} characters`);
    }
    lastMatchEnd = end;
    // Advance past the match, and by at least one character.
    const width = codePointWidth(text, searchPos);
    searchPos = searchPos + width > end ? searchPos + width : end;
  }
  return out + text.slice(lastMatchEnd);
}

/**
 * Go's (*Regexp).expand and extract, parsed once per call: literal text, and the index of each
 * group referred to (undefined for one that does not exist, which expands to nothing).
 */
function parseReplacement(template: string, regex: RE2JS): (string | number | undefined)[] {
  const names = regex.namedGroups();
  const reference = /\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+)/uy;
  const parts: (string | number | undefined)[] = [];
  let literal = '';
  let i = 0;
  for (;;) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) break;
    literal += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      literal += '$';
      i++;
      continue;
    }
    reference.lastIndex = i;
    const found = reference.exec(template);
    const name = found?.[1] ?? found?.[2];
    if (!found || name === undefined) {
      // Not a reference: the `$` is text.
      literal += '$';
      continue;
    }
    i += found[0].length;
    parts.push(literal);
    literal = '';
    // A number without leading zeros is a group's index; anything else is a group's name.
    const group = /^(?:0|[1-9][0-9]*)$/.test(name)
      ? Number(name)
      : Object.hasOwn(names, name)
        ? names[name]
        : undefined;
    parts.push(group !== undefined && group <= regex.groupCount() ? group : undefined);
  }
  parts.push(literal + template.slice(i));
  return parts;
}

function expand(parts: readonly (string | number | undefined)[], matcher: Matcher): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else if (part !== undefined) out += matcher.group(part) ?? '';
  }
  return out;
}

// Go's regexp quote: backquoted when it can be, else strconv.Quote (approximated by JSON's quoting).
function goQuote(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters cannot be backquoted
  return /^[^`\u0000-\u0008\u000a-\u001f\u007f\ufeff]*$/u.test(text) ? `\`${text}\`` : JSON.stringify(text);
}
