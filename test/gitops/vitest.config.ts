import { defineConfig } from 'vitest/config';

// The gitops tier (`npm run test:gitops`): real Argo CD against the local control plane. Its own
// config, not a project of the root one, so `npm test` does not build Argo CD (a cold build takes
// half an hour on 2 cores). Same global setup as the e2e tier.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/gitops/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 3_600_000,
    fileParallelism: false,
  },
});
