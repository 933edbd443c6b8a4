// `status ROLLOUT [--watch=false] [-t DURATION]`: Argo's lines and exit codes — 0 when
// Healthy; 1 with "The rollout is in a degraded state..." when Degraded, or with "Rollout
// status watch exceeded timeout" when the watch ends (timeout, Ctrl-C) before Healthy.
import { Command, InvalidArgumentError } from 'commander';
import { parseSecondsOrGoDuration } from '../../api/duration.js';
import { type CliContext, pause } from '../context.js';
import { fetchRolloutInfo } from '../fetch.js';
import { statusLine, watchStatusLine } from '../render.js';

const POLL_MS = 1000;

function duration(value: string): number {
  try {
    return parseSecondsOrGoDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function statusCommand(context: CliContext): Command {
  return new Command('status')
    .argument('<ROLLOUT_NAME>')
    .description('Show the status of a rollout')
    .option('-w, --watch', "Watch the status of the rollout until it's done (default true)", true)
    .option('--no-watch', 'Print the status once')
    .option(
      '-t, --timeout <duration>',
      'The length of time to watch before giving up (e.g. 1s, 2m, 3h). Zero means wait forever',
      duration,
      0,
    )
    .action(async (name: string, flags: { watch: boolean; timeout: number }) => {
      const { client, namespace } = context.cluster();
      let info = (await fetchRolloutInfo(client, namespace, name)).info;
      if (!flags.watch) {
        context.out.write(`${statusLine(info)}\n`);
      } else {
        const deadline = flags.timeout > 0 ? context.now() + flags.timeout : Number.POSITIVE_INFINITY;
        let previous = '';
        for (;;) {
          const line = watchStatusLine(info);
          if (line !== previous) {
            context.out.write(`${line}\n`);
            previous = line;
          }
          if (info.status === 'Healthy' || info.status === 'Degraded') break;
          const left = deadline - context.now();
          if (left <= 0 || (await pause(context, Math.min(POLL_MS, left)))) break;
          info = (await fetchRolloutInfo(client, namespace, name)).info;
        }
      }
      if (info.status === 'Degraded') {
        throw new Error(`The rollout is in a degraded state with message: ${info.message}`);
      }
      if (info.status !== 'Healthy' && flags.watch) throw new Error('Rollout status watch exceeded timeout');
    });
}
