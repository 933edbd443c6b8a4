// Promotion on the local cluster: three environments (dev, staging, prod) in one bare repository
// served by git http-backend, their Rollouts driven by the in-process controller, `slipway git-sync`
// in process. The test stands in for Argo CD (it applies each environment's manifest from Git).
// Given all three Healthy on 1.0.0, when 2.0.0 lands in dev and completes with a passing analysis,
// then staging gets it by a promote commit; when staging's analysis fails and the rollout aborts,
// then staging is written back to 1.0.0 by a rollback commit, 2.0.0 is held, and prod is untouched.
// Then an ImageWatch on the same image, checked after the rollback, does not bump staging back to
// the held 2.0.0 (it reports the hold and writes nothing). A last case promotes into a pull-request environment through the GitHub stand-in, merges the
// pull request (a real merge in the repository) and sees the branch cleaned up.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageWatchStatus } from '../../src/api/gitsync.js';
import type { PromotionPipelineStatus } from '../../src/api/promotion.js';
import type { ImageSource } from '../../src/gitsync/imagewatch/check.js';
import type { GitSyncProcess } from '../../src/gitsync/process.js';
import { startTestController, type TestController } from './support/controller.js';
import {
  commitMessages,
  commitTrailers,
  createBareRepo,
  externalCommit,
  type GitHttpServer,
  git,
  showFile,
  startGitHttpServer,
} from './support/git-server.js';
import { type GitHubFixture, startGitHubFixture } from './support/github-fixture.js';
import { gitTargetYaml } from './support/gitsync.js';
import { apply, getJson, kubectl, tryKubectl } from './support/kubectl.js';
import { startInProcessGitSync, tearDown } from './support/lifecycle.js';
import { analysisTemplateManifest, jobProvider } from './support/manifests.js';
import { waitForRollout } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const namespace = `promo-${Date.now().toString(36)}`;
const V1 = 'reg.local/acme/web:1.0.0';
const V2 = 'reg.local/acme/web:2.0.0';
const V3 = 'reg.local/acme/web:3.0.0';
/** The tags of reg.local/acme/web; a test adds one. */
const webTags = ['1.0.0', '2.0.0'];
const TOKEN = 'ghp_promotionE2E0123456789';

let root: string;
let bare: string;
let gitServer: GitHttpServer;
let github: GitHubFixture;
let controller: TestController;
let gitSync: GitSyncProcess;

/** Where a pipeline environment or watch writes the image: that environment's Rollout manifest. */
const envTarget = (env: string) =>
  `{gitTarget: platform, path: envs/${env}/rollout.yaml, yaml: {path: "spec.template.spec.containers[name=web].image"}}`;

/** An ImageWatch on reg.local/acme/web writing to staging, as a person might add beside the pipeline. */
const stagingWatch = (name: string) => `
apiVersion: slipway.dev/v1alpha1
kind: ImageWatch
metadata: {name: ${name}}
spec:
  image: reg.local/acme/web
  interval: 1h
  policy: {strategy: semver, semver: {constraint: ">=1"}}
  targets: [${envTarget('staging')}]
`;

function rolloutManifest(name: string, image: string, analysis: 'job-pass' | 'job-fail'): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: ${name}
  annotations:
    slipway.dev/release-pause: "" # set by release-pause pull requests
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: web
          image: ${image} # promoted by slipway
  strategy:
    canary:
      steps:
        - setWeight: 50
        - analysis:
            templates: [{templateName: ${analysis}}]
