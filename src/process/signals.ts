// How every long-running Slipway process ends: on SIGTERM or SIGINT it shuts down cleanly,
// and exits even if something (a watch, a socket) would keep it alive, within a bound.
import type { Logger } from './logger.js';

const SHUTDOWN_TIMEOUT_MS = 20_000;

export async function runUntilSignal(logger: Logger, shutdown: () => Promise<void>): Promise<never> {
  await new Promise<void>((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'signal received');
      resolveSignal();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  const forced = setTimeout(() => {
    logger.error(`shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting`);
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS);
  forced.unref();
  await shutdown();
  process.exit(0);
}
