// Go-style durations as Kubernetes users write them in specs: "90s", "30m", "1h30m", "2d" (days
// are ours; Go has none, but soak times are naturally said in days).
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Milliseconds, or an error message naming the value. */
export function parseDuration(text: string): number | { error: string } {
  if (!DURATION.test(text)) {
    return {
      error: `"${text}" is not a duration; use a number with a unit (ms, s, m, h, d), e.g. "90s" or "1h30m"`,
    };
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART))
    total += Number(amount) * (UNIT_MS[unit as string] ?? 0);
  return total;
}
