// allowTags (one regular expression) and ignoreTags (glob patterns), as Argo CD Image Updater
// spells them: a tag must match the first and none of the second to be considered.

export interface TagFilter {
  readonly allow?: RegExp;
  readonly ignore: readonly RegExp[];
}

export function compileTagFilter(
  allowTags: string | undefined,
  ignoreTags: readonly string[] = [],
): TagFilter | { error: string } {
  let allow: RegExp | undefined;
  if (allowTags !== undefined) {
    try {
      allow = new RegExp(allowTags);
    } catch (error) {
      return { error: `policy.allowTags: ${(error as Error).message}` };
    }
  }
  return { ...(allow && { allow }), ignore: ignoreTags.map(globToRegExp) };
}

export function tagAllowed(filter: TagFilter, tag: string): boolean {
  if (filter.allow !== undefined && !filter.allow.test(tag)) return false;
  return !filter.ignore.some((pattern) => pattern.test(tag));
}

/** `*` is any run of characters, `?` one character; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}
