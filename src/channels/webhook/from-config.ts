import type { Config } from '#root/config.js';
import type { Db } from '#root/db/client.js';
import type { Logger } from '#root/logger.js';
import { createWebhookChannel, type WebhookChannelOptions } from './index.js';
import { webhookAddressFromDb } from './store.js';

/**
 * The webhook channel as the program builds it, for the registry's one line: addresses from the
 * database (secrets opened with the resolved SECRET_KEY), WEBHOOK_ALLOW_HOSTS and
 * WEBHOOK_TIMEOUT_SECONDS from the configuration. The channel needs no credentials of its own: it
 * is always available; a contact without an address fails for good on it (the next channel sends).
 */
export function webhookChannelFromConfig(
  config: Pick<Config, 'SECRET_KEY' | 'WEBHOOK_ALLOW_HOSTS' | 'WEBHOOK_TIMEOUT_SECONDS'>,
  db: Db,
  logger?: Logger,
  /** Anything else of the channel's options (limits, tests' settings). */
  more: Omit<Partial<WebhookChannelOptions>, 'address' | 'allow' | 'timeoutMs' | 'logger'> = {},
) {
  return createWebhookChannel({
    address: webhookAddressFromDb(db, config.SECRET_KEY),
    allow: config.WEBHOOK_ALLOW_HOSTS ?? [],
    timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1_000,
    ...(logger ? { logger } : {}),
    ...more,
  });
}
