// What can be notified about, and how an Event becomes a trigger and template variables.
// Rollouts follow Argo (`on-` + the reason in kebab case, the object as .rollout). Git-sync's
// own triggers come from its Events: ImageBumped on an ImageWatch (on-image-bumped) and
// PromotionDecision on a PromotionPipeline (on-promoted, on-rolled-back, on-hold, and
// on-pull-request-opened when a promotion went through a pull request).

import { createHash } from 'node:crypto';
import { REVISION_ANNOTATION } from '../api/labels.js';
import { triggerForReason } from './subscriptions.js';

export interface NotificationSubject {
  kind: string;
  /** The template variable that holds the object. */
  variable: string;
  /** The trigger an Event names, or undefined when it names none. */
  trigger(reason: string, message: string): string | undefined;
  /** What the Event itself says (commit, image, links), as template variables. */
  eventVars(reason: string, message: string): Record<string, unknown>;
  /** Identifies this occurrence of the Event on the object, when a trigger has no oncePer. */
  occurrence(object: { metadata?: { annotations?: Record<string, string> }; status?: unknown }): string;
}

export const ROLLOUT_SUBJECT: NotificationSubject = {
  kind: 'Rollout',
  variable: 'rollout',
  trigger: (reason) => triggerForReason(reason),
  eventVars: () => ({}),
  // The revision and step, and when the conditions last changed: a replay of the same Event
  // (recorded, then the status write lost to a restart) sees the same Rollout, while the same
  // message later (paused again after a resume) comes after a condition transition.
  occurrence: (object) => {
    const status = (object.status ?? {}) as {
      currentStepIndex?: number;
      conditions?: { type?: string; status?: string; lastTransitionTime?: string }[];
    };
    const transitions = (status.conditions ?? [])
      .map((c) => `${c.type}=${c.status}@${c.lastTransitionTime}`)
      .join(',');
    const revision = object.metadata?.annotations?.[REVISION_ANNOTATION] ?? '';
    return `${revision}.${status.currentStepIndex ?? ''}.${createHash('sha1').update(transitions).digest('hex').slice(0, 8)}`;
  },
};

// `wrote <image> to <file> in <url>@<branch> (commit <sha>)` (src/gitsync/gittarget/reconciler.ts)
const IMAGE_BUMPED = /^wrote (\S+) to (.+) in (\S+)@(\S+) \(commit ([0-9a-f]+)\)$/;

export const IMAGE_WATCH_SUBJECT: NotificationSubject = {
  kind: 'ImageWatch',
  variable: 'imageWatch',
  trigger: (reason) => (reason === 'ImageBumped' ? 'on-image-bumped' : undefined),
  eventVars: (_reason, message) => {
    const m = IMAGE_BUMPED.exec(message);
    if (!m) return { message };
    return {
      message,
      image: m[1],
      file: m[2],
      repository: m[3],
      branch: m[4],
      commit: m[5],
      links: { repository: m[3] },
    };
  },
  occurrence: () => '',
};

// `<type> <image> in <environment>[ (commit <sha>)][ (<pull request URL>)]: <reason>` (src/gitsync/promotion/controller.ts)
const DECISION =
  /^(promote|rollback|hold|release|release-pause) (\S+) in (\S+?)(?: \(commit ([0-9a-f]+)\))?(?: \((https?:\/\/[^)\s]+)\))?: ([\s\S]*)$/;

function parseDecision(message: string) {
  const m = DECISION.exec(message);
  if (!m) return undefined;
  return {
    type: m[1] ?? '',
    image: m[2] ?? '',
    environment: m[3] ?? '',
    ...(m[4] ? { commit: m[4] } : {}),
    ...(m[5] ? { pullRequest: m[5] } : {}),
    reason: m[6] ?? '',
  };
}

export const PROMOTION_PIPELINE_SUBJECT: NotificationSubject = {
  kind: 'PromotionPipeline',
  variable: 'pipeline',
  trigger: (reason, message) => {
    if (reason !== 'PromotionDecision') return undefined;
    const d = parseDecision(message);
    switch (d?.type) {
      case 'promote':
        return d.pullRequest ? 'on-pull-request-opened' : 'on-promoted';
      case 'rollback':
        return 'on-rolled-back';
      case 'hold':
        return 'on-hold';
      default:
        return undefined;
    }
  },
  eventVars: (_reason, message) => {
    const decision = parseDecision(message);
    if (!decision) return { message };
    return {
      message,
      decision,
      ...(decision.commit ? { commit: decision.commit } : {}),
      links: { ...(decision.pullRequest ? { pullRequest: decision.pullRequest } : {}) },
    };
  },
  occurrence: () => '',
};

export const SUBJECTS: readonly NotificationSubject[] = [
  ROLLOUT_SUBJECT,
  IMAGE_WATCH_SUBJECT,
  PROMOTION_PIPELINE_SUBJECT,
];

export function subjectFor(kind: string | undefined): NotificationSubject | undefined {
  return SUBJECTS.find((s) => s.kind === kind);
}
