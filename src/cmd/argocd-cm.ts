// `slipway argocd-cm`: print the argocd-cm entries (health checks and actions of every kind
// we serve) for Argo CD's Helm chart `configs.cm`, or to merge into argocd-cm by hand.
import { Command } from 'commander';
import { DEFAULT_OPTIONS, readKindScripts, renderArgoCdCm } from '../argocd/argocd-cm.js';

export function argocdCmCommand(): Command {
  return new Command('argocd-cm')
    .description("print the argocd-cm entries for Slipway's Lua health checks and actions")
    .option(
      '--paused-as-healthy',
      'report a rollout paused at a step as Healthy (does not block sync waves)',
      false,
    )
    .action((flags: { pausedAsHealthy: boolean }) => {
      process.stdout.write(
        renderArgoCdCm(readKindScripts(), { ...DEFAULT_OPTIONS, pausedAsHealthy: flags.pausedAsHealthy }),
      );
    });
}
