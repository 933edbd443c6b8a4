// Git-sync benchmark. By default the realistic case: the local control plane, a real
// docker-registry (behind a counting proxy, its notifications going to our webhook), a bare Git
// monorepo and the `slipway git-sync` process, with 500 applications whose images live in 50
// registry repositories. Measures apply → all written, then a round of new tags in all 50
// repositories: push → all 500 files pushed, commits per round, registry requests per repository
// (counted at the proxy) and Kubernetes requests (git-sync's own request metrics).
//   npx tsx bench/gitsync.ts [--apps 500] [--repositories 50]
// --micro: the in-memory micro-benchmark of the Git path alone (pre-resolved tags, no cluster):
// policy, planning, 500 byte-exact edits, one commit, one push to a bare repository over file://.
//   npx tsx bench/gitsync.ts --micro [--apps 500]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ImageWatch } from '../src/api/gitsync.js';
import { planRepositoryEdits } from '../src/gitsync/gittarget/repository-plan.js';
import { pushEdits } from '../src/gitsync/gittarget/workspace/push-batch.js';
import { GitWorkspace } from '../src/gitsync/gittarget/workspace/workspace.js';
import { candidateReference, checkImage, type ImageSource } from '../src/gitsync/imagewatch/check.js';
import { compilePolicy } from '../src/gitsync/imagewatch/policy/strategy.js';
import { realistic } from './gitsync-realistic.js';

const { values: flags } = parseArgs({
  options: {
    micro: { type: 'boolean', default: false },
    apps: { type: 'string', default: '500' },
    repositories: { type: 'string', default: '50' },
  },
});
const APPS = Number(flags.apps);
const REPOSITORIES = Number(flags.repositories);
if (!Number.isInteger(APPS) || APPS < 1)
  throw new Error(`--apps must be a whole number >= 1, got '${flags.apps}'`);
if (!Number.isInteger(REPOSITORIES) || REPOSITORIES < 1 || REPOSITORIES > APPS)
  throw new Error(`--repositories must be a whole number from 1 to --apps, got '${flags.repositories}'`);
const root = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
const gitq = (cwd: string, args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args], {
    cwd,
    stdio: 'pipe',
  });

const image = (i: number) => `registry.example.com/team${i % 20}/app${i}`;
const kustomize = (i: number) => i % 2 === 0;
const fileOf = (i: number) => (kustomize(i) ? `apps/app${i}/kustomization.yaml` : `apps/app${i}/values.yaml`);

function seed(): string {
  const work = join(root, 'seed');
  mkdirSync(work);
  gitq(work, ['init', '--quiet', '--initial-branch=main']);
  for (let i = 0; i < APPS; i += 1) {
    const path = join(work, fileOf(i));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      kustomize(i)
        ? `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\nimages:\n  - name: ${image(i)}\n    newTag: 1.0.0\n`
        : `# values of app${i}\nreplicaCount: 2\nimage:\n  repository: ${image(i)}\n  tag: "1.0.0"  # managed by slipway\n  pullPolicy: IfNotPresent\nresources: {}\n`,
    );
  }
  gitq(work, ['add', '--all']);
  gitq(work, ['commit', '--quiet', '-m', 'seed']);
  const bare = join(root, 'monorepo.git');
  gitq(root, ['clone', '--quiet', '--bare', work, bare]);
  return bare;
}

function watchFor(i: number): ImageWatch {
  return {
    metadata: { name: `app${i}`, namespace: 'bench', generation: 1 },
    spec: {
      image: image(i),
      policy: { strategy: 'semver', semver: { constraint: '^1' } },
      targets: [
        kustomize(i)
          ? { gitTarget: 'monorepo', path: fileOf(i), kustomize: {} }
          : { gitTarget: 'monorepo', path: fileOf(i), helm: { tagPath: 'image.tag' } },
      ],
    },
    status: { observedGeneration: 1 },
  };
}

/** Pre-resolved tags: every image now has 1.0.0, 1.0.1 and 1.1.0. */
const simulatedRegistry: ImageSource = {
  listTags: async () => ['1.0.0', '1.0.1', '1.1.0', 'latest'],
  resolve: async (tag) => ({
    digest: `sha256:${Buffer.from(tag).toString('hex').padEnd(64, '0')}`,
    mediaType: 'x',
  }),
  buildTime: async (tag) => ({ digest: `sha256:${Buffer.from(tag).toString('hex').padEnd(64, '0')}` }),
};

async function micro(): Promise<void> {
  const bare = seed();
  const watches = Array.from({ length: APPS }, (_, i) => watchFor(i));
  const access = { env: { GIT_TERMINAL_PROMPT: '0' }, secrets: [], dispose: async () => {} };
  // Warm the cached clone first, as a running git-sync has it.
  await new GitWorkspace({
    root: join(root, 'cache'),
    url: `file://${bare}`,
    branch: 'main',
    access,
    urlPolicy: { allowLocal: true },
  }).sync();

  const started = performance.now();
  for (const watch of watches) {
    const policy = compilePolicy(watch.spec.policy);
    if ('error' in policy) throw new Error(policy.error);
    const outcome = await checkImage(simulatedRegistry, policy, Date.now());
    if (outcome.kind !== 'candidate') throw new Error(outcome.why);
    watch.status = {
      observedGeneration: 1,
      latest: {
        tag: outcome.candidate.tag,
        digest: outcome.candidate.digest,
        image: candidateReference(watch.spec.image, policy, outcome.candidate),
      },
    };
  }
  const detected = performance.now();
  const plan = planRepositoryEdits('monorepo', watches);
  const workspace = new GitWorkspace({
    root: join(root, 'cache'),
    url: `file://${bare}`,
    branch: 'main',
    access,
    urlPolicy: { allowLocal: true },
  });
  let pushes = 0;
  const push = workspace.push.bind(workspace);
  workspace.push = async () => {
    pushes += 1;
    return push();
  };
  const result = await pushEdits(workspace, plan.edits);
  const pushed = performance.now();

  const commits =
    Number(execFileSync('git', ['rev-list', '--count', 'main'], { cwd: bare, encoding: 'utf8' })) - 1;
  const changed = [...result.outcomes.values()].filter((o) => o.kind === 'changed').length;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const lines = [
    `git-sync benchmark: ${APPS} applications (${Math.ceil(APPS / 2)} kustomize, ${Math.floor(APPS / 2)} Helm values) in one monorepo`,
    'registry: simulated with pre-resolved tags (in-memory ImageSource); git: real bare repository over file://',
    `images bumped:           ${changed} of ${APPS}`,
    `detection -> pushed:     ${((pushed - started) / 1000).toFixed(2)} s (policy checks ${((detected - started) / 1000).toFixed(2)} s, edit+commit+push ${((pushed - detected) / 1000).toFixed(2)} s)`,
    `commits:                 ${commits}`,
    `pushes:                  ${pushes}`,
    `peak RSS:                ${rssMb.toFixed(0)} MiB`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  rmSync(root, { recursive: true, force: true });
  if (changed !== APPS || commits !== 1 || pushes !== 1) process.exit(1);
}

if (flags.micro) await micro();
else await realistic({ apps: APPS, repositories: REPOSITORIES, root });
