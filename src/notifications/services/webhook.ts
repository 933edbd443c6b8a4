// The webhook service (notifications-engine services/webhook.go): GET the URL with the message
// as body unless the template's webhook.<service name> section sets method, path and body.

import type { RenderedNotification } from '../render.js';
import type { Destination } from '../subscriptions.js';
import { DeliveryError, type NotificationService, stringOption, successfulRequest } from './service.js';

export function webhookService(options: Record<string, unknown>): NotificationService {
  const url = stringOption(options, 'url');
  const headers: Record<string, string> = {};
  if (Array.isArray(options.headers)) {
    for (const h of options.headers) {
      if (h && typeof h === 'object' && typeof h.name === 'string') headers[h.name] = String(h.value ?? '');
    }
  }
  const basicAuth = options.basicAuth as { username?: string; password?: string } | undefined;
  if (basicAuth && typeof basicAuth === 'object') {
    headers.Authorization = `Basic ${Buffer.from(`${basicAuth.username ?? ''}:${basicAuth.password ?? ''}`).toString('base64')}`;
  }
  return {
    async send(notification: RenderedNotification, destination: Destination) {
      if (!url) throw new DeliveryError('webhook service has no url', false);
      let method = 'GET';
      let body = notification.message ?? '';
      let target = url;
      const override = notification.webhook?.[destination.service];
      if (override) {
        body = override.body ?? '';
        method = override.method || method;
        if (override.path) target = `${url.replace(/\/+$/, '')}/${override.path.replace(/^\/+/, '')}`;
      }
      await successfulRequest('webhook', target, { method, headers, body });
    },
  };
}
