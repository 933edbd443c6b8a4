// The kubectl plugin's program for unit tests: output collected in `out`, no cluster unless given.
import type { Command } from 'commander';
import type { CliContext } from '../../../src/cli/context.js';
import { kubectlSlipwayProgram } from '../../../src/cmd/kubectl-slipway.js';

export function pluginProgram(out: string[] = [], cluster?: CliContext['cluster']): Command {
  const context: CliContext = {
    out: { write: (t) => out.push(t) },
    err: { write: (t) => out.push(t) },
    now: () => 0,
    interrupted: () => new Promise(() => {}),
    cluster:
      cluster ??
      (() => {
        throw new Error('no cluster in unit tests');
      }),
    root: () => program,
  };
  const program = kubectlSlipwayProgram(context);
  return program;
}
