// The dashboard in a real browser (Debian's chromium through playwright-core) against the
// local cluster: a canary paused mid-way with background analysis, seen in the list and the
// detail page, then promoted and aborted from the page, with the cluster checked each time.
// Screenshots land in test/e2e/artifacts/ (ignored by git).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { UI_DIR } from '../../src/dashboard/command.js';
import { type Dashboard, startDashboard } from '../../src/dashboard/server.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import { RestClient } from '../../src/kube/rest.js';
import { PACKAGE_ROOT } from '../../src/package-paths.js';
import { createLogger } from '../../src/process/logger.js';
import { launchChromium, type TestBrowser } from './support/browser.js';
import { useControllerNamespace } from './support/controller.js';
import { type FixtureServer, startHttpFixture } from './support/http-fixtures.js';
import { apply, getJson, kubectl, patch } from './support/kubectl.js';
import { analysisTemplateManifest, canaryRollout } from './support/manifests.js';
import { freePort } from './support/prometheus.js';
import { getRollout, setImage, waitForPhase, waitForRollout } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const ARTIFACTS_DIR = join(PACKAGE_ROOT, 'test', 'e2e', 'artifacts');
const name = 'shop-web';
let metrics: FixtureServer;
let sample = 0;

const namespace = useControllerNamespace('dashboard');

const manifest = (image: string) =>
  JSON.stringify(
    canaryRollout(
      namespace,
      name,
      {
        analysis: { templates: [{ templateName: 'success-rate' }], startingStep: 1 },
        steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 40 }, { pause: {} }],
      },
      { replicas: 5, image },
    ),
  );

let dashboard: Dashboard;
let readOnlyDashboard: Dashboard;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(join(UI_DIR, 'index.html'))) {
    // `npm test` builds first; a single-file run builds the UI itself.
    const built = spawnSync(
      'npx',
      ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
      {
        cwd: PACKAGE_ROOT,
        encoding: 'utf8',
      },
    );
    if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr}`);
  }
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const client = new RestClient(loadKubeConfig({ path: inject('kubeconfig') }).kubeConfig);
  const common = {
    client,
    logger: createLogger('dashboard', 'warn'),
    host: '127.0.0.1',
    port: 0,
    namespace,
    uiDir: UI_DIR,
    version: 'e2e',
  };
  dashboard = await startDashboard(common);
  readOnlyDashboard = await startDashboard({ ...common, readOnly: true, rootPath: '/slipway' });
  browser = await launchChromium();
  page = await browser.context.newPage();
}, 300_000);

// The metric server exists before the namespace's AnalysisTemplate names its URL.
const metricsStarted = startHttpFixture(() => {
  sample += 1;
  return { body: { value: [0.93, 0.97, 0.91, 0.99, 0.95][sample % 5] } };
}).then((server) => {
  metrics = server;
});
beforeAll(async () => {
  await metricsStarted;
  apply(
    analysisTemplateManifest(namespace, 'success-rate', [
      {
        name: 'success-rate',
        interval: '2s',
        successCondition: 'result > 0.5',
        provider: { web: { url: `${metrics.url}/rate`, jsonPath: '{$.value}' } },
      },
    ]),
  );
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await readOnlyDashboard?.close();
  await metrics?.close();
});

/** Waits until the element's text matches; the page updates from the watch stream, not reloads. */
async function expectText(locator: Locator, pattern: RegExp, what: string): Promise<string> {
  let last = '';
  try {
    return await eventually(
      what,
      async () => {
        last = (await locator.first().textContent({ timeout: 2_000 })) ?? '';
        return pattern.test(last) ? last : undefined;
      },
      90_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last text: ${JSON.stringify(last.slice(0, 300))})`);
  }
}

