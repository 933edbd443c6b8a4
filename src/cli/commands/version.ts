// `version [--short]`: the plugin's version and, unless --short, the controller's, read from
// the `argo_rollouts_controller_info{version=...}` gauge of its /metrics (as Argo exports it):
// through the API server's pod proxy to the Lease holder, or from --controller-metrics URL.
import http from 'node:http';
import https from 'node:https';
import { Command } from 'commander';
import { packageVersion } from '../../cmd/version.js';
import type { RestClient } from '../../kube/rest.js';
import type { CliContext } from '../context.js';

const LEASE = 'slipway-controller-lock';
const METRIC = /^argo_rollouts_controller_info\{[^}]*version="([^"]*)"/m;
const MAX_METRICS_BYTES = 4 * 1024 * 1024;

export function versionFromMetrics(text: string): string | undefined {
  return METRIC.exec(text.slice(0, MAX_METRICS_BYTES))?.[1];
}

async function fromUrl(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return versionFromMetrics(await response.text()) ?? 'unknown (no argo_rollouts_controller_info metric)';
}

/** A plain-text GET through the API server (RestClient parses JSON only). */
async function rawGet(client: RestClient, path: string): Promise<string> {
  const server = client.kubeConfig.getCurrentCluster()?.server ?? '';
  const url = new URL(server.replace(/\/$/, '') + path);
  const options: https.RequestOptions = {};
  await client.kubeConfig.applyToHTTPSOptions(options);
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = transport.get(url, { ...options, timeout: 5000 }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_METRICS_BYTES) request.destroy(new Error('metrics larger than 4 MiB'));
        else chunks.push(chunk);
      });
      response.on('error', reject);
      response.on('end', () => {
        if ((response.statusCode ?? 0) >= 300) reject(new Error(`GET ${path}: HTTP ${response.statusCode}`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path}: no answer within 5 s`)));
    request.on('error', reject);
  });
}

async function fromLease(
  client: RestClient,
  namespace: string,
  leaseName: string,
  port: number,
): Promise<string> {
  const lease = (await client.request({
    method: 'GET',
    path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${encodeURIComponent(leaseName)}`,
    verb: 'get',
    resource: 'leases',
    namespace,
  })) as { spec?: { holderIdentity?: string } };
  const holder = lease.spec?.holderIdentity;
  if (!holder) return 'unknown (no controller holds the Lease)';
  // The identity is `<hostname>_<random>`; in a cluster the hostname is the pod name.
  const pod = holder.slice(0, holder.lastIndexOf('_'));
  const text = await rawGet(client, `/api/v1/namespaces/${namespace}/pods/${pod}:${port}/proxy/metrics`);
  return versionFromMetrics(text) ?? 'unknown (no argo_rollouts_controller_info metric)';
}

export function versionCommand(context: CliContext): Command {
  return new Command('version')
    .description('Print version')
    .option('--short', 'print just the version number')
    .option(
      '--controller-metrics <url>',
      "the controller's /metrics URL (e.g. http://127.0.0.1:8090/metrics)",
    )
    .option(
      '--controller-namespace <ns>',
      "namespace of the controller's Lease (default: the current namespace)",
    )
    .option(
      '--leader-election-lease-name <name>',
      "the controller's Lease (as its flag of that name; with --instance-id ID it is slipway-controller-lock-ID)",
      LEASE,
    )
    .option('--metrics-port <port>', "the controller's metrics port, for the pod proxy", '8090')
    .action(
      async (flags: {
        short?: boolean;
        controllerMetrics?: string;
        controllerNamespace?: string;
        leaderElectionLeaseName: string;
        metricsPort: string;
      }) => {
        context.out.write(`kubectl-slipway: v${packageVersion()}\n`);
        if (flags.short) return;
        context.out.write(
          `  NodeVersion: ${process.version}\n  Platform: ${process.platform}/${process.arch}\n`,
        );
        let controller: string;
        try {
          if (flags.controllerMetrics) {
            controller = await fromUrl(flags.controllerMetrics);
          } else {
            const { client, namespace } = context.cluster();
            controller = await fromLease(
              client,
              flags.controllerNamespace ?? namespace,
              flags.leaderElectionLeaseName,
              Number(flags.metricsPort),
            );
          }
        } catch (error) {
          controller = `unknown (${(error as Error).message.split('\n')[0]})`;
        }
        context.out.write(`slipway-controller: ${controller}\n`);
      },
    );
}
