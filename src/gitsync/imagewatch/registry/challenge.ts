// WWW-Authenticate challenges of the distribution API (RFC 7235 auth-params):
// `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"`.

export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const PARAM = /\s*([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;

export function parseChallenge(header: string | null): AuthChallenge | undefined {
  if (header === null) return undefined;
  const match = /^\s*([a-zA-Z]+)\s*/.exec(header);
  if (match === null) return undefined;
  const params: Record<string, string> = {};
  PARAM.lastIndex = match[0].length;
  for (let m = PARAM.exec(header); m !== null; m = PARAM.exec(header)) {
    params[(m[1] as string).toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { scheme: (match[1] as string).toLowerCase(), params };
}

/** Seconds or an HTTP date, as Retry-After carries them; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The URL of rel="next" in a Link header, resolved against the request URL. */
export function nextLink(header: string | null, base: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /rel="?next"?/.test(m[2] as string)) return new URL(m[1] as string, base).toString();
  }
  return undefined;
}
