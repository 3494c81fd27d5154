import { UserError } from '#root/errors/index.js';
import { defineChannel, htmlEscape, plain } from '../spec.js';
import { emailDeliveryError } from './errors.js';
import { serviceWords } from '#root/messages/service-words.js';

const contactWords = serviceWords('contacts');

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** Email through SMTP (SMTP_URL): a subject, a plain text and an HTML part; one signed link per item. */
export const emailChannel = defineChannel({
  name: 'email',
  label: 'channel.email',
  inWords: 'channelWords.email',
  aliases: ['email', 'e-mail', 'mail', 'thu', 'thư'],
  contactChoosable: true,
  address: {
    fields: ['email'],
    entry: 'typed',
    input: { type: 'email', maxLength: 320, example: 'ten@so.gov.vn' },
    parse(raw) {
      const email = raw.trim();
      if (!EMAIL.test(email) || email.length > 320)
        throw new UserError(contactWords('invalidEmail', { email: email.slice(0, 80) }));
      return { email };
    },
    has: (c) => Boolean(c.email),
    show: (c) => c.email ?? null,
    missing: 'reach.email',
  },
  parts: [
    { part: 'subject.txt', role: 'subject' },
    { part: 'text.txt', role: 'text' },
    { part: 'html', role: 'html' },
  ],
  escape: (part) => (part === 'html' ? htmlEscape : plain),
  buttons: false,
  shownItems: 50,
  maxLength: 100_000,
  deliveryError: emailDeliveryError,
  async transport({ config, logger }) {
    if (!config.SMTP_URL) return null;
    const { createEmailChannel } = await import('./index.js');
    const email = createEmailChannel({
      url: config.SMTP_URL,
      from: config.MAIL_FROM,
      // The pool's own limiter: SMTP_RATE_PER_MINUTE shared by its connections.
      ratePerMinute: config.SMTP_RATE_PER_MINUTE,
      timeoutSeconds: config.SMTP_TIMEOUT_SECONDS,
    });
    // An SMTP server that does not answer at start is reported, not fatal: sends retry until it does.
    try {
      await email.verify();
      logger.info({ channel: 'email' }, 'SMTP server reachable');
    } catch (error) {
      logger.error({ channel: 'email', err: error }, 'SMTP server not reachable at start; emails will be retried');
    }
    return email;
  },
});
