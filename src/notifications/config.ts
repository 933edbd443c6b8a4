// Reads argo-rollouts-notification-configmap and -secret the way notifications-engine's
// api.ParseConfig does: service.<type>[.<name>] (with $key references into the Secret),
// template.<name>, trigger.<name>, defaultTriggers[.<service>] and subscriptions. A bad key
// is reported and skipped instead of failing the whole configuration.

import { parseDocument, parse as parseYaml, visit } from 'yaml';
import {
  CATALOG_TEMPLATES,
  CATALOG_TRIGGERS,
  type NotificationTemplate,
  type TriggerCondition,
} from './catalog.js';
import { type LabelSelector, parseLabelSelector } from './label-selector.js';

export const NOTIFICATION_CONFIGMAP = 'argo-rollouts-notification-configmap';
export const NOTIFICATION_SECRET = 'argo-rollouts-notification-secret';

export interface ServiceConfig {
  type: string;
  name: string;
  /** The service's YAML options with $secret references resolved. Holds secrets: never log it. */
  options: Record<string, unknown>;
}

export interface GlobalSubscription {
  recipients: string[];
  triggers: string[];
  selector: LabelSelector;
}

export interface NotificationConfig {
  /** Where the ConfigMap was read; self-service configurations live in the object's namespace. */
  namespace: string;
  isSelfService: boolean;
  services: Map<string, ServiceConfig>;
  triggers: Map<string, TriggerCondition[]>;
  templates: Map<string, NotificationTemplate>;
  subscriptions: GlobalSubscription[];
  defaultTriggers: string[];
  serviceDefaultTriggers: Map<string, string[]>;
  /** The Secret's values, offered to templates as .secrets as Argo does. */
  secrets: Record<string, string>;
  /** One line per key that could not be read, e.g. `trigger.on-x: not a list of conditions`. */
  problems: string[];
}

const SECRET_REFERENCE = /\$[\w-]+/g;

/** Decodes a Secret's base64 `data` (and plain `stringData`) into strings. */
export function decodeSecretData(
  secret: { data?: Record<string, string>; stringData?: Record<string, string> } | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret?.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret?.stringData ?? {})) out[k] = v;
  return out;
}

/** Replaces `$key` in every string scalar of a service's YAML with the Secret's value, as Argo does. */
export function resolveServiceSecrets(serviceYaml: string, secrets: Record<string, string>): unknown {
  const doc = parseDocument(serviceYaml);
  if (doc.errors.length > 0) throw new Error(doc.errors[0]?.message.split('\n')[0] ?? 'invalid YAML');
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string') {
        node.value = node.value.replace(SECRET_REFERENCE, (ref) => secrets[ref.slice(1)] ?? ref);
      }
    },
  });
  return doc.toJS();
}

function stringList(value: unknown): string[] | undefined {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  return undefined;
}

