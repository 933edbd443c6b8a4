// The message of a batch commit: a subject and body from the GitTarget's template, then one group
// of trailers per image so Git itself is the audit log (`git log --format=%(trailers)`).
import { splitImageRef, versionOf } from '../../../api/image-ref.js';

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

// Every Slipway commit (bump or promotion decision) carries Slipway-Decision, Slipway-Image,
// Slipway-From and Slipway-To, so one query lists all decisions:
// `git log --format='%(trailers:key=Slipway-Decision,key=Slipway-Image,key=Slipway-To)'`.

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
    'Slipway-Decision: bump',
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

/** One decision a commit records, the same for bumps and promotion decisions. */
export interface RecordedDecision {
  /** bump, promote, rollback, release-pause. */
  readonly decision: string;
  /** The image repository, without tag or digest. */
  readonly image: string;
  readonly from?: string;
  /** The tag (or tag@digest) written. */
  readonly to?: string;
  /** Every Slipway-* trailer of the group, as written. */
  readonly trailers: Readonly<Record<string, string>>;
}

/**
 * The decisions of a commit message, from current and older trailers alike: bumps written before
 * Slipway-Decision existed read as `bump`; promotion commits written before Slipway-To existed
 * carry the whole reference in Slipway-Image, split here into image and to.
 */
export function readDecisions(message: string): RecordedDecision[] {
  const groups: Record<string, string>[] = [];
  for (const line of message.split('\n')) {
    const m = /^(Slipway-[A-Za-z]+):\s?(.*)$/.exec(line);
    if (m === null) continue;
    const key = m[1] as string;
    const current = groups[groups.length - 1];
    // A bump group opens with Slipway-Image, a promotion group with Slipway-Decision.
    if (
      current === undefined ||
      ((key === 'Slipway-Image' || key === 'Slipway-Decision') && key in current)
    ) {
      groups.push({});
    }
    groups[groups.length - 1]![key] = m[2] as string;
  }
  return groups
    .filter((g) => g['Slipway-Image'] !== undefined)
    .map((trailers) => {
      const written = trailers['Slipway-Image']!;
      const { name: image, ...version } = splitImageRef(written);
      const inImage =
        version.tag === undefined && version.digest === undefined ? undefined : versionOf(version);
      const to = trailers['Slipway-To'] ?? inImage;
      const from = trailers['Slipway-From'];
      return {
        decision: trailers['Slipway-Decision'] ?? 'bump',
        image,
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
        trailers,
      };
    });
}

function shortName(image: string): string {
  return image.slice(image.lastIndexOf('/') + 1);
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
