import { defineConfig } from 'vitest/config';

// Two tiers: `unit` is pure logic and runs in seconds; `e2e` starts (or reuses) the local
// Kubernetes control plane in its global setup and runs against it.
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
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          // One file at a time: the files share one cluster, and some act on all of it (outage
          // stops etcd and kube-apiserver; compat-examples and rollout-analysis run cluster-wide
          // controllers that would reconcile other files' Rollouts; the Helm files install
          // cluster-scoped RBAC). On 2 cores the waits are for controllers and kwok, not CPU.
          fileParallelism: false,
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
