// Push notifications of Docker Hub, GHCR (GitHub package events), Harbor and Quay: each parsed
// from a sample shaped as its vendor documents it (samples written here, not copied), and each
// accepted by the webhook server only with its credential (path secret, HMAC signature, auth header).
import { describe, expect, it } from 'vitest';
import { signBody } from '../../../../../src/gitsync/imagewatch/webhook/signature.js';
import {
  pushesFromDockerHub,
  pushesFromGitHubPackage,
  pushesFromHarbor,
  pushesFromQuay,
} from '../../../../../src/gitsync/imagewatch/webhook/vendor-events.js';
import { webhookEndpoint } from './endpoint.js';

const dockerHub = {
  callback_url: 'https://registry.hub.docker.com/u/acme/web/hook/1a2b3c/',
  push_data: { pushed_at: 1765000000, pusher: 'ci-bot', tag: '1.4.2' },
  repository: {
    is_private: true,
    name: 'web',
    namespace: 'acme',
    owner: 'acme',
    repo_name: 'acme/web',
    repo_url: 'https://hub.docker.com/r/acme/web',
    status: 'Active',
  },
};

const ghcrPackage = {
  action: 'published',
  package: {
    id: 101,
    name: 'web',
    namespace: 'Acme',
    ecosystem: 'CONTAINER',
    package_type: 'CONTAINER',
    owner: { login: 'Acme', type: 'Organization' },
    package_version: {
      id: 202,
      name: 'sha256:3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b',
      version: 'sha256:3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b',
      container_metadata: {
        tag: {
          name: '1.4.2',
          digest: 'sha256:3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b3f1c0a9b',
        },
        labels: {},
        manifest: {},
      },
      package_url: 'ghcr.io/acme/web:1.4.2',
    },
    registry: { name: 'GitHub CR', type: 'docker', url: 'https://ghcr.io/acme', vendor: 'GitHub Inc' },
  },
  repository: { full_name: 'Acme/web' },
  sender: { login: 'ci-bot' },
};

const harbor = {
  type: 'PUSH_ARTIFACT',
  occur_at: 1765000000,
  operator: 'robot$ci',
  event_data: {
    resources: [
      {
        digest: 'sha256:9e2d9e2d9e2d9e2d9e2d9e2d9e2d9e2d9e2d9e2d9e2d9e2d9e2d9e2d9e2d9e2d',
        tag: '1.4.2',
        resource_url: 'harbor.example.com:8443/shop/web:1.4.2',
      },
    ],
    repository: {
      date_created: 1764000000,
      name: 'web',
      namespace: 'shop',
      repo_full_name: 'shop/web',
      repo_type: 'private',
    },
  },
};

const quay = {
  name: 'web',
  repository: 'acme/web',
  namespace: 'acme',
  docker_url: 'quay.io/acme/web',
  homepage: 'https://quay.io/repository/acme/web',
  updated_tags: ['1.4.2', 'latest'],
};

describe('vendor push payloads', () => {
  it('Docker Hub: repo_name and push_data.tag; official images live under library/', () => {
    expect(pushesFromDockerHub(dockerHub)).toEqual([{ name: 'docker.io/acme/web', tag: '1.4.2' }]);
    expect(
      pushesFromDockerHub({ ...dockerHub, repository: { ...dockerHub.repository, repo_name: 'nginx' } }),
    ).toEqual([{ name: 'docker.io/library/nginx', tag: '1.4.2' }]);
    expect(pushesFromDockerHub({ push_data: {} })).toEqual({
      error: 'expected a Docker Hub webhook body with repository.repo_name',
    });
  });

  it('GHCR: package and registry_package events of container packages, lower-cased', () => {
    expect(pushesFromGitHubPackage('package', ghcrPackage)).toEqual([
      { name: 'ghcr.io/acme/web', tag: '1.4.2' },
    ]);
    const { package: pkg, ...rest } = ghcrPackage;
    expect(pushesFromGitHubPackage('registry_package', { ...rest, registry_package: pkg })).toEqual([
      { name: 'ghcr.io/acme/web', tag: '1.4.2' },
    ]);
    // Without package_url: namespace and name; an untagged push names the image only.
    const untagged = {
      ...ghcrPackage,
      package: {
        ...pkg,
        package_version: {
          ...pkg.package_version,
          package_url: undefined,
          container_metadata: { tag: { name: '' } },
        },
      },
    };
    expect(pushesFromGitHubPackage('package', untagged)).toEqual([{ name: 'ghcr.io/acme/web' }]);
    expect(
      pushesFromGitHubPackage('package', {
        ...ghcrPackage,
        package: { ...pkg, package_type: 'npm', ecosystem: 'npm' },
      }),
    ).toEqual([]);
    expect(pushesFromGitHubPackage('package', { ...ghcrPackage, action: 'deleted' })).toEqual([]);
    expect(pushesFromGitHubPackage('ping', { zen: 'Keep it logically awesome.' })).toEqual([]);
    expect(pushesFromGitHubPackage('package', { action: 'published' })).toEqual({
      error: 'expected a GitHub package event with a "package" object',
    });
  });

  it('Harbor: PUSH_ARTIFACT resources by resource_url, also as a CloudEvent; a digest-only tag is no tag', () => {
    expect(pushesFromHarbor(harbor)).toEqual([{ name: 'harbor.example.com:8443/shop/web', tag: '1.4.2' }]);
    const cloudEvent = {
      specversion: '1.0',
      type: 'harbor.artifact.pushed',
      source: '/projects/2/webhook/policies/3',
      data: {
        resources: [
          {
            digest: 'sha256:9e2d',
            tag: 'sha256:9e2d',
            resource_url: 'harbor.example.com/shop/web@sha256:9e2d',
          },
        ],
      },
    };
    expect(pushesFromHarbor(cloudEvent)).toEqual([{ name: 'harbor.example.com/shop/web' }]);
    expect(pushesFromHarbor({ ...harbor, type: 'PULL_ARTIFACT' })).toEqual([]);
    expect(pushesFromHarbor({ type: 'PUSH_ARTIFACT', event_data: {} })).toEqual({
      error: 'expected event_data.resources to be a list',
    });
  });

  it('Quay: docker_url with every updated tag, as a list or (older Quay) an object', () => {
    expect(pushesFromQuay(quay)).toEqual([
      { name: 'quay.io/acme/web', tag: '1.4.2' },
      { name: 'quay.io/acme/web', tag: 'latest' },
    ]);
    expect(pushesFromQuay({ ...quay, updated_tags: { '2.0.0': 'b750fe79' } })).toEqual([
      { name: 'quay.io/acme/web', tag: '2.0.0' },
    ]);
    expect(pushesFromQuay({ updated_tags: [] })).toEqual({
      error: 'expected a Quay repository push body with docker_url',
    });
  });
});

