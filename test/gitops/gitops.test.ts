// The whole GitOps loop with real parts: Argo CD v3.5.3 (built from its Go module) syncing from a
// real Git server on loopback into the local cluster, Slipway's controller and git-sync, a real
// OCI registry. Everything is asserted from what Argo CD reports: the Application's health and
// each resource's health and message, as computed by our Lua scripts (rendered from
// health-checks/ and actions/ of this checkout) or by Argo CD's built-in ones, and the actions
// Argo CD offers and runs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Rollout } from '../../src/api/rollout.js';
import { readKindScripts, renderArgoCdCm } from '../../src/argocd/argocd-cm.js';
import type { GitSyncProcess } from '../../src/gitsync/process.js';
import { startTestController, type TestController } from '../e2e/support/controller.js';
import {
  commitMessages,
  commitTrailers,
  createBareRepo,
  externalCommit,
  type GitHttpServer,
  startGitHttpServer,
} from '../e2e/support/git-server.js';
import { gitTargetYaml } from '../e2e/support/gitsync.js';
import { getJson, kubectl } from '../e2e/support/kubectl.js';
import { startInProcessGitSync, tearDown } from '../e2e/support/lifecycle.js';
import {
  analysisTemplateManifest,
  canaryRollout,
  jobProvider,
  type RolloutOptions,
} from '../e2e/support/manifests.js';
import { pushImage, startRegistry, type TestRegistry } from '../e2e/support/registry.js';
import { getRollout } from '../e2e/support/rollouts.js';
import { eventually } from '../e2e/support/wait.js';
import { type Application, type ArgoCd, type ResourceRef, startArgoCd } from './support/argocd.js';

const namespace = `gitops-${Date.now().toString(36)}`;
const log = (line: string) => process.stderr.write(`[gitops] ${line}\n`);

let root: string;
let gitServer: GitHttpServer;
let argo: ArgoCd;
let controller: TestController;
let registry: TestRegistry | undefined;
let gitSync: GitSyncProcess | undefined;

/** The data keys of argocd-cm as `slipway argocd-cm [--paused-as-healthy]` renders them from this checkout. */
function argocdCmData(options: {
  pausedAsHealthy: boolean;
  builtinRolloutHealth?: boolean;
}): Record<string, string> {
  const rendered = renderArgoCdCm(readKindScripts(), { pausedAsHealthy: options.pausedAsHealthy });
  const data: Record<string, string> = {
    ...(parse(rendered) as { data: Record<string, string> }).data,
    // Argo CD re-reads Git and the cluster every 10 s, not every 3 minutes.
    'timeout.reconciliation': '10s',
  };
  if (options.builtinRolloutHealth) delete data['resource.customizations.health.argoproj.io_Rollout'];
  return data;
}

function setArgoCdCm(data: Record<string, string>): void {
  kubectl(
    ['apply', '-n', argo.namespace, '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', labels: { 'app.kubernetes.io/part-of': 'argocd' } },
      data,
    }),
  );
}

/** A Rollout as a file in Git, its container named web (the name the image targets select). */
function gitRollout(
  name: string,
  canary: Record<string, unknown>,
  options: Omit<RolloutOptions, 'strategy'>,
) {
  return stringify(canaryRollout(undefined, name, canary, { ...options, container: { name: 'web' } }));
}

const STEPS = [20, 40, 60, 80].flatMap((weight) => [{ setWeight: weight }, { pause: {} }]);

function webRollout(image: string): string {
  return gitRollout('web', { steps: STEPS }, { replicas: 5, image, spec: { revisionHistoryLimit: 3 } });
}

const POST_SYNC_HOOK = `apiVersion: batch/v1
kind: Job
metadata:
  name: smoke-test
  annotations:
    argocd.argoproj.io/hook: PostSync
    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - {name: smoke, image: busybox, command: ["true"]}
`;