describe('dashboard in a real browser', () => {
  it('lists the rollout mid-canary with status, step, weights and images', async () => {
    await metricsStarted;
    kubectl(['apply', '-f', '-'], manifest('shop:1.0'));
    await waitForPhase(namespace, name, 'Healthy');
    await page.goto(`${dashboard.url}#/rollouts/${namespace}`);
    const row = page.locator(`tr[data-rollout="${name}"]`);
    await expectText(row, /Healthy/, 'the list shows the healthy rollout');

    // The page follows the change itself: no reload from here on.
    setImage(namespace, name, 'shop:1.1');
    await waitForPhase(namespace, name, 'Paused', (s) => s.currentStepIndex === 1);
    const text = await expectText(row, /Paused.*1\/4.*20% \/ 20%/, 'the list shows the paused canary');
    expect(text).toContain('Canary');
    expect(text).toContain('shop:1.0 (stable)');
    expect(text).toContain('shop:1.1 (canary)');
    expect(text).toMatch(/5 \/ 5/);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-list.png'), fullPage: true });
  });

  it('shows the detail: current step, revisions with pods, analysis measurements, conditions and events', async () => {
    await page.getByRole('link', { name }).click();
    await expectText(page.locator('h1'), new RegExp(`${name}.*Paused`), 'the detail heading');
    const current = page.locator('ol.steps li[aria-current="step"]');
    await expectText(current, /Pause \(until promoted\)/, 'the current step is the indefinite pause');
    expect(await page.locator('ol.steps li[data-step-state="done"]').count()).toBe(1);
    await expectText(page.getByTestId('set-weight'), /^20%$/, 'set weight');

    await expectText(page.locator('[data-revision="2"]'), /canary/, 'revision 2 is the canary');
    await expectText(page.locator('[data-revision="1"]'), /stable/, 'revision 1 is the stable');
    await eventually('1 canary and 4 stable pods in the page', async () => {
      const canaryPods = await page.locator('[data-revision="2"] li.pod').count();
      const stablePods = await page.locator('[data-revision="1"] li.pod').count();
      return canaryPods === 1 && stablePods === 4 ? true : undefined;
    });

    // Background analysis from step 1: its measurements arrive live and are drawn.
    await eventually(
      'at least 3 measurements charted',
      async () => ((await page.locator('[data-analysisrun] svg circle').count()) >= 3 ? true : undefined),
      90_000,
    );
    const chart = await page.locator('[data-analysisrun] svg[role="img"]').first().getAttribute('aria-label');
    expect(chart).toMatch(/^success-rate: \d+ measurements, last 0\.9\d \((Successful|Running)\)/);

    await expectText(page.locator('#conditions-title + table'), /Progressing/, 'conditions');
    await expectText(
      page.locator('table.events'),
      /RolloutPaused|RolloutStepCompleted|RolloutUpdated/,
      'events',
    );
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-detail.png'), fullPage: true });
  });

  it('has labelled, keyboard reachable actions that confirm before acting', async () => {
    for (const action of ['Promote', 'Promote full', 'Abort', 'Retry', 'Restart', 'Pause']) {
      await page.getByRole('button', { name: `${action} ${name}`, exact: true }).waitFor();
    }
    expect(await page.getByRole('textbox', { name: 'New image' }).count()).toBe(1);
    expect(await page.getByRole('combobox', { name: /^Revision/ }).count()).toBe(1);
    // Tab from the page start reaches the promote button.
    await page.locator('body').focus();
    const reached = await eventually('Tab reaches the promote button', async () => {
      await page.keyboard.press('Tab');
      const label = await page.evaluate('document.activeElement?.getAttribute("aria-label")');
      return label === `Promote ${name}` ? true : undefined;
    });
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Promote' });
    await dialog.waitFor();
    // Cancel has the focus: an accidental Enter does nothing.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(getRollout(namespace, name).status?.currentStepIndex).toBe(1);
  });

  it('promotes from the page: the cluster moves to the next pause and the page follows', async () => {
    await page.getByRole('button', { name: `Promote ${name}`, exact: true }).click();
    await page.getByRole('button', { name: 'Confirm promote' }).click();
    await expectText(
      page.getByRole('status').filter({ hasText: 'Promoted' }),
      /Promoted shop-web\./,
      'result',
    );
    await waitForPhase(namespace, name, 'Paused', (s) => s.currentStepIndex === 3);
    await expectText(page.getByTestId('step'), /^3\/4$/, 'the page shows step 3/4');
    await expectText(page.getByTestId('set-weight'), /^40%$/, 'the page shows 40%');
  });

  it('aborts from the page: the cluster goes back to stable and the page shows Degraded', async () => {
    await page.getByRole('button', { name: `Abort ${name}`, exact: true }).click();
    const confirm = page.getByRole('button', { name: 'Confirm abort' });
    await confirm.focus();
    await page.keyboard.press('Enter');
    await expectText(page.getByRole('status').filter({ hasText: 'Aborted' }), /Aborted shop-web\./, 'result');
    const ro = await waitForRollout(namespace, name, 'aborted', (r) => r.status?.abort === true);
    expect(ro.status?.abort).toBe(true);
    await expectText(page.locator('h1'), /Degraded/, 'the page shows Degraded');
    await expectText(page.getByTestId('set-weight'), /^0%$/, 'no traffic to the canary');
    await page.getByRole('button', { name: `Retry ${name}`, exact: true }).waitFor();
  });

  it('reports API errors in the page', async () => {
    await page.getByLabel('New image').fill('not an image');
    await page.getByRole('button', { name: 'Set image' }).click();
    await page.getByRole('button', { name: 'Confirm set image' }).click();
    await expectText(page.getByRole('alert'), /Set image failed: 400: invalid image "not an image/, 'error');
    const containers = getRollout(namespace, name).spec.template?.spec?.containers as { image: string }[];
    expect(containers[0]?.image).toBe('shop:1.1');
  });
});

describe('Git-sync view in the browser', () => {
  // What git-sync would have written to status (git-sync itself is tested in gitsync*.test.ts).
  const setStatus = (kind: string, objectName: string, status: object) =>
    patch(kind, objectName, namespace, { status }, { subresource: 'status' });
  const commit = '3f2a9c1d5e7b8a0f4c6d2e1b9a8f7c6d5e4b3a21';

  beforeAll(() => {
    apply({
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'GitTarget',
      metadata: { name: 'deploy', namespace },
      spec: { url: 'https://github.com/acme/deploy.git', branch: 'main' },
    });
    apply({
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'ImageWatch',
      metadata: { name: 'shop', namespace },
      spec: {
        image: 'shop',
        policy: { strategy: 'semver', semver: { constraint: '^1' } },
        targets: [{ gitTarget: 'deploy', path: 'shop/kustomization.yaml', kustomize: {} }],
      },
    });
    apply({
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'PromotionPipeline',
      metadata: { name: 'shop', namespace },
      spec: {
        image: 'shop',
        environments: [
          {
            name: 'staging',
            target: { gitTarget: 'deploy', path: 'staging/kustomization.yaml', kustomize: {} },
            rollouts: [{ name }],
            gates: { approval: true },
          },
          {
            name: 'prod',
            target: { gitTarget: 'deploy', path: 'prod/kustomization.yaml', kustomize: {} },
            rollouts: [{ name: 'shop-prod' }],
          },
        ],
      },
    });
    setStatus('gittarget', 'deploy', {
      head: commit,
      lastPushedCommit: commit,
      lastPushedAt: '2026-12-06T21:00:00Z',
    });
    setStatus('imagewatch', 'shop', {
      latest: { tag: '1.2', image: 'shop:1.2' },
      writes: [{ gitTarget: 'deploy', path: 'shop/kustomization.yaml', state: 'Pending', image: 'shop:1.2' }],
    });
    setStatus('promotionpipeline', 'shop', {
      environments: [
        { name: 'staging', state: 'Healthy', image: 'shop:1.1', waiting: 'waiting for approval of shop:1.1' },
        { name: 'prod', state: 'Healthy', image: 'shop:1.0', stableImage: 'shop:1.0' },
      ],
      held: [
        {
          image: 'shop:0.9',
          environment: 'staging',
          reason: 'AnalysisRun failed',
          since: '2026-12-06T20:00:00Z',
        },
      ],
      history: [
        {
          type: 'hold',
          environment: 'staging',
          image: 'shop:0.9',
          reason: 'AnalysisRun failed',
          rollout: `${namespace}/${name}`,
          analysis: 'shop-web-abc-2',
          commit,
          at: '2026-12-06T20:00:00Z',
        },
      ],
    });
  });

  it('shows the candidate next to what runs, the last commit linked, and the environment grid', async () => {
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${dashboard.url}#/gitsync/${namespace}`);
    const watch = page.locator('tr[data-imagewatch="shop"]');
    const watchText = await expectText(watch, /1\.2/, 'the candidate tag');
    expect(watchText).toContain(`${name}: shop:1.1`);
    expect(watchText).toContain('newer than running');
    const link = page.locator('tr[data-gittarget="deploy"] a');
    expect(await link.getAttribute('href')).toBe(`https://github.com/acme/deploy/commit/${commit}`);
    const staging = page.locator('tr[data-environment="staging"]');
    await expectText(staging, /runs/, 'staging runs its image');
    await expectText(
      page.locator('[data-pipeline="shop"] table.events'),
      /hold.*AnalysisRun failed/,
      'decisions',
    );
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-gitsync.png'), fullPage: true });
  });

  it('approves and releases from the page: the annotations the controller acts on are set', async () => {
    await page.getByRole('button', { name: 'Approve shop:1.1 in staging' }).click();
    await expectText(
      page.getByRole('status').filter({ hasText: 'Approved' }),
      /Approved shop:1\.1 in staging\./,
      'approved',
    );
    const annotations = () =>
      getJson<{ metadata: { annotations?: Record<string, string> } }>([
        'promotionpipeline',
        'shop',
        '-n',
        namespace,
      ]).metadata.annotations ?? {};
    expect(annotations()['slipway.dev/approve.staging']).toBe('shop:1.1');
    await page.getByRole('button', { name: 'Release shop:0.9' }).click();
    await expectText(
      page.getByRole('status').filter({ hasText: 'Released' }),
      /Released shop:0\.9\./,
      'released',
    );
    expect(annotations()['slipway.dev/release-hold']).toBe('shop:0.9');
    // The page follows the object: the hold now shows the release as requested.
    await expectText(page.locator('[data-pipeline="shop"]'), /Release requested/, 'release requested');
  });
});

describe("Argo's dashboard API", () => {
  it('serves the list, the rollout and the watch stream in the shapes of rollout.proto', async () => {
    const list = (await (await fetch(`${dashboard.url}api/v1/rollouts/${namespace}/info`)).json()) as {
      rollouts: { objectMeta: { name: string }; strategy: string; replicaSets: unknown[] }[];
    };
    expect(list.rollouts.map((r) => [r.objectMeta.name, r.strategy])).toEqual([[name, 'Canary']]);
    const one = (await (await fetch(`${dashboard.url}api/v1/rollouts/${namespace}/${name}/info`)).json()) as {
      analysisRuns: { specAndStatus: unknown }[];
    };
    expect(one.analysisRuns.length).toBeGreaterThan(0);

    const controller = new AbortController();
    const response = await fetch(`${dashboard.url}api/v1/rollouts/${namespace}/info/watch`, {
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toBe('application/json');
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const first = JSON.parse(text.split('\n')[0] as string) as {
      result: { type: string; rolloutInfo: { objectMeta: { name: string } } };
    };
    expect(first.result.type).toBe('Updated');
    expect(first.result.rolloutInfo.objectMeta.name).toBe(name);

    const missing = await fetch(`${dashboard.url}api/v1/rollouts/${namespace}/nope/info`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 5, message: 'rollout.argoproj.io "nope" not found' });
  });

  it('serves under --root-path and refuses actions when read-only', async () => {
    expect(readOnlyDashboard.url).toMatch(/\/slipway\/$/);
    const list = await fetch(`${readOnlyDashboard.url}api/v1/rollouts/${namespace}/info`);
    expect(list.status).toBe(200);
    const before = getRollout(namespace, name).metadata?.resourceVersion;
    const refused = await fetch(`${readOnlyDashboard.url}api/v1/rollouts/${namespace}/${name}/retry`, {
      method: 'PUT',
      body: '{}',
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 7 });
    expect(getRollout(namespace, name).metadata?.resourceVersion).toBe(before);

    const roPage = await browser.context.newPage();
    await roPage.goto(`${readOnlyDashboard.url}#/rollout/${namespace}/${name}`);
    await expectText(roPage.locator('header'), /read-only/, 'the read-only badge');
    await expectText(roPage.locator('section.actions'), /read-only/, 'no action buttons');
    expect(await roPage.getByRole('button', { name: `Abort ${name}` }).count()).toBe(0);
    await roPage.close();
  });
});

describe('the other actions from the page', () => {
  const image = () =>
    (getRollout(namespace, name).spec.template?.spec?.containers as { image: string }[] | undefined)?.[0]
      ?.image;

  it('retries, pauses and resumes, each changing the cluster', async () => {
    await page.goto(`${dashboard.url}#/rollout/${namespace}/${name}`);
    await page.getByRole('button', { name: `Retry ${name}`, exact: true }).click();
    await page.getByRole('button', { name: 'Confirm retry' }).click();
    await waitForRollout(namespace, name, 'retried', (r) => r.status?.abort !== true);

    await page.getByRole('button', { name: `Pause ${name}`, exact: true }).click();
    await page.getByRole('button', { name: 'Confirm pause' }).click();
    await waitForRollout(namespace, name, 'paused by the user', (r) => r.spec.paused === true);
    // The page learns it is paused from the stream and offers Resume instead.
    await page.getByRole('button', { name: `Resume ${name}`, exact: true }).click();
    await page.getByRole('button', { name: 'Confirm resume' }).click();
    await waitForRollout(namespace, name, 'resumed', (r) => r.spec.paused !== true);
    // The cluster may move before the page hears back; until it does, the confirm dialog stays
    // open and modal, and the next test's typing would go nowhere (the form behind it is inert).
    await expectText(
      page.getByRole('status').filter({ hasText: 'Resumed' }),
      new RegExp(`Resumed ${name}\\.`),
      'resume reported',
    );
  });

  it('sets an image and undoes to an earlier revision', async () => {
    await page.getByRole('textbox', { name: 'New image' }).fill('shop:1.2');
    await page.getByRole('button', { name: 'Set image' }).click();
    await page.getByRole('button', { name: 'Confirm set image' }).click();
    await expectText(
      page.getByRole('status').filter({ hasText: 'Set app' }),
      /Set app of shop-web to shop:1\.2\./,
      'set',
    );
    expect(image()).toBe('shop:1.2');
    await waitForRollout(
      namespace,
      name,
      'revision 3',
      (r) => r.metadata?.annotations?.['rollout.argoproj.io/revision'] === '3',
    );

    const revision = page.getByRole('combobox', { name: /^Revision/ });
    // Preact sets option values as properties, so match the option's text, not a [value] attribute.
    await eventually('revision 1 offered for undo', async () =>
      (await revision.locator('option', { hasText: /^1$/ }).count()) === 1 ? true : undefined,
    );
    await revision.selectOption('1');
    await page.getByRole('button', { name: 'Undo to revision' }).click();
    await page.getByRole('button', { name: 'Confirm undo' }).click();
    await expectText(
      page.getByRole('status').filter({ hasText: 'Rolled' }),
      /Rolled shop-web back to revision 1\./,
      'undo',
    );
    expect(image()).toBe('shop:1.0');
  });
});

describe('kubectl slipway dashboard, the process', () => {
  it('serves the API and health checks, refuses foreign Host names, and exits cleanly on SIGTERM', async () => {
    const plugin = join(PACKAGE_ROOT, 'dist', 'cmd', 'kubectl-slipway.js');
    if (!existsSync(join(PACKAGE_ROOT, 'dist', 'dashboard', 'command.js'))) {
      const built = spawnSync('npm', ['run', 'build'], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr}`);
    }
    const [port, healthPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        plugin,
        '--kubeconfig',
        inject('kubeconfig'),
        '-n',
        namespace,
        'dashboard',
        '--port',
        String(port),
        '--healthz-port',
        String(healthPort),
        '--read-only',
        '--loglevel',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await eventually('the dashboard process is ready', async () =>
        (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.status === 200
          ? true
          : undefined,
      );
      const settings = await (await fetch(`http://127.0.0.1:${port}/api/v1/slipway/settings`)).json();
      expect(settings).toMatchObject({ readOnly: true });
      const namespaceInfo = await (await fetch(`http://127.0.0.1:${port}/api/v1/namespace`)).json();
      expect(namespaceInfo).toMatchObject({ namespace });
      const list = (await (
        await fetch(`http://127.0.0.1:${port}/api/v1/rollouts/${namespace}/info`)
      ).json()) as {
        rollouts: { objectMeta: { name: string } }[];
      };
      expect(list.rollouts.map((r) => r.objectMeta.name)).toEqual([name]);
      const index = await fetch(`http://localhost:${port}/`);
      expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await index.text()).toContain('<div id="app">');
      // A page whose own name resolves to 127.0.0.1 (DNS rebinding) gets nothing.
      const rebound = await new Promise<number>((done, fail) =>
        request(
          { host: '127.0.0.1', port, path: '/api/v1/namespace', headers: { host: `evil.example:${port}` } },
          (res) => {
            res.resume();
            done(res.statusCode ?? 0);
          },
        )
          .on('error', fail)
          .end(),
      );
      expect(rebound).toBe(421);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
