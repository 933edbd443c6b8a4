// A real OCI distribution registry (Debian's docker-registry, distribution 2.8) on loopback, a
// token server that implements the registry's Bearer token flow in front of it, and a push helper
// that uploads small images (config blob + layer blob + manifest, or an index of them) through the
// same distribution API a `docker push` uses.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, createSign, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort } from '../../../src/localcluster/control-plane.js';
import { ensureDebianBinary, stopDebianService } from './debian.js';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

/** Installs Debian's docker-registry when it is missing (CI runs as root), saying so. */
export function ensureRegistryBinary(): string {
  // The package enables a system service on :5000; tests start their own instances instead.
  return ensureDebianBinary(REGISTRY_BINARY, 'docker-registry', undefined, () =>
    stopDebianService('docker-registry'),
  );
}

export { freePort };

export interface RegistryAuthConfig {
  htpasswd?: { username: string; password: string };
  token?: { realm: string; service: string; issuer: string; certFile: string };
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`, the host part of image names. */
  readonly host: string;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startRegistry(
  options: { auth?: RegistryAuthConfig; notify?: { url: string; bearer: string } } = {},
): Promise<TestRegistry> {
  const binary = ensureRegistryBinary();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-registry-'));
  const port = await freePort();
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
  };
  if (options.auth?.htpasswd !== undefined) {
    const { username, password } = options.auth.htpasswd;
    writeFileSync(join(dir, 'htpasswd'), `${username}:${bcrypt(password)}\n`);
    config.auth = { htpasswd: { realm: 'slipway-test', path: join(dir, 'htpasswd') } };
  }
  if (options.auth?.token !== undefined) {
    const t = options.auth.token;
    config.auth = {
      token: { realm: t.realm, service: t.service, issuer: t.issuer, rootcertbundle: t.certFile },
    };
  }
  if (options.notify !== undefined) {
    config.notifications = {
      endpoints: [
        {
          name: 'slipway',
          url: options.notify.url,
          headers: { Authorization: [`Bearer ${options.notify.bearer}`] },
          timeout: '2s',
          threshold: 3,
          backoff: '1s',
        },
      ],
    };
  }
  writeFileSync(join(dir, 'config.yml'), stringify(config));
  const child = spawn(binary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await fetch(`${url}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not start on ${url}: ${stderr.join('').slice(-2000)}`);
    }
    await sleep(100);
  }
  const pid = child.pid!;
  return {
    host: `127.0.0.1:${port}`,
    url,
    pid,
    stop: async () => {
      const exited = new Promise((done) => child.once('exit', done));
      process.kill(pid, 'SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** bcrypt through libc crypt(3) (libxcrypt) via perl: the registry's htpasswd only reads bcrypt. */
function bcrypt(password: string): string {
  const salt = randomBytes(16)
    .toString('base64')
    .replace(/[^a-zA-Z0-9]/g, '')
    .slice(0, 22)
    .padEnd(22, 'a');
  return execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${salt}`], {
    encoding: 'utf8',
  });
}

export type ImageFormat = 'oci' | 'docker' | 'oci-index' | 'docker-list';

export interface PushOptions {
  created?: Date;
  format?: ImageFormat;
  /** Headers for every request (Basic auth, or a Bearer token with push scope). */
  headers?: Record<string, string>;
  /** Makes otherwise identical pushes different images. */
  salt?: string;
  /** Architectures (linux) to build; default amd64, or amd64 and arm64 for an index or list. */
  architectures?: string[];
}

const TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
    index: 'application/vnd.oci.image.index.v1+json',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
  },
} as const;

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Pushes a small image as `repository:tag`; returns the digest the tag now points at. */
export async function pushImage(
  registryUrl: string,
  repository: string,
  tag: string,
  options: PushOptions = {},
): Promise<string> {
  const format = options.format ?? 'oci';
  const types = format.startsWith('oci') ? TYPES.oci : TYPES.docker;
  const created = (options.created ?? new Date()).toISOString();
  const headers = options.headers ?? {};
  const platforms =
    options.architectures ??
    (format.endsWith('index') || format.endsWith('list') ? ['amd64', 'arm64'] : ['amd64']);
  const children: { digest: string; size: number; architecture: string }[] = [];
  for (const architecture of platforms) {
    const layer = Buffer.from(`layer ${repository}:${tag} ${architecture} ${options.salt ?? ''} ${created}`);
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        created,
        config: {},
        rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
      }),
    );
    await pushBlob(registryUrl, repository, layer, headers);
    await pushBlob(registryUrl, repository, config, headers);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: types.manifest,
        config: { mediaType: types.config, digest: sha256(config), size: config.length },
        layers: [{ mediaType: types.layer, digest: sha256(layer), size: layer.length }],
      }),
    );
    if (platforms.length === 1 && !format.endsWith('index') && !format.endsWith('list'))
      return putManifest(registryUrl, repository, tag, manifest, types.manifest, headers);
    const digest = await putManifest(
      registryUrl,
      repository,
      sha256(manifest),
      manifest,
      types.manifest,
      headers,
    );
    children.push({ digest, size: manifest.length, architecture });
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: types.index,
      manifests: children.map((c) => ({
        mediaType: types.manifest,
        digest: c.digest,
        size: c.size,
        platform: { os: 'linux', architecture: c.architecture },
      })),
    }),
  );
  return putManifest(registryUrl, repository, tag, index, types.index, headers);
}

async function pushBlob(
  registryUrl: string,
  repository: string,
  data: Buffer,
  headers: Record<string, string>,
) {
  const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location')!, registryUrl);
  location.searchParams.set('digest', sha256(data));
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': 'application/octet-stream' },
    body: data,
  });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
}

async function putManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  body: Buffer,
  mediaType: string,
  headers: Record<string, string>,
): Promise<string> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': mediaType },
    body,
  });
  if (response.status !== 201)
    throw new Error(`manifest put ${reference}: ${response.status} ${await response.text()}`);
  return response.headers.get('docker-content-digest') ?? sha256(body);
}

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certFile: string;
  /** Token requests seen: the scope asked and whether Basic credentials came with it. */
  readonly requests: { scope: string; user?: string }[];
  /** A token for the push helper. */
  token(scope: string): string;
  stop(): Promise<void>;
}

/**
 * The registry token flow (distribution's token auth spec): GET <realm>?service=&scope= with
 * Basic credentials answers {"token", "expires_in"}; the token is a JWT signed RS256 by a
 * self-signed certificate that the registry trusts through its rootcertbundle.
 */
export async function startTokenServer(users: Record<string, string>): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-token-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=slipway-test-token-issuer',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  const key = readFileSync(keyFile, 'utf8');
  const certDer = Buffer.from(
    readFileSync(certFile, 'utf8')
      .replace(/-----[A-Z ]+-----/g, '')
      .replace(/\s+/g, ''),
    'base64',
  );
  const service = 'slipway-test-registry';
  const issuer = 'slipway-test-issuer';
  const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
  const sign = (subject: string, scope: string): string => {
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const now = Math.floor(Date.now() / 1000);
    const access = scope
      .split(' ')
      .filter(Boolean)
      .map((s) => {
        const [type, name, actions] = s.split(':');
        return { type, name, actions: (actions ?? '').split(',') };
      });
    const claims = {
      iss: issuer,
      sub: subject,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(key);
    return `${input}.${b64url(signature)}`;
  };
  const requests: { scope: string; user?: string }[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const scope = url.searchParams.get('scope') ?? '';
    const auth = req.headers.authorization;
    let user: string | undefined;
    if (auth?.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (name === undefined || users[name] !== rest.join(':')) {
        requests.push({ scope, user: name });
        res.writeHead(401).end('{"details":"bad credentials"}');
        return;
      }
      user = name;
    }
    requests.push({ scope, ...(user !== undefined && { user }) });
    if (user === undefined || url.searchParams.get('service') !== service) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"authentication required"}');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: sign(user, scope), expires_in: 300 }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    token: (scope) => sign('pusher', scope),
    stop: () =>
      new Promise((done) => {
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          done();
        });
        server.closeAllConnections();
      }),
  };
}