function parseConditions(value: unknown): TriggerCondition[] | string {
  if (!Array.isArray(value)) return 'expected a list of conditions';
  const out: TriggerCondition[] = [];
  for (const [i, c] of value.entries()) {
    if (!c || typeof c !== 'object') return `[${i}] is not a condition`;
    const raw = c as Record<string, unknown>;
    const send = stringList(raw.send);
    if (!send) return `[${i}].send must be a list of template names`;
    for (const field of ['when', 'oncePer', 'description'] as const) {
      if (raw[field] !== undefined && typeof raw[field] !== 'string')
        return `[${i}].${field} must be a string`;
    }
    out.push({
      send,
      ...(typeof raw.when === 'string' ? { when: raw.when } : {}),
      ...(typeof raw.oncePer === 'string' ? { oncePer: raw.oncePer } : {}),
      ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    });
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface ParseOptions {
  namespace: string;
  isSelfService?: boolean;
  /** Add the built-in catalog (Argo's default triggers and templates) under the ConfigMap's own. */
  withCatalog?: boolean;
}

export function parseNotificationConfig(
  configMapData: Record<string, string> | undefined,
  secretData: Record<string, string>,
  options: ParseOptions,
): NotificationConfig {
  const cfg: NotificationConfig = {
    namespace: options.namespace,
    isSelfService: options.isSelfService ?? false,
    services: new Map(),
    triggers: new Map(),
    templates: new Map(),
    subscriptions: [],
    defaultTriggers: [],
    serviceDefaultTriggers: new Map(),
    secrets: secretData,
    problems: [],
  };
  if (options.withCatalog !== false) {
    for (const [name, t] of Object.entries(CATALOG_TRIGGERS)) cfg.triggers.set(name, t);
    for (const [name, t] of Object.entries(CATALOG_TEMPLATES)) cfg.templates.set(name, t);
  }
  const problem = (key: string, message: string) => cfg.problems.push(`${key}: ${message}`);
  const yaml = (key: string, text: string): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: parseYaml(text, { maxAliasCount: 100 }) };
    } catch (error) {
      problem(key, `invalid YAML: ${(error as Error).message.split('\n')[0]}`);
      return { ok: false };
    }
  };

  for (const [key, text] of Object.entries(configMapData ?? {})) {
    if (key === 'subscriptions') {
      const parsed = yaml(key, text);
      if (!parsed.ok) continue;
      const list = parsed.value ?? [];
      if (!Array.isArray(list)) {
        problem(key, 'expected a list');
        continue;
      }
      for (const [i, s] of list.entries()) {
        if (!isRecord(s)) {
          problem(key, `[${i}] is not a subscription`);
          continue;
        }
        const recipients = stringList(s.recipients);
        const triggers = stringList(s.triggers);
        if (!recipients || !triggers) {
          problem(key, `[${i}].recipients and .triggers must be lists of strings`);
          continue;
        }
        try {
          const selector = parseLabelSelector(typeof s.selector === 'string' ? s.selector : '');
          cfg.subscriptions.push({ recipients, triggers, selector });
        } catch (error) {
          problem(key, `[${i}].selector: ${(error as Error).message}`);
        }
      }
    } else if (key === 'defaultTriggers' || key.startsWith('defaultTriggers.')) {
      const parsed = yaml(key, text);
      if (!parsed.ok) continue;
      const list = stringList(parsed.value);
      if (!list) {
        problem(key, 'expected a list of trigger names');
        continue;
      }
      if (key === 'defaultTriggers') cfg.defaultTriggers = list;
      else cfg.serviceDefaultTriggers.set(key.slice('defaultTriggers.'.length), list);
    } else if (key.startsWith('template.')) {
      const parsed = yaml(key, text);
      if (!parsed.ok) continue;
      if (!isRecord(parsed.value)) {
        problem(key, 'expected a mapping with message and per-service fields');
        continue;
      }
      cfg.templates.set(key.slice('template.'.length), parsed.value as NotificationTemplate);
    } else if (key.startsWith('trigger.')) {
      const parsed = yaml(key, text);
      if (!parsed.ok) continue;
      const conditions = parseConditions(parsed.value);
      if (typeof conditions === 'string') problem(key, conditions);
      else cfg.triggers.set(key.slice('trigger.'.length), conditions);
    } else if (key.startsWith('service.')) {
      const parts = key.split('.');
      if (parts.length !== 2 && parts.length !== 3) {
        problem(key, "invalid service key; expected 'service.<type>(.<name>)'");
        continue;
      }
      const type = parts[1] ?? '';
      const name = parts[2] ?? type;
      try {
        const options = resolveServiceSecrets(text, secretData) ?? {};
        if (!isRecord(options)) {
          problem(key, 'expected a mapping of service options');
          continue;
        }
        cfg.services.set(name, { type, name, options });
      } catch (error) {
        problem(key, `failed to render service configuration: ${(error as Error).message}`);
      }
    }
  }
  return cfg;
}
