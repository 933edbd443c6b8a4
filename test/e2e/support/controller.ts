// Runs the Slipway controller in the test process against the e2e cluster, with the same
// wiring as `slipway controller` (src/process), on ephemeral ports.
import { afterAll, beforeAll, inject } from 'vitest';
import { loadKubeConfig } from '../../../src/kube/config.js';
import { type ControllerProcess, startControllerProcess } from '../../../src/process/controller-process.js';
import { CONTROLLERS } from '../../../src/process/controllers.js';
import { createLogger } from '../../../src/process/logger.js';
import { kubectl } from './kubectl.js';

/** A controller for `namespace` only, or for the whole cluster when `namespace` is undefined. */
export async function startTestController(namespace: string | undefined): Promise<ControllerProcess> {
  return startControllerProcess({
    kubeConfig: loadKubeConfig({ path: inject('kubeconfig') }).kubeConfig,
    logger: createLogger('controller', process.env.SLIPWAY_E2E_LOGLEVEL === 'debug' ? 'debug' : 'warn'),
    ...(namespace ? { namespace } : {}),
    leaderElection: false,
    leaderElectionNamespace: namespace ?? 'default',
    bindAddress: '127.0.0.1',
    healthPort: 0,
    metricsPort: 0,
    controllers: CONTROLLERS,
  });
}

/**
 * A fresh namespace with a controller for it, for the whole test file: created before the
 * first test (after `setup`, e.g. templates the controller should find), stopped after the last.
 */
export function useControllerNamespace(
  prefix: string,
  setup: (namespace: string) => void = () => {},
): string {
  const namespace = `${prefix}-${Date.now().toString(36)}`;
  let controller: ControllerProcess | undefined;
  beforeAll(async () => {
    kubectl(['create', 'namespace', namespace]);
    setup(namespace);
    controller = await startTestController(namespace);
  });
  afterAll(async () => {
    await controller?.shutdown();
  });
  return namespace;
}
