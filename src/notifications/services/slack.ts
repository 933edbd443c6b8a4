// Slack through its Web API chat.postMessage and chat.update (what slack-go calls): a form
// POST with the bot token as Bearer, channel = the recipient, text, attachments and blocks as
// JSON; Slack answers 200 with {"ok": false, "error": ...} on failure. groupingKey threads
// later messages under the first one, and deliveryPolicy Update/PostAndUpdate edit it, with
// the thread timestamps kept in memory as notifications-engine keeps them.

import type { RenderedNotification } from '../render.js';
import type { Destination } from '../subscriptions.js';
import { DeliveryError, type NotificationService, stringOption, successfulRequest } from './service.js';

const SLACK_API = 'https://slack.com/api/';
const ICON_EMOJI = /^:.+:$/;
const MAX_THREADS = 10_000;

/** recipient → groupingKey → thread ts, and recipient → channel ID (as Slack answered). */
const threads = new Map<string, string>();
const channelIds = new Map<string, string>();

function remember(map: Map<string, string>, key: string, value: string): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_THREADS) map.delete(map.keys().next().value as string);
}

export function slackService(options: Record<string, unknown>): NotificationService {
  const token = stringOption(options, 'token') ?? '';
  const apiUrl = stringOption(options, 'apiURL') || SLACK_API;

  const call = async (method: string, form: URLSearchParams): Promise<{ ts?: string; channel?: string }> => {
    const url = `${apiUrl.replace(/\/?$/, '/')}${method}`;
    const result = await successfulRequest('slack', url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    let answer: { ok?: boolean; error?: string; ts?: string; channel?: string };
    try {
      answer = JSON.parse(result.body) as typeof answer;
    } catch {
      throw new DeliveryError(`slack: the answer of ${method} is not JSON`, true);
    }
    if (!answer.ok) {
      const error = String(answer.error ?? 'unknown error');
      throw new DeliveryError(
        `slack: ${method}: ${error}`,
        error === 'ratelimited' || error === 'internal_error',
      );
    }
    return answer;
  };

  return {
    async send(notification: RenderedNotification, destination: Destination) {
      const { recipient } = destination;
      const form = new URLSearchParams();
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
      const groupingKey = slack?.groupingKey ?? '';
      // Unknown policies are Post, as DeliveryPolicy.FromString reads them.
      const policy = ['PostAndUpdate', 'Update'].includes(slack?.deliveryPolicy ?? '')
        ? slack?.deliveryPolicy
        : 'Post';
      const threadKey = `${recipient}\u0000${groupingKey}`;
      const ts = groupingKey ? (threads.get(threadKey) ?? '') : '';
      if (ts) form.set('thread_ts', ts);
      if (!ts || policy !== 'Update') {
        const post = new URLSearchParams(form);
        post.set('channel', recipient);
        if (slack?.notifyBroadcast) post.set('reply_broadcast', 'true');
        const answer = await call('chat.postMessage', post);
        if (groupingKey && !ts && answer.ts) remember(threads, threadKey, answer.ts);
        if (answer.channel) remember(channelIds, recipient, answer.channel);
      }
      if (ts && (policy === 'Update' || policy === 'PostAndUpdate')) {
        const update = new URLSearchParams(form);
        update.set('channel', channelIds.get(recipient) ?? recipient);
        update.set('ts', ts);
        update.set('as_user', 'true');
        await call('chat.update', update);
      }
    },
  };
}
