// The two table tests most pure functions get: one row per input, and either the value
// `fn(input)` must equal or the message it must throw. One home for the frame that was written
// out around each such table.
import { expect, it } from 'vitest';

/**
 * One test per row `[input, expected]`, titled by `title` with the row's values (`%s`, `%j`, …
 * as in `it.each`): `fn(input)` strictly equals `expected` (Object.is for primitives, deep and
 * type-strict for objects and arrays).
 */
export function itMaps<I, O>(title: string, fn: (input: I) => O, rows: readonly (readonly [I, O])[]): void {
  it.each(rows)(title, (input, expected) => {
    expect(fn(input)).toStrictEqual(expected);
  });
}

/**
 * One test per row `[input, message]`, titled as in {@link itMaps}: `fn(input)` throws an
 * instance of `type` (`Error` where any error will do) whose message contains `message`.
 */
export function itThrows<I>(
  title: string,
  fn: (input: I) => unknown,
  type: abstract new (...args: never[]) => Error,
  rows: readonly (readonly [I, string])[],
): void {
  it.each(rows)(title, (input, message) => {
    expect(() => fn(input)).toThrow(type);
    expect(() => fn(input)).toThrow(message);
  });
}
