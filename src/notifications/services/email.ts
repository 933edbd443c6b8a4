// Email over SMTP (services/email.go): subject from the template's email.subject, body from
// email.body or the message, to the recipient's comma-separated addresses; nodemailer speaks
// SMTP (STARTTLS when offered, AUTH when a username is set).

import type { Transporter } from 'nodemailer';
import type { RenderedNotification } from '../render.js';
import type { Destination } from '../subscriptions.js';
import { DeliveryError, type NotificationService, stringOption } from './service.js';

export function emailService(options: Record<string, unknown>): NotificationService {
  const host = stringOption(options, 'host');
  const port = Number(options.port ?? 25);
  const username = stringOption(options, 'username');
  const password = stringOption(options, 'password');
  const from = stringOption(options, 'from');
  const html = options.html === true;
  // nodemailer is loaded with the first email: it is a sixth of the controller's code, which
  // every start would otherwise compile, and most installations never send one.
  let transporter: Promise<Transporter> | undefined;
  const transport = () =>
    (transporter ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host,
        port,
        secure: port === 465,
        ...(username ? { auth: { user: username, pass: password ?? '' } } : {}),
        tls: { rejectUnauthorized: options.insecure_skip_verify !== true },
        connectionTimeout: 30_000,
        greetingTimeout: 30_000,
        socketTimeout: 60_000,
      }),
    ));
  return {
    async send(notification: RenderedNotification, destination: Destination) {
      if (!host) throw new DeliveryError('email service has no host', false);
      const to = destination.recipient
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== '');
      if (to.length === 0) throw new DeliveryError('email recipient is empty', false);
      const body = notification.email?.body || notification.message || '';
      try {
        await (await transport()).sendMail({
          ...(from ? { from } : {}),
          to,
          subject: notification.email?.subject ?? '',
          ...(html ? { html: body } : { text: body }),
        });
      } catch (error) {
        const e = error as Error & { responseCode?: number };
        // SMTP 5xx replies are permanent; connection failures and 4xx are worth another try.
        throw new DeliveryError(`email: ${e.message}`, !(e.responseCode && e.responseCode >= 500));
      }
    },
  };
}
