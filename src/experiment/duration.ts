// spec.duration of an Experiment is a Go duration string ("30s", "1h30m"), as Argo's
// DurationString.Duration parses it; an unparseable one never ends the experiment, as in Argo.
import { parseGoDuration } from '../analysis/go-duration.js';

/** Milliseconds, or undefined when the text is not a Go duration. */
export function parseExperimentDuration(text: string): number | undefined {
  try {
    return parseGoDuration(text);
  } catch {
    return undefined;
  }
}
