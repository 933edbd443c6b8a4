// The `dashboard` command, shared by `slipway dashboard` and `kubectl slipway dashboard`:
// Argo's dashboard API and the web UI on 127.0.0.1:3100 (Argo's port), with the caller's
// kubeconfig rights.
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { packageVersion } from '../cmd/version.js';
import { loadKubeConfig } from '../kube/config.js';
import { RestClient } from '../kube/rest.js';
import { PACKAGE_ROOT } from '../package-paths.js';
import { serveHealth } from '../process/http-endpoints.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../process/logger.js';
import { runUntilSignal } from '../process/signals.js';
import { startDashboard } from './server.js';

/** Where `npm run build` puts the web UI (vite, web/ → dist/ui). */
export const UI_DIR = join(PACKAGE_ROOT, 'dist', 'ui');

interface DashboardFlags {
  kubeconfig?: string;
  namespace?: string;
  address: string;
  port: number;
  rootPath: string;
  readOnly: boolean;
  namespaced: boolean;
  healthzPort?: number;
  loglevel: LogLevel;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`must be a port number 0-65535, got '${value}'`);
  }
  return port;
}

export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description("serve the web dashboard and Argo Rollouts' dashboard API (default http://127.0.0.1:3100/)")
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('-n, --namespace <name>', 'namespace the dashboard opens on (default: the context namespace)')
    .option('--address <ip>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on', parsePort, 3100)
    .option('--root-path <path>', 'serve the UI and API under this path (e.g. behind an Ingress)', '')
    .option('--read-only', 'refuse every action (promote, abort, ...)', false)
    .option('--namespaced', 'serve --namespace only (for a Role-bound ServiceAccount)', false)
    .option('--healthz-port <port>', 'also serve /healthz and /readyz on this port (in-cluster)', parsePort)
    .addOption(new Option('--loglevel <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .action(async (flags: DashboardFlags, command: Command) => {
      // `kubectl slipway -n NS dashboard` puts the namespace on the parent command.
      const parent = command.parent?.opts<{ kubeconfig?: string; namespace?: string }>() ?? {};
      await runDashboard({
        ...flags,
        kubeconfig: flags.kubeconfig ?? parent.kubeconfig,
        namespace: flags.namespace ?? parent.namespace,
      });
    });
}

async function runDashboard(flags: DashboardFlags): Promise<void> {
  const logger = createLogger('dashboard', flags.loglevel);
  const { kubeConfig } = loadKubeConfig(flags.kubeconfig ? { path: flags.kubeconfig } : {});
  const namespace =
    flags.namespace ??
    process.env.POD_NAMESPACE ??
    kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ??
    'default';
  const dashboard = await startDashboard({
    client: new RestClient(kubeConfig, { userAgent: 'slipway-dashboard' }),
    logger,
    host: flags.address,
    port: flags.port,
    rootPath: flags.rootPath,
    readOnly: flags.readOnly,
    namespace,
    namespaced: flags.namespaced,
    uiDir: UI_DIR,
    version: packageVersion(),
  });
  // In-cluster probes: live while the process turns, ready once the server listens.
  const health =
    flags.healthzPort !== undefined
      ? await serveHealth({ live: () => true, ready: () => true }, flags.address, flags.healthzPort)
      : undefined;
  logger.info(
    { url: dashboard.url, readOnly: flags.readOnly },
    `Slipway dashboard is available at ${dashboard.url}`,
  );
  await runUntilSignal(logger, async () => {
    health?.close();
    await dashboard.close();
  });
}