function application(name: string, path: string): string {
  return JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: argo.namespace },
    spec: {
      project: 'default',
      source: { repoURL: gitServer.url('gitops'), targetRevision: 'main', path },
      destination: { server: argo.clusterServer, namespace },
      syncPolicy: { automated: {} },
    },
  });
}

const ROLLOUT = (name: string): ResourceRef => ({
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'Rollout',
  namespace,
  name,
});

function resourceOf(app: Application, kind: string, name: string) {
  return app.status?.resources?.find((r) => r.kind === kind && r.name === name && !r.hook);
}

function summary(app: Application | undefined): string {
  if (!app) return 'no answer';
  const resources = (app.status?.resources ?? [])
    .map(
      (r) =>
        `${r.kind}/${r.name}=${r.health?.status ?? '-'}${r.health?.message ? ` "${r.health.message}"` : ''}`,
    )
    .join(', ');
  return `sync=${app.status?.sync?.status} health=${app.status?.health?.status} op=${app.status?.operationState?.phase} [${resources}]`;
}

/**
 * Polls the Application until `predicate` holds, asking Argo CD to refresh from Git every few
 * polls (what a Git webhook does); a timeout names what Argo CD last reported.
 */
async function appUntil(
  name: string,
  what: string,
  predicate: (app: Application) => boolean,
  timeoutMs = 240_000,
): Promise<Application> {
  const deadline = Date.now() + timeoutMs;
  let last: Application | undefined;
  let lastError: unknown;
  for (let poll = 0; Date.now() < deadline; poll += 1) {
    try {
      last = await argo.app(name, poll % 5 === 0 ? 'normal' : undefined);
      if (predicate(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await sleep(1_000);
  }
  const error = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${name}: ${what}; Argo CD said ${summary(last)}${error}`,
  );
}

/** The Application's health and the named resource's health and message, as Argo CD has them. */
function healthOf(app: Application, kind: string, name: string) {
  const resource = resourceOf(app, kind, name);
  return {
    app: app.status?.health?.status,
    status: resource?.health?.status,
    message: resource?.health?.message ?? '',
  };
}

async function expectHealth(
  appName: string,
  kind: string,
  name: string,
  /** `app` undefined: the Application's health is not checked (other resources weigh in). */
  expected: { app: string | undefined; status: string; message: string | RegExp },
  what: string,
  timeoutMs?: number,
): Promise<Application> {
  const matches = (app: Application) => {
    const h = healthOf(app, kind, name);
    return (
      (expected.app === undefined || h.app === expected.app) &&
      h.status === expected.status &&
      (typeof expected.message === 'string'
        ? h.message === expected.message
        : expected.message.test(h.message))
    );
  };
  const app = await appUntil(appName, what, matches, timeoutMs);
  return app;
}

type ExpectedHealth = Parameters<typeof expectHealth>[3];
const HEALTHY: ExpectedHealth = { app: 'Healthy', status: 'Healthy', message: '' };

/** expectHealth of the Rollout `web` in the Application `web`, which most tests drive. */
function expectWeb(expected: ExpectedHealth, what: string): Promise<Application> {
  return expectHealth('web', 'Rollout', 'web', expected, what);
}

/** Runs `action` on the web Rollout through Argo CD, then waits for the health it leads to. */
async function actOnWeb(action: string, expected: ExpectedHealth, what: string): Promise<Application> {
  await argo.runAction('web', ROLLOUT('web'), action);
  return expectWeb(expected, what);
}

async function enabledActions(appName: string, resource: ResourceRef): Promise<string[]> {
  return (await argo.actions(appName, resource))
    .filter((a) => !a.disabled)
    .map((a) => a.name)
    .sort();
}

async function webCommit(files: Record<string, string>, message: string): Promise<void> {
  await externalCommit(gitServer.url('gitops'), files, message);
}

const IMAGE = (tag: string) => `registry.example/acme/web:${tag}`;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'slipway-gitops-'));
  createBareRepo(root, 'gitops', { 'web/rollout.yaml': webRollout(IMAGE('1.0.0')) });
  gitServer = await startGitHttpServer(root);
  kubectl(['create', 'namespace', namespace]);
  controller = await startTestController(namespace);
  argo = await startArgoCd({
    kube: { kubectl, kubeconfig: inject('kubeconfig') },
    workDir: join(root, 'argocd'),
    argocdCm: argocdCmData({ pausedAsHealthy: false }),
    log,
  });
  log(`Argo CD API on ${argo.apiUrl}, logs in ${argo.logDir}`);
}, 3_600_000);

afterAll(() => tearDown([gitSync, argo, controller, registry, gitServer], { namespace, root }));

describe('Argo CD syncs Slipway Rollouts from Git and reads them with our Lua', () => {
  it('1. syncs the Rollout and reports it Healthy', async () => {
    kubectl(['apply', '-f', '-'], application('web', 'web'));
    const app = await expectWeb(HEALTHY, 'initial sync Healthy');
    expect(app.status?.sync?.status).toBe('Synced');
    expect(getRollout(namespace, 'web').status?.phase).toBe('Healthy');
    expect(await enabledActions('web', ROLLOUT('web'))).toEqual(['restart']);
  });

  it('2. a new image committed to Git is synced and the Rollout is Suspended at its first pause', async () => {
    await webCommit({ 'web/rollout.yaml': webRollout(IMAGE('2.0.0')) }, 'web: 2.0.0');
    const app = await expectWeb(
      {
        app: 'Suspended',
        status: 'Suspended',
        message: 'Paused at step 2 of 8 (setWeight 20): waiting for promotion',
      },
      'Suspended at the first pause',
    );
    expect(app.status?.sync?.status).toBe('Synced');
    expect(await enabledActions('web', ROLLOUT('web'))).toEqual([
      'abort',
      'pause',
      'promote-full',
      'restart',
      'resume',
      'skip-current-step',
    ]);
  });

  it('3. every Rollout action run through Argo CD is obeyed, and the offered actions follow the state', async () => {
    const web = ROLLOUT('web');
    const paused = (step: number, weight: number) => ({
      app: 'Suspended',
      status: 'Suspended',
      message: `Paused at step ${step} of 8 (setWeight ${weight}): waiting for promotion`,
    });

    // resume: the pause condition goes, the canary moves on to the next pause.
    await actOnWeb('resume', paused(4, 40), 'resume → paused at step 4');
    expect(getRollout(namespace, 'web').status?.currentStepIndex).toBe(3);

    // skip-current-step: from the pause at step 4 to step 5, then the pause at step 6.
    await actOnWeb('skip-current-step', paused(6, 60), 'skip-current-step → paused at step 6');

    // pause: a user's pause (spec.paused); resume is offered, pause is not.
    await actOnWeb(
      'pause',
      {
        app: 'Suspended',
        status: 'Suspended',
        message: /paused by a user \(spec\.paused\); run the resume action to continue/,
      },
      'pause → paused by a user',
    );
    expect(getRollout(namespace, 'web').spec.paused).toBe(true);
    const whilePaused = await enabledActions('web', web);
    expect(whilePaused).toContain('resume');
    expect(whilePaused).not.toContain('pause');

    // resume clears both pauses, in two writes (status, then spec). Argo Rollouts reconciles
    // between them and, paused by hand with no pause condition, drops controllerPause: the
    // step's pause starts over (test/switch/argocd-resume.test.ts runs this under Argo's own
    // controller). A second resume moves on to the last pause.
    const pauseStarted = getRollout(namespace, 'web').status?.pauseConditions?.[0]?.startTime;
    await actOnWeb('resume', paused(6, 60), 'resume → the pause at step 6 again');
    const held = getRollout(namespace, 'web');
    expect(held.spec.paused).not.toBe(true);
    expect(held.status?.currentStepIndex).toBe(5);
    expect(held.status?.pauseConditions?.map((c) => c.reason)).toEqual(['CanaryPauseStep']);
    expect(held.status?.pauseConditions?.[0]?.startTime).not.toBe(pauseStarted);
    expect(await enabledActions('web', web)).toContain('resume');
    await actOnWeb('resume', paused(8, 80), 'resume again → paused at step 8');

    // abort: Degraded, with the stable version serving; retry is offered, abort is not.
    await actOnWeb(
      'abort',
      {
        app: 'Degraded',
        status: 'Degraded',
        message:
          'RolloutAborted: Rollout aborted update to revision 2; the stable version keeps serving, run the retry action to roll out again',
      },
      'abort → Degraded',
    );
    const whileAborted = await enabledActions('web', web);
    expect(whileAborted).toContain('retry');
    expect(whileAborted).not.toContain('abort');
    expect(whileAborted).not.toContain('skip-current-step');

    // retry: the update starts over, to the first pause.
    await actOnWeb('retry', paused(2, 20), 'retry → paused at step 2');

    // promote-full: every step skipped, the new version becomes stable.
    await actOnWeb('promote-full', HEALTHY, 'promote-full → Healthy');
    const promoted = getRollout(namespace, 'web');
    expect(promoted.status?.stableRS).toBe(promoted.status?.currentPodHash);
    expect(await enabledActions('web', web)).toEqual(['restart']);

    // restart: restartAt is set and the controller restarts the pods.
    await argo.runAction('web', web, 'restart');
    const restartAt = getRollout(namespace, 'web').spec.restartAt;
    expect(restartAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await appUntil('web', 'restart done', () => {
      const r: Rollout = getRollout(namespace, 'web');
      return r.status?.restartedAt !== undefined && r.status.restartedAt >= String(restartAt);
    });
    await expectWeb(HEALTHY, 'Healthy after restart');
  });

  it("4. Argo CD's built-in Rollout health reads Slipway's status too", async () => {
    setArgoCdCm(argocdCmData({ pausedAsHealthy: false, builtinRolloutHealth: true }));
    await argo.app('web', 'hard');
    await expectWeb(HEALTHY, 'built-in: Healthy');
    await webCommit({ 'web/rollout.yaml': webRollout(IMAGE('3.0.0')) }, 'web: 3.0.0');
    // The built-in script reports Argo Rollouts' own status message for a paused canary.
    await expectWeb(
      { app: 'Suspended', status: 'Suspended', message: 'CanaryPauseStep' },
      'built-in: Suspended at the first pause',
    );
    await actOnWeb(
      'abort',
      {
        app: 'Degraded',
        status: 'Degraded',
        message: /^RolloutAborted: Rollout aborted update to revision 3/,
      },
      'built-in: Degraded after abort',
    );
    await argo.runAction('web', ROLLOUT('web'), 'retry');
    await actOnWeb('promote-full', HEALTHY, 'built-in: Healthy again');
  });

  it('4. with pausedAsHealthy a PostSync hook runs while the canary is paused at 20%', async () => {
    setArgoCdCm(argocdCmData({ pausedAsHealthy: true }));
    await argo.app('web', 'hard');
    await webCommit(
      { 'web/rollout.yaml': webRollout(IMAGE('4.0.0')), 'web/smoke-test.yaml': POST_SYNC_HOOK },
      'web: 4.0.0 with a PostSync smoke test',
    );
    const app = await appUntil(
      'web',
      'the sync to 4.0.0 finished, PostSync hook included',
      (a) =>
        a.status?.operationState?.phase === 'Succeeded' &&
        (a.status.operationState.syncResult?.resources ?? []).some(
          (r) =>
            r.kind === 'Job' &&
            r.name === 'smoke-test' &&
            r.hookType === 'PostSync' &&
            r.hookPhase === 'Succeeded',
        ),
    );
    expect(healthOf(app, 'Rollout', 'web')).toEqual({
      app: 'Healthy',
      status: 'Healthy',
      message:
        'Paused at step 2 of 8 (setWeight 20): waiting for promotion (reported Healthy: pausedAsHealthy)',
    });
    const rollout = getRollout(namespace, 'web');
    expect(rollout.status?.currentStepIndex).toBe(1);
    expect(rollout.status?.pauseConditions?.map((c) => c.reason)).toEqual(['CanaryPauseStep']);
    expect(
      getJson<{ status?: { succeeded?: number } }>(['job', 'smoke-test', '-n', namespace]).status?.succeeded,
    ).toBe(1);
  });
});

function envRollout(env: 'dev' | 'prod', image: string): string {
  const analysis = { templates: [{ templateName: `check-${env}` }] };
  return gitRollout(`web-${env}`, { steps: [{ setWeight: 50 }, { analysis }] }, { replicas: 2, image });
}

/** A Job analysis; kwok fails the pod with exit code 1 when `fail` (slipway.dev/kwok-exit-code). */
function checkTemplate(env: 'dev' | 'prod', fail: boolean): string {
  return JSON.stringify(
    analysisTemplateManifest(namespace, `check-${env}`, [
      { name: 'smoke', provider: jobProvider(fail ? 1 : undefined) },
    ]),
  );
}

function deliveryManifests(repository: string): string {
  const target = (env: string) =>
    `{gitTarget: gitops, path: envs/${env}/rollout.yaml, yaml: {path: "spec.template.spec.containers[name=web].image"}}`;
  const author = '{name: Slipway GitOps, email: gitops@slipway.dev}';
  return `${gitTargetYaml('gitops', gitServer.url('gitops'), { secretRef: undefined, author })}---
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: web-dev}
spec:
  image: ${repository}
  interval: 5s
  policy: {strategy: semver, semver: {constraint: ">=1"}}
  targets: [${target('dev')}]
---
apiVersion: slipway.dev/v1alpha1
kind: PromotionPipeline
metadata: {name: web}
spec:
  image: ${repository}
  environments:
    - {name: dev, target: ${target('dev')}, rollouts: [{name: web-dev}], application: {name: web-dev}}
    - {name: prod, target: ${target('prod')}, rollouts: [{name: web-prod}], application: {name: web-prod}}
`;
}

/** The newest commit whose trailers include `wanted`, once there is one. */
async function commitWith(wanted: Record<string, string>, what: string): Promise<Record<string, string>> {
  const bare = join(root, 'gitops.git');
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    for (const message of commitMessages(bare)) {
      const trailers = commitTrailers(message);
      if (Object.entries(wanted).every(([k, v]) => trailers[k] === v)) return trailers;
    }
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}; newest commit: ${commitMessages(bare)[0]}`);
}

/** The commit of a pipeline decision (promote or rollback) writing `image` to `env`, once there is one. */
function decisionCommit(decision: string, env: string, image: string, what: string) {
  return commitWith(
    { 'Slipway-Decision': decision, 'Slipway-Environment': env, 'Slipway-Image': image },
    what,
  );
}

const PIPELINE: ResourceRef = {
  group: 'slipway.dev',
  version: 'v1alpha1',
  kind: 'PromotionPipeline',
  namespace,
  name: 'web',
};

describe('image to prod through Git: ImageWatch, PromotionPipeline and Argo CD', () => {
  let repository = '';
  const R = (tag: string) => `${repository}:${tag}`;
  const envHealthy = (env: 'dev' | 'prod', tag: string, what: string) =>
    appUntil(`web-${env}`, what, (app) => {
      const h = healthOf(app, 'Rollout', `web-${env}`);
      if (h.app !== 'Healthy' || h.status !== 'Healthy' || app.status?.sync?.status !== 'Synced')
        return false;
      const r = getRollout(namespace, `web-${env}`);
      const image = (r.spec.template?.spec?.containers as { image: string }[] | undefined)?.[0]?.image;
      return image === R(tag) && r.status?.stableRS === r.status?.currentPodHash;
    });
  // The delivery Application holds the GitTarget, ImageWatch and PromotionPipeline; it must be
  // Healthy with them, other states are read from the pipeline alone.
  const pipelineHealth = (status: string, message: string | RegExp, what: string) =>
    expectHealth(
      'delivery',
      'PromotionPipeline',
      'web',
      { app: status === 'Healthy' ? 'Healthy' : undefined, status, message },
      what,
    );

  beforeAll(async () => {
    registry = await startRegistry();
    repository = `${registry.host}/acme/web`;
    await pushImage(registry.url, 'acme/web', '1.0.0');
    kubectl(['apply', '-f', '-'], checkTemplate('dev', false));
    kubectl(['apply', '-f', '-'], checkTemplate('prod', false));
    await webCommit(
      {
        'envs/dev/rollout.yaml': envRollout('dev', R('1.0.0')),
        'envs/prod/rollout.yaml': envRollout('prod', R('1.0.0')),
        'delivery/delivery.yaml': deliveryManifests(repository),
      },
      'dev and prod environments, delivered by Slipway',
    );
    gitSync = await startInProcessGitSync(namespace, join(root, 'git-sync'));
    for (const name of ['web-dev', 'web-prod', 'delivery'])
      kubectl(
        ['apply', '-f', '-'],
        application(name, name === 'delivery' ? 'delivery' : `envs/${name.slice(4)}`),
      );
  }, 600_000);

  it('5. a pushed tag reaches prod: ImageWatch commit, dev Healthy, promote commit, prod Healthy', async () => {
    await envHealthy('dev', '1.0.0', 'dev Healthy on 1.0.0');
    await envHealthy('prod', '1.0.0', 'prod Healthy on 1.0.0');
    await pipelineHealth('Healthy', `dev ${R('1.0.0')}, prod ${R('1.0.0')}`, 'pipeline Healthy on 1.0.0');

    const started = Date.now();
    await pushImage(registry!.url, 'acme/web', '2.0.0');
    const bump = await commitWith({ 'Slipway-Image': R('2.0.0') }, 'the ImageWatch commit of 2.0.0');
    expect(bump['Slipway-From']).toBe(R('1.0.0'));
    await envHealthy('dev', '2.0.0', 'dev Healthy on 2.0.0');
    const promote = await decisionCommit(
      'promote',
      'prod',
      R('2.0.0'),
      'the promote commit of 2.0.0 to prod',
    );
    expect(promote['Slipway-From']).toBe(R('1.0.0'));
    expect(promote['Slipway-Analysis']).toMatch(/=Successful$/);
    await envHealthy('prod', '2.0.0', 'prod Healthy on 2.0.0');
    log(`registry push of 2.0.0 to prod Healthy in Argo CD: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await pipelineHealth('Healthy', `dev ${R('2.0.0')}, prod ${R('2.0.0')}`, 'pipeline Healthy on 2.0.0');
  });

  it('6. an analysis failing in prod: Degraded, rollback commit and hold, released through Argo CD', async () => {
    kubectl(['apply', '-f', '-'], checkTemplate('prod', true));
    // git-sync rolls prod back within a second of the abort: Argo CD's watch stream keeps the
    // Degraded state that polling could miss.
    const prodStates = argo.watch('web-prod');
    try {
      await pushImage(registry!.url, 'acme/web', '3.0.0');
      await envHealthy('dev', '3.0.0', 'dev Healthy on 3.0.0');
      await decisionCommit('promote', 'prod', R('3.0.0'), 'the promote commit of 3.0.0 to prod');
      // The abort message names the failed AnalysisRun, whose name has the pod hash in it.
      const degraded = (app: Application) => {
        const h = healthOf(app, 'Rollout', 'web-prod');
        return (
          h.app === 'Degraded' &&
          h.status === 'Degraded' &&
          /^RolloutAborted: Rollout aborted update to revision 3: AnalysisRun 'web-prod-[a-z0-9]+-3-1' Failed: Metric "smoke" assessed Failed due to failed \(1\) > failureLimit \(0\); the stable version keeps serving, run the retry action to roll out again$/.test(
            h.message,
          )
        );
      };
      await eventually(
        'Argo CD reporting prod Degraded, naming the failed analysis',
        () => (prodStates.seen.some(degraded) ? true : undefined),
        240_000,
      ).catch((error: Error) => {
        const states = new Set(
          prodStates.seen.map((app) => JSON.stringify(healthOf(app, 'Rollout', 'web-prod'))),
        );
        throw new Error(`${error.message}; states seen: ${[...states].join(' ')}`);
      });
    } finally {
      prodStates.close();
    }
    const rollback = await decisionCommit('rollback', 'prod', R('2.0.0'), 'the rollback commit of prod');
    expect(rollback['Slipway-From']).toBe(R('3.0.0'));
    expect(rollback['Slipway-Analysis']).toMatch(/=Failed$/);
    await envHealthy('prod', '2.0.0', 'prod synced back to 2.0.0 and Healthy');
    await pipelineHealth(
      'Suspended',
      `${R('3.0.0')} held in prod (failed in prod; prod rolled back to ${R('2.0.0')}): release it with the release-hold action`,
      'pipeline Suspended on the hold',
    );
    const offered = (await argo.actions('delivery', PIPELINE)).find((a) => a.name === 'release-hold');
    // Argo CD's API leaves out `disabled` when false.
    expect(offered?.disabled ?? false).toBe(false);
    expect(offered?.displayName).toBe(`Release Hold on ${R('3.0.0')}`);

    // The analysis is fixed; the hold is released through Argo CD and 3.0.0 is promoted again.
    kubectl(['apply', '-f', '-'], checkTemplate('prod', false));
    await argo.runAction('delivery', PIPELINE, 'release-hold');
    expect(
      getJson<{ metadata: { annotations?: Record<string, string> } }>([
        'promotionpipeline',
        'web',
        '-n',
        namespace,
      ]).metadata.annotations?.['slipway.dev/release-hold'],
    ).toBe(R('3.0.0'));
    await envHealthy('prod', '3.0.0', 'prod Healthy on 3.0.0 after the release');
  });

  it('7. the PromotionPipeline is Healthy again after a rollback, in prod and in dev', async () => {
    await pipelineHealth(
      'Healthy',
      `dev ${R('3.0.0')}, prod ${R('3.0.0')}`,
      'pipeline Healthy after the prod rollback',
    );

    // A rollback in dev, the environment an ImageWatch writes: released, the watch writes the
    // image again, and the pipeline must follow it to prod and be Healthy.
    kubectl(['apply', '-f', '-'], checkTemplate('dev', true));
    await pushImage(registry!.url, 'acme/web', '4.0.0');
    await decisionCommit('rollback', 'dev', R('3.0.0'), 'the rollback commit of dev');
    await envHealthy('dev', '3.0.0', 'dev synced back to 3.0.0 and Healthy');
    await pipelineHealth(
      'Suspended',
      new RegExp(`^${R('4.0.0').replaceAll('.', '\\.')} held in dev`),
      'pipeline Suspended on the dev hold',
    );
    // The ImageWatch writes nothing while its candidate is held: a deliberate state, Healthy,
    // saying what is held and how to release it (the pipeline carries the Suspended).
    await expectHealth(
      'delivery',
      'ImageWatch',
      'web-dev',
      {
        app: 'Suspended',
        status: 'Healthy',
        message: new RegExp(
          `^Candidate held: nothing written: ${R('4.0.0').replaceAll('.', '\\.')} is held by PromotionPipeline web \\(failed in dev\\); release it with: `,
        ),
      },
      'ImageWatch Healthy on the hold',
    );
    kubectl(['apply', '-f', '-'], checkTemplate('dev', false));
    await argo.runAction('delivery', PIPELINE, 'release-hold');
    await envHealthy('dev', '4.0.0', 'dev Healthy on 4.0.0 after the release');
    // Before prod: a pipeline stuck after the rollback says so here (its health and message).
    await pipelineHealth(
      'Healthy',
      `dev ${R('4.0.0')}, prod ${R('4.0.0')}`,
      'pipeline Healthy after the dev rollback',
    );
    await envHealthy('prod', '4.0.0', 'prod Healthy on 4.0.0');
  });
});
