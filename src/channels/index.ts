import type { EnvConfig } from '#root/config.js';
import type { Channel } from '#root/generated/prisma/client.js';
import type { Logger } from '#root/logger.js';
import { CHANNEL_SPECS, createTransport } from './registry.js';
import type { ChannelOptions } from './spec.js';
import type { ChannelAdapter } from './types.js';

/**
 * The channels this deployment has: each channel of the registry whose configuration is there
 * (the sandbox outbox always; email with SMTP_URL, Telegram with TELEGRAM_BOT_TOKEN, Zalo with
 * ZALO_BOT_TOKEN…). A channel whose server does not answer at start is reported, not fatal: its
 * sends retry with backoff until it does.
 */
export async function createChannels(
  config: EnvConfig,
  logger: Logger,
  options: ChannelOptions = {},
): Promise<Partial<Record<Channel, ChannelAdapter>>> {
  const channels: Partial<Record<Channel, ChannelAdapter>> = {};
  for (const spec of CHANNEL_SPECS) {
    const adapter = await createTransport(spec, { config, logger, options });
    if (adapter) channels[spec.name] = adapter;
  }
  return channels;
}
