// Given every public Argo Rollouts example, when it is applied to the local cluster with our
// CRDs, then the API server accepts it and stores every field as written (nothing pruned).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { PACKAGE_ROOT } from '../../src/package-paths.js';
import { startTestController } from './support/controller.js';
import { getJson, getJsonAsync, kubectl, tryKubectl } from './support/kubectl.js';
import { eventually } from './support/wait.js';

// ../shared beside the repository (or beside the worktrees folder of a git worktree).
const EXAMPLES_DIR = [join(PACKAGE_ROOT, '..'), join(PACKAGE_ROOT, '..', '..')]
  .map((dir) => join(dir, 'shared', 'compat', 'argo-rollouts-examples'))
  .find((dir) => existsSync(dir))!;

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: unknown;
}

/** Files that are not Kubernetes objects, or not valid YAML upstream, and why. */
const NOT_APPLICABLE: Record<string, string> = {
  'notifications_kustomization.yaml': 'a kustomize build file, not an object for the API server',
  'traffic-management_rollout-linkerd.yaml':
    'invalid YAML upstream: the unquoted `{{args.linkerd-enabled}}` annotation parses as a map key, so kubectl rejects it too',
};

// Examples whose traffic router Slipway does not serve: AWS App Mesh reached its end of support
// on 2026-09-30. Like Argo without a working router, the Rollout does not report Healthy; it
// must say why in a Warning Event instead.
const UNSUPPORTED_ROUTER: Record<string, string> = {
  'appmesh_canary-rollout.yaml': 'appMesh not supported by Slipway',
  'appmesh_canary-service.yaml': 'appMesh not supported by Slipway',
};

// The `default:` values of Argo Rollouts' CRDs (ours carry the same), by kind and path.
const ARGO_CRD_DEFAULTS = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'argo-crds', 'facts.json'), 'utf8')) as {
    kinds: Record<string, { defaults: Record<string, unknown> }>;
  }
).kinds;

/** The object as the API server stores it under Argo's CRDs: defaults set where absent. */
function withCrdDefaults(kind: string, object: unknown): unknown {
  const copy = structuredClone(object);
  for (const [path, value] of Object.entries(ARGO_CRD_DEFAULTS[kind]?.defaults ?? {})) {
    const segments = path.slice(1).split('.');
    const visit = (node: unknown, i: number): void => {
      if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
      const record = node as Record<string, unknown>;
      const segment = segments[i]!;
      const name = segment.replace(/\[\]$/, '');
      if (i === segments.length - 1) {
        if (record[name] === undefined) record[name] = value;
        return;
      }
      const child = record[name];
      if (segment.endsWith('[]')) {
        if (Array.isArray(child)) for (const item of child) visit(item, i + 1);
      } else visit(child, i + 1);
    };
    visit(copy, 0);
  }
  return copy;
}

const namespace = `compat-${Date.now().toString(36)}`;
const exampleFiles = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function manifestsOf(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(EXAMPLES_DIR, file), 'utf8'))
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object' && typeof m.kind === 'string');
}

describe('Argo Rollouts compat examples', () => {
  beforeAll(() => {
    kubectl(['create', 'namespace', namespace]);
    // The App Mesh example names its own namespace and creates it after objects that use it.
    tryKubectl(['create', 'namespace', 'argo-examples']);
  });

  it('finds the examples', () => {
    expect(exampleFiles.length).toBeGreaterThan(30);
  });

  for (const file of exampleFiles) {
    const reason = NOT_APPLICABLE[file];
    if (reason) {
      it(`${file} is not applied: ${reason}`, () => {
        const result = tryKubectl([
          'apply',
          '--dry-run=server',
          '-n',
          namespace,
          '-f',
          join(EXAMPLES_DIR, file),
        ]);
        expect(result.ok, result.output).toBe(false);
      });
      continue;
    }

    it(`${file} is accepted and stored as written`, () => {
      const manifests = manifestsOf(file);
      const ownNamespace = manifests.some((m) => m.metadata?.namespace);
      const args = ['apply', '-f', join(EXAMPLES_DIR, file), ...(ownNamespace ? [] : ['-n', namespace])];
      kubectl(args);

      for (const manifest of manifests.filter((m) => m.apiVersion?.startsWith('argoproj.io/'))) {
        const kind = manifest.kind!;
        const name = manifest.metadata?.name ?? '';
        const scoped =
          kind === 'ClusterAnalysisTemplate' ? [] : ['-n', manifest.metadata?.namespace ?? namespace];
        const stored = getJson<Manifest>([kind.toLowerCase(), name, ...scoped]);
        // Our CRDs apply Argo's defaults only, so any other difference would be a field our
        // schema pruned.
        const expected = (withCrdDefaults(kind, manifest) as Manifest).spec;
        expect(isDeepStrictEqual(stored.spec, expected), `${kind} ${name}: spec changed when stored`).toBe(
          true,
        );
      }
    });
  }

  it('reconciles every example Rollout to Healthy on its first deploy', async () => {
    const controller = await startTestController(undefined);
    try {
      const rolloutsOf = (files: string[]) =>
        files
          .flatMap((file) => manifestsOf(file))
          .filter((m) => m.kind === 'Rollout')
          .map((m) => ({ name: m.metadata?.name ?? '', namespace: m.metadata?.namespace ?? namespace }));
      const rollouts = rolloutsOf(
        exampleFiles.filter((file) => !NOT_APPLICABLE[file] && !UNSUPPORTED_ROUTER[file]),
      );
      expect(rollouts.length).toBeGreaterThan(15);
      const phases = new Map<string, string>();
      await eventually(
        'every example Rollout Healthy',
        async () => {
          for (const { name, namespace: ns } of rollouts) {
            const ro = await getJsonAsync<{ status?: { phase?: string; message?: string } }>([
              'rollout',
              name,
              '-n',
              ns,
            ]);
            phases.set(
              `${ns}/${name}`,
              `${ro.status?.phase ?? '(no status)'} ${ro.status?.message ?? ''}`.trim(),
            );
          }
          return [...phases.values()].every((p) => p === 'Healthy') ? true : undefined;
        },
        120_000,
      ).catch((error: Error) => {
        const pending = [...phases].filter(([, p]) => p !== 'Healthy').map(([k, p]) => `${k}: ${p}`);
        throw new Error(`${error.message}\n${pending.join('\n')}`);
      });
      for (const [file, reason] of Object.entries(UNSUPPORTED_ROUTER)) {
        if (!exampleFiles.includes(file)) continue;
        for (const { name, namespace: ns } of rolloutsOf([file])) {
          await eventually(`a TrafficRoutingError Event on ${ns}/${name} saying ${reason}`, async () => {
            const events = (
              await getJsonAsync<{ items: { reason?: string; type?: string; message?: string }[] }>([
                'events',
                '-n',
                ns,
                '--field-selector',
                `involvedObject.name=${name},reason=TrafficRoutingError`,
              ])
            ).items;
            return events.some((e) => e.type === 'Warning' && e.message?.includes(reason)) ? true : undefined;
          });
        }
      }
    } finally {
      await controller.shutdown();
    }
  });
});
