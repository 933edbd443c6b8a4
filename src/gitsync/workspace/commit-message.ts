// The message of a batch commit: a subject and body from the GitTarget's template, then one group
// of trailers per image so Git itself is the audit log (`git log --format=%(trailers)`).

/** One image whose new reference the commit writes, with the values it replaced. */
export interface ImageBump {
  readonly image: string;
  /** Distinct previous values of the edited fields (empty when the value was created). */
  readonly from: readonly string[];
  readonly to: string;
  /** e.g. `semver ^1.4`. */
  readonly policy: string;
  readonly files: readonly string[];
}

export const DEFAULT_COMMIT_TEMPLATE = 'chore(images): update {{summary}}\n\n{{changes}}';

export const TRAILER_KEYS = ['Slipway-Image', 'Slipway-From', 'Slipway-To', 'Slipway-Policy'] as const;

const PLACEHOLDER = /\{\{\s*(summary|count|images|changes|branch)\s*\}\}/g;

export function renderCommitMessage(template: string, bumps: readonly ImageBump[], branch: string): string {
  const values: Record<string, string> = {
    summary:
      bumps.length === 1 ? `${shortName(bumps[0]!.image)} to ${bumps[0]!.to}` : `${bumps.length} images`,
    count: String(bumps.length),
    images: bumps.map((b) => `${b.image}:${b.to}`).join(', '),
    changes: bumps
      .map(
        (b) =>
          `- ${b.image}: ${b.from.length === 0 ? '(new)' : b.from.join(', ')} -> ${b.to} (${b.files.join(', ')})`,
      )
      .join('\n'),
    branch,
  };
  const text = template.replace(PLACEHOLDER, (_, key: string) => values[key] ?? '').trimEnd();
  const trailers = bumps.flatMap((b) => [
    `Slipway-Image: ${oneLine(b.image)}`,
    `Slipway-From: ${oneLine(b.from.join(', ')) || '(none)'}`,
    `Slipway-To: ${oneLine(b.to)}`,
    `Slipway-Policy: ${oneLine(b.policy)}`,
  ]);
  return `${text}\n\n${trailers.join('\n')}\n`;
}

/** The Slipway trailer groups of a commit message, in order (one object per Slipway-Image). */
export function parseSlipwayTrailers(message: string): Record<string, string>[] {
  const groups: Record<string, string>[] = [];
  for (const line of message.split('\n')) {
    const m = /^(Slipway-[A-Za-z]+):\s?(.*)$/.exec(line);
    if (m === null) continue;
    if (m[1] === 'Slipway-Image') groups.push({});
    const group = groups[groups.length - 1];
    if (group !== undefined) group[m[1] as string] = m[2] as string;
  }
  return groups;
}

function shortName(image: string): string {
  return image.slice(image.lastIndexOf('/') + 1);
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
