// What a decision says in Git: the commit message (subject, why, Slipway-* trailers in the last
// paragraph so `git log --format=%(trailers)` reads them) and the pull request title, body and
// labels. Pure.

import { splitImageRef, versionOf } from '../../api/image-ref.js';
import { RELEASE_PAUSE_ANNOTATION } from '../../api/labels.js';
import type { PromotionPipeline } from '../../api/promotion.js';
import type { Decision } from './decide.js';

type GitDecision = Extract<Decision, { type: 'promote' | 'rollback' | 'release-pause' }>;

export const DECISION_TRAILERS = [
  'Slipway-Decision',
  'Slipway-Pipeline',
  'Slipway-Environment',
  'Slipway-Image',
  'Slipway-To',
  'Slipway-From',
  'Slipway-Rollout',
  'Slipway-Revision',
  'Slipway-Analysis',
] as const;

export function decisionSubject(decision: GitDecision): string {
  switch (decision.type) {
    case 'promote':
      return `promote(${decision.environment}): ${shortImage(decision.image)} from ${decision.from}`;
    case 'rollback':
      return `rollback(${decision.environment}): ${shortImage(decision.image)}, ${shortImage(decision.failed)} failed`;
    case 'release-pause':
      return `release-pause(${decision.environment}): promote ${shortImage(decision.image)} past its pause`;
  }
}

/** Why, in a few sentences a reviewer can check. */
export function decisionWhy(decision: GitDecision): string {
  switch (decision.type) {
    case 'promote':
      return `${decision.evidence.summary}. ${decision.environment} moves from ${decision.replaces ?? 'an unknown image'} to ${decision.image}.`;
    case 'rollback':
      return `${decision.evidence.summary}. ${decision.environment} goes back to its last healthy image ${decision.image} so Git and the cluster agree again; ${decision.failed} is held and will not be promoted or bumped until a person releases it.`;
    case 'release-pause':
      return `${decision.evidence.summary}. Merging this pull request releases that pause: the rollout controller honours the ${RELEASE_PAUSE_ANNOTATION} annotation for revision/step ${decision.key}.`;
  }
}

export function decisionTrailers(pipeline: PromotionPipeline, decision: GitDecision): string[] {
  const from =
    decision.type === 'promote'
      ? (decision.replaces ?? '(unknown)')
      : decision.type === 'rollback'
        ? decision.failed
        : decision.image;
  const values: Record<(typeof DECISION_TRAILERS)[number], string> = {
    'Slipway-Decision': decision.type,
    'Slipway-Pipeline': `${pipeline.metadata.namespace}/${pipeline.metadata.name}`,
    'Slipway-Environment': decision.environment,
    'Slipway-Image': decision.image,
    'Slipway-To': tagOf(decision.image),
    'Slipway-From': from,
    'Slipway-Rollout': decision.evidence.rollout,
    'Slipway-Revision': decision.evidence.revision,
    'Slipway-Analysis': decision.evidence.analysis,
  };
  return DECISION_TRAILERS.map((key) => `${key}: ${oneLine(values[key])}`);
}

/** The tag (or tag@digest, or @digest) of a reference, as Slipway-To of a bump commit says it. */
function tagOf(reference: string): string {
  const parts = splitImageRef(reference);
  return parts.tag === undefined && parts.digest === undefined ? reference : versionOf(parts);
}

export function decisionCommitMessage(pipeline: PromotionPipeline, decision: GitDecision): string {
  return `${decisionSubject(decision)}\n\n${wrap(decisionWhy(decision))}\n\n${decisionTrailers(pipeline, decision).join('\n')}\n`;
}

export function pullRequestTitle(decision: GitDecision): string {
  switch (decision.type) {
    case 'promote':
      return `Promote ${shortImage(decision.image)} to ${decision.environment}`;
    case 'rollback':
      return `Roll ${decision.environment} back to ${shortImage(decision.image)}`;
    case 'release-pause':
      return `Release the pause of ${decision.evidence.rollout} in ${decision.environment}`;
  }
}

export function pullRequestBody(
  pipeline: PromotionPipeline,
  decision: GitDecision,
  links: { application?: string; file: string },
): string {
  const lines = [
    `**${pullRequestTitle(decision)}** — proposed by Slipway for PromotionPipeline \`${pipeline.metadata.namespace}/${pipeline.metadata.name}\`.`,
    '',
    '### What changes',
    decision.type === 'release-pause'
      ? `- \`${links.file}\`: annotation \`${RELEASE_PAUSE_ANNOTATION}: "${decision.key}"\` on the Rollout`
      : `- \`${links.file}\`: ${decision.type === 'promote' ? (decision.replaces ?? '(unknown)') : decision.failed} → \`${decision.image}\``,
    '',
    '### Why',
    decisionWhy(decision),
    '',
    '### Evidence',
    `- Rollout: \`${decision.evidence.rollout}\`, revision ${decision.evidence.revision}`,
    `- Analysis: ${decision.evidence.analysis}`,
    ...(links.application !== undefined ? [`- Argo CD: ${links.application}`] : []),
    '',
    '<details><summary>Trailers</summary>',
    '',
    '```',
    ...decisionTrailers(pipeline, decision),
    '```',
    '</details>',
  ];
  return lines.join('\n');
}

export function pullRequestLabels(decision: GitDecision, extra: readonly string[] = []): string[] {
  return [...new Set(['slipway', `slipway/${decision.type}`, `env/${decision.environment}`, ...extra])];
}

function shortImage(image: string): string {
  return image.slice(image.lastIndexOf('/') + 1);
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function wrap(text: string, width = 72): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') out.push(line);
  return out.join('\n');
}
