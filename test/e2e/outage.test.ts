// API outages under a paused canary and a pending image bump: kube-apiserver, then etcd, stop
// for 30 s each while `slipway controller` and `slipway git-sync` lead with the chart's Lease
// timings (15 s lease, 10 s renew deadline). Both lose the Lease, keep /healthz up while they
// campaign, lead again once the API is back, and then act: a promote completes the canary and
// the new tag is committed. The time from the API's return to the first reconcile (and to the
// bump in Git) is printed for the release note.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { GitSyncProcess } from '../../src/gitsync/process.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import { RestClient } from '../../src/kube/rest.js';
import { type ControllerProcess, startControllerProcess } from '../../src/process/controller-process.js';
import { CONTROLLERS } from '../../src/process/controllers.js';
import { createBareRepo, type GitHttpServer, showFile, startGitHttpServer } from './support/git-server.js';
import { apply as applyObjects, createRepoSecret, kubectl, tryKubectl } from './support/kubectl.js';
import { inProcessOptions, startInProcessGitSync, tearDown } from './support/lifecycle.js';
import { serviceCanary } from './support/manifests.js';
import { freePort, pushImage, startRegistry, type TestRegistry } from './support/registry.js';
import { getRollout, operate, setImage, waitForPhase, waitForRollout } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const controlPlaneUrl = inject('controlPlaneUrl');
const namespace = `outage-${Date.now().toString(36)}`;
const name = 'paused-canary';
const TOKEN = 'outage-e2e-token-0123456789';
const OUTAGE_MS = 30_000;

let controller: ControllerProcess | undefined;
let gitSync: GitSyncProcess | undefined;
let controllerHealthPort = 0;
let client: RestClient;
let registry: TestRegistry | undefined;
let gitServer: GitHttpServer | undefined;
let root = '';
let bare = '';
let image = '';

async function component(name: 'etcd' | 'kube-apiserver', action: 'stop' | 'start'): Promise<void> {
  const response = await fetch(`${controlPlaneUrl}/${name}/${action}`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`${action} ${name}: ${await response.text()}`);
}

async function healthz(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return response.status;
}

