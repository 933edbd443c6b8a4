#!/usr/bin/env node
// The `slipway` command: one entry point for every process (controller, dev, ...). Commands
// load on demand, so `slipway controller` (whose restart is the controller's downtime) does
// not load dev's, git-sync's or the dashboard's modules.
import module from 'node:module';
import { Command, CommanderError } from 'commander';
import { compileCacheDirectory } from '../process/compile-cache.js';
import { packageVersion } from './version.js';

const COMMANDS: Record<string, () => Promise<Command>> = {
  controller: async () => (await import('./controller.js')).controllerCommand(),
  dev: async () => (await import('./dev.js')).devCommand(),
  crds: async () => (await import('./crds.js')).crdsCommand(),
  'argocd-cm': async () => (await import('./argocd-cm.js')).argocdCmCommand(),
  'git-sync': async () => (await import('./git-sync.js')).gitSyncCommand(),
  dashboard: async () => (await import('../dashboard/command.js')).dashboardCommand(),
};

/** The program with every command, or only `command` when it names one. */
export async function slipwayProgram(command?: string): Promise<Command> {
  const program = new Command('slipway')
    .description(
      'Progressive delivery for Argo CD users: Argo Rollouts compatible controller and Git write-back',
    )
    .version(packageVersion());
  const names = command !== undefined && command in COMMANDS ? [command] : Object.keys(COMMANDS);
  for (const name of names) program.addCommand(await (COMMANDS[name] as () => Promise<Command>)());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await (await slipwayProgram(argv[2])).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(`slipway: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

// V8's compile cache for the modules loaded from here on (Node >= 22.1): a restart skips
// most parsing and compiling, a third of its CPU to the Lease (see compile-cache.ts).
const node = module as { enableCompileCache?: (dir: string) => unknown; flushCompileCache?: () => void };
const cacheDir = node.enableCompileCache ? compileCacheDirectory() : undefined;
if (cacheDir && node.enableCompileCache) {
  node.enableCompileCache(cacheDir);
  // Node writes the cache at exit, which a killed process never reaches; by now start-up's
  // functions are compiled (lazily, on first call) and go into the cache with the modules.
  setTimeout(() => node.flushCompileCache?.(), 20_000).unref();
}
await main(process.argv);
