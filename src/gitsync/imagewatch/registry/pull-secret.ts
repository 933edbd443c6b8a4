// Registry credentials from a kubernetes.io/dockerconfigjson Secret (`.dockerconfigjson`), looked
// up by registry host the way docker and the kubelet do (scheme and path of the key ignored).

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Credentials for `host` in a .dockerconfigjson document, or undefined; throws on malformed JSON. */
export function credentialsFromDockerConfig(json: string, host: string): RegistryCredentials | undefined {
  let parsed: { auths?: Record<string, DockerConfigEntry> };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    throw new Error('.dockerconfigjson is not valid JSON');
  }
  const wanted = normalizeHost(host);
  for (const [key, entry] of Object.entries(parsed.auths ?? {})) {
    if (normalizeHost(key) !== wanted) continue;
    if (entry.username !== undefined && entry.password !== undefined) {
      return { username: entry.username, password: entry.password };
    }
    if (entry.auth !== undefined) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.identitytoken !== undefined) return { username: '<token>', password: entry.identitytoken };
  }
  return undefined;
}

function normalizeHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//, '').split('/')[0] ?? '';
  return HUB_ALIASES.has(host) ? 'docker.io' : host;
}
