import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls until `probe` returns a value other than undefined (that value is returned) or the
 * time runs out (the last error or value is in the message, so a failure says what it saw).
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    await sleep(200);
  }
  const detail = last instanceof Error ? `: ${last.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

/**
 * Reads until `done(value)` holds and returns that value; a timeout says what was last read
 * (through `show`), so a failure shows the state it stopped in.
 */
export async function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
  show: (value: T) => string = (value) => JSON.stringify(value),
): Promise<T> {
  let last: { value: T } | undefined;
  try {
    return await eventually(
      what,
      async () => {
        last = { value: await read() };
        return done(last.value) ? last.value : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last seen: ${last ? show(last.value) : 'nothing'})`);
  }
}

/**
 * A waitFor<Kind>(name, what, predicate, timeoutMs) for objects `read` gets by name: pollUntil
 * with the name in what it waits for, and a timeout that shows the status last read.
 */
export function statusPoller<T extends { status?: unknown }>(
  read: (name: string) => Promise<T>,
  defaultTimeoutMs: number,
): (name: string, what: string, predicate: (object: T) => boolean, timeoutMs?: number) => Promise<T> {
  return (name, what, predicate, timeoutMs = defaultTimeoutMs) =>
    pollUntil(
      `${name}: ${what}`,
      () => read(name),
      predicate,
      timeoutMs,
      (last) => JSON.stringify(last.status),
    );
}
