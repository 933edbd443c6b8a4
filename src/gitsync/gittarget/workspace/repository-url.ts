// Which repository URLs a GitTarget may name. https and ssh always; plain http and git:// only
// when the operator allows them (they carry credentials and content unprotected); file:// and
// local paths only behind an operator flag (`slipway dev`, tests), because a local path can name
// another tenant's cached clone or any directory the process can read. Everything else (ext::,
// fd::, other remote helpers) is refused outright.

export interface RepositoryUrlPolicy {
  /** http:// and git:// URLs. */
  readonly allowHttp?: boolean;
  /** file:// URLs and plain local paths. */
  readonly allowLocal?: boolean;
}

export type UrlScheme = 'https' | 'ssh' | 'http' | 'git' | 'file';

/** The transport git would use for `url`, or undefined for one we never allow. */
export function schemeOf(url: string): UrlScheme | undefined {
  const explicit = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url);
  if (explicit !== null) {
    const scheme = explicit[1]!.toLowerCase();
    if (scheme === 'https' || scheme === 'http' || scheme === 'git' || scheme === 'file') return scheme;
    if (scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git') return 'ssh';
    return undefined;
  }
  // `transport::address` picks a remote helper (ext:: runs a command): never.
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*::/.test(url)) return undefined;
  // git's rule for the scp form: a colon before the first slash (`git@host:org/repo.git`).
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  if (colon > 0 && (slash === -1 || colon < slash)) return 'ssh';
  return 'file';
}

/** Why `url` may not be used under `policy`; undefined when it may. */
export function checkRepositoryUrl(url: string, policy: RepositoryUrlPolicy): string | undefined {
  if (url.trim() === '') return 'spec.url is empty';
  // A leading dash would read as an option to git clone.
  if (url.startsWith('-')) return 'spec.url must not start with "-"';
  if (/[\0\r\n]/.test(url)) return 'spec.url holds a control character';
  const scheme = schemeOf(url);
  if (scheme === undefined) return 'spec.url: only https and ssh repository URLs are supported';
  if ((scheme === 'http' || scheme === 'git') && policy.allowHttp !== true) {
    return `spec.url: ${scheme}:// repositories are not allowed (unencrypted); use https or ssh, or ask the operator to start git-sync with --allow-http-repositories`;
  }
  if (scheme === 'file' && policy.allowLocal !== true) {
    return 'spec.url: file:// URLs and local paths are not allowed; use https or ssh (the operator can allow them with --allow-local-repositories)';
  }
  return undefined;
}

/** `-c protocol.*` settings that hold git itself to the policy (redirects, submodules, alternates). */
export function protocolConfig(policy: RepositoryUrlPolicy): string[] {
  const http = policy.allowHttp === true ? 'always' : 'never';
  return [
    'protocol.allow=never',
    'protocol.https.allow=always',
    'protocol.ssh.allow=always',
    `protocol.http.allow=${http}`,
    `protocol.git.allow=${http}`,
    `protocol.file.allow=${policy.allowLocal === true ? 'always' : 'never'}`,
  ];
}