/** The rollout controller's reconcile count (its metrics start afresh with each term). */
async function reconciles(): Promise<number> {
  const text = (await controller?.metrics.scrape()) ?? '';
  return [...text.matchAll(/^rollout_reconcile_count\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

function apply(objects: object | object[]): void {
  applyObjects(objects, namespace);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

beforeAll(async () => {
  if (!controlPlaneUrl) return;
  kubectl(['create', 'namespace', namespace]);
  root = mkdtempSync(join(tmpdir(), 'slipway-outage-'));
  registry = await startRegistry();
  image = `${registry.host}/acme/web`;
  await pushImage(registry.url, 'acme/web', '1.0.0');
  gitServer = await startGitHttpServer(root, { token: TOKEN });
  bare = createBareRepo(root, 'platform', {
    'apps/web/values.yaml': `image:\n  repository: ${image}\n  tag: "1.0.0"\n`,
  });
  createRepoSecret(namespace, TOKEN);

  const kubeConfig = loadKubeConfig({ path: inject('kubeconfig') }).kubeConfig;
  client = new RestClient(kubeConfig, { userAgent: 'slipway-outage-e2e' });
  controllerHealthPort = await freePort();
  controller = await startControllerProcess({
    ...inProcessOptions('controller', namespace),
    leaderElection: true,
    healthPort: controllerHealthPort,
    controllers: CONTROLLERS,
  });
  gitSync = await startInProcessGitSync(namespace, join(root, 'work'), { leaderElection: true });

  apply(serviceCanary(undefined, name, { steps: [{ setWeight: 50 }, { pause: {} }] }, { image: 'nginx:1' }));
  apply({
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'GitTarget',
    metadata: { name: 'platform' },
    spec: {
      url: gitServer.url('platform'),
      branch: 'main',
      secretRef: { name: 'repo-creds' },
      author: { name: 'Slipway E2E', email: 'e2e@slipway.dev' },
    },
  });
  apply({
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'ImageWatch',
    metadata: { name: 'web' },
    spec: {
      image,
      interval: '2s',
      policy: { strategy: 'semver', semver: { constraint: '^1.0' } },
      targets: [{ gitTarget: 'platform', path: 'apps/web/values.yaml', helm: { tagPath: 'image.tag' } }],
    },
  });
  await waitForPhase(namespace, name, 'Healthy');
}, 300_000);

afterAll(async () => {
  await tearDown([controller, gitSync, gitServer, registry], { root });
  // Not kubectl: a failed test may have left the API stopped.
  if (controlPlaneUrl) tryKubectl(['delete', 'namespace', namespace, '--wait=false']);
});

/**
 * Given a canary paused at its pause step and a tag pushed but not yet in Git, stops
 * `component` for 30 s, starts it again and measures what happens next.
 */
async function outage(stopped: 'kube-apiserver' | 'etcd', nextImage: string, nextTag: string): Promise<void> {
  setImage(namespace, name, nextImage);
  await waitForPhase(namespace, name, 'Paused');
  expect(controller?.isLeader()).toBe(true);
  expect(gitSync?.isLeader()).toBe(true);

  const stoppedAt = Date.now();
  await component(stopped, 'stop');
  // The pending bump: a new tag arrives while the API is down.
  await pushImage(registry!.url, 'acme/web', nextTag);

  // Both lose the Lease (renew deadline 10 s), stay alive and keep campaigning.
  await eventually('both processes stop leading', () =>
    controller?.isLeader() === false && gitSync?.isLeader() === false ? true : undefined,
  );
  expect(await healthz(controllerHealthPort)).toBe(200);
  expect(await healthz(gitSync!.ports.health)).toBe(200);
  expect(controller?.isLive()).toBe(true);
  expect(gitSync?.isLive()).toBe(true);
  const remaining = OUTAGE_MS - (Date.now() - stoppedAt);
  if (remaining > 0) await sleep(remaining);

  // Watch for each milestone from the moment the restart is issued, so none is missed.
  const restartAt = Date.now();
  const at = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
    eventually(what, async () => ((await probe()) !== undefined ? Date.now() : undefined), 180_000);
  const apiBack = at('the API answering again', async () => {
    const ok = await client
      .request({
        method: 'GET',
        path: '/api/v1/namespaces/default',
        verb: 'get',
        resource: 'namespaces',
        timeoutMs: 2_000,
      })
      .then(
        () => true,
        () => undefined,
      );
    return ok;
  });
  const leading = at('the controller leading again', () => (controller?.isLeader() ? true : undefined));
  const firstReconcile = at('the first reconcile after the outage', async () =>
    controller?.isLeader() && (await reconciles()) > 0 ? true : undefined,
  );
  const gitSyncLeading = at('git-sync leading again', () => (gitSync?.isLeader() ? true : undefined));
  const bumped = at(`${nextTag} committed to Git`, () =>
    showFile(bare, 'apps/web/values.yaml').includes(`"${nextTag}"`) ? true : undefined,
  );
  await component(stopped, 'start');
  const apiBackAt = await apiBack;
  const reconciledAt = await firstReconcile;
  const ledAt = await leading;

  operate(namespace, name, 'promote');
  const promotedAt = Date.now();
  const actedOn = await waitForRollout(
    namespace,
    name,
    'the promote acted on (last step reached)',
    (r) => r.status?.currentStepIndex === 2,
    120_000,
  ).then(() => Date.now());
  await waitForRollout(namespace, name, 'promoted to Healthy', (r) => r.status?.phase === 'Healthy', 180_000);
  const healthyAt = Date.now();
  const bumpedAt = await bumped;
  const gitSyncLedAt = await gitSyncLeading;

  const ro = getRollout(namespace, name);
  expect(ro.status?.stableRS).toBe(ro.status?.currentPodHash);
  const since = (t: number) => seconds(t - apiBackAt);
  console.log(
    `[outage] ${stopped} down ${seconds(OUTAGE_MS)}; API answering ${seconds(apiBackAt - restartAt)} after the restart. ` +
      `From API back: controller leads ${since(ledAt)}, first reconcile ${since(reconciledAt)}, ` +
      `git-sync leads ${since(gitSyncLedAt)}, ${nextTag} in Git ${since(bumpedAt)}. ` +
      `Promote acted on ${seconds(actedOn - promotedAt)} after it was sent (Healthy after ${seconds(healthyAt - promotedAt)}, pods by kube-controller-manager and kwok).`,
  );
}

describe.skipIf(!controlPlaneUrl)('API outages under a paused canary and a pending image bump', () => {
  it('kube-apiserver down for 30 s: the Lease is won back, a promote and a new tag are acted on', async () => {
    await outage('kube-apiserver', 'nginx:2', '1.1.0');
  }, 400_000);

  it('etcd down for 30 s: the same', async () => {
    await outage('etcd', 'nginx:3', '1.2.0');
  }, 400_000);
});
