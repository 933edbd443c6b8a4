// What every plugin command shares: output streams, the clock, and (lazily, so `lint`,
// `completion` and `version` work without a cluster) the API client and namespace, from the
// kubectl-style global flags.
import type { Command } from 'commander';
import { loadKubeConfig } from '../kube/config.js';
import { RestClient } from '../kube/rest.js';

export interface GlobalFlags {
  kubeconfig?: string;
  namespace?: string;
  context?: string;
}

export interface Output {
  write(text: string): void;
}

export interface CliContext {
  out: Output;
  err: Output;
  now(): number;
  /** The API client and the namespace to act in (-n, else the context's, else "default"). */
  cluster(): { client: RestClient; namespace: string };
  /**
   * Resolves when Ctrl-C / SIGTERM arrives. Only watch loops ask: the handlers are installed
   * on the first call, so a one-shot command still dies at once on Ctrl-C.
   */
  interrupted(): Promise<void>;
  /** The root command (for `completion`). */
  root(): Command;
}

export function processContext(rootCommand: () => Command): CliContext {
  let cached: { client: RestClient; namespace: string } | undefined;
  let interrupted: Promise<void> | undefined;
  return {
    out: { write: (text) => process.stdout.write(text) },
    err: { write: (text) => process.stderr.write(text) },
    now: () => Date.now(),
    interrupted: () => {
      interrupted ??= new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return interrupted;
    },
    root: rootCommand,
    cluster() {
      if (!cached) {
        const flags = rootCommand().opts<GlobalFlags>();
        const { kubeConfig } = loadKubeConfig({
          ...(flags.kubeconfig ? { path: flags.kubeconfig } : {}),
          ...(flags.context ? { context: flags.context } : {}),
        });
        const namespace =
          flags.namespace ??
          kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ??
          'default';
        cached = { client: new RestClient(kubeConfig, { userAgent: 'kubectl-slipway' }), namespace };
      }
      return cached;
    },
  };
}

/** Waits `ms`, or less when interrupted; true when interrupted. */
export async function pause(context: CliContext, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    context.interrupted().then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return result;
}