`;
}

function template(name: string, exitCode?: number): string {
  return JSON.stringify(
    analysisTemplateManifest(namespace, name, [{ name: 'check', provider: jobProvider(exitCode, 'check') }]),
  );
}

/** What Argo CD would do: apply the environment's manifest as Git has it. */
function syncFromGit(env: string): void {
  kubectl(['apply', '-n', namespace, '-f', '-'], showFile(bare, `envs/${env}/rollout.yaml`));
}

function pipelineStatus(name: string): PromotionPipelineStatus {
  return (
    getJson<{ status?: PromotionPipelineStatus }>(['promotionpipeline', name, '-n', namespace]).status ?? {}
  );
}

const healthyOn = (image: string) => (r: import('../../src/api/rollout.js').Rollout) =>
  r.status?.phase === 'Healthy' &&
  r.status.stableRS === r.status.currentPodHash &&
  (r.spec.template?.spec?.containers as { image: string }[] | undefined)?.[0]?.image === image;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'slipway-promotion-e2e-'));
  bare = createBareRepo(root, 'platform', {
    'envs/dev/rollout.yaml': rolloutManifest('web-dev', V1, 'job-pass'),
    'envs/staging/rollout.yaml': rolloutManifest('web-staging', V1, 'job-fail'),
    'envs/prod/rollout.yaml': rolloutManifest('web-prod', V1, 'job-pass'),
  });
  gitServer = await startGitHttpServer(root);
  github = await startGitHubFixture({ owner: 'acme', repo: 'platform', token: TOKEN, bareRepo: bare });
  kubectl(['create', 'namespace', namespace]);
  kubectl(['create', 'secret', 'generic', 'github', '-n', namespace, `--from-literal=token=${TOKEN}`]);
  kubectl(['apply', '-f', '-'], template('job-pass'));
  kubectl(['apply', '-f', '-'], template('job-fail', 1));
  controller = await startTestController(namespace);
  gitSync = await startInProcessGitSync(namespace, join(root, 'work'), {
    // The registry of reg.local/acme/web: both tags exist, as when a watch bumped dev to 2.0.0.
    registryFactory: (_, watch) =>
      watch.spec.image === 'reg.local/acme/web'
        ? ({
            listTags: async () => [...webTags],
            resolve: async (tag: string) => ({
              digest: `sha256:${tag.replaceAll('.', '').padStart(64, '0')}`,
            }),
            buildTime: async (tag: string) => ({
              digest: `sha256:${tag.replaceAll('.', '').padStart(64, '0')}`,
            }),
          } as unknown as ImageSource)
        : undefined,
  });
  const author = '{name: Slipway E2E, email: e2e@slipway.dev}';
  apply(gitTargetYaml('platform', gitServer.url('platform'), { secretRef: undefined, author }), namespace);
}, 180_000);

afterAll(() => tearDown([gitSync, controller, github, gitServer], { namespace, root }));

describe('promotion decisions written back to Git', () => {
  it('promotes dev to staging, rolls staging back when its analysis fails, holds the image, leaves prod alone', async () => {
    // Given: the three environments as Git declares them, Healthy on 1.0.0.
    for (const env of ['dev', 'staging', 'prod']) syncFromGit(env);
    for (const env of ['dev', 'staging', 'prod'])
      await waitForRollout(namespace, `web-${env}`, `${env} Healthy`, healthyOn(V1));
    apply(
      `
apiVersion: slipway.dev/v1alpha1
kind: PromotionPipeline
metadata: {name: web}
spec:
  image: reg.local/acme/web
  environments:
    - {name: dev, target: ${envTarget('dev')}, rollouts: [{name: web-dev}], application: {name: web-dev, url: "https://argocd.example/applications/web-dev"}}
    - {name: staging, target: ${envTarget('staging')}, rollouts: [{name: web-staging}]}
    - {name: prod, target: ${envTarget('prod')}, rollouts: [{name: web-prod}]}
