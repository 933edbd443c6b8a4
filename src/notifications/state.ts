// Delivery state, stored on the notified object as notifications-engine stores it: the
// annotation notified.notifications.argoproj.io holds {"<key>": <unix seconds>}, where the key
// is [<oncePer>:][<namespace>:]<trigger>:<condition key>:<service>:<recipient>. At most 100
// entries are kept, oldest dropped first (the engine's notifiedHistoryMaxSize).

import type { Destination } from './subscriptions.js';

export const MAX_STATE_ENTRIES = 100;

export type NotifiedState = Record<string, number>;

export function parseState(annotation: string | undefined): NotifiedState {
  if (!annotation) return {};
  try {
    const parsed = JSON.parse(annotation) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const out: NotifiedState = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') out[k] = v;
    return out;
  } catch {
    return {};
  }
}

export function stateKey(args: {
  selfServiceNamespace?: string;
  trigger: string;
  conditionKey: string;
  destination: Destination;
  oncePer?: string;
}): string {
  const { destination } = args;
  let key = `${args.trigger}:${args.conditionKey}:${destination.service}:${destination.recipient}`;
  if (args.selfServiceNamespace !== undefined) key = `${args.selfServiceNamespace}:${key}`;
  return args.oncePer ? `${args.oncePer}:${key}` : key;
}

/** Drops the oldest entries beyond the limit (ties by key, so the result is deterministic). */
export function truncateState(state: NotifiedState, max = MAX_STATE_ENTRIES): NotifiedState {
  const entries = Object.entries(state);
  if (entries.length <= max) return state;
  entries.sort(([ka, a], [kb, b]) => a - b || ka.localeCompare(kb));
  return Object.fromEntries(entries.slice(entries.length - max));
}
