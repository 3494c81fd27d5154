import type { Api } from 'grammy';
import type { EnvConfig } from '#root/config.js';
import type { Channel } from '#root/generated/prisma/client.js';
import type { Logger } from '#root/logger.js';
import { createEmailChannel } from './email/index.js';
import { createSandboxChannel } from './sandbox/index.js';
import { createTelegramChannel } from './telegram/index.js';
import { processTelegramLimiter, type TelegramLimiter } from './telegram/limiter.js';
import type { ChannelAdapter } from './types.js';
import { createZaloChannel } from './zalo/index.js';
import { processZaloLimiter } from './zalo/limiter.js';

/**
 * The channels this deployment has: the sandbox outbox always (the default with no credentials),
 * email when SMTP_URL is set, Telegram when TELEGRAM_BOT_TOKEN is set, Zalo when ZALO_BOT_TOKEN is set. An SMTP server that does not answer at start is reported, not fatal:
 * sends retry with backoff until it does.
 */
export async function createChannels(
  config: EnvConfig,
  logger: Logger,
  options: {
    telegramLimiter?: TelegramLimiter;
    /** The reminders' Bot API client, built by src/composition.ts; without it, the channel builds its own. */
    telegramApi?: Api;
  } = {},
): Promise<Partial<Record<Channel, ChannelAdapter>>> {
  const channels: Partial<Record<Channel, ChannelAdapter>> = { sandbox: createSandboxChannel() };
  if (config.SMTP_URL) {
    const email = createEmailChannel({
      url: config.SMTP_URL,
      from: config.MAIL_FROM,
      ratePerMinute: config.SMTP_RATE_PER_MINUTE,
    });
    channels.email = email;
    try {
      await email.verify();
      logger.info({ channel: 'email' }, 'SMTP server reachable');
    } catch (error) {
      logger.error({ channel: 'email', err: error }, 'SMTP server not reachable at start; emails will be retried');
    }
  }
  if (config.TELEGRAM_BOT_TOKEN) {
    channels.telegram = createTelegramChannel({
      ...(options.telegramApi
        ? { api: options.telegramApi }
        : {
            token: config.TELEGRAM_BOT_TOKEN,
            apiRoot: config.TELEGRAM_API_ROOT,
            timeoutSeconds: config.TELEGRAM_TIMEOUT_SECONDS,
          }),
      limiter: options.telegramLimiter ?? processTelegramLimiter(config.TELEGRAM_LIMITS),
    });
  }
  if (config.ZALO_BOT_TOKEN) {
    channels.zalo = createZaloChannel({
      token: config.ZALO_BOT_TOKEN,
      apiRoot: config.ZALO_API_ROOT,
      limiter: processZaloLimiter(config.ZALO_RATE_PER_SECOND),
    });
  }
  return channels;
}
