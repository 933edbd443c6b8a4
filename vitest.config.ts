import { defineConfig } from 'vitest/config';

// Two tiers: `unit` is pure logic and runs in seconds; `e2e` (and `e2e-serial`) start (or
// reuse) the local Kubernetes control plane in their global setup and run against it.

/** e2e files that act on the whole cluster (see the `e2e` project below for why each). */
const E2E_SERIAL = [
  'test/e2e/outage.test.ts',
  'test/e2e/compat-examples.test.ts',
  'test/e2e/rollout-analysis.test.ts',
  'test/e2e/helm-install.test.ts',
  'test/e2e/helm-rbac.test.ts',
  'test/e2e/helm-template.test.ts',
  'test/e2e/argo-crds.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      // The e2e tier is two projects, each with its own local control plane (its own global
      // setup), run one after the other (sequence.groupOrder). `e2e` runs its files in
      // parallel: each owns its namespace(s), and the controllers it starts watch only those.
      // `e2e-serial` runs one file at a time, on a cluster of its own, the files that act on a
      // whole cluster:
      // - outage stops etcd and kube-apiserver;
      // - compat-examples and rollout-analysis run cluster-wide controllers (ClusterAnalysis-
      //   Templates are offered only to those) that would reconcile other files' Rollouts, and
      //   apply the same cluster-scoped ClusterAnalysisTemplates as analysis.test.ts;
      // - helm-install installs the chart's CRDs over the ones every file uses, helm-rbac
      //   installs ClusterRoles and runs a cluster-wide controller, helm-template shares their
      //   build of Helm and its chart checks;
      // - argo-crds replaces the AnalysisRun and Experiment CRDs with Argo's (and changes them).
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: E2E_SERIAL,
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          // Three files at a time. Measured on the shared 2-core machine (load 35-50 from other
          // work): these 30 files took 853 s one after another (sum of file times in a serial
          // `npm test`, 2026-12-07 03:44) and 818 s three at a time (`vitest run --project e2e`,
          // 30/30 green). The gain is small while the CPU is saturated: each file then runs
          // ~2.4x slower. With a CPU burner at twice the core count (load up to 68) it took
          // 1709 s; two files failed there, neither for sharing the cluster, both fixed since:
          // bluegreen's `kubectl apply` timed out reading /openapi/v2 (support/kubectl.ts now
          // tries again) and cli's `--watch --timeout-seconds 3` drew one frame (now 10 s).
          // On a quiet machine (load 1-7): 211 s, 30/30 green, with 570 s of file time; then
          // `e2e-serial` took 237 s, 6/6 green.
          fileParallelism: true,
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e-serial',
          include: E2E_SERIAL,
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      // Opt-in (`npm run test:switch`): switches a cluster between the real Argo Rollouts
      // controller, built from its Go module, and Slipway.
      ...(process.env.SLIPWAY_TEST_SWITCH
        ? [
            {
              test: {
                name: 'switch',
                include: ['test/switch/**/*.test.ts'],
                environment: 'node' as const,
                globalSetup: ['test/e2e/global-setup.ts'],
                testTimeout: 600_000,
                hookTimeout: 3_600_000,
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
