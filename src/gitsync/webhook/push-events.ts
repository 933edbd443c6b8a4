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
  for (const event of events as NotificationEvent[]) {
    const target = event.target;
    if (event.action !== 'push' || target?.repository === undefined) continue;
    if (target.mediaType !== undefined && !MANIFEST_TYPES.has(target.mediaType)) continue;
    const host = hostOf(target.url) ?? event.request?.host;
    if (host === undefined) continue;
    pushes.push({
      name: `${host}/${target.repository}`,
      ...(target.tag !== undefined && { tag: target.tag }),
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

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
