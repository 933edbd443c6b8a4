// Who wants which trigger: `notifications.argoproj.io/subscribe.<trigger>.<service>: a;b`
// annotations, `subscribe.<service>` (the default triggers), the YAML `subscriptions`
// annotation, and the ConfigMap's global subscriptions, as notifications-engine's
// subscriptions package and Config.GetGlobalDestinations read them.

import { parse as parseYaml } from 'yaml';
import { NOTIFICATIONS_ANNOTATION_PREFIX } from '../api/labels.js';
import type { NotificationConfig } from './config.js';
import { selectorMatches } from './label-selector.js';

export interface Destination {
  service: string;
  recipient: string;
}

/** Trigger name → destinations, in a stable order without duplicates. */
export type DestinationsByTrigger = Map<string, Destination[]>;

function add(dests: DestinationsByTrigger, trigger: string, dest: Destination): void {
  const list = dests.get(trigger) ?? [];
  if (!list.some((d) => d.service === dest.service && d.recipient === dest.recipient)) list.push(dest);
  dests.set(trigger, list);
}

function recipientsOf(value: string): string[] {
  if (value === '') return [''];
  return value
    .split(';')
    .map((r) => r.trim())
    .filter((r) => r !== '');
}

export function annotationDestinations(
  annotations: Record<string, string> | undefined,
  config: Pick<NotificationConfig, 'defaultTriggers' | 'serviceDefaultTriggers'>,
): DestinationsByTrigger {
  const dests: DestinationsByTrigger = new Map();
  const subscribe = (trigger: string, service: string, recipients: string[]) => {
    if (!service) return;
    const triggers = trigger
      ? [trigger]
      : (config.serviceDefaultTriggers.get(service) ?? config.defaultTriggers);
    for (const recipient of recipients) for (const t of triggers) add(dests, t, { service, recipient });
  };
  const prefix = `${NOTIFICATIONS_ANNOTATION_PREFIX}/subscribe.`;
  for (const key of Object.keys(annotations ?? {}).sort()) {
    const value = annotations?.[key] ?? '';
    if (key.startsWith(prefix)) {
      const parts = key.slice(prefix.length).split('.');
      if (parts.length >= 2) subscribe(parts[0] ?? '', parts[1] ?? '', recipientsOf(value));
      else subscribe('', parts[0] ?? '', recipientsOf(value));
    } else if (key.startsWith(`${NOTIFICATIONS_ANNOTATION_PREFIX}/subscriptions`)) {
      let list: unknown;
      try {
        list = parseYaml(value, { maxAliasCount: 10 });
      } catch {
        continue; // Argo logs and ignores an unreadable subscriptions annotation.
      }
      if (!Array.isArray(list)) continue;
      for (const s of list) {
        if (!s || typeof s !== 'object') continue;
        const { trigger, destinations } = s as { trigger?: unknown; destinations?: unknown };
        const triggers = Array.isArray(trigger)
          ? trigger.filter((t): t is string => typeof t === 'string')
          : [];
        const destList = Array.isArray(destinations) ? destinations : [];
        for (const d of destList) {
          if (!d || typeof d !== 'object') continue;
          const { service, recipients } = d as { service?: unknown; recipients?: unknown };
          if (typeof service !== 'string') continue;
          const rs = Array.isArray(recipients)
            ? recipients.filter((r): r is string => typeof r === 'string')
            : [];
          for (const t of triggers.length > 0 ? triggers : ['']) subscribe(t, service, rs);
        }
      }
    }
  }
  return dests;
}

export function globalDestinations(
  config: Pick<NotificationConfig, 'subscriptions' | 'defaultTriggers'>,
  labels: Record<string, string> | undefined,
): DestinationsByTrigger {
  const dests: DestinationsByTrigger = new Map();
  for (const s of config.subscriptions) {
    if (!selectorMatches(s.selector, labels)) continue;
    const triggers = s.triggers.length > 0 ? s.triggers : config.defaultTriggers;
    for (const trigger of triggers) {
      for (const recipient of s.recipients) {
        const i = recipient.indexOf(':');
        add(
          dests,
          trigger,
          i < 0
            ? { service: recipient, recipient: '' }
            : { service: recipient.slice(0, i), recipient: recipient.slice(i + 1) },
        );
      }
    }
  }
  return dests;
}

/** Global subscriptions first, then the object's annotations, as Argo merges them. */
export function destinationsFor(
  config: NotificationConfig,
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> },
  trigger: string,
): Destination[] {
  const merged: DestinationsByTrigger = globalDestinations(config, metadata.labels);
  for (const [t, list] of annotationDestinations(metadata.annotations, config))
    for (const d of list) add(merged, t, d);
  return merged.get(trigger) ?? [];
}

/** Argo's translateReasonToTrigger: RolloutStepCompleted → on-rollout-step-completed. */
export function triggerForReason(reason: string): string {
  const kebab = reason.replace(/(.)([A-Z][a-z]+)/g, '$1-$2').replace(/([a-z0-9])([A-Z])/g, '$1-$2');
  return `on-${kebab.toLowerCase()}`;
}
