// Microsoft Teams incoming webhooks (services/teams.go): a MessageCard POSTed to the URL
// configured for the recipient in recipientUrls; Teams answers "1" on success.

import type { RenderedNotification } from '../render.js';
import type { Destination } from '../subscriptions.js';
import { DeliveryError, type NotificationService, redactUrl, successfulRequest } from './service.js';

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DeliveryError(`teams ${what} unmarshalling error ${(error as Error).message}`, false);
  }
}

export function teamsMessage(notification: RenderedNotification): string {
  const teams = notification.teams;
  if (teams?.template) return teams.template;
  const card: Record<string, unknown> = {
    '@type': 'MessageCard',
    context: 'https://schema.org/extensions',
    title: teams?.title ?? '',
    summary: teams?.summary ?? '',
    text: teams?.text || notification.message || '',
  };
  if (teams?.themeColor) card.themeColor = teams.themeColor;
  if (teams?.potentialAction) card.potentialAction = parseJson('potential action', teams.potentialAction);
  const sections: unknown[] = teams?.sections ? (parseJson('sections', teams.sections) as unknown[]) : [];
  if (teams?.facts) sections.push({ facts: parseJson('facts', teams.facts) });
  if (sections.length > 0) card.sections = sections;
  return JSON.stringify(card);
}

export function teamsService(options: Record<string, unknown>): NotificationService {
  const urls = (options.recipientUrls ?? {}) as Record<string, unknown>;
  return {
    async send(notification: RenderedNotification, destination: Destination) {
      const url = urls[destination.recipient];
      if (typeof url !== 'string') {
        throw new DeliveryError(`no teams webhook configured for recipient ${destination.recipient}`, false);
      }
      const result = await successfulRequest('teams', url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: teamsMessage(notification),
      });
      if (result.body !== '1') {
        throw new DeliveryError(
          `teams webhook post error at ${redactUrl(url)}: ${result.body.slice(0, 200)}`,
          false,
        );
      }
    },
  };
}
