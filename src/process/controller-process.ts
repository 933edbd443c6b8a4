// The `slipway controller` process: the Rollout, AnalysisRun, Experiment and notification
// controllers run through the one start-up path of leader-process.ts.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ControllerFactory } from '../kube/controller.js';
import { CLIENT_GO_SPAM_BURST } from '../kube/events.js';
import { type LeaderProcess, startLeaderProcess } from './leader-process.js';
import type { Logger } from './logger.js';

export interface ControllerProcessOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  namespace?: string;
  instanceId?: string;
  leaderElection: boolean;
  leaderElectionNamespace: string;
  /** The Lease to hold (default: slipway-controller-lock, suffixed with the instance id). */
  leaseName?: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  bindAddress: string;
  healthPort: number;
  metricsPort: number;
  /** The factories, or a loader of them (see LeaderProcessOptions.controllers). */
  controllers: readonly ControllerFactory[] | (() => Promise<readonly ControllerFactory[]>);
  /**
   * client-go's Event spam filter, as Argo Rollouts' recorder has it (default on): at most 25
   * Event writes per Rollout and type, one more per 5 minutes. Off: every Event is written.
   */
  eventSpamFilter?: boolean;
}

export type ControllerProcess = LeaderProcess;

export const LEASE_NAME = 'slipway-controller-lock';

export function startControllerProcess(options: ControllerProcessOptions): Promise<ControllerProcess> {
  return startLeaderProcess({
    ...options,
    component: 'controller',
    eventSpamBurst: options.eventSpamFilter === false ? undefined : CLIENT_GO_SPAM_BURST,
    leaseName: options.leaseName ?? (options.instanceId ? `${LEASE_NAME}-${options.instanceId}` : LEASE_NAME),
  });
}
