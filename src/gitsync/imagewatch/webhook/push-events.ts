// What a webhook says was pushed, from the two bodies we accept: the Docker Registry notification
// envelope (application/vnd.docker.distribution.events.v1+json), and a generic JSON body
// `{"image": "registry.example/acme/web", "tag": "1.4.2"}`.
import { MANIFEST_ACCEPT } from '../registry/media-types.js';

export interface PushedImage {
  /** `host/repository`, comparable with RepositoryLocation. */
  readonly name: string;
  readonly tag?: string;
}

interface NotificationEvent {
  action?: string;
  target?: { mediaType?: string; repository?: string; tag?: string; url?: string };
  request?: { host?: string };
}

const MANIFEST_TYPES = new Set(MANIFEST_ACCEPT.split(', '));

/** Manifest pushes of a registry notification envelope; blob pushes and pulls are ignored. */
export function pushesFromRegistryNotification(body: unknown): PushedImage[] | { error: string } {
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) return { error: 'expected a notification envelope with an events array' };
  const pushes: PushedImage[] = [];
  for (const [index, event] of (events as unknown[]).entries()) {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      return {
        error: `events[${index}] is ${event === null ? 'null' : Array.isArray(event) ? 'a list' : `a ${typeof event}`}; each event must be an object`,
      };
    }
    const { target: rawTarget, action, request } = event as NotificationEvent;
    if (rawTarget !== undefined && (typeof rawTarget !== 'object' || rawTarget === null)) {
      return { error: `events[${index}].target must be an object` };
    }
    const target = rawTarget;
    if (action !== 'push' || typeof target?.repository !== 'string') continue;
    if (target.mediaType !== undefined && !MANIFEST_TYPES.has(String(target.mediaType))) continue;
    const requestHost = typeof request === 'object' && request !== null ? request.host : undefined;
    const host = hostOf(target.url) ?? (typeof requestHost === 'string' ? requestHost : undefined);
    if (host === undefined) continue;
    pushes.push({
      name: `${host}/${target.repository}`,
      ...(typeof target.tag === 'string' && { tag: target.tag }),
    });
  }
  return pushes;
}

export function pushFromGenericBody(body: unknown): PushedImage | { error: string } {
  const image = (body as { image?: unknown } | null)?.image;
  const tag = (body as { tag?: unknown } | null)?.tag;
  if (typeof image !== 'string' || image === '')
    return { error: 'expected {"image": "<registry>/<repository>", "tag": "..."}' };
  return { name: image, ...(typeof tag === 'string' && { tag }) };
}

function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
