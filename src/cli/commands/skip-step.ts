// `skip-step ROLLOUT`: Slipway's earlier name for `promote --skip-current-step`, kept so
// scripts written against it keep working.
import { Command } from 'commander';
import { mergePatch } from '../../kube/patch.js';
import { promotePatches } from '../argo-patches.js';
import type { CliContext } from '../context.js';
import { ROLLOUTS } from '../fetch.js';
import type { RolloutObject } from '../info.js';

export function skipStepCommand(context: CliContext): Command {
  return new Command('skip-step')
    .argument('<ROLLOUT_NAME>')
    .description('Skip the current canary step (same as promote --skip-current-step)')
    .action(async (name: string) => {
      const { client, namespace } = context.cluster();
      const rollout = await client.get<RolloutObject>(ROLLOUTS, namespace, name);
      const patches = promotePatches(rollout, { full: false, skipCurrentStep: true, skipAllSteps: false });
      if (patches.status) {
        await mergePatch(
          client,
          { resource: ROLLOUTS, namespace, name },
          { status: patches.status },
          { subresource: 'status' },
        );
      }
      context.out.write(`rollout '${name}' promoted\n`);
    });
}
