import type { GrammyError } from 'grammy';
import { UserError } from '#root/errors/index.js';
import { defineChannel, type Escape } from '../spec.js';
import { telegramDeliveryError } from './errors.js';
import { TELEGRAM_TEXT_MAX, telegramHtmlProblem } from './html.js';
import type { TelegramLimiter } from './limiter.js';
import { serviceWords } from '#root/messages/service-words.js';

const contactWords = serviceWords('contacts');

/** A Bot API error answer (grammY's GrammyError), told by its shape: this file does not load grammY. */
const isApiError = (error: unknown): error is GrammyError =>
  error instanceof Error &&
  typeof (error as Partial<GrammyError>).error_code === 'number' &&
  typeof (error as Partial<GrammyError>).description === 'string' &&
  typeof (error as Partial<GrammyError>).parameters === 'object';

/** Telegram's HTML parse mode knows only &lt; &gt; &amp; &quot;. Most values have none of them: returned as they are. */
const SPECIAL = /[&<>"]/;
const telegramHtml: Escape = (v) => {
  const s = String(v);
  return SPECIAL.test(s)
    ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    : s;
};

/**
 * Telegram (TELEGRAM_BOT_TOKEN): HTML messages with ✅ / 📅 buttons, at most 4,096 characters, paced
 * by the Telegram limiter (30 messages a second, one a second per chat, 20 a minute per group).
 * The address is the chat's id, linked by the person with an invite.
 */
export const telegramChannel = defineChannel<TelegramLimiter>({
  name: 'telegram',
  label: 'channel.telegram',
  inWords: 'channelWords.telegram',
  aliases: ['telegram', 'tele', 'tg'],
  contactChoosable: true,
  address: {
    fields: ['telegramChatId'],
    entry: 'linked',
    parse(raw) {
      const id = raw.trim();
      if (!/^-?\d{1,19}$/.test(id)) throw new UserError(contactWords('invalidTelegramId', { id: id.slice(0, 30) }));
      return { telegramChatId: BigInt(id) };
    },
    has: (c) => c.telegramChatId != null,
    show: (c) => (c.telegramChatId == null ? null : `…${String(c.telegramChatId).slice(-3)}`),
    missing: 'reach.telegram',
  },
  parts: [{ part: 'html', role: 'text' }],
  escape: () => telegramHtml,
  templateProblem(part, rendered) {
    if (part !== 'html') return null;
    return telegramHtmlProblem(rendered);
  },
  buttons: true,
  // 10 items, each a row of ✅ and 📅 (20 buttons, well within Telegram's keyboard limits).
  shownItems: 10,
  maxLength: TELEGRAM_TEXT_MAX,
  deliveryError: (error) => (isApiError(error) ? telegramDeliveryError(error) : undefined),
  async limiter({ config, options }) {
    const { processTelegramLimiter } = await import('./limiter.js');
    return options.telegramLimiter ?? processTelegramLimiter(config.TELEGRAM_LIMITS);
  },
  async transport({ config, options }, limiter) {
    if (!config.TELEGRAM_BOT_TOKEN) return null;
    const { createTelegramChannel } = await import('./index.js');
    return createTelegramChannel({
      ...(options.telegramApi
        ? { api: options.telegramApi }
        : {
            token: config.TELEGRAM_BOT_TOKEN,
            apiRoot: config.TELEGRAM_API_ROOT,
            timeoutSeconds: config.TELEGRAM_TIMEOUT_SECONDS,
          }),
      limiter,
    });
  },
});
