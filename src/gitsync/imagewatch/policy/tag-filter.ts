// allowTags (one regular expression) and ignoreTags (glob patterns), as Argo CD Image Updater
// spells them: a tag must match the first and none of the second to be considered. Both come
// from a watched repository and the tags from a registry, so both match in linear time (RE2,
// Go's regexp, which Image Updater uses), never with JavaScript's backtracking RegExp.

import type { RE2JS } from 're2js';
import { compileGoRegexp, MAX_PATTERN_LENGTH, RegexpSyntaxError } from '../../../go-regexp.js';

export interface TagFilter {
  readonly allow?: RE2JS;
  readonly ignore: readonly RE2JS[];
}

/** Longest ignoreTags glob: its expression (each character at most two, plus `^` and `$`) stays within the cap. */
export const MAX_GLOB_LENGTH = MAX_PATTERN_LENGTH / 2 - 1;

export function compileTagFilter(
  allowTags: string | undefined,
  ignoreTags: readonly string[] = [],
): TagFilter | { error: string } {
  let allow: RE2JS | undefined;
  if (allowTags !== undefined) {
    try {
      allow = compileGoRegexp(allowTags);
    } catch (error) {
      if (!(error instanceof RegexpSyntaxError)) throw error;
      return { error: `policy.allowTags: ${error.message}` };
    }
  }
  const ignore: RE2JS[] = [];
  for (const [i, glob] of ignoreTags.entries()) {
    if (glob.length > MAX_GLOB_LENGTH) {
      return { error: `policy.ignoreTags[${i}]: glob is longer than ${MAX_GLOB_LENGTH} characters` };
    }
    ignore.push(globToRegExp(glob));
  }
  return { ...(allow && { allow }), ignore };
}

/** Whether the tag matches allowTags anywhere (Go's MatchString) and no ignoreTags glob. */
export function tagAllowed(filter: TagFilter, tag: string): boolean {
  if (filter.allow !== undefined && !filter.allow.test(tag)) return false;
  return !filter.ignore.some((pattern) => pattern.test(tag));
}

/** `*` is any run of characters, `?` one character; everything else is literal. */
export function globToRegExp(glob: string): RE2JS {
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return compileGoRegexp(`^${body}$`);
}
