// Slack through its Web API chat.postMessage (what slack-go's PostMessage calls): a form
// POST with the bot token as Bearer, channel = the recipient, text, attachments and blocks as
// JSON; Slack answers 200 with {"ok": false, "error": ...} on failure.

import type { RenderedNotification } from '../render.js';
import type { Destination } from '../subscriptions.js';
import {
  DeliveryError,
  expectSuccess,
  httpRequest,
  type NotificationService,
  stringOption,
} from './service.js';

const SLACK_API = 'https://slack.com/api/';
const ICON_EMOJI = /^:.+:$/;

export function slackService(options: Record<string, unknown>): NotificationService {
  const token = stringOption(options, 'token') ?? '';
  const apiUrl = stringOption(options, 'apiURL') || SLACK_API;
  return {
    async send(notification: RenderedNotification, destination: Destination) {
      const form = new URLSearchParams();
      form.set('channel', destination.recipient);
      form.set('text', notification.message ?? '');
      const slack = notification.slack;
      const username = slack?.username || stringOption(options, 'username');
      if (username) form.set('username', username);
      const icon = slack?.icon || stringOption(options, 'icon');
      if (icon && ICON_EMOJI.test(icon)) form.set('icon_emoji', icon);
      else if (icon && /^https?:\/\/[^/]/.test(icon)) form.set('icon_url', icon);
      for (const field of ['attachments', 'blocks'] as const) {
        const text = slack?.[field];
        if (!text) continue;
        try {
          // Re-serialized, as slack-go does, so a template's whitespace does not reach Slack.
          form.set(field, JSON.stringify(JSON.parse(text)));
        } catch (error) {
          throw new DeliveryError(`failed to unmarshal ${field}: ${(error as Error).message}`, false);
        }
      }
      if (options.disableUnfurl === true) {
        form.set('unfurl_links', 'false');
        form.set('unfurl_media', 'false');
      }
      const url = `${apiUrl.replace(/\/?$/, '/')}chat.postMessage`;
      const result = await httpRequest(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      expectSuccess('slack', url, result);
      let answer: { ok?: boolean; error?: string };
      try {
        answer = JSON.parse(result.body) as { ok?: boolean; error?: string };
      } catch {
        throw new DeliveryError('slack: the answer of chat.postMessage is not JSON', true);
      }
      if (!answer.ok) {
        const error = String(answer.error ?? 'unknown error');
        throw new DeliveryError(
          `slack: chat.postMessage: ${error}`,
          error === 'ratelimited' || error === 'internal_error',
        );
      }
    },
  };
}
