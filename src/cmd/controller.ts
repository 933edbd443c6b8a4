// `slipway controller`: flags → the controller process. Everything it runs lives in
// src/process and the controller modules; this file only parses and wires.
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_DENIED_NETWORKS,
  NetworkPolicy,
  setProviderDeniedNetworks,
} from '../analysis/providers/network-policy.js';
import { INSTANCE_ID_LABEL } from '../api/labels.js';
import { loadKubeConfig } from '../kube/config.js';
import { startControllerProcess } from '../process/controller-process.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../process/logger.js';
import { runUntilSignal } from '../process/signals.js';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`must be a port number 0..65535, got '${value}'`);
  }
  return port;
}

/** `--metric-provider-denied-networks`: comma-separated CIDRs; empty allows every address. */
export function parseDeniedNetworks(value: string): string[] {
  const cidrs = value
    .split(',')
    .map((cidr) => cidr.trim())
    .filter((cidr) => cidr !== '');
  try {
    NetworkPolicy.of(cidrs);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return cidrs;
}

export function controllerCommand(): Command {
  return new Command('controller')
    .description('run the Rollout, AnalysisRun, Experiment and notification controllers')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('--namespaced', 'watch and change only one namespace (see --namespace)', false)
    .option('--namespace <name>', 'the namespace for --namespaced (default: $POD_NAMESPACE)')
    .option('--instance-id <id>', `handle only objects labelled ${INSTANCE_ID_LABEL}=<id>`)
    .option('--no-leader-elect', 'run without leader election (a single replica only)')
    .option(
      '--leader-election-namespace <name>',
      'namespace of the Lease (default: $POD_NAMESPACE or default)',
    )
    .option(
      '--leader-election-lease-name <name>',
      "name of the Lease (default: slipway-controller-lock); argo-rollouts-controller-lock contends with Argo Rollouts' controller during a switch",
    )
    .option('--bind-address <ip>', 'address for the health and metrics endpoints', '0.0.0.0')
    .option('--healthz-port <port>', 'port of /healthz and /readyz', parsePort, 8080)
    .option('--metrics-port <port>', 'port of /metrics', parsePort, 8090)
    .addOption(new Option('--loglevel <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .option(
      '--metric-provider-denied-networks <cidrs>',
      'comma-separated networks analysis providers (Web, Prometheus, Datadog, New Relic) may not connect to, checked on resolved addresses; "" allows all',
      parseDeniedNetworks,
      [...DEFAULT_DENIED_NETWORKS],
    )
    .option(
      '--no-event-spam-filter',
      "write every Event (default: as Argo Rollouts, client-go's spam filter: at most 25 per object and type, one more per 5 minutes)",
    )
    .option(
      '--self-service-notification-enabled',
      "also read each Rollout's namespace's notification ConfigMap and Secret (as Argo Rollouts)",
      false,
    )
    .addHelpText(
      'after',
      '\nExperiments: each template runs as a ReplicaSet <experiment>-<template> (with a Service when\n' +
        'the template asks for one) for spec.duration or until terminated, with its analyses as\n' +
        'AnalysisRuns; canary experiment steps create them and wait for their result.',
    )
    .action(async (flags: ControllerFlags) => {
      await runControllerCommand(flags);
    });
}

interface ControllerFlags {
  kubeconfig?: string;
  namespaced: boolean;
  namespace?: string;
  instanceId?: string;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  leaderElectionLeaseName?: string;
  bindAddress: string;
  healthzPort: number;
  metricsPort: number;
  loglevel: LogLevel;
  metricProviderDeniedNetworks: string[];
  selfServiceNotificationEnabled: boolean;
  eventSpamFilter: boolean;
}

async function runControllerCommand(flags: ControllerFlags): Promise<void> {
  const logger = createLogger('controller', flags.loglevel);
  const podNamespace = process.env.POD_NAMESPACE;
  const namespace = flags.namespaced ? (flags.namespace ?? podNamespace) : undefined;
  if (flags.namespaced && !namespace) {
    throw new InvalidArgumentError('--namespaced needs --namespace <name> or the POD_NAMESPACE variable');
  }
  setProviderDeniedNetworks(flags.metricProviderDeniedNetworks);
  logger.info({ deniedNetworks: flags.metricProviderDeniedNetworks }, 'metric provider network deny list');
  // Read by src/notifications/controller.ts when it starts.
  if (flags.selfServiceNotificationEnabled) process.env.SLIPWAY_SELF_SERVICE_NOTIFICATIONS = 'true';
  const { kubeConfig } = loadKubeConfig(flags.kubeconfig ? { path: flags.kubeconfig } : {});
  const proc = await startControllerProcess({
    kubeConfig,
    logger,
    ...(namespace ? { namespace } : {}),
    ...(flags.instanceId ? { instanceId: flags.instanceId } : {}),
    leaderElection: flags.leaderElect,
    leaderElectionNamespace: flags.leaderElectionNamespace ?? namespace ?? podNamespace ?? 'default',
    ...(flags.leaderElectionLeaseName ? { leaseName: flags.leaderElectionLeaseName } : {}),
    bindAddress: flags.bindAddress,
    healthPort: flags.healthzPort,
    metricsPort: flags.metricsPort,
    // Loaded once we lead: most of the process's code, which the Lease need not wait for
    // (the bundle, scripts/bundle-controller.mjs, puts it in a chunk of its own).
    controllers: async () => (await import('../process/controllers.js')).CONTROLLERS,
    eventSpamFilter: flags.eventSpamFilter,
  });
  await runUntilSignal(logger, () => proc.shutdown());
}
