// JSON logs for every Slipway process (pino). Secrets never reach a log line: the few fields
// that could carry one are redacted at the logger, so a careless call cannot leak them.
import { type Logger, pino } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type { Logger };

/** `destination`: where the JSON lines go (default stdout), e.g. a file for `slipway dev`. */
export function createLogger(
  component: string,
  level: LogLevel = 'info',
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        'token',
        'password',
        '*.token',
        '*.password',
        'authorization',
        '*.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