`,
      namespace,
    );
    await eventually('pipeline observes all three Healthy on 1.0.0', () => {
      const envs = pipelineStatus('web').environments ?? [];
      return envs.length === 3 && envs.every((e) => e.state === 'Healthy' && e.stableImage === V1)
        ? true
        : undefined;
    });
    const prodBefore = showFile(bare, 'envs/prod/rollout.yaml');

    // When: 2.0.0 lands in dev (as an ImageWatch bump would) and completes with its analysis passing.
    await externalCommit(
      gitServer.url('platform'),
      { 'envs/dev/rollout.yaml': rolloutManifest('web-dev', V2, 'job-pass') },
      'chore(images): update web to 2.0.0',
    );
    syncFromGit('dev');
    await waitForRollout(namespace, 'web-dev', 'dev Healthy on 2.0.0', healthyOn(V2));

    // Then: a promote commit writes 2.0.0 to staging, with its evidence in trailers.
    await eventually(
      'staging promoted in Git',
      () => (showFile(bare, 'envs/staging/rollout.yaml').includes(V2) ? true : undefined),
      60_000,
    );
    const promote = commitTrailers(commitMessages(bare)[0]!);
    expect(promote).toMatchObject({
      'Slipway-Decision': 'promote',
      'Slipway-Environment': 'staging',
      'Slipway-Image': V2,
      'Slipway-From': V1,
      'Slipway-Rollout': `${namespace}/web-dev`,
    });
    expect(promote['Slipway-Analysis']).toMatch(/^web-dev-[a-z0-9]+-2-1=Successful$/);
    expect(showFile(bare, 'envs/staging/rollout.yaml')).toBe(rolloutManifest('web-staging', V2, 'job-fail'));

    // When: staging syncs 2.0.0 and its analysis fails, aborting the rollout.
    syncFromGit('staging');
    await waitForRollout(
      namespace,
      'web-staging',
      'staging aborted',
      (r) => r.status?.abort === true,
      120_000,
    );

    // Then: staging is written back to 1.0.0 by a rollback commit, and 2.0.0 is held.
    await eventually(
      'staging rolled back in Git',
      () => (showFile(bare, 'envs/staging/rollout.yaml').includes(V1) ? true : undefined),
      60_000,
    );
    expect(showFile(bare, 'envs/staging/rollout.yaml')).toBe(rolloutManifest('web-staging', V1, 'job-fail'));
    const rollback = commitTrailers(commitMessages(bare)[0]!);
    expect(rollback).toMatchObject({
      'Slipway-Decision': 'rollback',
      'Slipway-Environment': 'staging',
      'Slipway-Image': V1,
      'Slipway-From': V2,
      'Slipway-Rollout': `${namespace}/web-staging`,
    });
    expect(rollback['Slipway-Analysis']).toMatch(/=Failed$/);
    expect(
      git(bare, ['log', '-1', '--format=%(trailers:key=Slipway-Decision,valueonly)', 'main']).trim(),
    ).toBe('rollback');
    const status = await eventually('hold recorded', () => {
      const s = pipelineStatus('web');
      return s.held?.some((h) => h.image === V2) ? s : undefined;
    });
    expect(status.held).toEqual([expect.objectContaining({ image: V2, environment: 'staging' })]);
    expect(status.history?.map((h) => `${h.type} ${h.environment} ${h.image}`)).toEqual([
      `hold staging ${V2}`,
      `rollback staging ${V1}`,
      `promote staging ${V2}`,
    ]);
    expect(status.history?.[1]?.commit).toBe(git(bare, ['rev-parse', 'main']).trim());
    expect(status.environments?.find((e) => e.name === 'staging')).toMatchObject({
      desiredImage: V1,
      stableImage: V1,
    });

    // And: once staging is back on 1.0.0, dev's 2.0.0 is not promoted again (held); prod never moved.
    syncFromGit('staging');
    await waitForRollout(namespace, 'web-staging', 'staging Healthy on 1.0.0 again', healthyOn(V1), 120_000);
    await eventually('dev waits on the hold', () =>
      pipelineStatus('web')
        .environments?.find((e) => e.name === 'dev')
        ?.waiting?.includes('is held')
        ? true
        : undefined,
    );
    expect(showFile(bare, 'envs/staging/rollout.yaml')).toContain(V1);
    expect(showFile(bare, 'envs/prod/rollout.yaml')).toBe(prodBefore);
    expect(commitMessages(bare).filter((m) => m.includes('Slipway-Environment: prod'))).toEqual([]);
  });

  it('an ImageWatch checked after the rollback does not bump staging back to the held image', async ({
    onTestFinished,
  }) => {
    onTestFinished(() => void tryKubectl(['delete', 'imagewatch', 'web-staging', '-n', namespace]));
    const head = git(bare, ['rev-parse', 'main']).trim();
    apply(stagingWatch('web-staging'), namespace);
    const watchStatus = () =>
      getJson<{ status?: ImageWatchStatus }>(['imagewatch', 'web-staging', '-n', namespace]).status ?? {};
    // Then: the best tag, 2.0.0, is held, so the watch writes nothing (it never falls back to
    // an older tag) and says how to release it.
    const first = await eventually('watch checked and the hold reported', () => {
      const s = watchStatus();
      const ready = s.conditions?.find((c) => c.type === 'Ready');
      return ready?.reason === 'CandidateHeld' ? s : undefined;
    });
    expect(first.conditions?.find((c) => c.type === 'Ready')?.message).toContain('slipway.dev/release-hold=');

    // A newer check (check-now) still writes nothing.
    await new Promise((done) => setTimeout(done, 1100));
    kubectl([
      'annotate',
      'imagewatch',
      'web-staging',
      '-n',
      namespace,
      `slipway.dev/check-requested-at=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '--overwrite',
    ]);
    await eventually('watch checked again', () => {
      const s = watchStatus();
      return s.lastCheckedAt !== first.lastCheckedAt ? s : undefined;
    });
    expect(showFile(bare, 'envs/staging/rollout.yaml')).toBe(rolloutManifest('web-staging', V1, 'job-fail'));
    expect(git(bare, ['rev-parse', 'main']).trim()).toBe(head);
  });

  it('after the rollback, an ImageWatch writing a newer image to staging moves its desiredImage (not Progressing for good)', async ({
    onTestFinished,
  }) => {
    onTestFinished(() => void tryKubectl(['delete', 'imagewatch', 'web-staging-next', '-n', namespace]));
    expect(pipelineStatus('web').environments?.find((e) => e.name === 'staging')?.desiredImage).toBe(V1);
    webTags.push('3.0.0');
    apply(stagingWatch('web-staging-next'), namespace);
    await eventually(
      '3.0.0 in Git',
      () => (showFile(bare, 'envs/staging/rollout.yaml').includes(V3) ? true : undefined),
      60_000,
    );
    await eventually(
      'staging desiredImage follows the ImageWatch',
      () =>
        pipelineStatus('web').environments?.find((e) => e.name === 'staging')?.desiredImage === V3
          ? true
          : undefined,
      60_000,
    );
  });

  it('promotes into a pull-request environment: a pull request whose merge lands the image', async () => {
    apply(
      `
apiVersion: slipway.dev/v1alpha1
kind: PromotionPipeline
metadata: {name: web-pr}
spec:
  image: reg.local/acme/web
  scm: {provider: github, owner: acme, repository: platform, apiUrl: "${github.baseUrl}", secretRef: {name: github}, labels: [team-web]}
  environments:
    - {name: dev, target: ${envTarget('dev')}, rollouts: [{name: web-dev}]}
    - {name: prod, target: ${envTarget('prod')}, rollouts: [{name: web-prod}], mode: pull-request}
`,
      namespace,
    );
    // dev runs 2.0.0 (held by the other pipeline only); here it is promoted by pull request.
    const number = await eventually(
      'pull request opened and recorded',
      () => pipelineStatus('web-pr').environments?.find((e) => e.name === 'prod')?.pullRequest?.number,
      60_000,
    );
    const pr = github.pulls.find((p) => p.number === number)!;
    expect(pr).toMatchObject({
      head: 'slipway/promote/web-pr/prod',
      base: 'main',
      title: 'Promote web:2.0.0 to prod',
      labels: ['slipway', 'slipway/promote', 'env/prod', 'team-web'],
    });
    expect(pr.body).toContain(`\`envs/prod/rollout.yaml\`: ${V1} → \`${V2}\``);
    expect(pr.body).toContain('Slipway-Decision: promote');
    expect(showFile(bare, 'envs/prod/rollout.yaml', 'slipway/promote/web-pr/prod')).toContain(V2);
    expect(showFile(bare, 'envs/prod/rollout.yaml')).toContain(V1);
    const headSha = git(bare, ['rev-parse', 'slipway/promote/web-pr/prod']).trim();
    expect(github.statuses.get(headSha)?.[0]).toMatchObject({ state: 'success', context: 'slipway/promote' });

    // When a person merges it and Argo CD syncs prod, the pull request is done and its branch removed.
    github.merge(pr.number);
    expect(showFile(bare, 'envs/prod/rollout.yaml')).toContain(V2);
    syncFromGit('prod');
    await waitForRollout(namespace, 'web-prod', 'prod Healthy on 2.0.0', healthyOn(V2), 120_000);
    await eventually(
      'bot branch deleted',
      () => (github.deletedBranches.includes('slipway/promote/web-pr/prod') ? true : undefined),
      60_000,
    );
    // The branch goes first, then the status records that no pull request is open.
    await eventually('no open pull request recorded for prod', () =>
      pipelineStatus('web-pr').environments?.find((e) => e.name === 'prod')?.pullRequest === undefined
        ? true
        : undefined,
    );
  });
});