describe('vendor webhook endpoints', () => {
  const endpoint = webhookEndpoint();
  const { pushed, results } = endpoint;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${endpoint.base}${path}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('Docker Hub and Quay: the secret as the last path segment or X-Slipway-Token, else 401', async () => {
    expect((await post('/webhook/dockerhub/hook-secret', dockerHub)).status).toBe(202);
    expect((await post('/webhook/quay', quay, { 'X-Slipway-Token': 'hook-secret' })).status).toBe(202);
    const refused = [
      await post('/webhook/dockerhub', dockerHub),
      await post('/webhook/dockerhub/guess', dockerHub),
      await post('/webhook/quay/%E0%A4%A', quay),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(((await refused[0]!.json()) as { error: string }).error).toContain('/webhook/dockerhub/<secret>');
    // A secret in the path is only for the endpoints that cannot send a header.
    expect((await post('/webhook/harbor/hook-secret', harbor)).status).toBe(404);
    expect(pushed).toEqual(['docker.io/acme/web:1.4.2', 'quay.io/acme/web:1.4.2', 'quay.io/acme/web:latest']);
  });

  it('GHCR: X-Hub-Signature-256 over the body, each delivery once, package events only', async () => {
    pushed.length = 0;
    const body = JSON.stringify(ghcrPackage);
    const headers = (event: string, delivery: string, signed = body) => ({
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': delivery,
      'X-Hub-Signature-256': signBody('hook-secret', signed),
    });
    expect((await post('/webhook/ghcr', body, headers('package', 'd-1'))).status).toBe(202);
    expect((await post('/webhook/ghcr', body, headers('package', 'd-1'))).status).toBe(401);
    expect((await post('/webhook/ghcr', body, headers('package', 'd-2', `${body} `))).status).toBe(401);
    expect((await post('/webhook/ghcr', body, { 'X-GitHub-Event': 'package' })).status).toBe(401);
    const ping = '{"zen":"Design for failure."}';
    const pinged = await post('/webhook/ghcr', ping, headers('ping', 'd-3', ping));
    expect(pinged.status).toBe(202);
    expect(await pinged.json()).toEqual({ images: 0, matched: 0 });
    const push = await post('/webhook/ghcr', body, headers('push', 'd-4'));
    expect(push.status).toBe(400);
    expect(((await push.json()) as { error: string }).error).toContain('subscribe the webhook to "Packages"');
    expect(pushed).toEqual(['ghcr.io/acme/web:1.4.2']);
  });

  it('Harbor: its auth header as `Bearer <secret>` or the bare secret', async () => {
    pushed.length = 0;
    expect((await post('/webhook/harbor', harbor, { Authorization: 'Bearer hook-secret' })).status).toBe(202);
    expect((await post('/webhook/harbor', harbor, { Authorization: 'hook-secret' })).status).toBe(202);
    expect((await post('/webhook/harbor', harbor, { Authorization: 'Bearer guess' })).status).toBe(401);
    expect((await post('/webhook/harbor', harbor)).status).toBe(401);
    const broken = await post('/webhook/harbor', { type: 'PUSH_ARTIFACT' }, { Authorization: 'hook-secret' });
    expect(broken.status).toBe(400);
    expect(pushed).toEqual([
      'harbor.example.com:8443/shop/web:1.4.2',
      'harbor.example.com:8443/shop/web:1.4.2',
    ]);
    expect(results).toContain('harbor unauthorized');
  });
});
