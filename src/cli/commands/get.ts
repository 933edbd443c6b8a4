// `get rollout|experiment NAME [-w] [--no-color] [--timeout-seconds N]`: the revision tree.
import { Command, InvalidArgumentError } from 'commander';
import { type CliContext, pause } from '../context.js';
import { fetchExperimentInfo, fetchRolloutInfo } from '../fetch.js';
import { renderExperiment, renderRollout } from '../render.js';

/** Argo's Clear(): cursor home, clear screen, so --watch redraws in place. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J\x1b[0;0H';
/** Argo redraws on every change and at least once a second (ages move on). */
const REDRAW_MS = 1000;

export function wholeNumber(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${flag} must be a whole number, got '${value}'`);
    return n;
  };
}

interface GetFlags {
  watch?: boolean;
  color: boolean;
  timeoutSeconds?: number;
}

export function noColor(flags: { color: boolean }): boolean {
  return !flags.color || process.env.TERM === 'dumb';
}

/** Draws `draw()` once, or with --watch until interrupted or the timeout. */
export async function drawLoop(
  context: CliContext,
  flags: { watch?: boolean; timeoutSeconds?: number },
  draw: () => Promise<string>,
): Promise<void> {
  if (!flags.watch) {
    context.out.write(await draw());
    return;
  }
  const deadline = flags.timeoutSeconds
    ? context.now() + flags.timeoutSeconds * 1000
    : Number.POSITIVE_INFINITY;
  while (context.now() < deadline) {
    const text = await draw();
    context.out.write(CLEAR_SCREEN + text);
    if (await pause(context, Math.min(REDRAW_MS, Math.max(0, deadline - context.now())))) return;
  }
}

export function getCommand(context: CliContext): Command {
  const get = new Command('get')
    .usage('<rollout|experiment> RESOURCE_NAME')
    .description('Get details about rollouts and experiments');
  get
    .command('rollout')
    .aliases(['ro', 'rollouts'])
    .argument('<ROLLOUT_NAME>')
    .description('Get details about a rollout')
    .option('-w, --watch', 'Watch live updates to the rollout')
    .option('--no-color', 'Do not colorize output')
    .option('--timeout-seconds <n>', 'Timeout after specified seconds', wholeNumber('--timeout-seconds'), 0)
    .action(async (name: string, flags: GetFlags) => {
      const { client, namespace } = context.cluster();
      await drawLoop(context, flags, async () => {
        const { info } = await fetchRolloutInfo(client, namespace, name);
        return renderRollout(info, { noColor: noColor(flags), now: context.now() });
      });
    });
  get
    .command('experiment')
    .aliases(['exp', 'experiments'])
    .argument('<EXPERIMENT_NAME>')
    .description('Get details about an Experiment')
    .option('-w, --watch', 'Watch live updates to the experiment')
    .option('--no-color', 'Do not colorize output')
    .action(async (name: string, flags: GetFlags) => {
      const { client, namespace } = context.cluster();
      await drawLoop(context, flags, async () =>
        renderExperiment(await fetchExperimentInfo(client, namespace, name), {
          noColor: noColor(flags),
          now: context.now(),
        }),
      );
    });
  return get;
}
